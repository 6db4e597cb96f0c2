from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from apps.ledger import selectors
from apps.ledger.enums import ReadingSource
from apps.ledger.selectors import ReadingTotal, RunRow, reading_runs_for_points, reading_totals_by_point
from apps.ledger.services import ReadingInput, readings_bulk_insert, readings_insert_run
from tests.ledger.conftest import NOW, make_point

T0 = datetime(2025, 1, 1, tzinfo=UTC)
METER, MANUAL, IMPORT = ReadingSource.METER, ReadingSource.MANUAL, ReadingSource.IMPORT


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def add(point, source, readings: list[tuple[datetime, datetime, int]]) -> None:
    readings_bulk_insert(
        organization=point.organization,
        metering_point=point,
        readings=[ReadingInput(start=s, end=e, kwh=Decimal(mwh).scaleb(-6)) for s, e, mwh in readings],
        source=source,
        now=NOW,
    )


def quarters(first_minute: int, values: list[int]) -> list[tuple[datetime, datetime, int]]:
    return [(at(first_minute + 15 * i), at(first_minute + 15 * (i + 1)), v) for i, v in enumerate(values)]


@pytest.fixture
def ledger(supplier, other_supplier):
    """Three points of the supplier and one of another organization, around the window [00:10, 04:30)."""
    a, b, c = (make_point(supplier, code=code) for code in ("a", "b", "c"))
    add(a, METER, [(at(-24 * 60), at(-24 * 60 + 15), 99)])  # a day before: out
    add(a, METER, quarters(0, [1, 2, 3, 4]))  # the first straddles the window start
    add(a, METER, quarters(120, [5, 6, 7]))  # after a gap
    add(a, MANUAL, quarters(165, [8]))  # source changes
    add(a, METER, [(at(180), at(240), 9), (at(240), at(300), 10)])  # step changes; the last straddles the end
    add(a, METER, quarters(300, [11]))  # after the window: out
    december = datetime(2024, 12, 15, tzinfo=UTC)
    add(b, MANUAL, [(datetime(2024, 12, 1, tzinfo=UTC), december, 50)])  # before the straddler: out
    add(b, MANUAL, [(december, at(120), 100)])  # one irregular reading reaching into the window
    add(b, IMPORT, quarters(120, [101, 102]))
    add(c, METER, [(at(-30), at(10), 7), (at(270), at(285), 8)])  # touch the window's edges only: out
    foreign = make_point(other_supplier, code="a")
    add(foreign, METER, quarters(0, [1000, 1001]))
    return a, b, c, foreign


def test_reading_runs_for_points_returns_maximal_runs(supplier, ledger):
    a, b, c, foreign = ledger

    runs = reading_runs_for_points(
        organization=supplier, point_ids=[a.pk, b.pk, c.pk, foreign.pk], start=at(10), end=at(270)
    )

    assert runs == {
        a.pk: [
            RunRow(at(0), 900, METER, [1, 2, 3, 4]),
            RunRow(at(120), 900, METER, [5, 6, 7]),
            RunRow(at(165), 900, MANUAL, [8]),
            RunRow(at(180), 3600, METER, [9, 10]),
        ],
        b.pk: [
            RunRow(datetime(2024, 12, 15, tzinfo=UTC), 17 * 86400 + 7200, MANUAL, [100]),
            RunRow(at(120), 900, IMPORT, [101, 102]),
        ],
        c.pk: [],
    }
    assert runs[a.pk][3].end == at(300)
    assert all(run.start.tzinfo == UTC for point_runs in runs.values() for run in point_runs)


def test_reading_runs_for_points_excludes_another_organizations_readings(other_supplier, ledger):
    a, _b, _c, foreign = ledger

    runs = reading_runs_for_points(organization=other_supplier, point_ids=[a.pk, foreign.pk], start=at(0), end=at(60))

    assert runs == {foreign.pk: [RunRow(at(0), 900, METER, [1000, 1001])]}


def test_reading_runs_for_points_splits_months_of_different_lengths(supplier, point):
    jan, feb, mar = (datetime(2025, month, 1, tzinfo=UTC) for month in (1, 2, 3))
    add(point, MANUAL, [(jan, feb, 31_000_000), (feb, mar, 28_000_000)])

    runs = reading_runs_for_points(organization=supplier, point_ids=[point.pk], start=jan, end=mar)

    assert runs == {
        point.pk: [RunRow(jan, 31 * 86400, MANUAL, [31_000_000]), RunRow(feb, 28 * 86400, MANUAL, [28_000_000])]
    }


