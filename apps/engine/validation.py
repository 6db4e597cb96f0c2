"""Checking a study's inputs before anything is computed.

`validate` walks the inputs in a fixed order (period, units produced, materials with their transport
legs, stages, the electricity factor, fuels, wastes) and collects every error, so a user sees all
problems at once; `compute_footprint` raises the first. Within a line, a check that depends on an
earlier one (the dimensions of a unit that could not be read) is skipped rather than reported twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeGuard

from apps.engine import errors as e
from apps.engine import units
from apps.engine.electricity import first_gap, micros
from apps.engine.types import (
    FactorRef,
    LedgerEntry,
    MaterialLine,
    ReadingRun,
    StageElectricity,
    StudyInputs,
    TransportLeg,
)

Errors = list[e.EngineError]


def validate(inputs: StudyInputs) -> Errors:
    """Every problem in `inputs`, in a deterministic order; empty if the study can be computed."""
    found: Errors = []
    period_ok = _check_period(inputs, found)
    if not _is_number(inputs.units_produced) or inputs.units_produced <= 0:
        found.append(e.UnitsProducedNotPositiveError(value=inputs.units_produced))
    for line in inputs.materials:
        _check_material(line, found)
    for stage in inputs.stages:
        _check_stage(stage, inputs, found)
    _check_electricity(inputs, period_ok, found)
    for entry in (*inputs.fuels, *inputs.wastes):
        _check_ledger(entry, found)
    return found


def material_valuation(line: MaterialLine, factor: FactorRef) -> tuple[Decimal, bool] | None:
    """(k, bridged): kg CO2e = consumed × factor value × k, and × unit_mass_kg as well when bridged."""
    direct = units.valuation_factor(line.unit, factor.unit)
    if direct is not None:
        return direct, False
    if line.unit_mass_kg is not None:
        # A per-kg factor values pieces or litres through their mass: quantity × kg per unit.
        bridged = units.valuation_factor("kg", factor.unit)
        if bridged is not None:
            return bridged, True
    return None


def _is_number(value: object) -> TypeGuard[int | Decimal]:
    # Floats are refused outright: they would bring binary rounding into an exact calculation.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite())


def _is_naive(moment: datetime) -> bool:
    return moment.tzinfo is None or moment.utcoffset() is None


def _check_period(inputs: StudyInputs, found: Errors) -> bool:
    ok = True
    for name in ("period_start", "period_end"):
        moment = getattr(inputs, name)
        if _is_naive(moment):
            found.append(e.NaiveDatetimeError(field=name, value=moment.isoformat()))
            ok = False
    if ok and micros(inputs.period_end, inputs.period_start) <= 0:
        found.append(e.PeriodInvalidError(start=inputs.period_start.isoformat(), end=inputs.period_end.isoformat()))
        ok = False
    return ok


def _check_amount(key: str, label: str, field: str, value: object, found: Errors) -> bool:
    if _is_number(value):
        if value >= 0:
            return True
        found.append(e.NegativeQuantityError(line=key, label=label, field=field, value=value))
    else:
        found.append(e.InvalidNumberError(line=key, label=label, field=field, value=value))
    return False


def _check_share(key: str, label: str, share: object, found: Errors) -> None:
    if _is_number(share):
        if not 0 < share <= 1:
            found.append(e.AllocationShareOutOfRangeError(line=key, label=label, value=share))
    else:
        found.append(e.InvalidNumberError(line=key, label=label, field="allocation share", value=share))


def _check_unit(key: str, label: str, unit: str, found: Errors) -> bool:
    if units.is_known(unit):
        return True
    found.append(e.UnknownUnitError(line=key, label=label, unit=unit))
    return False


def _check_factor(key: str, label: str, factor: FactorRef, found: Errors) -> bool:
    """Value and unit of a factor; True if its unit can be read."""
    if not _is_number(factor.value):
        found.append(e.InvalidNumberError(line=key, label=label, field="factor value", value=factor.value))
    elif factor.value < 0:
        found.append(e.NegativeFactorError(line=key, label=label, factor=factor.key, value=factor.value))
    return _check_unit(key, label, factor.unit, found)


def _check_material(line: MaterialLine, found: Errors) -> None:
    _check_amount(line.key, line.label, "quantity", line.quantity, found)
    if not _is_number(line.loss_rate):
        found.append(e.InvalidNumberError(line=line.key, label=line.label, field="loss rate", value=line.loss_rate))
    elif not 0 <= line.loss_rate < 1:
        found.append(e.LossRateOutOfRangeError(line=line.key, label=line.label, value=line.loss_rate))
    mass = line.unit_mass_kg
    if mass is not None and _check_amount(line.key, line.label, "unit mass", mass, found) and mass == 0:
        found.append(e.UnitMassNotPositiveError(line=line.key, label=line.label, value=mass))
    unit_ok = _check_unit(line.key, line.label, line.unit, found)
    factor = line.factor
    if factor is None:
        found.append(e.MissingFactorError(line=line.key, label=line.label))
    elif _check_factor(line.key, line.label, factor, found) and unit_ok and material_valuation(line, factor) is None:
        found.append(e.UnitMismatchError(line=line.key, label=line.label, unit=line.unit, factor_unit=factor.unit))
    for leg in line.transport:
        _check_leg(line, leg, found)


def _check_leg(line: MaterialLine, leg: TransportLeg, found: Errors) -> None:
    label = f"{line.label} transport ({leg.mode})"
    _check_amount(leg.key, label, "distance", leg.distance, found)
    _check_amount(leg.key, label, "mass", leg.mass, found)
    units_ok = _check_unit(leg.key, label, leg.distance_unit, found)
    units_ok = _check_unit(leg.key, label, leg.mass_unit, found) and units_ok
    if leg.factor is None:
        found.append(e.MissingFactorError(line=leg.key, label=label))
        return
    if not (_check_factor(leg.key, label, leg.factor, found) and units_ok):
        return
    # Checked one by one so that a mass given in km (and a distance in kg) is not accepted as a product.
    for unit, expected in ((leg.mass_unit, "kg"), (leg.distance_unit, "km")):
        if units.conversion_factor(unit, expected) is None:
            found.append(e.UnitMismatchError(line=leg.key, label=label, unit=unit, factor_unit=leg.factor.unit))
            return
    if units.valuation_factor(leg.mass_unit, leg.distance_unit, leg.factor.unit) is None:
        mass_distance = f"{leg.mass_unit}*{leg.distance_unit}"
        found.append(e.UnitMismatchError(line=leg.key, label=label, unit=mass_distance, factor_unit=leg.factor.unit))


def _check_stage(stage: StageElectricity, inputs: StudyInputs, found: Errors) -> None:
    _check_share(stage.key, stage.label, stage.allocation_share, found)
    valuing = inputs.electricity_factor or inputs.electricity_series
    factor_unit = valuing.unit if valuing is not None else units.KGCO2E_PER_KWH
    for index, run in enumerate(stage.runs):
        _check_run(stage, index, run, factor_unit, found)


def _check_run(stage: StageElectricity, index: int, run: ReadingRun, factor_unit: str, found: Errors) -> None:
    def invalid(reason: str, value: object, reading: object = "") -> None:
        found.append(
            e.InvalidRunError(line=stage.key, label=stage.label, run=index, reason=reason, value=value, reading=reading)
        )

    if _is_naive(run.start):
        found.append(e.NaiveDatetimeError(field=f"{stage.key} run {index} start", value=run.start.isoformat()))
    if type(run.step_seconds) is not int or run.step_seconds <= 0:
        invalid("step_not_positive", run.step_seconds)
    if _check_unit(stage.key, stage.label, run.unit, found) and units.conversion_factor(run.unit, units.KWH) is None:
        found.append(e.UnitMismatchError(line=stage.key, label=stage.label, unit=run.unit, factor_unit=factor_unit))
    if not _all_int(run.energy):
        reading = next(i for i, energy in enumerate(run.energy) if type(energy) is not int)
        invalid("energy_not_integer", repr(run.energy[reading]), reading)
    elif run.energy and (lowest := min(run.energy)) < 0:
        invalid("negative_energy", lowest, run.energy.index(lowest))


def _all_int(values: Sequence[int]) -> bool:
    # sum and min run in C, so a year of quarter-hours is checked in about a millisecond. Adding a
    # float, Decimal or numpy number to an int yields that type, and a string raises: only ints stay int.
    try:
        return type(sum(values)) is int
    except TypeError:
        return False


def _check_electricity(inputs: StudyInputs, period_ok: bool, found: Errors) -> None:
    factor, series = inputs.electricity_factor, inputs.electricity_series
    if factor is not None and series is not None:
        found.append(e.ElectricityFactorAmbiguousError(factor=factor.key, series=series.key))
        return
    if not inputs.stages:
        return
    if factor is not None:
        if _check_factor(factor.key, "electricity factor", factor, found):
            _check_per_kwh(factor.key, "electricity factor", factor.unit, found)
        return
    if series is None:
        found.append(e.ElectricityFactorMissingError(stages=len(inputs.stages)))
        return
    label = "electricity factor series"
    ok = True
    if _is_naive(series.start):
        found.append(e.NaiveDatetimeError(field=f"factor series {series.key} start", value=series.start.isoformat()))
        ok = False
    if type(series.step_seconds) is not int or series.step_seconds <= 0:
        found.append(e.InvalidSeriesError(series=series.key, value=series.step_seconds))
        ok = False
    if _check_unit(series.key, label, series.unit, found):
        _check_per_kwh(series.key, label, series.unit, found)
    for index, value in enumerate(series.values):
        if value is None:
            continue  # a gap: reported below if it falls inside the period
        if not _is_number(value):
            found.append(e.InvalidNumberError(line=series.key, label=label, field=f"value {index}", value=value))
        elif value < 0:
            found.append(e.NegativeFactorError(line=series.key, label=label, factor=f"value {index}", value=value))
        else:
            continue
        ok = False
        break
    if ok and period_ok and (gap := first_gap(series, inputs.period_start, inputs.period_end)) is not None:
        found.append(e.SeriesGapError(series=series.key, gap_start=gap[0].isoformat(), gap_end=gap[1].isoformat()))


def _check_per_kwh(key: str, label: str, unit: str, found: Errors) -> None:
    if units.conversion_factor(unit, units.KGCO2E_PER_KWH) is None:
        found.append(e.UnitMismatchError(line=key, label=label, unit=units.KWH, factor_unit=unit))


def _check_ledger(entry: LedgerEntry, found: Errors) -> None:
    _check_amount(entry.key, entry.label, "quantity", entry.quantity, found)
    _check_share(entry.key, entry.label, entry.allocation_share, found)
    unit_ok = _check_unit(entry.key, entry.label, entry.unit, found)
    factor = entry.factor
    if factor is None:
        found.append(e.MissingFactorError(line=entry.key, label=entry.label))
    elif (
        _check_factor(entry.key, entry.label, factor, found)
        and unit_ok
        and units.valuation_factor(entry.unit, factor.unit) is None
    ):
        found.append(e.UnitMismatchError(line=entry.key, label=entry.label, unit=entry.unit, factor_unit=factor.unit))
