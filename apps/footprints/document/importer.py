"""Import a study document into an organization: all or nothing.

1. the schema (validation.py), 2. the meaning (``plan_import``: import_plan.py, import_factors.py,
import_timeseries.py): both collect every problem with its JSON path and raise DocumentError
before anything is written; 3. one ``transaction.atomic()`` writes the study and whatever it
needs; a last check inside it (that this organization's material factor precedence picks the
file's factors) rolls everything back if it fails.

Every row is written by its write service (apps.factors.services, apps.inventory.services,
apps.ledger), exactly as a page would, so the rules of the product hold for an imported study
too; a service's refusal becomes a DocumentError at the JSON path of the value it refused
(``$.materials[3].unit_mass_kg``), and the transaction writes nothing.

Factor datasets, factors, the product, the site and the metering points are reused when this
database holds identical ones and created otherwise (a dataset this database lacks becomes the
organization's own). Exporting the imported study gives the file back byte for byte, except for
the owner of a library dataset that had to be created as the organization's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import ParamSpec, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Organization
from apps.factors.enums import FactorCategory
from apps.factors.models import ElectricityFactorSeries, EmissionFactor
from apps.factors.selectors import factors_for_materials
from apps.factors.series import SeriesValidationError
from apps.factors.services import electricity_series_create, emission_factor_create, factor_dataset_create
from apps.footprints.document.canonical import dataset_key, factor_key, parse_utc
from apps.footprints.document.import_factors import check_factors
from apps.footprints.document.import_plan import (
    Document,
    ImportPlan,
    Path,
    check_ledger,
    check_materials,
    check_product_and_site,
    check_study,
    new_plan,
)
from apps.footprints.document.import_timeseries import SOURCE_VALUES, check_metering, check_series
from apps.footprints.document.validation import DocumentError, Problem, json_path, validate_document
from apps.inventory.models import BomLine, Study
from apps.inventory.services.bom import bom_line_add_custom, bom_line_set_for_material, transport_leg_add
from apps.inventory.services.studies import product_create, site_create, study_create
from apps.ledger.entries import fuel_entry_add, waste_entry_add
from apps.ledger.errors import ReadingValidationError
from apps.ledger.models import MeteringPoint
from apps.ledger.services import metering_point_create, readings_insert_run

User = AbstractBaseUser | None
P = ParamSpec("P")
T = TypeVar("T")

# Where a study_create field lives in the document, when not at $.study.<field>.
STUDY_PLACES: dict[str, Path] = {
    "period_start": ["study", "period", "start"],
    "period_end": ["study", "period", "end"],
    "electricity_factor": ["electricity", "static_factor"],
    "electricity_series": ["electricity", "series"],
    "product": ["product"],
    "site": ["site"],
    "stages": ["stages"],
}


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
        factors, series = _write_factors(plan, user=created_by)
        study = _write_study(plan, factors, series, user=created_by)
        _write_inventory(plan, study, factors, user=created_by)
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


def service_problems(error: ValidationError, path: Path, places: Mapping[str, Path] | None = None) -> list[Problem]:
    """A write service's ValidationError as document problems: each field's messages at that field's
    place (``places``: the service's field name -> its path in the document; by default the same name
    under ``path``), messages about the whole row at ``path``."""
    if not hasattr(error, "error_dict"):
        return [(json_path(path), message) for message in error.messages]
    places = places or {}
    return [
        (json_path(path if field == NON_FIELD_ERRORS else places.get(field, [*path, field])), message)
        for field, messages in error.message_dict.items()
        for message in messages
    ]


class _Writes:
    """Calls write services for the rows of one part of the document, collecting every refusal."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def call(
        self, path: Path, places: Mapping[str, Path], service: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """The service's result, or None when it refused (nothing of that row was written: each
        service writes in its own savepoint, so the import's transaction goes on)."""
        try:
            return service(*args, **kwargs)
        except ValidationError as exc:
            self.problems += service_problems(exc, path, places)
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise DocumentError(self.problems)


