"""Display-only rounding in templates: the filters call apps.footprints.display, the one rounding rule
of the pages, the PDF reports and the API. Stored numbers keep full engine precision."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from apps.footprints import display

register = template.Library()

EMPTY = display.EMPTY


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, display.Amount):
        return value.value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@register.filter
def sig4(value: Any) -> str:
    """4 significant digits, never dropping integer digits, no trailing zeros: 12.345678 → 12.35,
    0.000123456 → 0.0001235, 123456.7 → 123457, 0.880000 → 0.88 (an Amount: its number alone)."""
    number = _decimal(value)
    if number is None:
        return EMPTY if value in (None, "") else str(value)
    return display.significant(number)


@register.filter
def percent(value: Any) -> str:
    """A share in [0, 1] as a percentage with one decimal: 0.73456 → 73.5 %."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return display.percent(number)


@register.filter
def amount(value: Any) -> str:
    """An Amount with its unit, rounded for display: "6.428 kg CO2e"; nothing → "—"."""
    if isinstance(value, display.Amount):
        return value.display()
    return sig4(value)


@register.filter
def unit(value: Any) -> str:
    """A unit as people read it: "kgCO2e/kWh" → "kg CO2e/kWh"."""
    return display.display_unit(str(value or ""))
