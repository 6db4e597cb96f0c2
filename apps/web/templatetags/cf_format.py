"""Display-only rounding. Stored numbers keep full engine precision; pages show 4 significant digits."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()

SIGNIFICANT_DIGITS = 4
EMPTY = "—"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@register.filter
def sig4(value: Any) -> str:
    """4 significant digits, never dropping integer digits, no trailing zeros: 12.345678 → 12.35,
    0.000123456 → 0.0001235, 123456.7 → 123457, 0.880000 → 0.88."""
    number = _decimal(value)
    if number is None:
        return EMPTY if value in (None, "") else str(value)
    if number.is_zero():
        return "0"
    places = max(0, SIGNIFICANT_DIGITS - 1 - number.adjusted())
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded.normalize():f}"


@register.filter
def percent(value: Any) -> str:
    """A share in [0, 1] as a percentage with one decimal: 0.73456 → 73.5 %."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return f"{(number * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f} %"
