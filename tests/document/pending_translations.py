"""Chinese from a `locale/pending/*.po` file for the length of a test.

New strings get their Chinese in `locale/pending/<area>.po` until the lead merges them into
`locale/zh_Hans/LC_MESSAGES/django.po`. A test that reads a message in Chinese loads the pending file
on top of the compiled catalogue, so it holds before and after the merge (once merged and the pending
file removed, this loads nothing and the compiled catalogue answers).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from asgiref.local import Local
from django.conf import settings
from django.utils.translation import trans_real

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path: Path) -> dict[object, str]:
    """msgid -> msgstr, and (msgid, n) -> msgstr[n] for plural forms, as gettext's catalogues key them."""
    catalog: dict[object, str] = {}
    entry: dict[str, str] = {}
    current = ""

    def flush() -> None:
        msgid = entry.get("msgid", "")
        if msgid and "msgid_plural" in entry:
            for key, value in entry.items():
                if key.startswith("msgstr[") and value:
                    catalog[(msgid, int(key[7:-1]))] = value
        elif msgid and entry.get("msgstr"):
            catalog[msgid] = entry["msgstr"]
        entry.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            entry[current] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid":
            flush()
        current = keyword
        entry[current] = _unquote(rest)
    flush()
    return catalog


class _Pending(gettext.NullTranslations):
    def __init__(self, catalog: dict[object, str]) -> None:
        super().__init__()
        self._catalog = catalog
        self.plural = lambda n: 0  # Chinese: one form


@contextmanager
def pending_chinese(area: str) -> Iterator[None]:
    path = Path(settings.BASE_DIR) / "locale" / "pending" / f"{area}.po"
    if not path.exists():
        yield
        return
    trans_real.translation("zh-hans").merge(_Pending(read_po(path)))  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        # Forget the merged catalogue: the next activation reads the compiled one again.
        trans_real._translations = {}
        trans_real._active = Local()
