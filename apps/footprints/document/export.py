"""Build the canonical study document of a study (docs/study-format.md).

This runs on every footprint computation, so it reads everything in a constant number of queries
and never builds an object per reading: the ledger hands over each run's energies as one list of
integers, which goes into the document as is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, Prefetch

from apps.catalog.models import Material
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.selectors import factors_for_materials
from apps.factors.series import series_points_for_period
from apps.footprints.document.canonical import (
    FORMAT,
    FORMAT_VERSION,
    LIBRARY,
    ORGANIZATION,
    dataset_key,
    decimal_text,
    factor_key,
    optional_date_text,
    optional_decimal_text,
    period_bounds,
    utc_text,
)
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.enums import ReadingSource
from apps.ledger.models import MeteringPoint
from apps.ledger.selectors import reading_runs_for_points

Document = dict[str, Any]
SOURCE_NAMES = {int(source): source.name.lower() for source in ReadingSource}  # 1 -> "manual", ...


class DocumentBuildError(ValueError):
    """The study cannot be written as a document (two datasets share a key, a foreign dataset)."""


def study_document_build(*, study: Study) -> Document:
    study = Study.objects.select_related(
        "organization", "product", "site", "factor_dataset", "electricity_factor__dataset",
        "electricity_series__dataset",
    ).get(pk=study.pk)  # fmt: skip
    start, end = period_bounds(study.period_start, study.period_end, study.organization.timezone)
    refs = _References(study.organization_id)
    stages = list(study.stages.select_related("stage").order_by("stage__no"))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "product": _product(study),
        "site": _site(study),
        "study": _study(study, refs, start=start, end=end),
        "electricity": _electricity(study, refs, start=start, end=end),
        "materials": _materials(study, refs),
        "stages": _stages(study, stages, start=start, end=end),
        "fuels": _fuels(study, refs),
        "wastes": _wastes(study, refs),
        # Last: the sections above register every dataset and factor they reference.
        **refs.sections(),
    }


def _product(study: Study) -> Document:
    product = study.product
    return {
        "model_code": product.model_code,
        "name": product.name,
        "description": product.description,
        "mass_kg": optional_decimal_text(product.mass_kg),
    }


def _site(study: Study) -> Document:
    site = study.site
    return {"code": site.code, "name": site.name, "address": site.address, "grid_region": site.grid_region}


def _study(study: Study, refs: _References, *, start: datetime, end: datetime) -> Document:
    return {
        "name": study.name,
        "declared_unit": study.declared_unit,
        "declared_unit_amount": decimal_text(study.declared_unit_amount),
        "period": {
            "start": study.period_start.isoformat(),
            "end": study.period_end.isoformat(),
            "time_zone": study.organization.timezone,
            "start_utc": utc_text(start),
            "end_utc": utc_text(end),
        },
        "units_produced": decimal_text(study.units_produced),
        "system_boundary": study.system_boundary,
        "description": study.description,
        "factor_dataset": refs.dataset(study.factor_dataset),
    }


def _electricity(study: Study, refs: _References, *, start: datetime, end: datetime) -> Document | None:
    if study.electricity_factor is not None:
        return {"static_factor": refs.factor(study.electricity_factor)}
    series: ElectricityFactorSeries | None = study.electricity_series
    if series is None:
        return None
    first, values = series_points_for_period(series=series, start=start, end=end)
    dataset = refs.dataset(series.dataset)
    return {
        "series": {
            "key": factor_key(dataset, series.code),
            "dataset": dataset,
            "code": series.code,
            "name": series.name,
            "region": series.region,
            "unit": series.unit,
            "resolution_seconds": series.resolution_seconds,
            "source": series.source,
            "start": utc_text(first),
            "values": [None if value is None else decimal_text(value) for value in values],
        }
    }


def _materials(study: Study, refs: _References) -> list[Document]:
    legs = Prefetch("transport_legs", queryset=TransportLeg.objects.select_related("factor__dataset").order_by("id"))
    # Catalogue lines by number, then the lines beyond the catalogue (no material) in the order entered.
    lines: list[BomLine] = list(
        study.bom_lines.select_related("material", "factor__dataset")
        .prefetch_related(legs)
        .order_by(F("material__no").asc(nulls_last=True), "id")
    )
    resolved = factors_for_materials(
        organization=study.organization,
        material_ids={line.material_id for line in lines if line.factor_id is None and line.material_id is not None},
        dataset=study.factor_dataset,
    )
    documents = []
    for line in lines:
        factor = line.factor
        origin: str | None = "line"
        if factor is None:
            factor = None if line.material_id is None else resolved.get(line.material_id)
            origin = None if factor is None else _origin(factor, study)
        material: Material | None = line.material
        documents.append({
            # A line beyond the catalogue: no number, its one name in both name fields, its own unit.
            "material_no": None if material is None else material.no,
            "name_zh": line.name if material is None else material.name_zh,
            "name_en": line.name if material is None else material.name_en,
            "quantity": decimal_text(line.quantity),
            "unit": line.activity_unit if material is None else material.activity_unit,
            "loss_rate": decimal_text(line.loss_rate),
            "factor": None if factor is None else refs.factor(factor),
            "factor_origin": origin,
            "data_source": line.data_source,
            "unit_mass_kg": optional_decimal_text(line.unit_mass_kg),
            "notes": line.notes,
            "transport": [
                {
                    "mode": leg.mode,
                    "distance_km": decimal_text(leg.distance_km),
                    "mass_kg": decimal_text(leg.mass_kg),
                    "factor": refs.factor(leg.factor),
                    "data_source": leg.data_source,
                }
                for leg in line.transport_legs.all()
            ],
        })  # fmt: skip
    return documents


def _origin(factor: EmissionFactor, study: Study) -> str:
    return "library" if factor.dataset_id == study.factor_dataset_id else "supplier"


def _stages(study: Study, stages: list[StudyStage], *, start: datetime, end: datetime) -> list[Document]:
    points = list(
        MeteringPoint.objects.filter(
            organization_id=study.organization_id, site_id=study.site_id, stage_id__in=[s.stage_id for s in stages]
        ).order_by("code")
    )
    runs = reading_runs_for_points(
        organization=study.organization, point_ids=[point.pk for point in points], start=start, end=end
    )
    documents = []
    for study_stage in stages:
        stage = study_stage.stage
        documents.append({
            "stage_no": stage.no,
            "name_zh": stage.name_zh,
            "name_en": stage.name_en,
            "allocation_share": decimal_text(study_stage.allocation_share),
            "allocation_note": study_stage.allocation_note,
            "metering_points": [
                {
                    "code": point.code,
                    "name": point.name,
                    "device_serial": point.device_serial,
                    # Only a manual-entry channel says so: documents of metered plants keep their bytes.
                    **({"is_manual": True} if point.is_manual else {}),
                    "runs": [
                        {
                            "start": utc_text(run.start),
                            "step_seconds": run.step_seconds,
                            "source": SOURCE_NAMES[run.source],
                            "milliwatt_hours": run.milliwatt_hours,
                        }
                        for run in runs.get(point.pk, [])
                    ],
                }
                for point in points
                if point.stage_id == stage.pk
            ],
        })  # fmt: skip
    return documents


def _fuels(study: Study, refs: _References) -> list[Document]:
    return [
        {
            "stage_no": None if entry.stage is None else entry.stage.no,
            "factor": refs.factor(entry.factor),
            "quantity": decimal_text(entry.quantity),
            "unit": entry.unit,
            "allocation_share": decimal_text(entry.allocation_share),
            "data_source": entry.data_source,
            "description": entry.description,
        }
        for entry in study.fuel_entries.select_related("stage", "factor__dataset").order_by("id")
    ]


def _wastes(study: Study, refs: _References) -> list[Document]:
    return [
        {
            "factor": refs.factor(entry.factor),
            "quantity": decimal_text(entry.quantity),
            "unit": entry.unit,
            "allocation_share": decimal_text(entry.allocation_share),
            "data_source": entry.data_source,
            "description": entry.description,
        }
        for entry in study.waste_entries.select_related("factor__dataset").order_by("id")
    ]


class _References:
    """The datasets and factors the document cites, by key, written out once at the end."""

    def __init__(self, organization_id: int) -> None:
        self.organization_id = organization_id
        self.datasets: dict[str, FactorDataset] = {}
        self.factors: dict[str, EmissionFactor] = {}

    def dataset(self, dataset: FactorDataset) -> str:
        key = dataset_key(dataset.name, dataset.version)
        known = self.datasets.setdefault(key, dataset)
        if known.pk != dataset.pk:
            raise DocumentBuildError(f"Two factor datasets are both named {key!r} (the library's and the study's own)")
        if dataset.organization_id not in (None, self.organization_id):
            raise DocumentBuildError(f"Factor dataset {key!r} belongs to another organization")
        return key

    def factor(self, factor: EmissionFactor) -> str:
        key = factor_key(self.dataset(factor.dataset), factor.code)
        self.factors[key] = factor
        return key

    def sections(self) -> Document:
        numbers = dict(Material.objects.values_list("id", "no")) if self.factors else {}
        return {
            "factor_datasets": [dataset_record(key, self.datasets[key]) for key in sorted(self.datasets)],
            "factors": [factor_record(key, self.factors[key], numbers) for key in sorted(self.factors)],
        }


def dataset_record(key: str, dataset: FactorDataset) -> Document:
    return {
        "key": key,
        "name": dataset.name,
        "version": dataset.version,
        "publisher": dataset.publisher,
        "gwp_basis": dataset.gwp_basis,
        "gwp_horizon_years": dataset.gwp_horizon_years,
        "is_illustrative": dataset.is_illustrative,
        "description": dataset.description,
        "owner": LIBRARY if dataset.organization_id is None else ORGANIZATION,
    }


def factor_record(key: str, factor: EmissionFactor, material_numbers: dict[int, int]) -> Document:
    return {
        "key": key,
        "dataset": dataset_key(factor.dataset.name, factor.dataset.version),
        "code": factor.code,
        "category": factor.category,
        "name_zh": factor.name_zh,
        "name_en": factor.name_en,
        "value": decimal_text(factor.value),
        "unit": factor.unit,
        "low": optional_decimal_text(factor.low),
        "high": optional_decimal_text(factor.high),
        "region": factor.region,
        "year": factor.year,
        "valid_from": optional_date_text(factor.valid_from),
        "valid_to": optional_date_text(factor.valid_to),
        "source": factor.source,
        "notes": factor.notes,
        "material_no": None if factor.material_id is None else material_numbers[factor.material_id],
    }
