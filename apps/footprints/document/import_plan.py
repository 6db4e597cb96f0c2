"""What a (schema-valid) study document means in this database, checked before anything is written.

An ``ImportPlan`` resolves every reference of the document (catalogue numbers, factor datasets and
factors, product, site, metering points) to an existing row or to "create it", and collects every
semantic problem with its JSON path. The checks live here (study, product and site, material lines,
stages, fuels, wastes), in import_factors.py and in import_timeseries.py; importer.plan_import runs
them all. Nothing here writes: the importer writes from the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from apps.accounts.models import Organization
from apps.catalog.models import Material, ProcessStage
from apps.engine import units
from apps.factors.enums import FactorCategory
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.regions import grid_region_choices
from apps.footprints.document.canonical import LIBRARY, decimal_text, parse_utc, period_bounds, utc_text
from apps.footprints.document.validation import Problem, json_path
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.inventory.services.stages import stage_allocation_errors
from apps.ledger.models import FuelEntry, MeteringPoint, WasteEntry

Document = dict[str, Any]
Path = list[str | int]


@dataclass
class ImportPlan:
    organization: Organization
    document: Document
    period: tuple[datetime, datetime] | None = None  # UTC bounds; None if the time zone is unusable
    materials: dict[int, Material] = field(default_factory=dict)  # catalogue, by number
    stages: dict[int, ProcessStage] = field(default_factory=dict)
    datasets: dict[str, FactorDataset | None] = field(default_factory=dict)  # None: create as the org's own
    factors: dict[str, EmissionFactor | None] = field(default_factory=dict)  # None: create
    series: ElectricityFactorSeries | None = None  # the stored series the document's matches
    product: Product | None = None
    site: Site | None = None
    points: dict[str, MeteringPoint | None] = field(default_factory=dict)
    readings_present: set[str] = field(default_factory=set)  # points already holding exactly the file's readings
    problems: list[Problem] = field(default_factory=list)

    def fail(self, path: Path, message: str, **params: object) -> None:
        """Record a problem; ``message`` is an already translated text with %(name)s parameters."""
        self.problems.append((json_path(path), message % params if params else message))

    def check_value(self, path: Path, model: type[models.Model], name: str, value: Any) -> None:
        """The model field's own validators (length, digits, decimal places, slug) on a value."""
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field), name  # the names are the model's own columns
        if isinstance(value, str) and isinstance(field, models.DecimalField):
            value = Decimal(decimal_text(Decimal(value)))
        try:
            field.run_validators(value)
        except ValidationError as exc:
            self.fail(path, " ".join(exc.messages))

    def check_values(self, path: Path, model: type[models.Model], record: Document, names: list[str]) -> None:
        for name in names:
            if record[name] is not None:
                self.check_value([*path, name], model, name, record[name])


def new_plan(*, organization: Organization, document: Document) -> ImportPlan:
    return ImportPlan(
        organization=organization,
        document=document,
        materials={m.no: m for m in Material.objects.all()},
        stages={s.no: s for s in ProcessStage.objects.all()},
    )


def check_study(plan: ImportPlan) -> None:
    study = plan.document["study"]
    if Study.objects.filter(organization=plan.organization, name=study["name"]).exists():
        plan.fail(
            ["study", "name"], _("a study named %(name)r already exists in this organization"), name=study["name"]
        )
    plan.check_values(["study"], Study, study, ["name", "declared_unit_amount", "units_produced", "description"])
    period = study["period"]
    start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    if end < start:
        plan.fail(
            ["study", "period", "end"],
            _("the period ends (%(end)s) before it starts (%(start)s)"),
            start=start,
            end=end,
        )
        return  # no period: nothing that depends on it (UTC bounds, runs, series) can be checked
    zone = period["time_zone"]
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        plan.fail(["study", "period", "time_zone"], _("%(zone)r is not a known time zone"), zone=zone)
        return
    if zone != plan.organization.timezone:
        plan.fail(
            ["study", "period", "time_zone"],
            _("the period is given in %(zone)s, but this organization works in %(own)s"),
            zone=zone,
            own=plan.organization.timezone,
        )
    plan.period = period_bounds(start, end, zone)
    for name, bound in zip(("start_utc", "end_utc"), plan.period, strict=True):
        if parse_utc(period[name]) != bound:
            plan.fail(
                ["study", "period", name],
                _("%(value)s does not follow from the local dates (expected %(bound)s)"),
                value=period[name],
                bound=utc_text(bound),
            )


