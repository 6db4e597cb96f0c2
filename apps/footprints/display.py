"""Display-only rounding of amounts: what people read. Stored numbers keep full engine precision.

One rule everywhere (pages, the PDF reports, the API's display strings): four significant digits,
rounded half up, never dropping integer digits, no trailing zeros, no exponent.

    significant(Decimal("6.4281234"))   -> "6.428"
    significant(Decimal("0.000123456")) -> "0.0001235"
    significant(Decimal("123456.7"))    -> "123457"
    str(Amount(Decimal("6.4281234"), "kg CO2e")) -> "6.428 kg CO2e"
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

SIGNIFICANT_DIGITS = 4
EMPTY = "—"

# Units as people read them (the engine's spellings are pint's).
KG_CO2E = "kg CO2e"
KWH = "kWh"
_UNIT_DISPLAY = {
    "kgCO2e": "kg CO2e",
    "tCO2e": "t CO2e",
    "gCO2e": "g CO2e",
    "t*km": "t·km",
    "kg*km": "kg·km",
}


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a Decimal, int or decimal string; None for anything else."""
    if value is None or value == "" or isinstance(value, bool | float):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def significant(value: Decimal, digits: int = SIGNIFICANT_DIGITS) -> str:
    """`value` rounded half up to `digits` significant digits, integer digits always kept, in plain
    notation without trailing zeros: 12.345678 -> 12.35, 0.880000 -> 0.88, 1000 -> 1000."""
    if value.is_zero():
        return "0"
    places = max(0, digits - 1 - value.adjusted())
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(share: Decimal, places: int = 1) -> str:
    """A share in [0, 1] as a percentage with `places` decimals, half up: 0.73456 -> "73.5 %"."""
    scaled = (share * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{scaled:f} %"


def display_unit(unit: str) -> str:
    """A unit as people read it: "kgCO2e/kWh" -> "kg CO2e/kWh", "t*km" -> "t·km"."""
    if unit in _UNIT_DISPLAY:
        return _UNIT_DISPLAY[unit]
    for raw, shown in _UNIT_DISPLAY.items():
        if unit.startswith(raw + "/"):
            return shown + unit[len(raw) :]
    return unit


@dataclass(frozen=True)
class Amount:
    """A number with its unit. `value` keeps full precision; str() rounds for display only."""

    value: Decimal
    unit: str

    def display(self, digits: int = SIGNIFICANT_DIGITS) -> str:
        number = significant(self.value, digits)
        return f"{number} {display_unit(self.unit)}" if self.unit else number

    @property
    def number(self) -> str:
        """The rounded number alone, for a table whose column heading names the unit."""
        return significant(self.value)

    def __str__(self) -> str:
        return self.display()