def _write_factors(plan: ImportPlan, *, user: User) -> tuple[dict[str, EmissionFactor], ElectricityFactorSeries | None]:
    """Create the datasets, factors and series the database lacks; every factor of the file, by key."""
    writes = _Writes()
    for i, record in enumerate(plan.document["factor_datasets"]):
        if plan.datasets[record["key"]] is None:
            plan.datasets[record["key"]] = writes.call(
                ["factor_datasets", i], {}, factor_dataset_create, organization=plan.organization,
                name=record["name"], version=record["version"], publisher=record["publisher"],
                gwp_basis=record["gwp_basis"], gwp_horizon_years=record["gwp_horizon_years"],
                is_illustrative=record["is_illustrative"], description=record["description"], user=user,
            )  # fmt: skip
    writes.raise_if_any()
    factors: dict[str, EmissionFactor] = {}
    for i, record in enumerate(plan.document["factors"]):
        factor = plan.factors[record["key"]]
        if factor is None:
            dataset = plan.datasets[record["dataset"]]
            assert dataset is not None  # created above
            path: Path = ["factors", i]
            factor = writes.call(
                path, {"material": [*path, "material_no"]}, emission_factor_create, organization=plan.organization,
                dataset=dataset, code=record["code"], category=record["category"], name_zh=record["name_zh"],
                name_en=record["name_en"], value=Decimal(record["value"]), unit=record["unit"],
                low=_decimal(record["low"]), high=_decimal(record["high"]), region=record["region"],
                year=record["year"], valid_from=_date(record["valid_from"]), valid_to=_date(record["valid_to"]),
                source=record["source"], notes=record["notes"],
                material=None if record["material_no"] is None else plan.materials[record["material_no"]],
                user=user,
            )  # fmt: skip
        if factor is not None:
            factors[record["key"]] = factor
    writes.raise_if_any()
    return factors, _write_series(plan, user=user)


def _write_series(plan: ImportPlan, *, user: User) -> ElectricityFactorSeries | None:
    series = (plan.document["electricity"] or {}).get("series")
    if series is None or plan.series is not None:
        return plan.series
    dataset = plan.datasets[series["dataset"]]
    assert dataset is not None  # created by _write_factors
    start, step = parse_utc(series["start"]), timedelta(seconds=series["resolution_seconds"])
    points = [(start + step * i, Decimal(value)) for i, value in enumerate(series["values"]) if value is not None]
    path: Path = ["electricity", "series"]
    try:
        return electricity_series_create(
            organization=plan.organization, dataset=dataset, points=points, user=user,
            **{name: series[name] for name in ("code", "name", "region", "unit", "resolution_seconds", "source")},
        )  # fmt: skip
    except SeriesValidationError as exc:
        raise DocumentError([(json_path([*path, "values"]), m) for m in exc.messages]) from exc
    except ValidationError as exc:
        raise DocumentError(service_problems(exc, path)) from exc


def _grid_regions(grid: EmissionFactor | ElectricityFactorSeries | None) -> list[str]:
    """The region the study's electricity factor or series (as written) values: a new site on it is
    on a grid something values, even where the library does not know the region."""
    if grid is None or (isinstance(grid, EmissionFactor) and grid.category != FactorCategory.ELECTRICITY):
        return []
    return [grid.region.strip()] if grid.region.strip() else []


