from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.http import Http404

from apps.ledger.enums import ReadingSource
from apps.ledger.errors import MeteringPointNotFound, ReadingValidationError, SiteNotFound
from apps.ledger.models import ElectricityReading, MeteringPoint, ReadingBatch
from apps.ledger.services import (
    ReadingInput,
    kwh_to_milliwatt_hours,
    metering_point_create,
    readings_bulk_insert,
    readings_insert_run,
)
from tests.ledger.conftest import NOW

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 1, 1, tzinfo=UTC)  # 08:00 in Shanghai, as messages show it


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def quarter(i: int, kwh: str = "1.5") -> ReadingInput:
    return ReadingInput(start=at(15 * i), end=at(15 * (i + 1)), kwh=kwh)


def counts() -> tuple[int, int]:
    return ElectricityReading.objects.count(), ReadingBatch.objects.count()


def insert(supplier, point, readings, **kwargs) -> ReadingBatch:
    return readings_bulk_insert(
        organization=supplier, metering_point=point, readings=readings, source=ReadingSource.IMPORT, now=NOW, **kwargs
    )


def rejected(supplier, point, readings) -> list[str]:
    before = counts()
    with pytest.raises(ReadingValidationError) as caught:
        insert(supplier, point, readings)
    assert counts() == before
    return caught.value.messages


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1_000_000),
        ("0.000001", 1),
        (Decimal("12.345678"), 12_345_678),
        (3, 3_000_000),
        ("1.2300000", 1_230_000),
        (" 2.5 ", 2_500_000),
        ("1e3", 1_000_000_000),
        ("0", 0),
    ],
)
def test_kwh_to_milliwatt_hours_is_exact(value, expected):
    assert kwh_to_milliwatt_hours(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("abc", "not_a_number", "'abc' is not a number"),
        ("", "not_a_number", "'' is not a number"),
        ("NaN", "not_finite", "'NaN' is not a finite number"),
        ("-inf", "not_finite", "'-inf' is not a finite number"),
        ("-1", "negative", "-1 kWh is negative"),
        (
            "0.0000001",
            "too_many_decimals",
            "0.0000001 kWh has more than 6 decimal places (the ledger resolution is 1 mWh = 0.000001 kWh)",
        ),
        ("1e20", "too_large", "1e20 kWh is too large"),
    ],
)
def test_kwh_to_milliwatt_hours_rejects_bad_values(value, code, message):
    with pytest.raises(ValidationError) as caught:
        kwh_to_milliwatt_hours(value)
    assert caught.value.code == code
    assert caught.value.messages == [message]


def test_readings_bulk_insert_stores_exact_values(supplier, point):
    user = __import__("tests.factories", fromlist=["make_member"]).make_member(supplier)
    readings = [
        ReadingInput(start=at(0).astimezone(SHANGHAI), end=at(15).astimezone(SHANGHAI), kwh="0.000001"),
        ReadingInput(start=at(15), end=at(30), kwh=Decimal("12.345678")),
        ReadingInput(start=at(30), end=at(24 * 60), kwh="1234567.5"),
    ]

    batch = insert(supplier, point, readings, created_by=user, description="SCADA export", file_sha256="ab" * 32)

    stored = list(ElectricityReading.objects.filter(batch=batch).order_by("start"))
    assert [(r.start, r.end, r.milliwatt_hours) for r in stored] == [
        (at(0), at(15), 1),
        (at(15), at(30), 12_345_678),
        (at(30), at(24 * 60), 1_234_567_500_000),
    ]
    assert stored[2].kwh == Decimal("1234567.5")
    assert {(r.organization_id, r.metering_point_id, r.source) for r in stored} == {
        (supplier.pk, point.pk, ReadingSource.IMPORT)
    }
    assert (batch.organization, batch.source, batch.created_by, batch.description) == (
        supplier,
        ReadingSource.IMPORT,
        user,
        "SCADA export",
    )


def test_readings_bulk_insert_accepts_readings_next_to_stored_ones(supplier, point):
    insert(supplier, point, [quarter(1)])

    insert(supplier, point, [quarter(0), quarter(2)])

    assert ElectricityReading.objects.filter(metering_point=point).count() == 3


def test_readings_bulk_insert_rejects_overlap_within_the_batch(supplier, point):
    readings = [quarter(0), ReadingInput(start=at(10), end=at(20), kwh="1"), quarter(3)]

    messages = rejected(supplier, point, readings)

    assert messages == [
        "Reading 2 (2025-01-01 08:10+08:00 to 2025-01-01 08:20+08:00) overlaps reading 1 "
        "(2025-01-01 08:00+08:00 to 2025-01-01 08:15+08:00)"
    ]


def test_readings_bulk_insert_rejects_duplicate_start_within_the_batch(supplier, point):
    messages = rejected(supplier, point, [quarter(0), quarter(0)])

    assert len(messages) == 1
    assert messages[0].startswith("Reading 2 (2025-01-01 08:00+08:00 to 2025-01-01 08:15+08:00) overlaps reading 1")


