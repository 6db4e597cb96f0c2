"""Input marks: a short string per study that changes whenever anything its checks and its grid read changes.

Pages cache what is expensive to build from a study's inputs (the completeness checks, the rendered
bill-of-materials grid) under a key that contains the study's mark, so an edit is visible on the next
request and nothing is ever invalidated by hand. A mark is read in a fixed number of aggregate queries,
however many studies are asked for:

- the study row itself (``updated_at``, status, period, datasets: it is passed in, already read);
- its stages, bill-of-materials lines, transport legs, fuel and waste entries: the number of rows and the
  latest ``updated_at`` of each table (a deletion lowers the count, an insertion or edit raises the time);
- the factors and datasets it may use (its library dataset and its organization's own datasets): the
  latest history id of each (every save and delete of a factor writes a history row, the admin's included);
- the readings and metering points of its site: the organization's reading batches (every insertion is a
  new batch) and the site's points (count and latest ``updated_at``);
- the results of the same product's studies (the previous period's electricity), the site's and the product's
  rows, the organization (its time zone places the period), the electricity series and the static electricity
  factor (history ids: it may belong to another library dataset than the study's).

Writes outside the services (a raw SQL update, ``QuerySet.update`` without ``updated_at``) are not seen;
the services never do that (``apps.ledger.manual`` touches the metering point when it deletes readings).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection

from apps.accounts.models import Organization
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.footprints.models import FootprintResult
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.ledger.models import FuelEntry, MeteringPoint, ReadingBatch, WasteEntry

MARKS_VERSION = 1  # bump when what a mark covers changes


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _history_table(model: Any) -> str:
    """The quoted table of a model's history (simple_history builds a new manager on every `Model.history`)."""
    return _table(model.history.model)


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values)) if values else "NULL"


