"""Reads from the energy ledger. `reading_runs_for_points` is on the footprint hot path.

Readings come back as runs: maximal sequences of back-to-back readings of one metering point
with the same length and source. A year of 15-minute data is one run of 35,040 integers instead
of 35,040 objects; a monthly manual total is a run of one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Max, Min, Model, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization
from apps.catalog.models import ProcessStage
from apps.factors.models import EmissionFactor
from apps.inventory.models import Site, Study
from apps.ledger.errors import MeteringPointNotFound
from apps.ledger.models import MILLIWATT_HOURS_PER_KWH, ElectricityReading, FuelEntry, MeteringPoint, WasteEntry


@dataclass(frozen=True)
class RunRow:
    """Reading i covers [start + i·step, start + (i+1)·step) and holds milliwatt_hours[i]."""

    start: datetime  # aware, UTC
    step_seconds: int
    source: int  # ReadingSource
    milliwatt_hours: list[int]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.step_seconds * len(self.milliwatt_hours))


@dataclass(frozen=True)
class ReadingTotal:
    milliwatt_hours: int
    readings: int
    first_start: datetime
    last_end: datetime


def metering_point_get(*, organization: Organization, point_id: int) -> MeteringPoint:
    point = MeteringPoint.objects.filter(organization=organization, pk=point_id).select_related("site", "stage").first()
    if point is None:
        raise MeteringPointNotFound(_("No such metering point in this organization."))
    return point


def metering_point_list(*, organization: Organization, site_id: int | None = None) -> list[MeteringPoint]:
    points = MeteringPoint.objects.filter(organization=organization).select_related("site", "stage")
    if site_id is not None:
        points = points.filter(site_id=site_id)
    return list(points)


def reading_runs_for_points(
    *, organization: Organization, point_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[RunRow]]:
    """Per metering point, the readings overlapping [start, end) (r.start < end and r.end > start) as runs.

    Every id of the organization's points in `point_ids` is a key (an empty list when it has no
    readings there); ids of other organizations' points are left out. Runs are whole readings:
    the first and last may reach outside [start, end), and clipping them is the caller's business.
    """
    _require_aware(start, end)
    ids = {int(i) for i in point_ids}
    own = sorted(MeteringPoint.objects.filter(organization=organization, pk__in=ids).values_list("pk", flat=True))
    if not own:
        return {}
    bounds, params = _bounds_sql(organization, own, start, end)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            runs = _runs_postgresql(cursor, bounds, params)
        else:
            runs = _runs_python(cursor, bounds, params)
    return {point_id: runs.get(point_id, []) for point_id in own}


def reading_totals_by_point(
    *, organization: Organization, point_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, ReadingTotal]:
    """Exact mWh sums of the readings lying wholly inside [start, end) (one SQL SUM per point).

    Readings straddling an edge are left out: a total shown in the UI counts whole readings.
    """
    _require_aware(start, end)
    rows = (
        ElectricityReading.objects.filter(
            organization=organization, metering_point_id__in=list(point_ids), start__gte=start, end__lte=end
        )
        .order_by()
        .values("metering_point_id")
        .annotate(mwh=Sum("milliwatt_hours"), n=Count("id"), first=Min("start"), last=Max("end"))
    )
    return {
        row["metering_point_id"]: ReadingTotal(
            milliwatt_hours=row["mwh"], readings=row["n"], first_start=row["first"], last_end=row["last"]
        )
        for row in rows
    }


def _bounds_sql(organization: Organization, ids: list[int], start: datetime, end: datetime) -> tuple[str, dict]:
    """The CTE `bounds`: the organization's requested points, each with where its scan starts (`low`).

    A plain `end > start` filter cannot use the (metering_point, start) index and would scan a
    point's whole history before the window. Readings never overlap, so only the last reading
    starting before the window can reach into it: per point, the scan starts there (`low`).
    """
    reading, point = _table(ElectricityReading), _table(MeteringPoint)
    id_list = ", ".join(str(int(i)) for i in ids)
    sql = f"""
        bounds AS (
            SELECT p.id AS point_id, COALESCE(
                (SELECT MAX(x.start) FROM {reading} x WHERE x.metering_point_id = p.id AND x.start < %(start)s),
                %(start)s
            ) AS low
            FROM {point} p WHERE p.organization_id = %(org)s AND p.id IN ({id_list})
        )"""  # noqa: S608 - table names from model metadata, ids are integers, values are parameters
    adapt = connection.ops.adapt_datetimefield_value
    return sql, {"start": adapt(start), "end": adapt(end), "org": organization.pk}


_READINGS_OF = """{reading} r WHERE r.metering_point_id = {b}.point_id AND r.start >= {b}.low AND r.start < %(end)s
    AND r."end" > %(start)s AND r.organization_id = %(org)s"""


def _runs_postgresql(cursor: CursorWrapper, bounds: str, params: dict) -> dict[int, list[RunRow]]:
    """Two passes, both per point along the (metering_point, start) index.

    `stats` reads every point's readings once with order-free aggregates. A point whose readings
    all have one length and one source and exactly fill [first start, last end) is one run (the
    usual year of 15-minute meter data): its energies are that pass's string, aggregated from the
    start-ordered subquery. Only the other points go through gaps and islands: within one
    (source, length), back-to-back readings share epoch(start) - length * row_number().
    """
    readings = _READINGS_OF.format(reading=_table(ElectricityReading), b="{b}")
    cursor.execute(
        f"""
        WITH {bounds},
        stats AS MATERIALIZED (
            SELECT b.point_id, b.low, q.*, q.min_len = q.max_len AND q.min_source = q.max_source
                   AND date_part('epoch', q.last) - date_part('epoch', q.first) = date_part('epoch', q.min_len) * q.n
                   AS whole
            FROM bounds b CROSS JOIN LATERAL (
                SELECT count(*) AS n, min(o.start) AS first, max(o."end") AS last, min(o.len) AS min_len,
                       max(o.len) AS max_len, min(o.source) AS min_source, max(o.source) AS max_source,
                       string_agg(o.e::text, ',') AS energies
                FROM (
                    SELECT r.start, r."end", r."end" - r.start AS len, r.source, r.milliwatt_hours AS e
                    FROM {readings.format(b="b")} ORDER BY r.start
                ) o
            ) q
            WHERE q.n > 0
        ),
        islands AS (
            SELECT st.point_id, i.first, i.len, i.source, i.energies
            FROM stats st CROSS JOIN LATERAL (
                SELECT min(z.start) AS first, z.len, z.source, string_agg(z.e::text, ',' ORDER BY z.start) AS energies
                FROM (
                    SELECT y.start, y.len, y.source, y.e, date_part('epoch', y.start)::bigint
                           - date_part('epoch', y.len)::bigint
                           * row_number() OVER (PARTITION BY y.source, y.len ORDER BY y.start) AS island
                    FROM (
                        SELECT r.start, r."end" - r.start AS len, r.source, r.milliwatt_hours AS e
                        FROM {readings.format(b="st")}
                    ) y
                ) z
                GROUP BY z.island, z.len, z.source
            ) i
            WHERE NOT st.whole
        ),
        runs AS (
            SELECT point_id, first, min_len AS len, min_source AS source, energies FROM stats WHERE whole
            UNION ALL
            SELECT point_id, first, len, source, energies FROM islands
        )
        SELECT point_id, date_part('epoch', first)::bigint, date_part('epoch', len)::bigint, source, energies
        FROM runs
        """,  # noqa: S608 - ordered in Python: sorting rows this wide in SQL would spill to disk
        params,
    )
    runs: dict[int, list[RunRow]] = {}
    for point_id, first, step, source, energies in sorted(cursor.fetchall(), key=lambda row: row[:2]):
        run = RunRow(datetime.fromtimestamp(first, UTC), step, source, json.loads(f"[{energies}]"))
        runs.setdefault(point_id, []).append(run)
    return runs


def _runs_python(cursor: CursorWrapper, bounds: str, params: dict) -> dict[int, list[RunRow]]:
    """The same runs built in Python from start-ordered rows (SQLite; small data)."""
    epoch = _epoch_sql()
    readings = _READINGS_OF.format(reading=_table(ElectricityReading), b="b")
    cursor.execute(
        f"""
        WITH {bounds}
        SELECT r.metering_point_id, {epoch.format("r.start")}, {epoch.format('r."end"')}, r.milliwatt_hours, r.source
        FROM bounds b, {readings}
        ORDER BY b.point_id, r.start
        """,  # noqa: S608
        params,
    )
    runs: dict[int, list[RunRow]] = {}
    current: list[int] = []
    key = None  # (point, source, step) of the current run
    run_end = None
    for point_id, s, e, mwh, source in cursor.fetchall():
        step = e - s
        if key == (point_id, source, step) and s == run_end:
            current.append(mwh)
        else:
            current = [mwh]
            key = (point_id, source, step)
            runs.setdefault(point_id, []).append(RunRow(datetime.fromtimestamp(s, UTC), step, source, current))
        run_end = e
    return runs


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value!r} has no time zone")


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# --- Coverage of a study's period per stage (the stages page, completeness checks) ---------------


class ElectricitySource(StrEnum):
    """Where a stage's electricity in the period comes from, by the kind of its metering points."""

    METERED = "metered"  # readings of meters (or imports) only
    MANUAL = "manual"  # values entered by hand on the stages page only
    MIXED = "mixed"  # both: double counting is likely
    NONE = "none"  # no reading in the period