def _write_study(
    plan: ImportPlan,
    factors: dict[str, EmissionFactor],
    series: ElectricityFactorSeries | None,
    *,
    user: User,
) -> Study:
    doc, organization = plan.document, plan.organization
    static = (doc["electricity"] or {}).get("static_factor")
    electricity_factor = None if static is None else factors[static]
    writes = _Writes()
    if plan.product is None:
        product = doc["product"]
        plan.product = writes.call(
            ["product"], {}, product_create, organization=organization, model_code=product["model_code"],
            name=product["name"], description=product["description"], mass_kg=_decimal(product["mass_kg"]), user=user,
        )  # fmt: skip
    if plan.site is None:
        site = doc["site"]
        plan.site = writes.call(
            ["site"], {}, site_create, organization=organization, code=site["code"], name=site["name"],
            address=site["address"], grid_region=site["grid_region"],
            extra_grid_regions=_grid_regions(electricity_factor or series), user=user,
        )  # fmt: skip
    writes.raise_if_any()
    assert plan.product is not None and plan.site is not None  # created above
    record = doc["study"]
    dataset = plan.datasets[record["factor_dataset"]]
    assert dataset is not None  # created by _write_factors
    study = writes.call(
        ["study"], STUDY_PLACES, study_create, organization=organization, product=plan.product, site=plan.site,
        name=record["name"], declared_unit=record["declared_unit"],
        declared_unit_amount=Decimal(record["declared_unit_amount"]),
        period_start=date.fromisoformat(record["period"]["start"]),
        period_end=date.fromisoformat(record["period"]["end"]), units_produced=Decimal(record["units_produced"]),
        system_boundary=record["system_boundary"], description=record["description"], factor_dataset=dataset,
        electricity_factor=electricity_factor, electricity_series=series,
        stages=[
            (plan.stages[stage["stage_no"]], Decimal(stage["allocation_share"]), stage["allocation_note"])
            for stage in doc["stages"]
        ],
        user=user,
    )  # fmt: skip
    writes.raise_if_any()
    assert study is not None
    return study


def _write_inventory(plan: ImportPlan, study: Study, factors: dict[str, EmissionFactor], *, user: User) -> None:
    """The bill of materials with its transport legs, the fuels and the wastes: every refusal is reported."""
    doc, writes = plan.document, _Writes()
    for i, line in enumerate(doc["materials"]):
        path: Path = ["materials", i]
        factor = factors[line["factor"]] if line["factor_origin"] == "line" else None
        row: BomLine | None
        if line["material_no"] is None:  # a line beyond the catalogue: its own name and unit
            row = writes.call(
                path, {"name": [*path, "name_en"], "activity_unit": [*path, "unit"]}, bom_line_add_custom,
                study=study, name=line["name_en"], activity_unit=line["unit"], quantity=Decimal(line["quantity"]),
                loss_rate=Decimal(line["loss_rate"]), factor=factor, data_source=line["data_source"],
                unit_mass_kg=_decimal(line["unit_mass_kg"]), notes=line["notes"], user=user,
            )  # fmt: skip
        else:
            row = writes.call(
                path, {"material": [*path, "material_no"]}, bom_line_set_for_material, study=study,
                material=plan.materials[line["material_no"]], quantity=Decimal(line["quantity"]),
                loss_rate=Decimal(line["loss_rate"]), factor=factor, data_source=line["data_source"],
                unit_mass_kg=_decimal(line["unit_mass_kg"]), notes=line["notes"], add_line=True, user=user,
            )  # fmt: skip
        if row is None:
            continue  # its legs have no line to belong to; the line's problems are reported
        for j, leg in enumerate(line["transport"]):
            writes.call(
                [*path, "transport", j], {"bom_line": path}, transport_leg_add, line=row, mode=leg["mode"],
                distance_km=Decimal(leg["distance_km"]), mass_kg=Decimal(leg["mass_kg"]), factor=factors[leg["factor"]],
                data_source=leg["data_source"], user=user,
            )  # fmt: skip
    for i, entry in enumerate(doc["fuels"]):
        writes.call(
            ["fuels", i], {"stage": ["fuels", i, "stage_no"]}, fuel_entry_add, study=study,
            stage=None if entry["stage_no"] is None else plan.stages[entry["stage_no"]],
            factor=factors[entry["factor"]], quantity=Decimal(entry["quantity"]), unit=entry["unit"],
            allocation_share=Decimal(entry["allocation_share"]), data_source=entry["data_source"],
            description=entry["description"], user=user,
        )  # fmt: skip
    for i, entry in enumerate(doc["wastes"]):
        writes.call(
            ["wastes", i], {}, waste_entry_add, study=study, factor=factors[entry["factor"]],
            quantity=Decimal(entry["quantity"]), unit=entry["unit"],
            allocation_share=Decimal(entry["allocation_share"]), data_source=entry["data_source"],
            description=entry["description"], user=user,
        )  # fmt: skip
    writes.raise_if_any()


def _write_readings(plan: ImportPlan, study: Study, *, created_by: User, now: datetime) -> None:
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
