"""Units: one pint registry with Decimal magnitudes, and cached conversion factors.

The engine never converts a quantity through pint. It asks pint once per pair of unit strings
for the exact Decimal factor between them (cached) and multiplies by it, because pint costs tens of
microseconds per call and a study holds almost a million meter readings.

pint is imported on first use: importing it and building the registry takes about 0.3 s, which the
web process should not pay on every start. Call `registry()` at worker start to pay it up front.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pint

KGCO2E = "kgCO2e"
KWH = "kWh"
KGCO2E_PER_KWH = "kgCO2e/kWh"

_DEFINITIONS = (
    # pint's "pc" is the parsec; on a bill of materials it is a piece, so the alias is taken over.
    "piece = [piece] = pc = pcs",
    "gCO2e = [co2e]",
    "kgCO2e = 1000 * gCO2e",
    "tCO2e = 1000 * kgCO2e",
    # Normal cubic metre: fuel gas is metered at reference conditions, so it is a plain volume here.
    "Nm3 = meter ** 3",
)

# pint evaluates definitions and conversions in the ambient decimal context; the default 28 digits
# would round non-decimal ratios (BTU to kWh), so both happen under the engine's precision.
_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    import pint

    with localcontext(_CONTEXT):
        ureg = pint.UnitRegistry(non_int_type=Decimal, on_redefinition="ignore")
        for definition in _DEFINITIONS:
            ureg.define(definition)
    return ureg


@lru_cache(maxsize=4096)
def parse(text: str) -> pint.Unit | None:
    """The unit named by `text`, or None if pint cannot read it (an empty string is not a unit)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        with localcontext(_CONTEXT):
            return registry().parse_units(text)
    except Exception:  # pint raises half a dozen unrelated types for malformed text
        return None


def is_known(text: str) -> bool:
    return parse(text) is not None


@lru_cache(maxsize=4096)
def conversion_factor(source: str, target: str) -> Decimal | None:
    """k such that 1 `source` = k `target`, exact for metric units; None if unknown or not convertible."""
    source_unit, target_unit = parse(source), parse(target)
    if source_unit is None or target_unit is None:
        return None
    ureg = registry()
    with localcontext(_CONTEXT):
        if source_unit.dimensionality != target_unit.dimensionality:
            return None
        factor = ureg.Quantity(Decimal(1), source_unit).to(target_unit).magnitude
        return Decimal(factor).normalize()


def product(*units: str) -> str:
    """The unit string of a product, parenthesised so "kgCO2e/t" stays one factor."""
    return "*".join(f"({unit})" for unit in units)


def valuation_factor(*units: str) -> Decimal | None:
    """k such that (product of the magnitudes) × k is in kg CO2e; None if the units do not yield CO2e."""
    return conversion_factor(product(*units), KGCO2E)
