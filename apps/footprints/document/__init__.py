"""The canonical study document: schema, canonical bytes and digest, export, import, engine inputs.

See docs/study-format.md. canonical.py and to_engine.py are pure Python (no Django), for verifiers.
"""
