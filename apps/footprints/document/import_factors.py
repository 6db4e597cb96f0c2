"""Import checks of a document's factor datasets and factors, and of every factor key it references.

A dataset is found by (name, version, owner): the shared library's, or the importing
organization's own. An existing dataset must match the file field for field and, for the library,
hold every listed factor; a factor the organization's own dataset lacks is added to it; a dataset
this database lacks is created as the organization's own. Part of the import plan; writes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from apps.factors.library import unit_problem
from apps.factors.models import EmissionFactor, FactorDataset
from apps.footprints.document.canonical import LIBRARY, dataset_key, decimal_text, factor_key
from apps.footprints.document.export import dataset_record, factor_record
from apps.footprints.document.import_plan import Document, ImportPlan, Path


def check_factors(plan: ImportPlan) -> None:
    _resolve_datasets(plan)
    _resolve_factors(plan)
    _check_references(plan)


def _resolve_datasets(plan: ImportPlan) -> None:
    records = plan.document["factor_datasets"]
    for i, record in enumerate(records):
        if record["key"] != dataset_key(record["name"], record["version"]):
            plan.fail(
                ["factor_datasets", i, "key"],
                _("the key of dataset %(name)s version %(version)s must be %(key)r"),
                name=record["name"],
                version=record["version"],
                key=dataset_key(record["name"], record["version"]),
            )
        if record["key"] in plan.datasets:
            plan.fail(["factor_datasets", i, "key"], _("dataset %(key)r is listed twice"), key=record["key"])
        plan.datasets[record["key"]] = None
    stored = FactorDataset.objects.filter(Q(organization__isnull=True) | Q(organization=plan.organization)).filter(
        name__in={r["name"] for r in records}
    )
    library = {(d.name, d.version): d for d in stored if d.organization_id is None}
    own = {(d.name, d.version): d for d in stored if d.organization_id is not None}
    for i, record in enumerate(records):
        name_version = (record["name"], record["version"])
        found = own.get(name_version)
        if record["owner"] == LIBRARY:  # a library version this database lacks was imported as the org's own
            found = library.get(name_version) or found
        plan.datasets[record["key"]] = found
        if found is None:
            plan.check_values(["factor_datasets", i], FactorDataset, record, ["name", "version", "publisher"])
            continue
        stored_record = dataset_record(record["key"], found)
        for name in ("publisher", "gwp_basis", "gwp_horizon_years", "is_illustrative", "description"):
            if stored_record[name] != record[name]:
                plan.fail(
                    ["factor_datasets", i, name],
                    _("dataset %(key)s in the file has %(field)s %(file)r, %(where)s has %(stored)r"),
                    key=record["key"],
                    field=name,
                    file=record[name],
                    stored=stored_record[name],
                    where=_where(found),
                )


def _where(dataset: FactorDataset) -> str:
    return _("the library") if dataset.organization_id is None else _("this organization's own dataset")


def _resolve_factors(plan: ImportPlan) -> None:
    records = plan.document["factors"]
    existing = [d for d in plan.datasets.values() if d is not None]
    stored = {
        (f.dataset_id, f.code): f
        for f in EmissionFactor.objects.filter(
            dataset__in=existing, code__in={r["code"] for r in records}
        ).select_related("dataset")
    }
    numbers = {m.pk: no for no, m in plan.materials.items()}
    for i, record in enumerate(records):
        path: Path = ["factors", i]
        key = factor_key(record["dataset"], record["code"])
        if record["key"] != key:
            plan.fail([*path, "key"], _("the key of this factor must be %(key)r"), key=key)
        if record["key"] in plan.factors:
            plan.fail([*path, "key"], _("factor %(key)r is listed twice"), key=record["key"])
        if record["dataset"] not in plan.datasets:
            plan.fail(
                [*path, "dataset"], _("dataset %(key)r is not listed in $.factor_datasets"), key=record["dataset"]
            )
            continue
        if record["material_no"] is not None and record["material_no"] not in plan.materials:
            plan.fail(
                [*path, "material_no"],
                _("there is no material number %(no)s in the catalogue"),
                no=record["material_no"],
            )
        dataset = plan.datasets[record["dataset"]]
        found = None if dataset is None else stored.get((dataset.pk, record["code"]))
        plan.factors[record["key"]] = found
        if found is not None:
            _compare_factor(plan, path, record, factor_record(record["key"], found, numbers), dataset)
        elif dataset is not None and dataset.organization_id is None:
            plan.fail(
                [*path, "code"],
                _("the library dataset %(dataset)s has no factor %(code)r"),
                dataset=record["dataset"],
                code=record["code"],
            )
        else:
            plan.check_values(
                path,
                EmissionFactor,
                record,
                ["code", "name_zh", "name_en", "value", "unit", "low", "high", "region", "year"],
            )
            if problem := unit_problem(record["unit"]):
                plan.fail([*path, "unit"], problem)


def _compare_factor(plan: ImportPlan, path: Path, record: Document, stored: Document, dataset: Any) -> None:
    for name, stored_value in stored.items():
        value = record[name]
        if name in ("value", "low", "high") and value is not None:
            value = decimal_text(Decimal(value))
        if value != stored_value:
            plan.fail(
                [*path, name],
                _("factor %(key)s in the file has %(field)s %(file)s, %(where)s has %(stored)s"),
                key=record["key"],
                field=name,
                file=value,
                stored=stored_value,
                where=_where(dataset),
            )


def _check_references(plan: ImportPlan) -> None:
    doc = plan.document
    if doc["study"]["factor_dataset"] not in plan.datasets:
        plan.fail(
            ["study", "factor_dataset"],
            _("dataset %(key)r is not listed in $.factor_datasets"),
            key=doc["study"]["factor_dataset"],
        )
    references: list[tuple[Path, str | None]] = []
    electricity = doc["electricity"] or {}
    if "static_factor" in electricity:
        references.append((["electricity", "static_factor"], electricity["static_factor"]))
    for i, line in enumerate(doc["materials"]):
        references.append((["materials", i, "factor"], line["factor"]))
        references += [
            (["materials", i, "transport", j, "factor"], leg["factor"]) for j, leg in enumerate(line["transport"])
        ]
    for section in ("fuels", "wastes"):
        references += [([section, i, "factor"], entry["factor"]) for i, entry in enumerate(doc[section])]
    for path, key in references:
        if key is not None and key not in plan.factors:
            plan.fail(path, _("factor %(key)r is not listed in $.factors"), key=key)