def test_reading_runs_for_points_reads_a_run_inserted_as_a_run(supplier, point):
    values = list(range(96 * 7))
    readings_insert_run(
        organization=supplier,
        metering_point=point,
        start=T0,
        step_seconds=900,
        milliwatt_hours=values,
        source=METER,
        now=NOW,
    )

    runs = reading_runs_for_points(organization=supplier, point_ids=[point.pk], start=at(24 * 60), end=at(48 * 60))

    assert runs == {point.pk: [RunRow(at(24 * 60), 900, METER, values[96:192])]}


def test_reading_runs_for_points_orders_energies_by_time_not_by_insertion(supplier, point):
    values = list(range(1, 97))
    for half in (values[48:], values[:48]):  # the later half is stored first
        readings = [(at(15 * (v - 1)), at(15 * v), v) for v in reversed(half)]
        add(point, METER, readings)

    runs = reading_runs_for_points(organization=supplier, point_ids=[point.pk], start=at(0), end=at(24 * 60))

    assert runs == {point.pk: [RunRow(at(0), 900, METER, values)]}


def expected_runs(readings, start, end) -> list[RunRow]:
    """The definition, straight from the readings: the reference both database paths must match."""
    runs: list[RunRow] = []
    for s, e, mwh, source in sorted(r for r in readings if r[0] < end and r[1] > start):
        step = int((e - s).total_seconds())
        last = runs[-1] if runs else None
        if last and (last.source, last.step_seconds) == (source, step) and last.end == s:
            last.milliwatt_hours.append(mwh)
        else:
            runs.append(RunRow(s, step, source, [mwh]))
    return runs


def random_readings(rng: random.Random) -> list[tuple[datetime, datetime, int, int]]:
    readings, t = [], at(0)
    while len(readings) < 300:
        t += timedelta(minutes=rng.choice([0, 0, 0, 0, 15, 60]))  # mostly back to back
        step = timedelta(minutes=rng.choice([15] * 8 + [60] * 3 + [60 * 24 * 3]))
        source = rng.choice([METER, METER, METER, MANUAL, IMPORT])
        readings.append((t, t + step, rng.randrange(0, 10**12), int(source)))
        t += step
    return readings


def test_reading_runs_for_points_matches_the_reference_on_random_ledgers(supplier):
    rng = random.Random(14067)
    points = {make_point(supplier, code=f"r{i}"): random_readings(rng) for i in range(3)}
    for point, readings in points.items():
        for source in (METER, MANUAL, IMPORT):
            add(point, source, [(s, e, mwh) for s, e, mwh, src in readings if src == source])
    windows = [(at(0), at(60 * 24 * 60))] + [
        (at(m), at(m + rng.randrange(1, 20_000))) for m in (rng.randrange(-100, 30_000) for _ in range(20))
    ]

    for start, end in windows:
        runs = reading_runs_for_points(organization=supplier, point_ids=[p.pk for p in points], start=start, end=end)

        assert runs == {p.pk: expected_runs(readings, start, end) for p, readings in points.items()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path exists on PostgreSQL only")
def test_reading_runs_sql_and_python_paths_agree_on_postgresql(supplier, ledger):
    a, b, c, _foreign = ledger
    bounds, params = selectors._bounds_sql(supplier, [a.pk, b.pk, c.pk], at(10), at(270))

    with connection.cursor() as cursor:
        in_sql = selectors._runs_postgresql(cursor, bounds, params)
        in_python = selectors._runs_python(cursor, bounds, params)

    assert in_sql == in_python
    assert len(in_sql[a.pk]) == 4


def test_reading_totals_by_point_sums_whole_readings_inside_the_window(supplier, ledger):
    a, b, c, foreign = ledger

    totals = reading_totals_by_point(
        organization=supplier, point_ids=[a.pk, b.pk, c.pk, foreign.pk], start=at(0), end=at(240)
    )

    assert totals == {
        a.pk: ReadingTotal(
            milliwatt_hours=1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9, readings=9, first_start=at(0), last_end=at(240)
        ),
        b.pk: ReadingTotal(milliwatt_hours=203, readings=2, first_start=at(120), last_end=at(150)),
    }