@dataclass(frozen=True)
class PointCoverage:
    """One metering point of a stage over the study period."""

    point_id: int
    code: str
    name: str
    is_manual: bool
    readings: int  # readings overlapping the period
    kwh: Decimal  # in-period energy (a reading across an edge counts by the share of its time inside)
    covered_seconds: int
    period_seconds: int
    gaps: list[tuple[datetime, datetime]]  # in the organization's time zone, in order

    @property
    def share(self) -> Decimal:
        return Decimal(self.covered_seconds) / Decimal(self.period_seconds) if self.period_seconds > 0 else Decimal(0)


@dataclass(frozen=True)
class StageCoverage:
    """A stage's electricity over the study period [period_start 00:00, period_end + 1 00:00) local time.

    ``covered_seconds`` counts the time at least one of the stage's metering points has a reading
    for; ``gaps`` are the ranges no point covers (the whole period for a stage without readings).
    Each point's own coverage and gaps are in ``points``.
    """

    stage_id: int
    points: list[PointCoverage]
    kwh: Decimal
    covered_seconds: int
    period_seconds: int
    gaps: list[tuple[datetime, datetime]]
    source: ElectricitySource

    @property
    def share(self) -> Decimal:
        """Covered share of the period, 0 to 1 (exact to 28 digits)."""
        if self.period_seconds <= 0:
            return Decimal(0)
        return Decimal(self.covered_seconds) / Decimal(self.period_seconds)

    @property
    def is_complete(self) -> bool:
        return self.period_seconds > 0 and self.covered_seconds == self.period_seconds

    @property
    def has_manual(self) -> bool:
        return any(point.is_manual for point in self.points)


