"""Reads about computations: has anything a study's latest result was computed from changed since?

`studies_inputs_changed` answers that for a dashboard of studies in a constant number of queries. The
basis of a result is the moment its inputs were read: the start of the successful computation that
produced it (a computation that reused an older snapshot read the inputs anew), or, for a snapshot
stored without a computation (``manage.py compute_footprint``), the snapshot's creation.

A study's inputs changed when something the study document (apps.footprints.document.export) is built
from is, now, not what it was at the basis:

- the study row (only the fields the document holds: a status change is not an input), its product,
  site and organization (its time zone places the period);
- its stages (allocation shares), bill-of-materials lines, transport legs, fuel and waste entries,
  created, changed or deleted;
- the metering points of its site on its stages, and their readings in the period: a reading batch
  created after the basis with a reading still in the period, or readings removed (a service that
  deletes readings touches the point's ``updated_at``; the point's readings are then counted against
  the snapshot's);
- the emission factors it uses (a line's, a leg's, a fuel's, a waste's, the electricity factor, and the
  factor each line without one resolves to: a new supplier factor that would now win counts), their
  datasets, the electricity series.

Rows are compared as they were at the basis and as they are now, from the history tables: an edit undone
before the next computation, or a change of a field the document does not hold, is no change. Not seen:
the catalogue (reference data loaded by migrations), the points of an electricity series (they have no
history: a series is loaded with a new dataset version), and writes that bypass the services.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Model, OuterRef, Q, Subquery
from django.utils.dateparse import parse_datetime

from apps.accounts.models import Organization
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.footprints.document.canonical import period_bounds
from apps.footprints.enums import ComputationStatus
from apps.footprints.marks import study_input_marks
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.footprints.summary import summary_is_current
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.ledger.models import ElectricityReading, FuelEntry, MeteringPoint, ReadingBatch, WasteEntry

_CACHE_SECONDS = 24 * 3600
_CACHE_VERSION = 1

# part -> (model, the fields of its rows the study document is built from)
_WATCHED: dict[str, tuple[type[Model], tuple[str, ...]]] = {
    "study": (
        Study,
        ("organization", "product", "site", "name", "declared_unit", "declared_unit_amount", "period_start",
         "period_end", "units_produced", "system_boundary", "description", "factor_dataset", "electricity_factor",
         "electricity_series"),
    ),
    "product": (Product, ("model_code", "name", "description", "mass_kg")),
    "site": (Site, ("code", "name", "address", "grid_region")),
    "organization": (Organization, ("timezone",)),
    "stage": (StudyStage, ("study", "stage", "allocation_share", "allocation_note")),
    "line": (
        BomLine,
        ("study", "material", "name", "activity_unit", "quantity", "loss_rate", "factor", "data_source",
         "unit_mass_kg", "notes"),
    ),
    "leg": (TransportLeg, ("bom_line", "mode", "distance_km", "mass_kg", "factor", "data_source")),
    "fuel": (
        FuelEntry,
        ("study", "stage", "factor", "quantity", "unit", "allocation_share", "data_source", "description"),
    ),
    "waste": (WasteEntry, ("study", "factor", "quantity", "unit", "allocation_share", "data_source", "description")),
    "point": (MeteringPoint, ("site", "stage", "code", "name", "device_serial", "is_manual")),
    "factor": (
        EmissionFactor,
        ("dataset", "organization", "code", "category", "name_zh", "name_en", "value", "unit", "low", "high", "region",
         "year", "valid_from", "valid_to", "source", "notes", "material"),
    ),
    "dataset": (
        FactorDataset,
        ("organization", "name", "version", "publisher", "gwp_basis", "gwp_horizon_years", "is_illustrative",
         "description"),
    ),
    "series": (ElectricityFactorSeries, ("dataset", "code", "name", "region", "unit", "resolution_seconds", "source")),
}  # fmt: skip
_PER_STUDY = ("study", "stage", "line", "leg", "fuel", "waste")  # phase-one keys are study ids

State = dict[str, Any] | None  # a row's document fields (attnames), None when it does not exist


@dataclass
class _Study:
    pk: int
    organization_id: int
    product_id: int
    site_id: int
    dataset_id: int
    electricity_factor_id: int | None
    series_id: int | None
    basis: datetime
    window: tuple[datetime, datetime]
    result_id: int
    digest: str


@dataclass
class _Uses:
    """What the studies use now, by study id (read only when shared rows or readings changed)."""

    stages: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    factors: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    materials: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # of lines without a factor
    series_datasets: dict[int, int] = field(default_factory=dict)


Latest = tuple[int | None, str, int | None]  # (latest computation id, its status, latest result id)


def studies_inputs_changed(
    *,
    studies: Sequence[Study],
    marks: Mapping[int, str] | None = None,
    latest: Mapping[int, Latest] | None = None,
) -> dict[int, bool]:
    """By study id: True when an input of the study changed after its latest result was computed.

    A study without a result is False (there is nothing to be out of date). A constant number of queries
    however many studies: two when nothing changed, a few more per kind of row that did. The answer is
    cached under the study's input mark (apps.footprints.marks) and its latest computation and result;
    a caller that has read those (`marks`, `latest`, as a dashboard has) pays no query for a cached answer.
    """
    answer = {study.pk: False for study in studies}
    if latest is not None and all(study.pk in latest for study in studies):
        studies = [study for study in studies if latest[study.pk][2] is not None]
    if not studies:
        return answer
    if marks is None or any(study.pk not in marks for study in studies):
        marks = study_input_marks(studies=studies)
    keys: dict[int, str] = {}
    if latest is not None and all(study.pk in latest for study in studies):
        for study in studies:
            computation, status, result = latest[study.pk]
            keys[study.pk] = f"{study.pk}:{marks[study.pk]}:{computation}:{status}:{result}"
        found = None
    else:
        found = _studies_with_basis(studies)
        for f in found:
            keys[f.pk] = f"{f.pk}:{marks[f.pk]}:{f.result_id}:{f.basis.isoformat()}"
    keys = {pk: f"footprints:inputs-changed:{_CACHE_VERSION}:{key}" for pk, key in keys.items()}
    cached = cache.get_many(list(keys.values()))
    missing = set()
    for pk, key in keys.items():
        if isinstance(cached.get(key), bool):
            answer[pk] = cached[key]
        else:
            missing.add(pk)
    if missing:
        if found is None:
            found = _studies_with_basis([study for study in studies if study.pk in missing])
        fresh = _changed([f for f in found if f.pk in missing])
        answer.update(fresh)
        cache.set_many({keys[pk]: fresh.get(pk, False) for pk in missing}, _CACHE_SECONDS)
    return answer


def _changed(found: list[_Study]) -> dict[int, bool]:
    answer = {study.pk: False for study in found}
    changes = _Changes.read(found)
    for study in found:
        answer[study.pk] = changes.own_rows_changed(study)
    rest = [study for study in found if not answer[study.pk]]
    if rest and changes.touches_shared_rows():
        changes.read_uses(rest)
        for study in rest:
            answer[study.pk] = changes.shared_rows_changed(study)
        rest = [study for study in rest if not answer[study.pk]]
    if rest:
        for pk in changes.readings_changed(rest):
            answer[pk] = True
    return answer


# --- the basis of each study's latest result ------------------------------------------------------------------------


def _studies_with_basis(studies: Sequence[Study]) -> list[_Study]:
    """The latest result is the one the latest successful computation produced, else the newest snapshot
    (the rule of apps.web.selectors): one query for all studies."""
    by_pk = {study.pk: study for study in studies}
    if not by_pk:
        return []
    succeeded = FootprintComputation.objects.filter(
        study=OuterRef("pk"), status=ComputationStatus.SUCCEEDED, result__isnull=False
    ).order_by("-created_at", "-id")
    newest = FootprintResult.objects.filter(study=OuterRef("pk")).order_by("-created_at", "-id")
    rows = (
        Study.objects.filter(pk__in=by_pk)
        .order_by()
        .annotate(
            c_result=Subquery(succeeded.values("result_id")[:1]),
            c_digest=Subquery(succeeded.values("result__digest")[:1]),
            c_started=Subquery(succeeded.values("started_at")[:1]),
            c_created=Subquery(succeeded.values("created_at")[:1]),
            r_id=Subquery(newest.values("id")[:1]),
            r_digest=Subquery(newest.values("digest")[:1]),
            r_created=Subquery(newest.values("created_at")[:1]),
        )
        .values_list(
            "pk", "organization__timezone", "c_result", "c_digest", "c_started", "c_created", "r_id", "r_digest",
            "r_created",
        )
    )  # fmt: skip
    found = []
    for pk, zone, c_result, c_digest, c_started, c_created, r_id, r_digest, r_created in rows:
        if c_result is not None:
            result_id, digest, basis = c_result, c_digest, c_started or c_created
        elif r_id is not None:
            result_id, digest, basis = r_id, r_digest, r_created
        else:
            continue
        study = by_pk[pk]
        found.append(
            _Study(
                pk=pk,
                organization_id=study.organization_id,
                product_id=study.product_id,
                site_id=study.site_id,
                dataset_id=study.factor_dataset_id,
                electricity_factor_id=study.electricity_factor_id,
                series_id=study.electricity_series_id,
                basis=_aware(basis),
                window=period_bounds(study.period_start, study.period_end, zone),
                result_id=result_id,
                digest=digest,
            )
        )
    return found


# --- what changed -----------------------------------------------------------------------------------------------------


@functools.cache
def _history(model: type[Model]) -> Any:
    """The history model (simple_history builds a new manager class on every `Model.history` read)."""
    return cast(Any, model).history.model


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], name: str) -> str:
    column = cast(Any, model._meta.get_field(name)).column
    return connection.ops.quote_name(column)


def _ids(values: Iterable[int | None]) -> str:
    """Integers for an IN list (never user text): "NULL" for none, which matches nothing."""
    numbers = sorted({int(value) for value in values if value is not None})
    return ", ".join(str(number) for number in numbers) if numbers else "NULL"


def _when(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _aware(value: Any) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _after(column: str, moment: str, bases: Mapping[int, datetime], params: list[Any]) -> str:
    """SQL: the row's key is one of ``bases`` and its ``moment`` is later than that key's basis."""
    if not bases:
        return "1 = 0"
    whens = " ".join(f"WHEN {int(key)} THEN %s" for key in sorted(bases))
    params += [_when(bases[key]) for key in sorted(bases)]
    return f"{column} IN ({_ids(bases)}) AND {moment} > CASE {column} {whens} END"


def _earliest(studies: Iterable[_Study], key: str) -> dict[int, datetime]:
    bases: dict[int, datetime] = {}
    for study in studies:
        value = getattr(study, key)
        if value is not None:
            bases[value] = min(bases.get(value, study.basis), study.basis)
    return bases


def _state_at(rows: list[tuple[Any, ...]], names: Sequence[str], moment: datetime | None) -> State:
    """The row as it stood at ``moment`` (None: now), from its history rows in order."""
    state: State = None
    for row in rows:
        if moment is not None and _aware(row[1]) > moment:
            break
        state = None if row[2] == "-" else dict(zip(names, row[3:], strict=True))
    return state


class _Changes:
    def __init__(self, studies: list[_Study]) -> None:
        self.studies = studies
        self.hits: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))  # part -> key -> row ids
        self.batches: list[tuple[int, int, datetime]] = []  # id, organization, created
        self.touched: list[tuple[int, int, datetime]] = []  # point, site, updated
        self.marks: dict[int, str] = {}  # organization -> its batches' count and newest creation
        self.histories: dict[str, dict[int, list[tuple[Any, ...]]]] = {}
        self.names: dict[str, list[str]] = {}
        self.uses = _Uses()
        self.factors: dict[int, dict[str, Any]] = {}  # current rows of used and candidate factors

    @classmethod
    def read(cls, studies: list[_Study]) -> _Changes:
        changes = cls(studies)
        changes._read_after_basis()
        changes._read_histories()
        return changes

    def _read_after_basis(self) -> None:
        """One UNION query: the history rows written after the basis of a study they may concern, the
        reading batches created and the metering points touched after it."""
        studies = self.studies
        ids = _ids(s.pk for s in studies)
        by_study = {s.pk: s.basis for s in studies}
        first = min(s.basis for s in studies)
        sites, organizations = _earliest(studies, "site_id"), _earliest(studies, "organization_id")
        params: list[Any] = []
        parts: list[str] = []

        def part(name: str, model: type[Model], key: str, condition: str, join: str = "") -> None:
            table = _table(_history(model))
            parts.append(f"SELECT '{name}', h.id, {key}, h.history_date FROM {table} h {join} WHERE {condition}")  # noqa: S608

        part("study", Study, "h.id", _after("h.id", "h.history_date", by_study, params))
        for name, key in (("product", "product_id"), ("site", "site_id"), ("organization", "organization_id")):
            bases = _earliest(studies, key)
            part(name, _WATCHED[name][0], "h.id", _after("h.id", "h.history_date", bases, params))
        for name in ("stage", "line", "fuel", "waste"):
            model = _WATCHED[name][0]
            column = f"h.{_column(_history(model), 'study')}"
            part(name, model, column, _after(column, "h.history_date", by_study, params))
        line, leg = _table(BomLine), _history(TransportLeg)
        part(
            "leg", TransportLeg, "b.study_id", _after("b.study_id", "h.history_date", by_study, params),
            join=f"JOIN {line} b ON b.id = h.{_column(leg, 'bom_line')}",
        )  # fmt: skip
        point = _table(_history(MeteringPoint))
        params.append(_when(first))
        part(
            "point", MeteringPoint, "0",
            f"h.id IN (SELECT x.id FROM {point} x WHERE x.site_id IN ({_ids(sites)})) AND h.history_date > %s",  # noqa: S608
        )  # fmt: skip

        explicit = (
            f"SELECT factor_id FROM {line} WHERE study_id IN ({ids}) AND factor_id IS NOT NULL "  # noqa: S608
            f"UNION SELECT g.factor_id FROM {_table(TransportLeg)} g JOIN {line} b ON b.id = g.bom_line_id "
            f"WHERE b.study_id IN ({ids}) "
            f"UNION SELECT factor_id FROM {_table(FuelEntry)} WHERE study_id IN ({ids}) "
            f"UNION SELECT factor_id FROM {_table(WasteEntry)} WHERE study_id IN ({ids}) "
            f"UNION SELECT electricity_factor_id FROM {_table(Study)} WHERE id IN ({ids})"
        )
        materials = f"SELECT material_id FROM {line} WHERE study_id IN ({ids}) AND factor_id IS NULL"  # noqa: S608
        datasets = _ids(s.dataset_id for s in studies)
        factor = _table(_history(EmissionFactor))
        params.append(_when(first))
        part(
            "factor", EmissionFactor, "0",
            f"h.id IN (SELECT x.id FROM {factor} x WHERE x.id IN ({explicit}) OR (x.material_id IN ({materials}) "  # noqa: S608
            f"AND (x.dataset_id IN ({datasets}) OR x.organization_id IN ({_ids(organizations)})))) "
            "AND h.history_date > %s",
        )  # fmt: skip
        params.append(_when(first))
        part(
            "dataset", FactorDataset, "0",
            f"(h.id IN ({datasets}) OR h.organization_id IN ({_ids(organizations)}) "  # noqa: S608
            f"OR h.id IN (SELECT dataset_id FROM {_table(EmissionFactor)} WHERE id IN ({explicit})) "
            f"OR h.id IN (SELECT dataset_id FROM {_table(ElectricityFactorSeries)} "
            f"WHERE id IN ({_ids(s.series_id for s in studies)}))) AND h.history_date > %s",
        )  # fmt: skip
        params.append(_when(first))
        series = _ids(s.series_id for s in studies)
        part("series", ElectricityFactorSeries, "0", f"h.id IN ({series}) AND h.history_date > %s")
        batch = _table(ReadingBatch)
        parts.append(
            f"SELECT 'batch', id, organization_id, created_at FROM {batch} "  # noqa: S608
            f"WHERE {_after('organization_id', 'created_at', organizations, params)}"
        )
        parts.append(
            f"SELECT 'mark', organization_id, COUNT(*), MAX(created_at) FROM {batch} "  # noqa: S608
            f"WHERE organization_id IN ({_ids(organizations)}) GROUP BY organization_id"
        )
        parts.append(
            f"SELECT 'touched', id, site_id, updated_at FROM {_table(MeteringPoint)} "  # noqa: S608
            f"WHERE {_after('site_id', 'updated_at', sites, params)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            rows = cursor.fetchall()
        for name, row_id, key, moment in rows:
            if name == "batch":
                self.batches.append((row_id, key, _aware(moment)))
            elif name == "touched":
                self.touched.append((row_id, key, _aware(moment)))
            elif name == "mark":
                self.marks[row_id] = f"{key}@{_aware(moment).timestamp():.6f}"
            else:
                self.hits[name][key].add(row_id)

    def _read_histories(self) -> None:
        """The whole history of every row written after a basis: one query per kind of row that has one."""
        for name, by_key in self.hits.items():
            ids = {row_id for row_ids in by_key.values() for row_id in row_ids}
            model, fields = _WATCHED[name]
            history = _history(model)
            names = [history._meta.get_field(f).attname for f in fields]
            self.names[name] = names
            rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
            for row in (
                history.objects.filter(id__in=ids)
                .order_by("id", "history_date", "history_id")
                .values_list("id", "history_date", "history_type", *names)
            ):
                rows[row[0]].append(row)
            self.histories[name] = rows

    def state(self, name: str, row_id: int | None, moment: datetime | None) -> State:
        return _state_at(self.histories.get(name, {}).get(cast(int, row_id), []), self.names.get(name, []), moment)

    def moved(self, name: str, row_id: int | None, study: _Study) -> bool:
        """The row differs between the study's basis and now (a row without later history never does)."""
        if row_id is None or row_id not in self.histories.get(name, {}):
            return False
        return self.state(name, row_id, study.basis) != self.state(name, row_id, None)

    def own_rows_changed(self, study: _Study) -> bool:
        """The study row, its product, site, organization, stages, lines, legs, fuels and wastes."""
        for name in _PER_STUDY:
            if any(self.moved(name, row_id, study) for row_id in self.hits.get(name, {}).get(study.pk, ())):
                return True
        return (
            self.moved("product", study.product_id, study)
            or self.moved("site", study.site_id, study)
            or self.moved("organization", study.organization_id, study)
        )

    def touches_shared_rows(self) -> bool:
        return any(self.histories.get(name) for name in ("point", "factor", "dataset", "series")) or bool(
            self.batches or self.touched
        )

    # --- rows shared between studies: metering points, factors, datasets, series -------------------------------------

    def read_uses(self, studies: list[_Study]) -> None:
        """What these studies use now: one UNION query, plus the current factors if factors changed."""
        ids = _ids(s.pk for s in studies)
        line = _table(BomLine)
        sql = (
            f"SELECT 'stage', study_id, stage_id, 0 FROM {_table(StudyStage)} WHERE study_id IN ({ids}) "  # noqa: S608
            f"UNION ALL SELECT 'line', study_id, COALESCE(factor_id, 0), COALESCE(material_id, 0) FROM {line} "
            f"WHERE study_id IN ({ids}) "
            f"UNION ALL SELECT 'leg', b.study_id, g.factor_id, 0 FROM {_table(TransportLeg)} g "
            f"JOIN {line} b ON b.id = g.bom_line_id WHERE b.study_id IN ({ids}) "
            f"UNION ALL SELECT 'fuel', study_id, factor_id, 0 FROM {_table(FuelEntry)} WHERE study_id IN ({ids}) "
            f"UNION ALL SELECT 'waste', study_id, factor_id, 0 FROM {_table(WasteEntry)} WHERE study_id IN ({ids}) "
            f"UNION ALL SELECT 'series', s.id, x.dataset_id, 0 FROM {_table(Study)} s "
            f"JOIN {_table(ElectricityFactorSeries)} x ON x.id = s.electricity_series_id WHERE s.id IN ({ids})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        uses = self.uses
        for name, study_id, first, second in rows:
            if name == "stage":
                uses.stages[study_id].add(first)
            elif name == "series":
                uses.series_datasets[study_id] = first
            elif name == "line" and not first:
                if second:
                    uses.materials[study_id].add(second)
            else:
                uses.factors[study_id].add(first)
        for study in studies:
            if study.electricity_factor_id is not None:
                uses.factors[study.pk].add(study.electricity_factor_id)
        if self.histories.get("factor") or self.histories.get("dataset"):
            libraries = Q(dataset_id__in={s.dataset_id for s in studies})
            owned = Q(organization_id__in={s.organization_id for s in studies})
            wanted = Q(pk__in={f for s in studies for f in uses.factors[s.pk]}) | (
                Q(material_id__in={m for s in studies for m in uses.materials[s.pk]}) & (libraries | owned)
            )
            self.factors = {
                row["id"]: dict(row)
                for row in EmissionFactor.objects.filter(wanted)
                .order_by()
                .values("id", "material_id", "dataset_id", "organization_id", "code")
            }

    def shared_rows_changed(self, study: _Study) -> bool:
        stages = self.uses.stages[study.pk]
        for row_id in self.histories.get("point", {}):
            states = (self.state("point", row_id, study.basis), self.state("point", row_id, None))
            ours = any(s is not None and s["site_id"] == study.site_id and s["stage_id"] in stages for s in states)
            if ours and states[0] != states[1]:
                return True
        if self.moved("series", study.series_id, study):
            return True
        used = set(self.uses.factors[study.pk])
        if self.histories.get("factor") or self.histories.get("dataset"):
            at_basis, now = self._resolution(study, study.basis), self._resolution(study, None)
            if at_basis != now:
                return True
            used |= set(now.values())
            if any(self.moved("factor", factor_id, study) for factor_id in used):
                return True
            datasets = {study.dataset_id, self.uses.series_datasets.get(study.pk)}
            datasets |= {self.factors[f]["dataset_id"] for f in used if f in self.factors}
            if any(self.moved("dataset", dataset_id, study) for dataset_id in datasets):
                return True
        return False

    def _resolution(self, study: _Study, moment: datetime | None) -> dict[int, int]:
        """The factor each line without one resolved to at ``moment`` (None: now), as
        apps.factors.selectors.factors_for_materials resolves it: the supplier's own factor (newest dataset,
        then lowest code) before the study's library dataset's."""
        materials = self.uses.materials[study.pk]
        if not materials:
            return {}
        histories = self.histories.get("factor", {})
        rows = {pk: row for pk, row in self.factors.items() if pk not in histories}
        for factor_id in histories:
            state = self.state("factor", factor_id, moment)
            if state is not None:
                rows[factor_id] = {"id": factor_id, **state}
        own: dict[int, int] = {}
        library: dict[int, int] = {}
        for row in sorted(rows.values(), key=lambda r: (-r["dataset_id"], r["code"])):
            if row["material_id"] not in materials:
                continue
            if row["dataset_id"] == study.dataset_id:
                library.setdefault(row["material_id"], row["id"])
            elif row["organization_id"] == study.organization_id:
                own.setdefault(row["material_id"], row["id"])
        return {material: own.get(material) or library[material] for material in own.keys() | library.keys()}

    # --- readings -----------------------------------------------------------------------------------------------------

    def readings_changed(self, studies: list[_Study]) -> set[int]:
        """Studies with a reading batch created after the basis that left a reading in the period on one of
        their points, or whose touched points now hold other readings than the snapshot counted."""
        concerned: dict[int, tuple[bool, bool]] = {}  # study -> (a newer batch of its organization, a touched point)
        for study in studies:
            newer = any(org == study.organization_id and at > study.basis for _b, org, at in self.batches)
            touched = any(site == study.site_id and at > study.basis for _p, site, at in self.touched)
            if newer or touched:
                concerned[study.pk] = (newer, touched)
        if not concerned:
            return set()
        wanted = [s for s in studies if s.pk in concerned]
        points: dict[int, list[tuple[int, int, str, datetime]]] = defaultdict(
            list
        )  # site -> (id, stage, code, updated)
        for pk, site_id, stage_id, code, updated in (
            MeteringPoint.objects.filter(site_id__in={s.site_id for s in wanted})
            .order_by("id")
            .values_list("id", "site_id", "stage_id", "code", "updated_at")
        ):
            points[site_id].append((pk, stage_id, code, updated))
        ours = {s.pk: [p for p in points[s.site_id] if p[1] in self.uses.stages[s.pk]] for s in wanted}
        windows = _window_readings({(p[0], s.window): self._reading_key(s, p) for s in wanted for p in ours[s.pk]})
        changed: set[int] = set()
        recount: list[_Study] = []
        for study in wanted:
            newer, touched = concerned[study.pk]
            found = [windows[(p[0], study.window)] for p in ours[study.pk]]
            if any(latest is not None and latest > study.basis for _n, latest in found):
                changed.add(study.pk)
            elif touched and any(p[3] > study.basis for p in ours[study.pk]):
                recount.append(study)
        if recount:
            counted = _snapshot_reading_counts({s.result_id: s.digest for s in recount})
            for study in recount:
                snapshot = counted.get(study.result_id, {})
                if any(windows[(p[0], study.window)][0] != snapshot.get(p[2], 0) for p in ours[study.pk]):
                    changed.add(study.pk)
        return changed

    def _reading_key(self, study: _Study, point: tuple[int, int, str, datetime]) -> str:
        start, end = study.window
        return (
            f"footprints:inputs-readings:{_CACHE_VERSION}:{point[0]}:{start.timestamp():.0f}:{end.timestamp():.0f}:"
            f"{self.marks.get(study.organization_id, '0')}:{point[3].timestamp():.6f}"
        )


Window = tuple[datetime, datetime]


def _window_readings(keys: Mapping[tuple[int, Window], str]) -> dict[tuple[int, Window], tuple[int, datetime | None]]:
    """Per (metering point, period): how many readings overlap it and when the newest batch among them
    was created. Cached under the organization's batches and the point's ``updated_at`` (see the key)."""
    cached = cache.get_many(list(keys.values())) if keys else {}
    found: dict[tuple[int, Window], tuple[int, datetime | None]] = {
        wanted: cached[key] for wanted, key in keys.items() if key in cached
    }
    missing = [wanted for wanted in keys if wanted not in found]
    if not missing:
        return found
    windows = sorted({window for _p, window in missing})
    point_ids = sorted({point for point, _w in missing})
    # Readings never overlap, so of those starting before a period only the last can reach into it: each
    # point's scan of the (metering_point, start) index starts there, not at the point's first reading.
    lows: dict[tuple[int, Window], datetime] = {}
    before = {
        f"low_{i}": Subquery(
            ElectricityReading.objects.filter(metering_point_id=OuterRef("pk"), start__lt=window[0])
            .order_by("-start")
            .values("start")[:1]
        )
        for i, window in enumerate(windows)
    }
    for row in MeteringPoint.objects.filter(pk__in=point_ids).order_by().annotate(**before).values("pk", *before):
        for i, window in enumerate(windows):
            lows[(row["pk"], window)] = row[f"low_{i}"] or window[0]
    condition = Q()
    for point, window in missing:
        condition |= Q(
            metering_point_id=point, start__gte=lows[(point, window)], start__lt=window[1], end__gt=window[0]
        )
    aggregates: dict[str, Any] = {}
    for i, (start, end) in enumerate(windows):
        overlapping = Q(start__lt=end, end__gt=start)
        aggregates[f"n_{i}"] = Count("pk", filter=overlapping)
        aggregates[f"latest_{i}"] = Max("batch__created_at", filter=overlapping)
    rows = {
        row["metering_point_id"]: row
        for row in ElectricityReading.objects.filter(condition)
        .order_by()
        .values("metering_point_id")
        .annotate(**aggregates)
    }
    fresh: dict[tuple[int, Window], tuple[int, datetime | None]] = {}
    for point, window in missing:
        row = rows.get(point)
        i = windows.index(window)
        latest = None if row is None or row[f"latest_{i}"] is None else _aware(row[f"latest_{i}"])
        fresh[(point, window)] = (0 if row is None else row[f"n_{i}"], latest)
    cache.set_many({keys[wanted]: value for wanted, value in fresh.items()}, _CACHE_SECONDS)
    found.update(fresh)
    return found


def _snapshot_reading_counts(digests: Mapping[int, str]) -> dict[int, dict[str, int]]:
    """Per result: how many readings of each metering point (by code) its canonical inputs hold. A snapshot
    never changes, so the count is cached under its digest; only the missing documents are read."""
    keys = {pk: f"footprints:snapshot-reading-counts:{_CACHE_VERSION}:{digest}" for pk, digest in digests.items()}
    cached = cache.get_many(list(keys.values()))
    counts = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [pk for pk in keys if pk not in counts]
    if missing:
        fresh: dict[int, dict[str, int]] = {}
        summaries = dict(FootprintResult.objects.filter(pk__in=missing).values_list("pk", "summary"))
        for pk, summary in summaries.items():  # the stored summary counts each run's readings
            if summary_is_current(summary):
                fresh[pk] = _reading_counts(summary.get("inputs") or {}, lambda run: int(run.get("readings") or 0))
        unsummarized = [pk for pk in missing if pk not in fresh]
        for pk, raw in FootprintResult.objects.filter(pk__in=unsummarized).values_list("pk", "canonical_inputs_gz"):
            document = json.loads(gzip.decompress(bytes(raw)))
            fresh[pk] = _reading_counts(document, lambda run: len(run["milliwatt_hours"]))
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, _CACHE_SECONDS)
        counts.update(fresh)
    return counts


def _reading_counts(document: Mapping[str, Any], count: Callable[[Mapping[str, Any]], int]) -> dict[str, int]:
    per_point: dict[str, int] = defaultdict(int)
    for stage in document.get("stages") or []:
        for point in stage.get("metering_points") or []:
            per_point[point["code"]] += sum(count(run) for run in point.get("runs", []))
    return dict(per_point)