def check_product_and_site(plan: ImportPlan) -> None:
    for section, model, code_field, names in (
        ("product", Product, "model_code", ["name", "description", "mass_kg"]),
        ("site", Site, "code", ["name", "address", "grid_region"]),
    ):
        record = plan.document[section]
        found = model.objects.filter(organization=plan.organization, **{code_field: record[code_field]}).first()
        setattr(plan, section, found)
        if found is None:
            plan.check_values([section], model, record, [code_field, *names])
            if section == "site":
                _check_grid_region(plan, record["grid_region"])
            continue
        for name in names:
            stored = getattr(found, name)
            value = record[name]
            if isinstance(stored, Decimal) and value is not None:
                stored, value = decimal_text(stored), decimal_text(Decimal(value))
            if stored != value:
                plan.fail(
                    [section, name],
                    _("%(code)s already exists in this organization with %(field)s %(stored)r, the file has %(file)r"),
                    code=record[code_field],
                    field=name,
                    stored=stored,
                    file=value,
                )


def _check_grid_region(plan: ImportPlan, region: str) -> None:
    """A new site's grid must be valued: by the library (the sites page's rule), or by the file's own
    electricity factor or series, which the import writes before the site (site_create's extra_grid_regions)."""
    electricity = plan.document["electricity"] or {}
    if "series" in electricity:
        own: str | None = electricity["series"]["region"]
    else:
        record = next((f for f in plan.document["factors"] if f["key"] == electricity.get("static_factor")), None)
        own = record["region"] if record is not None and record["category"] == FactorCategory.ELECTRICITY else None
    if (region and own is not None and own.strip() == region) or region in grid_region_choices():
        return
    if own is None:
        plan.fail(
            ["site", "grid_region"],
            _("grid region %(region)r has no electricity factor in the factor library, and the file brings none"),
            region=region,
        )
    else:
        plan.fail(
            ["site", "grid_region"],
            _(
                "grid region %(region)r has no electricity factor in the factor library, and the file's "
                "electricity factor is for %(own)r"
            ),
            region=region,
            own=own,
        )


def check_materials(plan: ImportPlan) -> None:
    doc = plan.document
    factor_records = {f["key"]: f for f in doc["factors"]}
    owners = {d["key"]: d["owner"] for d in doc["factor_datasets"]}
    first_lines: dict[int, int] = {}
    for i, line in enumerate(doc["materials"]):
        path: Path = ["materials", i]
        if line["material_no"] is None:
            _check_custom_line(plan, path, line)
            continue
        first = first_lines.setdefault(line["material_no"], i)
        if first != i:
            plan.fail(
                [*path, "material_no"],
                _(
                    "material %(no)s is listed twice (first at $.materials[%(first)s]): a catalogue material "
                    "has one line; enter another part of it as a line beyond the catalogue (material_no null)"
                ),
                no=line["material_no"],
                first=first,
            )
        material = plan.materials.get(line["material_no"])
        if material is None:
            plan.fail(
                [*path, "material_no"], _("there is no material number %(no)s in the catalogue"), no=line["material_no"]
            )
            continue
        if line["unit"] != material.activity_unit:
            plan.fail(
                [*path, "unit"],
                _("material %(no)s is counted in %(unit)s, not %(file)s"),
                no=material.no,
                unit=material.activity_unit,
                file=line["unit"],
            )
        plan.check_values(path, BomLine, line, ["quantity", "loss_rate", "unit_mass_kg", "notes"])
        for j, leg in enumerate(line["transport"]):
            plan.check_values([*path, "transport", j], TransportLeg, leg, ["distance_km", "mass_kg"])
        origin, factor = line["factor_origin"], factor_records.get(line["factor"] or "")
        if (origin is None) != (line["factor"] is None):
            plan.fail([*path, "factor_origin"], _("a line has a factor origin exactly when it has a factor"))
        elif origin in ("library", "supplier") and factor is not None:
            library = factor["dataset"] == doc["study"]["factor_dataset"]
            if factor["material_no"] != material.no:
                plan.fail(
                    [*path, "factor"],
                    _(
                        "factor %(key)s is not for material %(no)s, so it cannot apply "
                        'by default; give it as the line\'s own factor (origin "line")'
                    ),
                    key=factor["key"],
                    no=material.no,
                )
            elif library != (origin == "library") or (
                origin == "supplier" and owners.get(factor["dataset"]) == LIBRARY
            ):
                plan.fail(
                    [*path, "factor_origin"],
                    _("factor %(key)s does not come from the %(origin)s"),
                    key=factor["key"],
                    origin=origin,
                )


