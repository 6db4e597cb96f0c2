"""A study document file into a document: size, encoding and JSON, refused as validation errors.

``study_document_read(path)`` checks the file's size before reading it; ``study_document_parse(data)``
checks the size of bytes already in memory, then:

- the encoding: a study document is UTF-8, with or without a byte order mark. UTF-16 and UTF-32
  (with a byte order mark, or recognizable by their zero bytes) and bytes that are not UTF-8 are
  refused, naming what was found;
- the JSON, read with hooks that never let an ambiguity through: a key repeated within an object
  is kept as a ``JsonDuplicates`` mark (a hashed, canonical document must not depend on which
  value a reader keeps), NaN and Infinity as ``JsonUnreadable`` marks, and an integer too long for
  Python to convert is located by a second reading that marks it too. Validation
  (``validation.validate_document``, which ``plan_import`` runs) refuses every mark at its JSON
  path. Syntax errors, and nesting so deep that the reader gives up, are refused with their line and
  column.

Every refusal is a DocumentError, worded in the active language.
"""

from __future__ import annotations

import codecs
import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.footprints.document.limits import ImportLimits, import_limits, size_problem
from apps.footprints.document.validation import MAX_DEPTH, DocumentError, JsonDuplicates, JsonUnreadable

Document = dict[str, Any]
LONGEST_INTEGER = 100  # digits: far beyond any value of the format (the largest is 19 digits)

# Python's JSON reader's reasons (json.JSONDecodeError.msg), worded for people.
_REASONS: dict[str, Promise] = {
    "Expecting value": gettext_lazy("a value was expected"),
    "Expecting ',' delimiter": gettext_lazy("a comma was expected"),
    "Expecting ':' delimiter": gettext_lazy("a colon was expected"),
    "Expecting property name enclosed in double quotes": gettext_lazy("a key in double quotes was expected"),
    "Unterminated string starting at": gettext_lazy("a text is not closed"),
    "Invalid control character at": gettext_lazy("a text holds a control character: write it as an escape such as \\n"),
    "Invalid \\escape": gettext_lazy("a text holds an invalid escape"),
    "Invalid \\uXXXX escape": gettext_lazy("a text holds an invalid \\u escape"),
    "Extra data": gettext_lazy("more data follows the end of the document"),
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": gettext_lazy("a second byte order mark"),
}

_WIDE_BOMS = (  # the longer first: UTF-32 LE starts with the UTF-16 LE mark
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def study_document_read(path: Path, *, limits: ImportLimits | None = None) -> Document:
    """The document in a file, its size checked before a byte is read. OSError if it cannot be read."""
    limits = limits or import_limits()
    problem = size_problem(path.stat().st_size, limits)
    if problem is not None:
        raise DocumentError([problem])
    return study_document_parse(path.read_bytes(), limits=limits)


def study_document_parse(data: bytes, *, limits: ImportLimits | None = None) -> Document:
    """The JSON value in ``data`` (an object if it is a document; validation says if not)."""
    problem = size_problem(len(data), limits or import_limits())
    if problem is not None:
        raise DocumentError([problem])
    text = _decode(data)
    try:
        document: Document = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        reason = _REASONS.get(exc.msg)
        raise DocumentError(
            [
                (
                    "$",
                    _("not valid JSON at line %(line)s, column %(column)s: %(reason)s")
                    % {"line": exc.lineno, "column": exc.colno, "reason": exc.msg if reason is None else reason},
                )
            ]
        ) from None
    except RecursionError:
        raise DocumentError(
            [("$", _("the document is nested more than %(limit)s levels deep") % {"limit": MAX_DEPTH})]
        ) from None
    except ValueError:  # an integer beyond Python's digit limit for conversion (sys.get_int_max_str_digits)
        document = json.loads(text, object_pairs_hook=_object, parse_constant=_constant, parse_int=_integer)
    return document


def _decode(data: bytes) -> str:
    for mark, name in _WIDE_BOMS:
        if data.startswith(mark):
            raise DocumentError([("$", _not_utf8(name))])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif b"\x00" in data[:4]:  # JSON starts with an ASCII character: zero bytes around it are UTF-16 or 32
        name = "UTF-32" if data[:4].count(b"\x00") == 3 else "UTF-16"
        raise DocumentError([("$", _not_utf8(name))])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            [
                (
                    "$",
                    _(
                        "the file is not valid UTF-8 (byte 0x%(byte)s on line %(line)s): a study document is "
                        "UTF-8, with or without a byte order mark"
                    )
                    % {"byte": f"{data[exc.start]:02X}", "line": data.count(b"\n", 0, exc.start) + 1},
                )
            ]
        ) from None
    if not text.strip():
        raise DocumentError([("$", _("the file is empty"))])
    return text


def _not_utf8(name: str) -> str:
    return _("the file is in %(encoding)s: a study document is UTF-8, with or without a byte order mark") % {
        "encoding": name
    }


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) == len(pairs):
        return document
    marked = JsonDuplicates(document)
    marked.repeated = [key for key, count in Counter(key for key, _value in pairs).items() if count > 1]
    return marked


def _constant(text: str) -> JsonUnreadable:
    return JsonUnreadable(text)


def _integer(text: str) -> int | JsonUnreadable:
    digits = len(text.lstrip("-"))
    return JsonUnreadable(text[:20], digits=digits) if digits > LONGEST_INTEGER else int(text)