def study_period_bounds(*, study: Study) -> tuple[datetime, datetime]:
    """[period_start 00:00, period_end + 1 day 00:00) in the organization's time zone, as UTC instants."""
    zone = organization_zone(study.organization)
    first = datetime.combine(study.period_start, time(0), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(study.period_end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return first, after


def organization_zone(organization: Organization) -> tzinfo:
    try:
        return ZoneInfo(organization.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def stage_coverage_for_study(*, study: Study) -> dict[int, StageCoverage]:
    """Per catalogue stage (all 26, keyed by ProcessStage id): the study period's electricity at its site.

    Three queries however many readings there are: the stages, the site's metering points, and one
    statement that returns per point its aggregate, its gaps between readings (a window over the
    point's readings in start order) and the at most two readings that cross the period's edges.
    """
    start, end = study_period_bounds(study=study)
    zone = organization_zone(study.organization)
    stage_ids = list(ProcessStage.objects.order_by("no").values_list("pk", flat=True))
    points = list(
        MeteringPoint.objects.filter(organization_id=study.organization_id, site_id=study.site_id)
        .order_by("is_manual", "code")
        .values_list("pk", "stage_id", "code", "name", "is_manual")
    )
    stats = _point_statistics(study.organization, [row[0] for row in points], start, end) if points else {}
    p0, p1 = int(start.timestamp()), int(end.timestamp())
    period = p1 - p0

    def local(moment: int) -> datetime:
        return datetime.fromtimestamp(moment, UTC).astimezone(zone)

    by_stage: dict[int, list[tuple[PointCoverage, list[tuple[int, int]]]]] = {pk: [] for pk in stage_ids}
    for point_id, stage_id, code, name, is_manual in points:
        stat = stats.get(point_id)
        gaps = stat.gaps(p0, p1) if stat else [(p0, p1)]
        coverage = PointCoverage(
            point_id=point_id,
            code=code,
            name=name,
            is_manual=is_manual,
            readings=stat.count if stat else 0,
            kwh=_fraction_to_decimal(stat.kwh(p0, p1)) if stat else Decimal(0),
            covered_seconds=period - sum(b - a for a, b in gaps),
            period_seconds=period,
            gaps=[(local(a), local(b)) for a, b in gaps],
        )
        by_stage.setdefault(stage_id, []).append((coverage, gaps))

    result: dict[int, StageCoverage] = {}
    for stage_id, entries in by_stage.items():
        stage_gaps = [(p0, p1)]
        for _point, gaps in entries:
            stage_gaps = _intersect(stage_gaps, gaps)
        kinds = {point.is_manual for point, _gaps in entries if point.readings}
        source = (
            ElectricitySource.NONE
            if not kinds
            else ElectricitySource.MIXED
            if len(kinds) == 2
            else ElectricitySource.MANUAL
            if True in kinds
            else ElectricitySource.METERED
        )
        result[stage_id] = StageCoverage(
            stage_id=stage_id,
            points=[point for point, _gaps in entries],
            kwh=sum((point.kwh for point, _gaps in entries), Decimal(0)),
            covered_seconds=period - sum(b - a for a, b in stage_gaps),
            period_seconds=period,
            gaps=[(local(a), local(b)) for a, b in stage_gaps],
            source=source,
        )
    return result


@dataclass
class _PointStatistics:
    """A point's readings overlapping [p0, p1), as epoch seconds."""

    count: int = 0
    first_start: int = 0
    last_end: int = 0
    inside_mwh: int = 0  # readings wholly inside the period
    between: list[tuple[int, int]] = field(default_factory=list)  # gaps between consecutive readings
    edges: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, mWh) across an edge

    def gaps(self, p0: int, p1: int) -> list[tuple[int, int]]:
        found = sorted(self.between)
        if self.first_start > p0:
            found.insert(0, (p0, min(self.first_start, p1)))
        if self.last_end < p1:
            found.append((max(self.last_end, p0), p1))
        return found

    def kwh(self, p0: int, p1: int) -> Fraction:
        mwh = Fraction(self.inside_mwh)
        for s, e, m in self.edges:
            inside = min(e, p1) - max(s, p0)
            if inside > 0:
                mwh += Fraction(m * inside, e - s)
        return mwh / MILLIWATT_HOURS_PER_KWH


def _point_statistics(
    organization: Organization, point_ids: list[int], start: datetime, end: datetime
) -> dict[int, _PointStatistics]:
    """Per point: count, first start, last end, the energy of the readings wholly inside the period,
    the gaps between consecutive readings and the readings across the period's edges. One statement."""
    bounds, params = _bounds_sql(organization, point_ids, start, end)
    sql = _statistics_postgresql(bounds) if connection.vendor == "postgresql" else _statistics_portable(bounds)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    p0, p1 = int(start.timestamp()), int(end.timestamp())
    stats: dict[int, _PointStatistics] = {}
    edges: dict[int, dict[int, tuple[int, int, int]]] = {}
    for kind, point_id, a, b, c, d in rows:
        stat = stats.setdefault(point_id, _PointStatistics())
        if kind == "a":
            stat.count, stat.first_start, stat.last_end, stat.inside_mwh = int(a), int(b), int(c), int(d or 0)
            continue
        previous_end, s, e, m = (None if a is None else int(a)), int(b), int(c), int(d)
        if previous_end is not None and previous_end < s:
            stat.between.append((previous_end, s))
        if s < p0 or e > p1:
            edges.setdefault(point_id, {})[s] = (s, e, m)  # one reading may cross both edges
    for point_id, found in edges.items():
        stats[point_id].edges = sorted(found.values())
    return stats


_INSIDE = 'CASE WHEN r.start >= %(start)s AND r."end" <= %(end)s THEN r.milliwatt_hours ELSE 0 END'


def _statistics_postgresql(bounds: str) -> str:
    """Aggregates per point along the index; a point whose readings add up to exactly the span from
    its first start to its last end has no gap inside (readings never overlap) and skips the LAG
    pass, so a gap-free year of quarter-hours costs one aggregate scan. The readings across the
    period's edges are the first and the last, found by two index lookups."""
    reading = _table(ElectricityReading)
    readings = _READINGS_OF.format(reading=reading, b="b")
    return f"""
        WITH {bounds},
        stats AS MATERIALIZED (
            SELECT b.point_id, b.low, q.* FROM bounds b CROSS JOIN LATERAL (
                SELECT COUNT(*) AS n, MIN(r.start) AS first, MAX(r.start) AS last_start, MAX(r."end") AS last,
                       SUM({_INSIDE}) AS inside, date_part('epoch', SUM(r."end" - r.start)) AS covered
                FROM {readings}
            ) q
            WHERE q.n > 0
        )
        SELECT 'a', point_id, n, date_part('epoch', first)::bigint, date_part('epoch', last)::bigint, inside FROM stats
        UNION ALL
        SELECT 'r', st.point_id, date_part('epoch', w.previous_end)::bigint, date_part('epoch', w.start)::bigint,
               date_part('epoch', w."end")::bigint, w.m
        FROM stats st CROSS JOIN LATERAL (
            SELECT r.start, r."end", r.milliwatt_hours AS m, LAG(r."end") OVER (ORDER BY r.start) AS previous_end
            FROM {_READINGS_OF.format(reading=reading, b="st")}
        ) w
        WHERE st.covered <> date_part('epoch', st.last) - date_part('epoch', st.first) AND w.previous_end < w.start
        UNION ALL
        SELECT 'r', st.point_id, NULL, date_part('epoch', x.start)::bigint, date_part('epoch', x."end")::bigint,
               x.milliwatt_hours
        FROM stats st JOIN {reading} x ON x.metering_point_id = st.point_id
            AND ((st.first < %(start)s AND x.start = st.first) OR (st.last > %(end)s AND x.start = st.last_start))
    """  # noqa: S608 - table names from model metadata, ids are integers, values are parameters


def _statistics_portable(bounds: str) -> str:
    """The same rows in plain SQL with a window over all the readings (SQLite; small data)."""
    epoch = _epoch_sql()
    readings = _READINGS_OF.format(reading=_table(ElectricityReading), b="b")
    return f"""
        WITH {bounds}
        SELECT 'a', b.point_id, COUNT(*), {epoch.format("MIN(r.start)")}, {epoch.format('MAX(r."end")')},
               SUM({_INSIDE})
        FROM bounds b, {readings}
        GROUP BY b.point_id
        UNION ALL
        SELECT 'r', n.point_id, {epoch.format("n.previous_end")}, {epoch.format("n.start")},
               {epoch.format('n."end"')}, n.m
        FROM (
            SELECT b.point_id, LAG(r."end") OVER (PARTITION BY b.point_id ORDER BY r.start) AS previous_end,
                   r.start, r."end", r.milliwatt_hours AS m
            FROM bounds b, {readings}
        ) n
        WHERE n.previous_end < n.start OR n.start < %(start)s OR n."end" > %(end)s
    """  # noqa: S608 - table names from model metadata, ids are integers, values are parameters


def _intersect(left: list[tuple[int, int]], right: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ranges in both sorted lists of disjoint half-open ranges."""
    found: list[tuple[int, int]] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if a < b:
            found.append((a, b))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return found


def _fraction_to_decimal(value: Fraction) -> Decimal:
    """Exact when the denominator divides a power of ten (whole mWh always do), else to 28 digits."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def _epoch_sql() -> str:
    """Seconds since 1970 of a timestamp column, as an integer, on this database."""
    if connection.vendor == "postgresql":
        return "date_part('epoch', {})::bigint"
    if sqlite3.sqlite_version_info >= (3, 38):
        return "unixepoch({})"  # a third faster than strftime
    return "CAST(strftime('%%s', {}) AS INTEGER)"  # pragma: no cover - older SQLite libraries


def manual_point_for_stage(*, site: Site, stage: ProcessStage) -> MeteringPoint | None:
    return MeteringPoint.objects.filter(
        organization_id=site.organization_id, site=site, stage=stage, is_manual=True
    ).first()


def metered_readings_exist(*, site: Site, stage: ProcessStage, start: datetime, end: datetime) -> bool:
    """Whether a non-manual metering point of the site's stage has a reading overlapping [start, end)."""
    _require_aware(start, end)
    point_ids = list(
        MeteringPoint.objects.filter(
            organization_id=site.organization_id, site=site, stage=stage, is_manual=False
        ).values_list("pk", flat=True)
    )
    for point_id in point_ids:
        readings = ElectricityReading.objects.filter(metering_point_id=point_id)
        if readings.filter(start__gte=start, start__lt=end).exists():
            return True
        # Readings never overlap: only the last one starting before the period can reach into it.
        last = readings.filter(start__lt=start).order_by("-start").values_list("end", flat=True).first()
        if last is not None and last > start:
            return True
    return False


@dataclass(frozen=True)
class ManualEntry:
    """What the stage's manual-entry channel holds for the study period."""

    point: MeteringPoint | None
    readings: list[tuple[datetime, datetime, Decimal]]  # start, end (organization's zone), kWh
    total_kwh: Decimal | None  # one reading over exactly the whole period
    monthly_kwh: list[Decimal] | None  # one reading per calendar month of a twelve-month period

    @property
    def sum_kwh(self) -> Decimal:
        return sum((kwh for _s, _e, kwh in self.readings), Decimal(0))


def manual_entry_for_stage(*, study: Study, stage: ProcessStage) -> ManualEntry:
    start, end = study_period_bounds(study=study)
    zone = organization_zone(study.organization)
    point = manual_point_for_stage(site=study.site, stage=stage)
    if point is None:
        return ManualEntry(point=None, readings=[], total_kwh=None, monthly_kwh=None)
    rows = list(
        ElectricityReading.objects.filter(metering_point=point, start__gte=start, start__lt=end, end__lte=end)
        .order_by("start")
        .values_list("start", "end", "milliwatt_hours")
    )
    readings = [(s.astimezone(zone), e.astimezone(zone), Decimal(mwh).scaleb(-6)) for s, e, mwh in rows]
    total = readings[0][2] if len(rows) == 1 and rows[0][0] == start and rows[0][1] == end else None
    monthly = None
    if len(readings) == 12 and readings[0][0] == start and readings[-1][1] == end:
        contiguous = all(readings[i][1] == readings[i + 1][0] for i in range(11))
        calendar = all(s.day == 1 and s.hour == 0 and s.minute == 0 for s, _e, _k in readings)
        if contiguous and calendar:
            monthly = [kwh for _s, _e, kwh in readings]
    return ManualEntry(point=point, readings=readings, total_kwh=total, monthly_kwh=monthly)


def ledger_factors_for_study(*, study: Study, categories: Sequence[str]) -> list[EmissionFactor]:
    """The factors of these categories a study's entries may use: its library dataset's and the organization's own."""
    return list(
        EmissionFactor.objects.filter(category__in=list(categories))
        .filter(Q(dataset_id=study.factor_dataset_id) | Q(organization_id=study.organization_id))
        .select_related("dataset")
        .order_by("category", "code", "dataset_id")
    )


def fuel_entries_for_study(*, study: Study) -> list[FuelEntry]:
    return list(study.fuel_entries.select_related("stage", "factor__dataset").order_by("id"))


def waste_entries_for_study(*, study: Study) -> list[WasteEntry]:
    return list(study.waste_entries.select_related("factor__dataset").order_by("id"))


def ledger_factor_queryset(*, study: Study) -> QuerySet[EmissionFactor]:
    """Every factor a study's entries may name, of any category: where a posted factor id is looked up."""
    return EmissionFactor.objects.filter(
        Q(dataset_id=study.factor_dataset_id) | Q(organization_id=study.organization_id)
    ).select_related("dataset")
