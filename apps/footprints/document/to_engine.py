"""A study document (docs/study-format.md) into the engine's inputs.

Pure Python, no Django: a verifier holding a report's embedded document recomputes it with

    from apps.engine import compute_footprint
    from apps.footprints.document.to_engine import engine_inputs_from_document
    result = compute_footprint(engine_inputs_from_document(document))

The document is assumed valid against study.schema.json. Readings are handed to the engine as
the document's own integer lists, never copied or converted one by one.

A document with nothing to count (no material line, no reading, no fuel, no waste: an empty draft)
is refused with ``IncompleteStudyError`` rather than computed as E = 0.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from apps.engine.compute import ENGINE_CONTEXT
from apps.engine.errors import EngineError
from apps.engine.types import (
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
from apps.footprints.document.canonical import parse_utc

Document = dict[str, Any]


class IncompleteStudyError(EngineError):
    code = "incomplete_study"
    template = "the study has nothing to compute: no bill of materials, no electricity readings, no fuel and no waste"


def has_inputs(doc: Document) -> bool:
    """Whether the document holds anything the footprint counts: a material line, a reading, a fuel
    or a waste. A study without any is an empty draft: importing it is fine, computing it is not."""
    return bool(
        doc["materials"]
        or doc["fuels"]
        or doc["wastes"]
        or any(point["runs"] for stage in doc["stages"] for point in stage["metering_points"])
    )


def engine_inputs_from_document(doc: Document) -> StudyInputs:
    if not has_inputs(doc):
        raise IncompleteStudyError()
    datasets = {d["key"]: d for d in doc["factor_datasets"]}
    factors = {f["key"]: _factor_ref(f, datasets) for f in doc["factors"]}
    study = doc["study"]
    local = ZoneInfo(study["period"]["time_zone"])
    electricity = doc["electricity"] or {}
    static = electricity.get("static_factor")
    return StudyInputs(
        # In the study's own time zone, so that errors (a series gap) speak the user's local time.
        period_start=parse_utc(study["period"]["start_utc"]).astimezone(local),
        period_end=parse_utc(study["period"]["end_utc"]).astimezone(local),
        # The engine allocates per declared unit: with a declared unit of N pieces, N pieces make one.
        units_produced=ENGINE_CONTEXT.divide(Decimal(study["units_produced"]), Decimal(study["declared_unit_amount"])),
        declared_unit=study["declared_unit"],
        materials=_materials(doc["materials"], factors),
        stages=tuple(_stage(stage) for stage in doc["stages"]),
        electricity_factor=None if static is None else factors[static],
        electricity_series=_series(electricity.get("series"), datasets),
        fuels=tuple(_ledger_entry(f"fuel/{i}", entry, factors) for i, entry in enumerate(doc["fuels"], start=1)),
        wastes=tuple(_ledger_entry(f"waste/{i}", entry, factors) for i, entry in enumerate(doc["wastes"], start=1)),
    )


def material_keys(materials: list[Document]) -> list[str]:
    """ "material/20" per line; a material listed more than once gets "material/20/2", "/3", ...

    Lines beyond the catalogue (``material_no`` null) are "custom/1", "custom/2", ... in document order.
    """
    seen: Counter[int] = Counter()
    custom = 0
    keys = []
    for line in materials:
        no = line["material_no"]
        if no is None:
            custom += 1
            keys.append(f"custom/{custom}")
            continue
        seen[no] += 1
        keys.append(f"material/{no}" if seen[no] == 1 else f"material/{no}/{seen[no]}")
    return keys


def _label(entry: Document, no: int) -> str:
    return f"{no}. {entry['name_zh']} / {entry['name_en']}"


def _line_label(line: Document) -> str:
    """A catalogue line as "20. 印制电路板 / printed circuit board"; a line beyond the catalogue by its name."""
    if line["material_no"] is None:
        return str(line["name_en"] or line["name_zh"])
    return _label(line, line["material_no"])


def _dataset_label(dataset: Document) -> str:
    return f"{dataset['name']} {dataset['version']}"


def _factor_ref(factor: Document, datasets: dict[str, Document]) -> FactorRef:
    return FactorRef(
        key=factor["key"],
        value=Decimal(factor["value"]),
        unit=factor["unit"],
        dataset=_dataset_label(datasets[factor["dataset"]]),
        source=factor["source"],
    )


def _optional_decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _factor(key: str | None, factors: dict[str, FactorRef]) -> FactorRef | None:
    return None if key is None else factors[key]


def _materials(materials: list[Document], factors: dict[str, FactorRef]) -> tuple[MaterialLine, ...]:
    lines = []
    for key, line in zip(material_keys(materials), materials, strict=True):
        legs = tuple(
            TransportLeg(
                key=f"{key}/transport/{i}",
                mode=leg["mode"],
                distance=Decimal(leg["distance_km"]),
                distance_unit="km",
                mass=Decimal(leg["mass_kg"]),
                mass_unit="kg",
                factor=factors[leg["factor"]],
                data_source=DataSource(leg["data_source"]),
            )
            for i, leg in enumerate(line["transport"], start=1)
        )
        lines.append(
            MaterialLine(
                key=key,
                label=_line_label(line),
                quantity=Decimal(line["quantity"]),
                unit=line["unit"],
                loss_rate=Decimal(line["loss_rate"]),
                factor=_factor(line["factor"], factors),
                data_source=DataSource(line["data_source"]),
                unit_mass_kg=_optional_decimal(line["unit_mass_kg"]),
                transport=legs,
            )
        )
    return tuple(lines)


def _stage(stage: Document) -> StageElectricity:
    runs = tuple(
        ReadingRun(start=parse_utc(run["start"]), step_seconds=run["step_seconds"], energy=run["milliwatt_hours"])
        for point in stage["metering_points"]
        for run in point["runs"]
    )
    return StageElectricity(
        key=f"stage/{stage['stage_no']}",
        label=_label(stage, stage["stage_no"]),
        allocation_share=Decimal(stage["allocation_share"]),
        runs=runs,
    )


def _series(series: Document | None, datasets: dict[str, Document]) -> FactorSeries | None:
    if series is None:
        return None
    return FactorSeries(
        key=series["key"],
        start=parse_utc(series["start"]),
        step_seconds=series["resolution_seconds"],
        values=tuple(None if value is None else Decimal(value) for value in series["values"]),
        unit=series["unit"],
        dataset=_dataset_label(datasets[series["dataset"]]),
        source=series["source"],
    )


def _ledger_entry(key: str, entry: Document, factors: dict[str, FactorRef]) -> LedgerEntry:
    factor = factors[entry["factor"]]
    return LedgerEntry(
        key=key,
        label=entry["description"] or factor.key,
        quantity=Decimal(entry["quantity"]),
        unit=entry["unit"],
        factor=factor,
        allocation_share=Decimal(entry["allocation_share"]),
        data_source=DataSource(entry["data_source"]),
    )
