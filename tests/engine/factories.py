"""Builders for engine inputs: defaults that compute, overridden by keyword where a test cares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from apps.engine import (
    DataSource,
    FactorRef,
    FactorSeries,
    LedgerEntry,
    MaterialLine,
    ReadingRun,
    StageElectricity,
    StudyInputs,
    TransportLeg,
)

D = Decimal
T0 = datetime(2025, 1, 1, tzinfo=UTC)
HOUR = 3600
QUARTER = 900


def at(hours: float = 0, minutes: int = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes)


def factor(value: str = "1", unit: str = "kgCO2e/piece", key: str = "test/factor") -> FactorRef:
    return FactorRef(key=key, value=D(value), unit=unit, dataset="test 1", source="test")


def material(**overrides: Any) -> MaterialLine:
    fields: dict[str, Any] = {
        "key": "bom/1",
        "label": "PCB",
        "quantity": D(1),
        "unit": "piece",
        "loss_rate": D(0),
        "factor": factor(),
        "data_source": DataSource.SECONDARY_DEFAULT,
    }
    return MaterialLine(**{**fields, **overrides})


def leg(**overrides: Any) -> TransportLeg:
    fields: dict[str, Any] = {
        "key": "bom/1/leg/1",
        "mode": "road_heavy",
        "distance": D(100),
        "distance_unit": "km",
        "mass": D(1),
        "mass_unit": "kg",
        "factor": factor("0.1016", "kgCO2e/(t*km)", key="desnz2025/hgv"),
    }
    return TransportLeg(**{**fields, **overrides})


def run(start: datetime = T0, step: int = HOUR, energy: tuple[int, ...] = (), unit: str = "mWh") -> ReadingRun:
    return ReadingRun(start=start, step_seconds=step, energy=energy, unit=unit)


def stage(*runs: ReadingRun, **overrides: Any) -> StageElectricity:
    fields: dict[str, Any] = {"key": "stage/1", "label": "SMT placement", "allocation_share": D(1), "runs": runs}
    return StageElectricity(**{**fields, **overrides})


def series(*values: str | None, start: datetime = T0, step: int = HOUR, key: str = "grid/hourly") -> FactorSeries:
    parsed = tuple(None if value is None else D(value) for value in values)
    return FactorSeries(key=key, start=start, step_seconds=step, values=parsed, unit="kgCO2e/kWh")


def entry(**overrides: Any) -> LedgerEntry:
    fields: dict[str, Any] = {
        "key": "fuel/1",
        "label": "diesel",
        "quantity": D(1),
        "unit": "kg",
        "factor": factor("3.186", "kgCO2e/kg", key="ipcc2006/diesel"),
    }
    return LedgerEntry(**{**fields, **overrides})


def study(**overrides: Any) -> StudyInputs:
    fields: dict[str, Any] = {"period_start": T0, "period_end": at(hours=2), "units_produced": D(1)}
    return StudyInputs(**{**fields, **overrides})
