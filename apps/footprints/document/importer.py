"""Import a study document into an organization: all or nothing.

1. the schema (validation.py), 2. the meaning (``plan_import``: import_plan.py, import_factors.py,
import_timeseries.py): both collect every problem with its JSON path and raise DocumentError
before anything is written; 3. one ``transaction.atomic()`` writes the study and whatever it
needs; a last check inside it (that this organization's material factor precedence picks the
file's factors) rolls everything back if it fails.

Factor datasets, factors, the product, the site and the metering points are reused when this
database holds identical ones and created otherwise (a dataset this database lacks becomes the
organization's own). Exporting the imported study gives the file back byte for byte, except for
the owner of a library dataset that had to be created as the organization's own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Organization
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.selectors import factors_for_materials
from apps.factors.series import SeriesValidationError, series_points_bulk_upsert
from apps.footprints.document.canonical import dataset_key, factor_key, parse_utc
from apps.footprints.document.import_factors import check_factors
from apps.footprints.document.import_plan import (
    Document,
    ImportPlan,
    check_ledger,
    check_materials,
    check_product_and_site,
    check_study,
    new_plan,
)
from apps.footprints.document.import_timeseries import SOURCE_VALUES, check_metering, check_series
from apps.footprints.document.validation import DocumentError, Problem, json_path, validate_document
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.ledger.errors import ReadingValidationError
from apps.ledger.models import FuelEntry, MeteringPoint, WasteEntry
from apps.ledger.services import metering_point_create, readings_insert_run


def study_document_import(
    *,
    organization: Organization,
    document: Document,
    created_by: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> Study:
    now = now or timezone.now()
    plan = plan_import(organization=organization, document=document, now=now)
    with transaction.atomic():
        factors = _write_factors(plan)
        study = _write_study(plan, factors, created_by=created_by)
        _write_readings(plan, study, created_by=created_by, now=now)
        problems = _precedence_problems(plan, study, factors)
        if problems:
            raise DocumentError(problems)
    return study


def plan_import(*, organization: Organization, document: Document, now: datetime | None = None) -> ImportPlan:
    """Check a document for import into the organization without writing anything (a preview).

    Raises DocumentError listing every problem; returns what would be reused and created.
    """
    validate_document(document)
    plan = new_plan(organization=organization, document=document)
    check_study(plan)  # first: the period, which the time series checks use
    check_factors(plan)
    check_product_and_site(plan)
    check_materials(plan)
    check_ledger(plan)
    check_series(plan)
    check_metering(plan, now=now or timezone.now())
    if plan.problems:
        raise DocumentError(plan.problems)
    return plan


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _write_factors(plan: ImportPlan) -> dict[str, EmissionFactor]:
    """Create the datasets and factors the database lacks; every factor of the file, by key."""
    datasets: dict[str, FactorDataset] = {}
    for record in plan.document["factor_datasets"]:
        datasets[record["key"]] = plan.datasets[record["key"]] or FactorDataset.objects.create(
            organization=plan.organization,
            **{name: record[name] for name in ("name", "version", "publisher", "gwp_basis", "gwp_horizon_years",
                                               "is_illustrative", "description")},
        )  # fmt: skip
    plan.datasets.update(datasets)
    factors: dict[str, EmissionFactor] = {}
    for record in plan.document["factors"]:
        dataset = datasets[record["dataset"]]
        factors[record["key"]] = plan.factors[record["key"]] or EmissionFactor.objects.create(
            dataset=dataset,
            organization=dataset.organization,
            material=None if record["material_no"] is None else plan.materials[record["material_no"]],
            value=Decimal(record["value"]),
            low=_decimal(record["low"]),
            high=_decimal(record["high"]),
            valid_from=_date(record["valid_from"]),
            valid_to=_date(record["valid_to"]),
            **{name: record[name] for name in ("code", "category", "name_zh", "name_en", "unit", "region", "year",
                                               "source", "notes")},
        )  # fmt: skip
    return factors


def _write_series(plan: ImportPlan) -> ElectricityFactorSeries | None:
    series = (plan.document["electricity"] or {}).get("series")
    if series is None or plan.series is not None:
        return plan.series
    dataset = plan.datasets[series["dataset"]]
    assert dataset is not None  # created by _write_factors
    created = ElectricityFactorSeries.objects.create(
        dataset=dataset, organization=dataset.organization,
        **{name: series[name] for name in ("code", "name", "region", "unit", "resolution_seconds", "source")},
    )  # fmt: skip
    start, step = parse_utc(series["start"]), timedelta(seconds=series["resolution_seconds"])
    points = [(start + step * i, Decimal(value)) for i, value in enumerate(series["values"]) if value is not None]
    try:
        series_points_bulk_upsert(series=created, points=points)
    except SeriesValidationError as exc:
        raise DocumentError([(json_path(["electricity", "series", "values"]), m) for m in exc.messages]) from exc
    return created


def _write_study(plan: ImportPlan, factors: dict[str, EmissionFactor], *, created_by: Any) -> Study:
    doc, organization = plan.document, plan.organization
    product, site = doc["product"], doc["site"]
    plan.product = plan.product or Product.objects.create(
        organization=organization, model_code=product["model_code"], name=product["name"],
        description=product["description"], mass_kg=_decimal(product["mass_kg"]),
    )  # fmt: skip
    plan.site = plan.site or Site.objects.create(
        organization=organization, **{name: site[name] for name in ("code", "name", "address", "grid_region")}
    )
    record = doc["study"]
    static = (doc["electricity"] or {}).get("static_factor")
    dataset = plan.datasets[record["factor_dataset"]]
    assert dataset is not None  # created by _write_factors
    study = Study.objects.create(
        organization=organization,
        product=plan.product,
        site=plan.site,
        name=record["name"],
        declared_unit=record["declared_unit"],
        declared_unit_amount=Decimal(record["declared_unit_amount"]),
        period_start=date.fromisoformat(record["period"]["start"]),
        period_end=date.fromisoformat(record["period"]["end"]),
        units_produced=Decimal(record["units_produced"]),
        system_boundary=record["system_boundary"],
        description=record["description"],
        factor_dataset=dataset,
        electricity_factor=None if static is None else factors[static],
        electricity_series=_write_series(plan),
        created_by=created_by,
    )
    for stage in doc["stages"]:
        StudyStage.objects.create(
            organization=organization, study=study, stage=plan.stages[stage["stage_no"]],
            allocation_share=Decimal(stage["allocation_share"]), allocation_note=stage["allocation_note"],
        )  # fmt: skip
    for line in doc["materials"]:
        custom = line["material_no"] is None  # a line beyond the catalogue: its own name and unit
        bom_line = BomLine.objects.create(
            organization=organization, study=study, material=None if custom else plan.materials[line["material_no"]],
            name=line["name_en"] if custom else "", activity_unit=line["unit"] if custom else "",
            quantity=Decimal(line["quantity"]), loss_rate=Decimal(line["loss_rate"]),
            factor=factors[line["factor"]] if line["factor_origin"] == "line" else None,
            data_source=line["data_source"], unit_mass_kg=_decimal(line["unit_mass_kg"]), notes=line["notes"],
        )  # fmt: skip
        for leg in line["transport"]:
            TransportLeg.objects.create(
                organization=organization, bom_line=bom_line, mode=leg["mode"],
                distance_km=Decimal(leg["distance_km"]), mass_kg=Decimal(leg["mass_kg"]),
                factor=factors[leg["factor"]], data_source=leg["data_source"],
            )  # fmt: skip
    for entry in doc["fuels"]:
        FuelEntry.objects.create(
            organization=organization, study=study,
            stage=None if entry["stage_no"] is None else plan.stages[entry["stage_no"]],
            factor=factors[entry["factor"]], quantity=Decimal(entry["quantity"]), unit=entry["unit"],
            allocation_share=Decimal(entry["allocation_share"]), data_source=entry["data_source"],
            description=entry["description"],
        )  # fmt: skip
    for entry in doc["wastes"]:
        WasteEntry.objects.create(
            organization=organization, study=study, factor=factors[entry["factor"]],
            quantity=Decimal(entry["quantity"]), unit=entry["unit"],
            allocation_share=Decimal(entry["allocation_share"]), data_source=entry["data_source"],
            description=entry["description"],
        )  # fmt: skip
    return study


def _write_readings(plan: ImportPlan, study: Study, *, created_by: Any, now: datetime) -> None:
    description = _("Imported with study %(name)s") % {"name": study.name}
    for i, stage in enumerate(plan.document["stages"]):
        for j, record in enumerate(stage["metering_points"]):
            point: MeteringPoint | None = plan.points[record["code"]]
            if point is None:
                point = metering_point_create(
                    organization=plan.organization, site=study.site, stage=plan.stages[stage["stage_no"]],
                    code=record["code"], name=record["name"], device_serial=record["device_serial"],
                    is_manual=bool(record.get("is_manual", False)),
                )  # fmt: skip
            elif record["code"] in plan.readings_present:
                continue
            for k, run in enumerate(record["runs"]):
                try:
                    readings_insert_run(
                        organization=plan.organization, metering_point=point, start=parse_utc(run["start"]),
                        step_seconds=run["step_seconds"], milliwatt_hours=run["milliwatt_hours"],
                        source=SOURCE_VALUES[run["source"]], created_by=created_by, description=description, now=now,
                    )  # fmt: skip
                except ReadingValidationError as exc:
                    path = json_path(["stages", i, "metering_points", j, "runs", k])
                    raise DocumentError([(path, message) for message in exc.messages]) from exc


def _precedence_problems(plan: ImportPlan, study: Study, factors: dict[str, EmissionFactor]) -> list[Problem]:
    """Lines without a factor of their own must resolve here to the factor the file says they use."""
    lines = [(i, line) for i, line in enumerate(plan.document["materials"]) if line["factor_origin"] != "line"]
    resolved = factors_for_materials(
        organization=plan.organization,
        material_ids={plan.materials[line["material_no"]].pk for _i, line in lines},
        dataset=study.factor_dataset,
    )
    problems = []
    for i, line in lines:
        found = resolved.get(plan.materials[line["material_no"]].pk)
        expected = None if line["factor"] is None else factors[line["factor"]]
        if found != expected:
            shown = (
                "-" if found is None else factor_key(dataset_key(found.dataset.name, found.dataset.version), found.code)
            )
            problems.append(
                (
                    json_path(["materials", i, "factor"]),
                    _(
                        "in this organization material %(no)s would be valued with factor %(found)s, not %(file)s, "
                        "because of the factors it already holds (its own factors take precedence over the library)"
                    )
                    % {"no": line["material_no"], "found": shown, "file": line["factor"] or "-"},
                )
            )
    return problems
