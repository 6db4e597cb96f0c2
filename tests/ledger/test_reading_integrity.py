"""A reading never refers to a missing metering point or batch, or to another organization's.

On PostgreSQL the references are checked by statement-level triggers (migration 0004), not by
per-row foreign keys; these tests go around the services with raw SQL and race a delete against
an import on two real connections. SQLite keeps Django's ordinary foreign keys.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import psycopg2
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from apps.ledger.enums import ReadingSource
from apps.ledger.models import ElectricityReading, MeteringPoint, ReadingBatch
from apps.ledger.services import readings_insert_run
from tests.ledger.conftest import NOW, make_point

T0 = datetime(2025, 1, 1, tzinfo=UTC)
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL")


def run(organization, point, n=96) -> ReadingBatch:
    return readings_insert_run(
        organization=organization, metering_point=point, start=T0, step_seconds=900,
        milliwatt_hours=list(range(n)), source=ReadingSource.METER, now=NOW,
    )  # fmt: skip


def orphans() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM ledger_electricityreading r "
            "LEFT JOIN ledger_meteringpoint p ON p.id = r.metering_point_id "
            "LEFT JOIN ledger_readingbatch b ON b.id = r.batch_id "
            "WHERE p.id IS NULL OR b.id IS NULL OR p.organization_id <> r.organization_id "
            "OR b.organization_id <> r.organization_id"
        )
        return cursor.fetchone()[0]


def raw_insert(organization_id, point_id, batch_id) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_electricityreading "
            '(organization_id, metering_point_id, batch_id, start, "end", milliwatt_hours, source) '
            "VALUES (%s, %s, %s, %s, %s, 1, 3)",
            [organization_id, point_id, batch_id, datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 6, 2, tzinfo=UTC)],
        )


def test_the_orm_refuses_to_delete_a_point_or_batch_with_readings(supplier, point):
    batch = run(supplier, point)

    with pytest.raises(ProtectedError):
        point.delete()
    with pytest.raises(ProtectedError):
        batch.delete()
    assert ElectricityReading.objects.filter(metering_point=point, batch=batch).count() == 96


@postgresql_only
@pytest.mark.django_db
def test_postgresql_has_no_per_row_foreign_keys_on_readings_but_the_triggers():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "ledger_electricityreading")
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
            "('ledger_electricityreading'::regclass, 'ledger_meteringpoint'::regclass, "
            "'ledger_readingbatch'::regclass) ORDER BY tgname"
        )
        triggers = [name for (name,) in cursor.fetchall()]
    assert [name for name, info in constraints.items() if info["foreign_key"]] == []
    assert triggers == [
        "ledger_batch_protect",
        "ledger_batch_truncate",
        "ledger_point_protect",
        "ledger_point_truncate",
        "ledger_reading_references_insert",
        "ledger_reading_references_update",
    ]


@postgresql_only
def test_postgresql_refuses_a_reading_of_a_missing_point_or_batch(supplier, point, other_supplier):
    batch = run(supplier, point)
    foreign_batch = ReadingBatch.objects.create(organization=other_supplier, source=ReadingSource.METER)
    foreign_point = make_point(other_supplier, code="elsewhere")
    cases = [
        ((supplier.pk, 10**12, batch.pk), f"metering point {10**12}, which does not exist"),
        ((supplier.pk, point.pk, 10**12), f"reading batch {10**12}, which does not exist"),
        ((supplier.pk, point.pk, foreign_batch.pk), "not both of that organization"),
        ((supplier.pk, foreign_point.pk, batch.pk), "not both of that organization"),
        ((other_supplier.pk, point.pk, foreign_batch.pk), "not both of that organization"),
    ]
    for ids, message in cases:
        with pytest.raises(IntegrityError, match=message):
            raw_insert(*ids)
    assert ElectricityReading.objects.count() == 96
    assert orphans() == 0


@postgresql_only
def test_postgresql_refuses_to_repoint_readings(supplier, point, second_point):
    run(supplier, point)

    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        ElectricityReading.objects.filter(metering_point=point).update(metering_point_id=10**12)
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        ElectricityReading.objects.filter(metering_point=point).update(batch_id=10**12)
    moved = ElectricityReading.objects.filter(metering_point=point, start__lt=T0.replace(hour=1))
    assert moved.update(metering_point=second_point) == 4  # an existing point of the organization: allowed
    assert orphans() == 0


@postgresql_only
def test_postgresql_refuses_to_delete_change_or_truncate_what_readings_refer_to(supplier, point, other_supplier):
    batch = run(supplier, point)
    statements = [
        (f"DELETE FROM ledger_meteringpoint WHERE id = {point.pk}", "ledger_meteringpoint"),
        (f"DELETE FROM ledger_readingbatch WHERE id = {batch.pk}", "ledger_readingbatch"),
        (f"UPDATE ledger_meteringpoint SET id = 10000000 WHERE id = {point.pk}", "still referenced"),
        (f"UPDATE ledger_readingbatch SET id = 10000000 WHERE id = {batch.pk}", "still referenced"),
        (
            f"UPDATE ledger_meteringpoint SET organization_id = {other_supplier.pk} WHERE id = {point.pk}",
            "still referenced",
        ),
        ("TRUNCATE ledger_meteringpoint CASCADE", "cannot be truncated"),
        ("TRUNCATE ledger_readingbatch CASCADE", "cannot be truncated"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending: TRUNCATE refuses those
    for sql, message in statements:
        with pytest.raises(IntegrityError, match=message), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert ElectricityReading.objects.filter(metering_point=point, batch=batch).count() == 96
    MeteringPoint.objects.filter(pk=point.pk).update(name="renamed")  # other changes are free
    with transaction.atomic(), connection.cursor() as cursor:  # so is a point or batch without readings
        unused = ReadingBatch.objects.create(organization=supplier, source=ReadingSource.METER)
        cursor.execute(f"DELETE FROM ledger_readingbatch WHERE id = {unused.pk}")
    assert orphans() == 0


# Races on two real connections: the import through the service (Django's connection, committing
# for real) and a raw psycopg2 connection that deletes.


def _raw_connection():
    settings = connection.settings_dict
    raw = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None, port=settings["PORT"] or None,
    )  # fmt: skip
    return raw


def _in_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = work()
        except Exception as exc:  # the outcome is inspected by the test
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def _delete_point(raw, point_id, *, isolation="READ COMMITTED", before=None, ready=None):
    def work():
        with raw.cursor() as cursor:
            cursor.execute(f"BEGIN ISOLATION LEVEL {isolation}")
            cursor.execute("SELECT count(*) FROM ledger_electricityreading")  # the snapshot under REPEATABLE READ
            if ready is not None:
                ready.set()
            if before is not None:
                before.wait(timeout=30)
            try:
                cursor.execute("DELETE FROM ledger_meteringpoint WHERE id = %s", [point_id])
                raw.commit()
            except psycopg2.Error:
                raw.rollback()
                raise
        return "deleted"

    return work


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def _wait_until_blocked(raw) -> None:
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock(raw.get_backend_pid()):
        assert time.monotonic() < deadline, "the delete never waited for the import"
        time.sleep(0.02)


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("isolation", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_postgresql_a_delete_racing_an_import_never_leaves_orphans(supplier, point, isolation):
    """The delete starts while the import is uncommitted: it waits, then refuses (or fails to serialize)."""
    raw = _raw_connection()
    try:
        started = threading.Event()
        with transaction.atomic():
            run(supplier, point)
            thread, outcome = _in_thread(_delete_point(raw, point.pk, isolation=isolation, before=started))
            started.set()
            _wait_until_blocked(raw)
        thread.join(timeout=30)
    finally:
        raw.close()

    assert isinstance(outcome.get("error"), psycopg2.Error), outcome
    expected = "still referenced" if isolation == "READ COMMITTED" else "could not serialize"
    assert expected in str(outcome["error"])
    assert MeteringPoint.objects.filter(pk=point.pk).exists()
    assert ElectricityReading.objects.filter(metering_point=point).count() == 96
    assert orphans() == 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_a_delete_from_an_old_snapshot_after_the_import_committed_fails(supplier, point):
    """REPEATABLE READ: the deleter's snapshot predates the import's commit, so it cannot see the readings."""
    raw = _raw_connection()
    try:
        go, ready = threading.Event(), threading.Event()
        thread, outcome = _in_thread(_delete_point(raw, point.pk, isolation="REPEATABLE READ", before=go, ready=ready))
        assert ready.wait(timeout=30)  # the deleter has its snapshot
        run(supplier, point)  # committed
        go.set()
        thread.join(timeout=30)
    finally:
        raw.close()

    assert "could not serialize" in str(outcome.get("error")), outcome
    assert ElectricityReading.objects.filter(metering_point=point).count() == 96
    assert orphans() == 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_an_insert_racing_a_delete_is_refused(supplier, point):
    """The delete holds the point (no readings yet); a raw insert of readings for it waits, then is refused."""
    batch = ReadingBatch.objects.create(organization=supplier, source=ReadingSource.METER)
    deleter = _raw_connection()
    inserter = _raw_connection()
    try:
        with deleter.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_meteringpoint WHERE id = %s", [point.pk])

        def insert():
            with inserter.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO ledger_electricityreading "
                    '(organization_id, metering_point_id, batch_id, start, "end", milliwatt_hours, source) '
                    "VALUES (%s, %s, %s, '2024-06-01', '2024-06-02', 1, 3)",
                    [supplier.pk, point.pk, batch.pk],
                )
            inserter.commit()
            return "inserted"

        thread, outcome = _in_thread(insert)
        _wait_until_blocked(inserter)
        deleter.commit()
        thread.join(timeout=30)
    finally:
        inserter.close()
        deleter.close()

    assert "metering point" in str(outcome.get("error")), outcome
    assert "does not exist" in str(outcome["error"])
    assert not MeteringPoint.objects.filter(pk=point.pk).exists()
    assert ElectricityReading.objects.count() == 0
    assert orphans() == 0
