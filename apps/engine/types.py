"""Inputs and results of the footprint engine (seed 001, equations 1-3).

    E  = Em + Ep
    Em = Σ quantity × (1 + loss) × EF  +  Σ mass × distance × EF_transport      (per declared unit)
    Ep = Eb + Edl + Ew                                                          (plant ledger, allocated)

Everything is a frozen dataclass of Decimals, ints, strings and aware datetimes. Quantities carry
their unit as a string that the units module parses (pint); nothing is converted silently.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

METHOD_VERSION = "cf-iso14067-meter/1"
ENGINE_VERSION = "1.0.0"


class DataSource(str, enum.Enum):
    MEASURED_PRIMARY = "measured_primary"
    SUPPLIER_SPECIFIC = "supplier_specific"
    SECONDARY_DEFAULT = "secondary_default"

    @property
    def is_primary(self) -> bool:
        return self is not DataSource.SECONDARY_DEFAULT


class ContributionKind(str, enum.Enum):
    MATERIAL = "material"
    TRANSPORT = "transport"
    STAGE = "stage"  # purchased electricity of one stage (Edl)
    FUEL = "fuel"  # Eb
    WASTE = "waste"  # Ew


@dataclass(frozen=True)
class FactorRef:
    """An emission factor as used: its value, unit and where it comes from."""

    key: str  # stable reference, e.g. "China illustrative defaults@2026.1/material.pcb"
    value: Decimal
    unit: str  # e.g. "kgCO2e/piece", "kgCO2e/(t*km)", "kgCO2e/kWh"
    dataset: str = ""  # "name version"
    source: str = ""


@dataclass(frozen=True)
class TransportLeg:
    key: str
    mode: str
    distance: Decimal
    distance_unit: str  # "km"
    mass: Decimal  # transported mass per declared unit
    mass_unit: str  # "kg"
    factor: FactorRef  # per mass·distance, e.g. kgCO2e/(t*km)
    data_source: DataSource = DataSource.SECONDARY_DEFAULT


@dataclass(frozen=True)
class MaterialLine:
    key: str  # e.g. "bom/12"
    label: str  # human name for errors and the breakdown
    quantity: Decimal  # net quantity per declared unit, in `unit`
    unit: str  # activity unit: "piece", "L", "kg"
    loss_rate: Decimal  # in [0, 1): consumed = quantity × (1 + loss_rate)
    factor: FactorRef | None  # None is a missing-factor error
    data_source: DataSource
    unit_mass_kg: Decimal | None = None  # kg per activity unit: bridges piece/L to a per-kg factor
    transport: Sequence[TransportLeg] = ()


@dataclass(frozen=True)
class ReadingRun:
    """Consecutive equal-length readings: [start + i·step, start + (i+1)·step) holds energy[i].

    A single irregular interval (a monthly manual entry) is a run of length one.
    """

    start: datetime  # timezone-aware
    step_seconds: int
    energy: Sequence[int]  # integers in `unit`
    unit: str = "mWh"  # milliwatt-hours: exact integers from the ledger


@dataclass(frozen=True)
class FactorSeries:
    """A time-varying electricity factor: values[i] holds over [start + i·step, start + (i+1)·step)."""

    key: str
    start: datetime
    step_seconds: int
    values: Sequence[Decimal | None]  # None marks a missing interval (a gap)
    unit: str  # "kgCO2e/kWh"
    dataset: str = ""
    source: str = ""


@dataclass(frozen=True)
class StageElectricity:
    """Purchased electricity of one stage over the reporting period (plant level)."""

    key: str  # e.g. "stage/5"
    label: str
    allocation_share: Decimal  # (0, 1]
    runs: Sequence[ReadingRun]
    data_source: DataSource = DataSource.MEASURED_PRIMARY


@dataclass(frozen=True)
class LedgerEntry:
    """A plant-level fuel (Eb) or waste (Ew) quantity for the reporting period."""

    key: str
    label: str
    quantity: Decimal
    unit: str
    factor: FactorRef | None
    allocation_share: Decimal = Decimal(1)
    data_source: DataSource = DataSource.MEASURED_PRIMARY


@dataclass(frozen=True)
class StudyInputs:
    period_start: datetime  # aware, inclusive
    period_end: datetime  # aware, exclusive
    units_produced: Decimal  # declared units made in the period at this plant (> 0)
    declared_unit: str = "piece"
    materials: Sequence[MaterialLine] = ()
    stages: Sequence[StageElectricity] = ()
    # Exactly one of these values electricity: a static factor, or a series covering the period.
    electricity_factor: FactorRef | None = None
    electricity_series: FactorSeries | None = None
    fuels: Sequence[LedgerEntry] = ()
    wastes: Sequence[LedgerEntry] = ()


@dataclass(frozen=True)
class Contribution:
    """One line of the breakdown. `emission` is kg CO2e per declared unit."""

    kind: ContributionKind
    key: str
    label: str
    activity: Decimal  # quantity valued, in activity_unit (materials: incl. losses; stages: plant kWh)
    activity_unit: str
    factor_key: str  # the factor or series used
    factor_value: Decimal | None  # None for a series (see average_factor)
    factor_unit: str
    emission: Decimal  # kg CO2e per declared unit
    data_source: DataSource
    plant_emission: Decimal | None = None  # ledger lines: kg CO2e for the plant before allocation
    allocation_share: Decimal | None = None
    average_factor: Decimal | None = None  # stages: plant emission / plant kWh


@dataclass(frozen=True)
class Totals:
    """kg CO2e per declared unit. Each total is the exact sum of its contributions."""

    e: Decimal
    em: Decimal
    em_materials: Decimal
    em_transport: Decimal
    ep: Decimal
    eb: Decimal
    edl: Decimal
    ew: Decimal


@dataclass(frozen=True)
class FootprintResult:
    totals: Totals
    contributions: Sequence[Contribution]
    primary_data_share: Decimal  # emissions from primary-data lines / E, in [0, 1]
    method_version: str = METHOD_VERSION
    engine_version: str = ENGINE_VERSION
    warnings: Sequence[str] = field(default_factory=tuple)
