"""The reading table partitioned by year on PostgreSQL (migration 0005): built on a table that
already holds readings, pruned by period, extended year by year."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from apps.ledger.enums import ReadingSource
from apps.ledger.models import ElectricityReading, ReadingBatch
from apps.ledger.partitions import reading_partitions, reading_partitions_ensure
from apps.ledger.services import readings_insert_run
from tests.ledger.conftest import NOW

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the partitions exist on PostgreSQL only")

TABLE = "ledger_electricityreading"
THIS_YEAR = datetime.now(UTC).year


def run(organization, point, start, n):
    return readings_insert_run(
        organization=organization, metering_point=point, start=start, step_seconds=900,
        milliwatt_hours=list(range(1, n + 1)), source=ReadingSource.METER, now=NOW,
    )  # fmt: skip


def stored() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT id, organization_id, metering_point_id, batch_id, start, "end", milliwatt_hours, source '
            f"FROM {TABLE} ORDER BY id"
        )
        return cursor.fetchall()


def rows_per_partition() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text, count(*) FROM {TABLE} GROUP BY 1")
        return dict(cursor.fetchall())


def relkind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE])
        return cursor.fetchone()[0]


def migrate(target: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("ledger", target)])
    connection.close()  # a fresh connection: no cached plans of the old table


@pytest.mark.django_db(transaction=True)
def test_the_migration_partitions_a_table_that_already_holds_readings(supplier, point, second_point):
    migrate("0004_reading_references_per_statement")
    assert relkind() == "r"
    run(supplier, point, datetime(2024, 12, 31, 16, tzinfo=UTC), 96)  # a Beijing day across New Year (UTC)
    run(supplier, second_point, datetime(2019, 6, 1, tzinfo=UTC), 10)
    before = stored()

    migrate("0005_readings_partitioned_by_year")

    assert relkind() == "p"
    names = [name for name, _bounds in reading_partitions()]
    assert names == sorted([f"{TABLE}_y{year}" for year in range(2019, THIS_YEAR + 2)] + [f"{TABLE}_default"])
    assert dict(reading_partitions())[f"{TABLE}_y2025"] == (
        "FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00')"
    )
    assert stored() == before  # every row, id and value kept
    assert rows_per_partition() == {f"{TABLE}_y2019": 10, f"{TABLE}_y2024": 32, f"{TABLE}_y2025": 64}
    # The id sequence continues; the triggers and the unique key hold on the new table.
    run(supplier, point, datetime(2025, 3, 1, tzinfo=UTC), 4)
    assert min(row[0] for row in stored()[-4:]) > max(row[0] for row in before)
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {TABLE} (organization_id, metering_point_id, batch_id, start, "end", milliwatt_hours, '
            "source) VALUES (%s, %s, %s, '2025-05-01', '2025-05-02', 1, 3)",
            [supplier.pk, 10**12, ReadingBatch.objects.first().pk],
        )
    with pytest.raises(IntegrityError, match="reading_unique_point_start"), transaction.atomic():
        ElectricityReading.objects.create(
            organization=supplier, metering_point=point, batch=ReadingBatch.objects.first(),
            start=datetime(2025, 3, 1, tzinfo=UTC), end=datetime(2025, 3, 2, tzinfo=UTC), milliwatt_hours=1,
            source=ReadingSource.METER,
        )  # fmt: skip

    migrate("0004_reading_references_per_statement")  # and back: the plain table, the same rows
    assert relkind() == "r"
    assert len(stored()) == 110
    migrate("0005_readings_partitioned_by_year")
    assert len(stored()) == 110


@pytest.mark.django_db
def test_a_period_scans_only_its_partitions(supplier, point):
    run(supplier, point, datetime(2025, 3, 1, tzinfo=UTC), 96)

    plan = ElectricityReading.objects.filter(
        metering_point=point, start__gte=datetime(2025, 3, 1, tzinfo=UTC), start__lt=datetime(2025, 4, 1, tzinfo=UTC)
    ).explain()

    assert f"{TABLE}_y2025" in plan
    assert f"{TABLE}_y2024" not in plan
    assert f"{TABLE}_default" not in plan


@pytest.mark.django_db
def test_a_new_year_gets_its_partition_with_the_readings_already_in_the_default_one(supplier, point):
    batch = ReadingBatch.objects.create(organization=supplier, source=ReadingSource.METER)
    later = THIS_YEAR + 3  # beyond the partitions the migration made: the default partition holds it
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {TABLE} (organization_id, metering_point_id, batch_id, start, "end", milliwatt_hours, '
            "source) VALUES (%s, %s, %s, %s, %s, 7, 3)",
            [supplier.pk, point.pk, batch.pk, datetime(later, 2, 1, tzinfo=UTC), datetime(later, 2, 2, tzinfo=UTC)],
        )
    assert rows_per_partition() == {f"{TABLE}_default": 1}

    created = reading_partitions_ensure(through_year=later)

    assert created == [f"{TABLE}_y{THIS_YEAR + 2}", f"{TABLE}_y{later}"]
    assert rows_per_partition() == {f"{TABLE}_y{later}": 1}
    assert ElectricityReading.objects.get(batch=batch).milliwatt_hours == 7
    assert reading_partitions_ensure(through_year=later) == []


@pytest.mark.django_db
def test_the_command_adds_next_year(supplier, capsys):
    call_command("ledger_partitions", through=THIS_YEAR + 2)

    assert capsys.readouterr().out.strip() == f"{TABLE}_y{THIS_YEAR + 2}"
    call_command("ledger_partitions", through=THIS_YEAR + 2)
    assert capsys.readouterr().out.strip() == "Every year already has its partition."


@pytest.mark.django_db
def test_partitions_are_utc_years(supplier, point):
    """A Beijing year starts 8 hours before the UTC one: its first 32 quarter hours are in the year before."""
    run(supplier, point, datetime(2024, 12, 31, 16, tzinfo=UTC), 40)

    assert rows_per_partition() == {f"{TABLE}_y2024": 32, f"{TABLE}_y2025": 8}
