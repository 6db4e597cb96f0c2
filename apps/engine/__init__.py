"""The footprint engine: pure Python, no Django. Dataclasses in, dataclasses out, exact Decimals.

    from apps.engine import compute_footprint, StudyInputs
    result = compute_footprint(inputs)

A verifier can run it on the canonical inputs embedded in a report without the platform.
"""

from apps.engine.compute import compute_footprint, validate
from apps.engine.errors import EngineError
from apps.engine.types import (
    ENGINE_VERSION,
    METHOD_VERSION,
    Contribution,
    ContributionKind,
    DataSource,
    FactorRef,
    FactorSeries,
    FootprintResult,
    LedgerEntry,
    MaterialLine,
    ReadingRun,
    StageElectricity,
    StudyInputs,
    Totals,
    TransportLeg,
)

__all__ = [
    "ENGINE_VERSION",
    "METHOD_VERSION",
    "Contribution",
    "ContributionKind",
    "DataSource",
    "EngineError",
    "FactorRef",
    "FactorSeries",
    "FootprintResult",
    "LedgerEntry",
    "MaterialLine",
    "ReadingRun",
    "StageElectricity",
    "StudyInputs",
    "Totals",
    "TransportLeg",
    "compute_footprint",
    "validate",
]
