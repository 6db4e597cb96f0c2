"""The canonical form of a study document, and the normalizations every value goes through.

Pure Python (no Django), so a verifier can recompute a digest with nothing but this file:

    digest(document) == sha256(canonical_bytes(document)).hexdigest()

Canonical bytes are compact JSON with sorted keys, UTF-8 without escaping. Inside the document
every decimal is a string in ``decimal_text`` form (plain notation, no exponent, no trailing
zeros, "0" for zero) and every instant is UTC with a "Z" (``utc_text``), whole seconds unless
the value has a fraction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

FORMAT = "carbonfoot.study"
FORMAT_VERSION = 1
LIBRARY = "library"
ORGANIZATION = "organization"


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(doc: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(doc)).hexdigest()


def decimal_text(value: Decimal) -> str:
    """The one spelling of a decimal: Decimal("1.500") and Decimal("15E-1") both give "1.5"."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    if value.is_zero():
        return "0"
    text = format(value, "f")  # never rounds, never uses an exponent
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def optional_decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def utc_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"{value} has no time zone")
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_utc(text: str) -> datetime:
    """Read a "...Z" instant (as written by utc_text) into an aware UTC datetime."""
    if not text.endswith("Z"):
        raise ValueError(f"{text!r} is not a UTC time ending in Z")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def optional_date_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def period_bounds(start: date, end: date, time_zone: str) -> tuple[datetime, datetime]:
    """[start 00:00 local, end + 1 day 00:00 local) as UTC instants: the engine's half-open period."""
    zone = ZoneInfo(time_zone)
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return first, after


def dataset_key(name: str, version: str) -> str:
    return f"{name}@{version}"


def factor_key(dataset: str, code: str) -> str:
    """``dataset`` is a dataset key: "China illustrative defaults@2026.1/material.pcb"."""
    return f"{dataset}/{code}"
