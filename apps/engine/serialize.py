"""A footprint result as plain JSON data: Decimals as canonical strings, enums as their values.

Canonical means positional notation without an exponent and without trailing zeros ("1E+2" and
"100.00" both become "100"), so equal numbers always print the same. Full engine precision is kept;
rounding for display belongs to the interface.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from decimal import Decimal
from typing import Any

from apps.engine.types import FootprintResult


def decimal_to_str(value: Decimal) -> str:
    if value == 0:
        return "0"  # also folds "-0" and "0E-7"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def result_to_dict(result: FootprintResult) -> dict[str, Any]:
    data = _plain(result)
    assert isinstance(data, dict)
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_to_str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(item) for item in value]
    return value
