"""The Simplified Chinese catalogue: complete, consistent with its sources, and compiled."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

from apps.footprints.errors import MESSAGES, error_message

CATALOG_DIR = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
PO_PATH = CATALOG_DIR / "django.po"
MO_PATH = CATALOG_DIR / "django.mo"

# printf-style placeholders as Python's % operator reads them: %(name)s, %s, %r, %5.2f ...; %% is a literal.
PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")
BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[.\[][^{}]*)?(?:![rsa])?(?::[^{}]*)?\}|\{\}")


def _po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _entries() -> list[polib.POEntry]:
    return [entry for entry in _po() if not entry.obsolete]


def _placeholders(text: str) -> Counter[str]:
    text = text.replace("%%", "")
    return Counter(PERCENT.findall(text)) + Counter(BRACES.findall(text))


def _stray_percent(text: str) -> int:
    return PERCENT.sub("", text.replace("%%", "")).count("%")


def _label(entry: polib.POEntry) -> str:
    return f"{entry.occurrences[:1]} {entry.msgid!r}"


def test_the_catalogue_exists_and_is_for_simplified_chinese():
    po = _po()
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == "zh_Hans"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert len(_entries()) > 300


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = [_label(e) for e in _entries() if not e.translated() and "fuzzy" not in e.flags]
    fuzzy = [_label(e) for e in _entries() if "fuzzy" in e.flags]
    empty_plurals = [_label(e) for e in _entries() if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert untranslated == []
    assert fuzzy == []
    assert empty_plurals == []
    assert _po().percent_translated() == 100


def test_placeholders_in_every_translation_match_the_source():
    wrong = []
    for entry in _entries():
        expected = _placeholders(entry.msgid)
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for msgstr in translations:
            if set(_placeholders(msgstr)) != set(expected):
                wrong.append((entry.msgid, msgstr))
    assert wrong == []


def test_no_translation_adds_a_bare_percent_sign():
    """Django %-formats messages (constraint violations with %(name)s, validation errors with params):
    a lone % in a translation would break them or print wrongly."""
    wrong = [(e.msgid, e.msgstr) for e in _entries() if _stray_percent(e.msgstr) > _stray_percent(e.msgid)]
    assert wrong == []


def test_translations_keep_the_source_s_line_structure():
    wrong = [(e.msgid, e.msgstr) for e in _entries() if e.msgid.count("\n") != e.msgstr.count("\n")]
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file():
    expected = {e.msgid: e.msgstr for e in _entries() if e.msgid}
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(MO_PATH)) if e.msgid}
    assert compiled == expected


def test_every_engine_error_has_a_chinese_sentence():
    with translation.override("zh-hans"):
        untranslated = [code for code, message in MESSAGES.items() if not re.search(r"[\u4e00-\u9fff]", str(message))]
    assert untranslated == []


def test_a_missing_factor_reads_in_chinese_and_in_english():
    params = {"line": "material/7", "label": "LCD"}
    with translation.override("zh-hans"):
        chinese = error_message("missing_factor", params)
    with translation.override("en"):
        english = error_message("missing_factor", params)

    assert "排放因子" in chinese
    assert "LCD" in chinese
    assert "material/7" in chinese
    assert "no emission factor" in english
    assert "LCD" in english


def test_every_engine_error_formats_in_chinese_with_its_parameters():
    """All named parameters of a message are named in its translation, so formatting never falls back."""
    for code, message in MESSAGES.items():
        with translation.override("en"):
            names = set(re.findall(r"%\((\w+)\)s", str(message)))
        params = {name: f"<{name}>" for name in names}
        with translation.override("zh-hans"):
            text = error_message(code, params, fallback="FALLBACK")
        assert text != "FALLBACK", code
        assert all(f"<{name}>" in text for name in names), (code, text)