def test_readings_bulk_insert_rejects_overlap_with_a_stored_reading(supplier, point):
    insert(supplier, point, [ReadingInput(start=at(60), end=at(120), kwh="4")])

    messages = rejected(supplier, point, [quarter(3), quarter(4), quarter(8)])

    assert messages == [
        "Reading 2 (2025-01-01 09:00+08:00 to 2025-01-01 09:15+08:00) overlaps the stored reading "
        "2025-01-01 09:00+08:00 to 2025-01-01 10:00+08:00"
    ]


def test_readings_bulk_insert_rejects_a_batch_inside_a_long_stored_reading(supplier, point):
    insert(supplier, point, [ReadingInput(start=at(0), end=at(31 * 24 * 60), kwh="900")])

    messages = rejected(supplier, point, [ReadingInput(start=at(24 * 60), end=at(24 * 60 + 15), kwh="1")])

    assert messages[0].startswith("Reading 1 (2025-01-02 08:00+08:00 to 2025-01-02 08:15+08:00) overlaps the stored")


def test_readings_bulk_insert_rejects_readings_in_the_future(supplier, point):
    readings = [ReadingInput(start=NOW - timedelta(minutes=15), end=NOW + timedelta(minutes=15), kwh="1")]

    messages = rejected(supplier, point, readings)

    assert messages == ["Reading 1: interval end 2025-06-01 08:15+08:00 is in the future"]


def test_readings_bulk_insert_rejects_negative_energy(supplier, point):
    messages = rejected(supplier, point, [quarter(0), quarter(1, kwh="-0.5")])

    assert messages == ["Reading 2: -0.5 kWh is negative"]


def test_readings_bulk_insert_rejects_non_numeric_energy(supplier, point):
    messages = rejected(supplier, point, [quarter(0, kwh="abc")])

    assert messages == ["Reading 1: 'abc' is not a number"]


def test_readings_bulk_insert_rejects_too_many_decimals(supplier, point):
    messages = rejected(supplier, point, [quarter(0, kwh="1.0000001")])

    assert messages == [
        "Reading 1: 1.0000001 kWh has more than 6 decimal places (the ledger resolution is 1 mWh = 0.000001 kWh)"
    ]


def test_readings_bulk_insert_rejects_end_before_start(supplier, point):
    messages = rejected(supplier, point, [ReadingInput(start=at(15), end=at(0), kwh="1")])

    assert messages == ["Reading 1: interval end 2025-01-01 08:00+08:00 is not after its start 2025-01-01 08:15+08:00"]


def test_readings_bulk_insert_rejects_end_equal_to_start(supplier, point):
    messages = rejected(supplier, point, [ReadingInput(start=at(15), end=at(15), kwh="1")])

    assert messages == ["Reading 1: interval end 2025-01-01 08:15+08:00 is not after its start 2025-01-01 08:15+08:00"]


def test_readings_bulk_insert_rejects_naive_datetimes(supplier, point):
    naive = datetime(2025, 1, 1, 0, 0)

    messages = rejected(supplier, point, [ReadingInput(start=naive, end=at(15), kwh="1")])

    assert messages == ["Reading 1: interval start 2025-01-01 00:00 has no time zone"]


def test_readings_bulk_insert_rejects_fractional_seconds(supplier, point):
    messages = rejected(supplier, point, [ReadingInput(start=at(0), end=at(15) + timedelta(microseconds=5), kwh="1")])

    assert messages == ["Reading 1: interval end 2025-01-01 08:15:00.000005+08:00 is not on a whole second"]


def test_readings_bulk_insert_rejects_an_empty_batch(supplier, point):
    assert rejected(supplier, point, []) == ["The batch holds no readings."]


def test_readings_bulk_insert_reports_every_problem_with_its_row(supplier, point):
    readings = [quarter(0), quarter(1, kwh="x"), quarter(2), ReadingInput(start=at(60), end=at(45), kwh="-1")]

    messages = rejected(supplier, point, readings)

    assert messages == [
        "Reading 2: 'x' is not a number",
        "Reading 4: interval end 2025-01-01 08:45+08:00 is not after its start 2025-01-01 09:00+08:00",
        "Reading 4: -1 kWh is negative",
    ]


def test_readings_bulk_insert_errors_carry_code_and_row(supplier, point):
    with pytest.raises(ReadingValidationError) as caught:
        insert(supplier, point, [quarter(0), quarter(1, kwh="-1")])

    assert [(e.code, e.params["row"]) for e in caught.value.errors] == [("negative", 2)]


def test_readings_bulk_insert_rejects_another_organizations_point(supplier, foreign_point):
    before = counts()

    with pytest.raises(MeteringPointNotFound) as caught:
        insert(supplier, foreign_point, [quarter(0)])

    assert isinstance(caught.value, ObjectDoesNotExist)
    assert isinstance(caught.value, Http404)
    assert counts() == before


