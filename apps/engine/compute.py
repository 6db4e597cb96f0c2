"""The footprint of one declared unit (seed 001, equations 1-3), exactly.

Every line is first computed as an exact fraction from the inputs (Decimals and integers convert to
fractions without loss) and then rounded once, to 50 significant digits half-even, into the Decimal
that is reported. Only a division can make that rounding matter: allocation by units produced,
clipping or splitting a reading by time, an average factor, the primary-data share. Totals are exact
sums of the reported contributions, so the breakdown adds up to every total by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, localcontext
from fractions import Fraction

from apps.engine import units
from apps.engine.electricity import FactorGrid, meter_stage
from apps.engine.types import (
    Contribution,
    ContributionKind,
    FootprintResult,
    LedgerEntry,
    StudyInputs,
    Totals,
)
from apps.engine.validation import material_valuation, validate

__all__ = ["ENGINE_CONTEXT", "compute_footprint", "validate"]

ENGINE_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
# A 50-digit sum would round 1234.5 + 1E-50; sums of contributions get room to stay exact, and
# Inexact is trapped so that an input outside any sensible range fails loudly instead of rounding.
_SUM_CONTEXT = Context(prec=1000, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])

_KIND_ORDER = tuple(ContributionKind)


def compute_footprint(inputs: StudyInputs) -> FootprintResult:
    """Validate `inputs` (raising the first EngineError found) and compute the footprint."""
    problems = validate(inputs)
    if problems:
        raise problems[0]
    with localcontext(ENGINE_CONTEXT):
        units_produced = Fraction(inputs.units_produced)
        contributions = [
            *_materials(inputs),
            *_transport(inputs),
            *_stages(inputs, units_produced),
            *_ledger(ContributionKind.FUEL, inputs.fuels, units_produced),
            *_ledger(ContributionKind.WASTE, inputs.wastes, units_produced),
        ]
        totals = _totals(contributions)
        primary = _sum(c.emission for c in contributions if c.data_source.is_primary)
        share = to_decimal(Fraction(primary) / Fraction(totals.e)) if totals.e else Decimal(0)
    return FootprintResult(totals=totals, contributions=tuple(contributions), primary_data_share=share)


def to_decimal(value: Fraction) -> Decimal:
    """The one rounding step: an exact value to 50 significant digits, half-even."""
    return ENGINE_CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))


def _materials(inputs: StudyInputs) -> Iterator[Contribution]:
    for line in inputs.materials:
        assert line.factor is not None  # validated
        valuation = material_valuation(line, line.factor)
        assert valuation is not None  # validated
        conversion, bridged = valuation
        consumed = Fraction(line.quantity) * (1 + Fraction(line.loss_rate))
        emission = consumed * Fraction(line.factor.value) * Fraction(conversion)
        if bridged and line.unit_mass_kg is not None:
            emission *= Fraction(line.unit_mass_kg)
        yield Contribution(
            kind=ContributionKind.MATERIAL,
            key=line.key,
            label=line.label,
            activity=to_decimal(consumed),
            activity_unit=line.unit,
            factor_key=line.factor.key,
            factor_value=Decimal(line.factor.value),
            factor_unit=line.factor.unit,
            emission=to_decimal(emission),
            data_source=line.data_source,
        )


def _transport(inputs: StudyInputs) -> Iterator[Contribution]:
    for line in inputs.materials:
        for leg in line.transport:
            conversion = units.valuation_factor(leg.mass_unit, leg.distance_unit, leg.factor.unit)
            assert conversion is not None  # validated
            mass_distance = Fraction(leg.mass) * Fraction(leg.distance)
            yield Contribution(
                kind=ContributionKind.TRANSPORT,
                key=leg.key,
                label=f"{line.label} ({leg.mode})",
                activity=to_decimal(mass_distance),
                activity_unit=f"{leg.mass_unit}*{leg.distance_unit}",
                factor_key=leg.factor.key,
                factor_value=Decimal(leg.factor.value),
                factor_unit=leg.factor.unit,
                emission=to_decimal(mass_distance * Fraction(leg.factor.value) * Fraction(conversion)),
                data_source=leg.data_source,
            )


def _stages(inputs: StudyInputs, units_produced: Fraction) -> Iterator[Contribution]:
    if not inputs.stages:
        return
    factor, series = inputs.electricity_factor, inputs.electricity_series
    grid = FactorGrid.from_series(series) if series is not None else None
    valuing = factor if factor is not None else series
    assert valuing is not None  # validated
    per_kwh_conversion = units.conversion_factor(valuing.unit, units.KGCO2E_PER_KWH)
    assert per_kwh_conversion is not None  # validated
    per_kwh = Fraction(per_kwh_conversion)
    for stage in inputs.stages:
        kwh, weighted = meter_stage(stage.runs, inputs.period_start, inputs.period_end, grid)
        if factor is not None:
            plant = kwh * Fraction(factor.value) * per_kwh
        else:
            assert grid is not None
            plant = weighted * Fraction(10) ** grid.exponent * per_kwh
        share = Fraction(stage.allocation_share)
        yield Contribution(
            kind=ContributionKind.STAGE,
            key=stage.key,
            label=stage.label,
            activity=to_decimal(kwh),
            activity_unit=units.KWH,
            factor_key=valuing.key,
            factor_value=Decimal(factor.value) if factor is not None else None,
            factor_unit=valuing.unit,
            emission=to_decimal(plant * share / units_produced),
            data_source=stage.data_source,
            plant_emission=to_decimal(plant),
            allocation_share=Decimal(stage.allocation_share),
            average_factor=to_decimal(plant / kwh) if kwh else None,
        )


def _ledger(kind: ContributionKind, entries: Sequence[LedgerEntry], units_produced: Fraction) -> Iterator[Contribution]:
    for entry in entries:
        assert entry.factor is not None  # validated
        conversion = units.valuation_factor(entry.unit, entry.factor.unit)
        assert conversion is not None  # validated
        plant = Fraction(entry.quantity) * Fraction(entry.factor.value) * Fraction(conversion)
        yield Contribution(
            kind=kind,
            key=entry.key,
            label=entry.label,
            activity=to_decimal(Fraction(entry.quantity)),
            activity_unit=entry.unit,
            factor_key=entry.factor.key,
            factor_value=Decimal(entry.factor.value),
            factor_unit=entry.factor.unit,
            emission=to_decimal(plant * Fraction(entry.allocation_share) / units_produced),
            data_source=entry.data_source,
            plant_emission=to_decimal(plant),
            allocation_share=Decimal(entry.allocation_share),
        )


def _sum(values: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for value in values:
        total = _SUM_CONTEXT.add(total, value)
    return total


def _totals(contributions: Sequence[Contribution]) -> Totals:
    by_kind = {kind: _sum(c.emission for c in contributions if c.kind is kind) for kind in _KIND_ORDER}
    em = _SUM_CONTEXT.add(by_kind[ContributionKind.MATERIAL], by_kind[ContributionKind.TRANSPORT])
    ep = _sum([by_kind[ContributionKind.FUEL], by_kind[ContributionKind.STAGE], by_kind[ContributionKind.WASTE]])
    return Totals(
        e=_SUM_CONTEXT.add(em, ep),
        em=em,
        em_materials=by_kind[ContributionKind.MATERIAL],
        em_transport=by_kind[ContributionKind.TRANSPORT],
        ep=ep,
        eb=by_kind[ContributionKind.FUEL],
        edl=by_kind[ContributionKind.STAGE],
        ew=by_kind[ContributionKind.WASTE],
    )
