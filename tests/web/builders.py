"""Stored footprint rows for page tests, shaped as apps.footprints writes them: totals and breakdown
as decimal strings at full engine precision (field names of apps.engine Contribution and Totals)."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from typing import Any

from django.utils import timezone

from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.inventory.models import Study

_seq = itertools.count(1)
METHOD_VERSION = "cf-iso14067-meter/1"
ENGINE_VERSION = "1.0.0"

# Em = 0.88 (PCB) + 0.0093472 (PCB transport) = 0.8893472; Ep = 0.3102500 + 0.0154800 + 0.0000900 = 0.32582
# E = 1.2151672, all per declared unit.
BREAKDOWN: list[dict[str, Any]] = [
    {
        "kind": "material",
        "key": "bom/1",
        "label": "Printed circuit board",
        "activity": "1.000000",
        "activity_unit": "piece",
        "factor_key": "Test library@t1/material.pcb",
        "factor_value": "0.88",
        "factor_unit": "kgCO2e/piece",
        "emission": "0.880000",
        "data_source": "secondary_default",
        "plant_emission": None,
        "allocation_share": None,
        "average_factor": None,
    },
    {
        "kind": "transport",
        "key": "bom/1/leg/1",
        "label": "Printed circuit board, road_heavy",
        "activity": "0.092",
        "activity_unit": "t*km",
        "factor_key": "Test library@t1/transport.road_heavy",
        "factor_value": "0.1016",
        "factor_unit": "kgCO2e/(t*km)",
        "emission": "0.0093472",
        "data_source": "secondary_default",
        "plant_emission": None,
        "allocation_share": None,
        "average_factor": None,
    },
    {
        "kind": "stage",
        "key": "stage/5",
        "label": "Reflow soldering",
        "activity": "500.000000",
        "activity_unit": "kWh",
        "factor_key": "Test library@t1/electricity.cn.2023",
        "factor_value": "0.6205",
        "factor_unit": "kgCO2e/kWh",
        "emission": "0.31025",
        "data_source": "measured_primary",
        "plant_emission": "310.25",
        "allocation_share": "1",
        "average_factor": "0.6205",
    },
    {
        "kind": "fuel",
        "key": "fuel/1",
        "label": "Forklift diesel",
        "activity": "5",
        "activity_unit": "kg",
        "factor_key": "Test library@t1/fuel.diesel",
        "factor_value": "3.096",
        "factor_unit": "kgCO2e/kg",
        "emission": "0.01548",
        "data_source": "measured_primary",
        "plant_emission": "15.48",
        "allocation_share": "1",
        "average_factor": None,
    },
    {
        "kind": "waste",
        "key": "waste/1",
        "label": "General waste to landfill",
        "activity": "10",
        "activity_unit": "kg",
        "factor_key": "Test library@t1/waste.landfill",
        "factor_value": "0.009",
        "factor_unit": "kgCO2e/kg",
        "emission": "0.00009",
        "data_source": "measured_primary",
        "plant_emission": "0.09",
        "allocation_share": "1",
        "average_factor": None,
    },
]
TOTALS: dict[str, str] = {
    "e": "1.2151672",
    "em": "0.8893472",
    "em_materials": "0.880000",
    "em_transport": "0.0093472",
    "ep": "0.32582",
    "eb": "0.01548",
    "edl": "0.31025",
    "ew": "0.00009",
}


# The part of a canonical study document (docs/study-format.md) that the detail page reads.
DOCUMENT: dict[str, Any] = {
    "factor_datasets": [
        {"key": "Test library@t1", "name": "Test library", "version": "t1", "gwp_basis": "AR6", "owner": "library"}
    ],
    "factors": [
        {"key": "Test library@t1/material.pcb", "dataset": "Test library@t1", "code": "material.pcb",
         "name_zh": "印制电路板", "name_en": "printed circuit board", "value": "0.88", "unit": "kgCO2e/piece",
         "source": "Illustrative PCB factor, test citation"},
    ],
    "electricity": {
        "series": {"key": "Test library@t1/grid.east.hourly", "dataset": "Test library@t1", "name": "East China hourly",
                   "unit": "kgCO2e/kWh", "source": "Hourly grid mix, test citation", "values": ["0.58"]}
    },
}  # fmt: skip


def make_result(
    study: Study,
    *,
    totals: dict[str, str] | None = None,
    breakdown: list[dict[str, Any]] | None = None,
    primary_data_share: str = "0.2681234",
    document: dict[str, Any] | None = None,
) -> FootprintResult:
    """`document` is the canonical inputs to store; by default an empty one (unique per row)."""
    raw = json.dumps({**(document or {}), "_row": next(_seq)}, sort_keys=True).encode()
    return FootprintResult.objects.create(
        organization=study.organization,
        study=study,
        digest=hashlib.sha256(raw).hexdigest(),
        method_version=METHOD_VERSION,
        engine_version=ENGINE_VERSION,
        canonical_inputs_gz=gzip.compress(raw),
        totals=TOTALS if totals is None else totals,
        breakdown=BREAKDOWN if breakdown is None else breakdown,
        primary_data_share=primary_data_share,
    )


def make_computation(
    study: Study,
    *,
    status: str = ComputationStatus.SUCCEEDED,
    result: FootprintResult | None = None,
    error_message: str = "",
    error_params: dict[str, str] | None = None,
) -> FootprintComputation:
    finished = status in (ComputationStatus.SUCCEEDED, ComputationStatus.FAILED)
    return FootprintComputation.objects.create(
        organization=study.organization,
        study=study,
        status=status,
        result=result,
        started_at=timezone.now() if status != ComputationStatus.QUEUED else None,
        finished_at=timezone.now() if finished else None,
        error_code="missing_factor" if status == ComputationStatus.FAILED else "",
        error_message=error_message,
        error_params=error_params or {},
    )


def make_computed_study(study: Study, **result_kwargs: Any) -> FootprintResult:
    """A study whose latest computation succeeded with a result."""
    result = make_result(study, **result_kwargs)
    make_computation(study, result=result)
    return result