def _mark_rows(studies: Sequence[Study]) -> list[tuple[str, Any, Any, Any]]:
    """(part, key, count or owner, latest) for every part of the marks of these studies, in one query.

    The ORM would need a query (and its compilation, which costs more than running it) per part."""
    study_ids = sorted({s.pk for s in studies})
    organizations = sorted({s.organization_id for s in studies})
    libraries = sorted({s.factor_dataset_id for s in studies})
    sites = sorted({s.site_id for s in studies})
    products = sorted({s.product_id for s in studies})
    in_studies, in_orgs = _placeholders(study_ids), _placeholders(organizations)
    in_libraries = _placeholders(libraries)
    datasets = f"SELECT id FROM {_table(FactorDataset)} WHERE id IN ({in_libraries}) OR organization_id IN ({in_orgs})"
    parts: list[str] = []
    params: list[Any] = []
    for part, model in (("stage", StudyStage), ("line", BomLine), ("fuel", FuelEntry), ("waste", WasteEntry)):
        parts.append(
            f"SELECT '{part}', study_id, COUNT(*), CAST(MAX(updated_at) AS TEXT) FROM {_table(model)} "
            f"WHERE study_id IN ({in_studies}) GROUP BY study_id"
        )
        params += study_ids
    parts.append(
        f"SELECT 'leg', b.study_id, COUNT(*), CAST(MAX(l.updated_at) AS TEXT) FROM {_table(TransportLeg)} l "
        f"JOIN {_table(BomLine)} b ON l.bom_line_id = b.id WHERE b.study_id IN ({in_studies}) GROUP BY b.study_id"
    )
    params += study_ids
    parts.append(
        f"SELECT 'factor', dataset_id, COUNT(*), CAST(MAX(history_id) AS TEXT) "
        f"FROM {_history_table(EmissionFactor)} WHERE dataset_id IN ({datasets}) GROUP BY dataset_id"
    )
    params += libraries + organizations
    parts.append(
        f"SELECT 'dataset', d.id, d.organization_id, CAST(MAX(h.history_id) AS TEXT) FROM {_table(FactorDataset)} d "
        f"LEFT JOIN {_history_table(FactorDataset)} h ON h.id = d.id "
        f"WHERE d.id IN ({datasets}) GROUP BY d.id, d.organization_id"
    )
    params += libraries + organizations
    parts.append(
        f"SELECT 'batch', organization_id, COUNT(*), CAST(MAX(id) AS TEXT) FROM {_table(ReadingBatch)} "
        f"WHERE organization_id IN ({in_orgs}) GROUP BY organization_id"
    )
    params += organizations
    parts.append(
        f"SELECT 'point', site_id, COUNT(*), CAST(MAX(updated_at) AS TEXT) FROM {_table(MeteringPoint)} "
        f"WHERE site_id IN ({_placeholders(sites)}) GROUP BY site_id"
    )
    params += sites
    parts.append(
        f"SELECT 'site', id, 1, CAST(updated_at AS TEXT) FROM {_table(Site)} WHERE id IN ({_placeholders(sites)})"
    )
    params += sites
    parts.append(
        f"SELECT 'product', id, 1, CAST(updated_at AS TEXT) FROM {_table(Product)} "
        f"WHERE id IN ({_placeholders(products)})"
    )
    params += products
    parts.append(
        f"SELECT 'organization', id, COUNT(*), CAST(MAX(history_id) AS TEXT) FROM {_history_table(Organization)} "
        f"WHERE id IN ({in_orgs}) GROUP BY id"
    )
    params += organizations
    electricity = sorted({s.electricity_factor_id for s in studies if s.electricity_factor_id is not None})
    parts.append(
        f"SELECT 'electricity', id, COUNT(*), CAST(MAX(history_id) AS TEXT) "
        f"FROM {_history_table(EmissionFactor)} WHERE id IN ({_placeholders(electricity)}) GROUP BY id"
    )
    params += electricity  # a static grid factor may come from another library dataset than the study's
    series = sorted({s.electricity_series_id for s in studies if s.electricity_series_id is not None})
    parts.append(
        f"SELECT 'series', id, COUNT(*), CAST(MAX(history_id) AS TEXT) "
        f"FROM {_history_table(ElectricityFactorSeries)} WHERE id IN ({_placeholders(series)}) GROUP BY id"
    )
    params += series
    parts.append(
        f"SELECT 'result', s.product_id, COUNT(*), CAST(MAX(r.id) AS TEXT) FROM {_table(FootprintResult)} r "
        f"JOIN {_table(Study)} s ON r.study_id = s.id WHERE s.product_id IN ({_placeholders(products)}) "
        f"GROUP BY s.product_id"
    )
    params += products
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [tuple(row) for row in cursor.fetchall()]


def study_input_marks(*, studies: Sequence[Study]) -> dict[int, str]:
    """The mark of each study, by study id: equal marks mean equal inputs (see the module docstring)."""
    studies = list(studies)
    if not studies:
        return {}
    found: dict[tuple[str, Any], str] = {}
    owners: dict[int, Any] = {}
    for part, key, count, latest in _mark_rows(studies):
        found[(part, key)] = f"{count}@{latest}"
        if part == "dataset":
            owners[key] = count  # the dataset's organization (None: the shared library)
    marks: dict[int, str] = {}
    for study in studies:
        used = sorted(
            pk for pk, owner in owners.items() if pk == study.factor_dataset_id or owner == study.organization_id
        )
        parts = [
            str(MARKS_VERSION),
            study.updated_at.isoformat(),
            study.status,
            *(found.get((part, study.pk), "0") for part in ("stage", "line", "fuel", "waste", "leg")),
            *(f"{found.get(('factor', pk), '0')}/{found.get(('dataset', pk), '0')}" for pk in used),
            found.get(("batch", study.organization_id), "0"),
            found.get(("point", study.site_id), "0"),
            found.get(("site", study.site_id), "0"),
            found.get(("result", study.product_id), "0"),
            found.get(("product", study.product_id), "0"),
            found.get(("organization", study.organization_id), "0"),
            found.get(("series", study.electricity_series_id), "0"),
            found.get(("electricity", study.electricity_factor_id), "0"),
        ]
        marks[study.pk] = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return marks