def _check_custom_line(plan: ImportPlan, path: Path, line: Document) -> None:
    """A line beyond the catalogue: one name, a unit the engine reads, and a factor of its own."""
    if not line["name_en"].strip() or line["name_zh"] != line["name_en"]:
        plan.fail(
            [*path, "name_en"],
            _("a line beyond the catalogue has one name, given as both name_zh and name_en (%(zh)r, %(en)r)"),
            zh=line["name_zh"],
            en=line["name_en"],
        )
    else:
        plan.check_value([*path, "name_en"], BomLine, "name", line["name_en"])
    if not units.is_known(line["unit"]):
        plan.fail([*path, "unit"], _("%(unit)r is not a unit the engine can read"), unit=line["unit"])
    else:
        plan.check_value([*path, "unit"], BomLine, "activity_unit", line["unit"])
    plan.check_values(path, BomLine, line, ["quantity", "loss_rate", "unit_mass_kg", "notes"])
    for j, leg in enumerate(line["transport"]):
        plan.check_values([*path, "transport", j], TransportLeg, leg, ["distance_km", "mass_kg"])
    if line["factor"] is None or line["factor_origin"] != "line":
        plan.fail(
            [*path, "factor_origin"],
            _('a line beyond the catalogue has no default factor: it needs a factor of its own (origin "line")'),
        )


def check_ledger(plan: ImportPlan) -> None:
    """The plant-level part: stages (their meters are import_timeseries' business), fuels, wastes."""
    for i, entry in enumerate(plan.document["fuels"]):
        if entry["stage_no"] is not None and entry["stage_no"] not in plan.stages:
            plan.fail(
                ["fuels", i, "stage_no"], _("there is no stage number %(no)s in the catalogue"), no=entry["stage_no"]
            )
        plan.check_values(["fuels", i], FuelEntry, entry, ["quantity", "unit", "allocation_share", "description"])
    for i, entry in enumerate(plan.document["wastes"]):
        plan.check_values(["wastes", i], WasteEntry, entry, ["quantity", "unit", "allocation_share", "description"])
    seen: dict[int, int] = {}
    for i, stage in enumerate(plan.document["stages"]):
        if stage["stage_no"] not in plan.stages:
            plan.fail(
                ["stages", i, "stage_no"], _("there is no stage number %(no)s in the catalogue"), no=stage["stage_no"]
            )
        elif stage["stage_no"] in seen:
            plan.fail(
                ["stages", i, "stage_no"],
                _("stage %(no)s is listed twice (first at $.stages[%(first)s])"),
                no=stage["stage_no"],
                first=seen[stage["stage_no"]],
            )
        seen.setdefault(stage["stage_no"], i)
        plan.check_values(["stages", i], StudyStage, stage, ["allocation_share", "allocation_note"])
        allocation = stage_allocation_errors(
            allocation_share=Decimal(stage["allocation_share"]), allocation_note=stage["allocation_note"]
        )  # the rule study_create applies to each stage (and the stages page to an edit)
        for name, messages in allocation.items():
            plan.fail(["stages", i, name], " ".join(messages))
