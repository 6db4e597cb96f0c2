"""Reads from the energy ledger. `reading_runs_for_points` is on the footprint hot path.

Readings come back as runs: maximal sequences of back-to-back readings of one metering point
with the same length and source. A year of 15-minute data is one run of 35,040 integers instead
of 35,040 objects; a monthly manual total is a run of one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Max, Min, Sum
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization
from apps.ledger.errors import MeteringPointNotFound
from apps.ledger.models import ElectricityReading, MeteringPoint


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
    if connection.vendor == "postgresql":
        epoch = "date_part('epoch', {})::bigint"
    elif sqlite3.sqlite_version_info >= (3, 38):
        epoch = "unixepoch({})"  # a third faster than strftime
    else:  # pragma: no cover - older SQLite libraries
        epoch = "CAST(strftime('%%s', {}) AS INTEGER)"
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


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)
