"""A bulk load leaves the planner current statistics (PostgreSQL): the services ANALYZE the reading
table at commit when it has never been analyzed or has doubled since it last was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from apps.ledger.enums import ReadingSource
from apps.ledger.services import ReadingInput, readings_bulk_insert, readings_insert_run, readings_statistics_refresh
from tests.ledger.conftest import NOW

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = 96  # quarter hours
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics exist on PostgreSQL")


def run(organization, point, days, *, first_day=0):
    return readings_insert_run(
        organization=organization, metering_point=point, start=T0 + timedelta(days=first_day), step_seconds=900,
        milliwatt_hours=[1000] * (days * DAY), source=ReadingSource.METER, now=NOW,
    )  # fmt: skip


def statistics() -> tuple[float, int, float | None]:
    """Rows the planner counts, manual ANALYZEs so far, and pg_stats' n_distinct of the point.

    The rows are pg_class.reltuples of the table's storage (its partitions once partitioned), -1
    while any of it holding rows has never been analyzed. The count and pg_stats outlive the flush
    between tests (TRUNCATE resets reltuples only): the tests compare the count with its value before.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN bool_or(c.reltuples < 0 AND pg_relation_size(c.oid) > 0) THEN -1 "
            "ELSE sum(greatest(c.reltuples, 0)) END "
            "FROM pg_partition_tree('ledger_electricityreading'::regclass) t "
            "JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf"
        )
        (rows,) = cursor.fetchone()
        cursor.execute(
            "SELECT s.analyze_count, (SELECT n_distinct FROM pg_stats WHERE tablename = s.relname "
            "AND attname = 'metering_point_id' AND inherited = (c.relkind = 'p')) "
            "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.relid = 'ledger_electricityreading'::regclass"
        )
        analyzed, distinct_points = cursor.fetchone()
        return rows, analyzed, distinct_points


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite case")
def test_sqlite_needs_no_statistics():
    assert readings_statistics_refresh() is False


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_load_into_a_fresh_table_is_analyzed_once_at_commit(supplier, point, second_point):
    rows, before, _ = statistics()
    assert rows == 0

    with transaction.atomic():
        run(supplier, point, 30)
        run(supplier, second_point, 30)
        assert statistics()[1] == before  # not before the commit

    assert statistics() == (2 * 30 * DAY, before + 1, 2)  # every row counted; two runs in one transaction: once


@postgresql
@pytest.mark.django_db(transaction=True)
def test_only_a_table_that_doubled_is_analyzed_again(supplier, point):
    before = statistics()[1]
    run(supplier, point, 40)
    assert statistics() == (40 * DAY, before + 1, 1)

    run(supplier, point, 2, first_day=40)  # routine imports: autovacuum's 10 % rule is enough
    readings_bulk_insert(
        organization=supplier, metering_point=point, source=ReadingSource.MANUAL, now=NOW,
        readings=[ReadingInput(T0 + timedelta(days=42), T0 + timedelta(days=43), "12.5")],
    )  # fmt: skip
    assert statistics()[:2] == (40 * DAY, before + 1)
    assert readings_statistics_refresh() is False

    run(supplier, point, 60, first_day=43)  # the table more than doubles
    assert statistics()[:2] == ((40 + 2 + 60) * DAY + 1, before + 2)


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_load_analyzes_nothing(supplier, point):
    before = statistics()[1]
    with pytest.raises(RuntimeError), transaction.atomic():
        run(supplier, point, 10)
        raise RuntimeError("the caller gives up")

    assert statistics()[1] == before