def test_readings_bulk_insert_rejects_an_unknown_source(supplier, point):
    with pytest.raises(ValidationError) as caught:
        readings_bulk_insert(organization=supplier, metering_point=point, readings=[quarter(0)], source=9, now=NOW)

    assert caught.value.messages == ["Unknown reading source 9."]


def run(supplier, point, values, *, start=T0, step=900, **kwargs) -> ReadingBatch:
    return readings_insert_run(
        organization=supplier,
        metering_point=point,
        start=start,
        step_seconds=step,
        milliwatt_hours=values,
        source=ReadingSource.METER,
        now=NOW,
        **kwargs,
    )


def rejected_run(supplier, point, values, **kwargs) -> list[str]:
    before = counts()
    with pytest.raises(ReadingValidationError) as caught:
        run(supplier, point, values, **kwargs)
    assert counts() == before
    return caught.value.messages


def test_readings_insert_run_stores_exact_values_read_back_by_the_orm(supplier, point):
    values = [0, 1, 250_000, 9_223_372_036_854_775_807]

    batch = run(supplier, point, values, start=T0.astimezone(SHANGHAI), description="meter 7")

    stored = list(ElectricityReading.objects.filter(batch=batch).order_by("start"))
    assert [(r.start, r.end, r.milliwatt_hours, r.source) for r in stored] == [
        (at(15 * i), at(15 * (i + 1)), v, ReadingSource.METER) for i, v in enumerate(values)
    ]
    assert {(r.organization_id, r.metering_point_id) for r in stored} == {(supplier.pk, point.pk)}
    assert ElectricityReading.objects.filter(metering_point=point, start__gte=at(15), end__lte=at(45)).count() == 2
    assert batch.description == "meter 7"


def test_readings_insert_run_stores_datetimes_as_the_orm_does(supplier, point, second_point):
    run(supplier, point, [5, 6])
    insert(supplier, second_point, [quarter(0), quarter(1)])

    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT metering_point_id, start, "end" FROM ledger_electricityreading ORDER BY metering_point_id, start'
        )
        rows = cursor.fetchall()

    from_run = [row[1:] for row in rows if row[0] == point.pk]
    from_orm = [row[1:] for row in rows if row[0] == second_point.pk]
    assert from_run == from_orm
    if connection.vendor == "sqlite":
        sql = "SELECT typeof(start), start || '' FROM ledger_electricityreading ORDER BY id"
        raw = connection.connection.execute(sql).fetchall()
        assert raw == [("text", "2025-01-01 00:00:00"), ("text", "2025-01-01 00:15:00")] * 2


def test_readings_insert_run_rejects_overlap_with_stored_readings(supplier, point):
    insert(supplier, point, [quarter(2), quarter(3)])

    messages = rejected_run(supplier, point, [1] * 8)

    assert messages == [
        "Readings 3 to 4 overlap 2 stored readings of this metering point, "
        "the first from 2025-01-01 08:30+08:00 to 2025-01-01 08:45+08:00"
    ]


def test_readings_insert_run_rejects_readings_in_the_future(supplier, point):
    messages = rejected_run(supplier, point, [1] * 4, start=NOW - timedelta(minutes=30))

    assert messages == ["Readings 3 to 4 end in the future (after 2025-06-01 08:00+08:00)"]


def test_readings_insert_run_rejects_negative_and_non_integer_energy(supplier, point):
    messages = rejected_run(supplier, point, [1, "2", 3, -4])

    assert messages == ["Reading 2: energy '2' is not a whole number of mWh", "Reading 4: energy -4 mWh is negative"]


def test_readings_insert_run_rejects_a_naive_start_and_a_bad_step(supplier, point):
    messages = rejected_run(supplier, point, [1], start=datetime(2025, 1, 1), step=0)

    assert messages == [
        "The run start 2025-01-01 00:00 has no time zone",
        "The step 0 is not a positive whole number of seconds",
    ]


def test_readings_insert_run_rejects_another_organizations_point(supplier, foreign_point):
    before = counts()

    with pytest.raises(MeteringPointNotFound):
        run(supplier, foreign_point, [1, 2])

    assert counts() == before


def test_metering_point_create_saves_a_point_at_the_organizations_site(supplier, point):
    point_site = point.site

    created = metering_point_create(
        organization=supplier, site=point_site, stage=7, code="aoi-1", name="AOI", device_serial="SN-9"
    )

    assert MeteringPoint.objects.get(pk=created.pk).site == point_site
    assert (created.organization, created.stage.no, created.device_serial) == (supplier, 7, "SN-9")


def test_metering_point_create_rejects_another_organizations_site(supplier, foreign_point):
    with pytest.raises(SiteNotFound):
        metering_point_create(organization=supplier, site=foreign_point.site, stage=7, code="x", name="X")

    assert not MeteringPoint.objects.filter(organization=supplier).exists()


def test_metering_point_create_rejects_a_duplicate_code(supplier, point):
    with pytest.raises(ValidationError):
        metering_point_create(organization=supplier, site=point.site, stage=7, code=point.code, name="Again")

    assert MeteringPoint.objects.filter(organization=supplier).count() == 1
