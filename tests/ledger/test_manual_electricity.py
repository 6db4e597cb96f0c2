"""Electricity per stage: coverage of the study period with its gaps, and values entered by hand.

Every expected number below is worked out by hand in the comments. The organization's time zone is
Asia/Shanghai (UTC+8, no daylight saving), so local midnight is 16:00 UTC the day before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from apps.catalog.models import ProcessStage
from apps.footprints.services import footprint_compute_now, footprint_evaluate
from apps.inventory.enums import StudyStatus
from apps.inventory.models import Site, StudyStage
from apps.ledger.enums import ReadingSource
from apps.ledger.manual import stage_electricity_manual_set, study_months
from apps.ledger.models import ElectricityReading, MeteringPoint, ReadingBatch
from apps.ledger.selectors import (
    ElectricitySource,
    manual_entry_for_stage,
    stage_coverage_for_study,
    study_period_bounds,
)
from apps.ledger.services import ReadingInput, metering_point_create, readings_bulk_insert, readings_insert_run
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, month: int = 1, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def stage(no: int) -> ProcessStage:
    return ProcessStage.objects.get(no=no)


def meter(study, no: int, code: str, *, site: Site | None = None) -> MeteringPoint:
    return metering_point_create(
        organization=study.organization, site=site or study.site, stage=stage(no), code=code, name=code
    )


def add(point: MeteringPoint, readings: list[tuple[datetime, datetime, str]]) -> None:
    readings_bulk_insert(
        organization=point.organization,
        metering_point=point,
        readings=[ReadingInput(start=s, end=e, kwh=kwh) for s, e, kwh in readings],
        source=ReadingSource.METER,
    )


def hourly(point: MeteringPoint, start: datetime, kwh_each: list[int]) -> None:
    """Hourly readings from `start`, each of kwh_each[i] kWh (stored as mWh)."""
    readings_insert_run(
        organization=point.organization,
        metering_point=point,
        start=start,
        step_seconds=3600,
        milliwatt_hours=[k * 1_000_000 for k in kwh_each],
        source=ReadingSource.METER,
    )


@pytest.fixture
def day_study(supplier, library):
    """One day, 2025-01-01 local: [2024-12-31 16:00 UTC, 2025-01-01 16:00 UTC), 86,400 s."""
    return factories.make_study(supplier, library, period=(date(2025, 1, 1), date(2025, 1, 1)), stage_nos=(5,))


@pytest.fixture
def year_study(supplier, library):
    """2024, twelve whole calendar months (a leap year: 366 days)."""
    return factories.make_study(supplier, library, period=(date(2024, 1, 1), date(2024, 12, 31)), stage_nos=(5,))


# --- coverage -----------------------------------------------------------------------------------


def test_period_bounds_are_local_midnights(day_study):
    assert study_period_bounds(study=day_study) == (
        datetime(2024, 12, 31, 16, tzinfo=UTC),
        datetime(2025, 1, 1, 16, tzinfo=UTC),
    )


def test_coverage_share_gaps_and_kwh_by_hand(day_study, other_supplier):
    a = meter(day_study, 5, "smt-a")
    b = meter(day_study, 5, "smt-b")
    # A: 23:00 the day before to 01:00, 2 kWh: half of it is inside (1 kWh, 1 h covered);
    #    01:00-06:00 five hours of 1 kWh; nothing 06:00-08:00; 08:00-20:00 twelve hours of 2 kWh; nothing after 20:00.
    add(a, [(local(31, 23, month=12, year=2024), local(1, 1), "2")])
    hourly(a, local(1, 1), [1] * 5)
    hourly(a, local(1, 8), [2] * 12)
    # B: one reading 19:00-22:00 of 3 kWh.
    add(b, [(local(1, 19), local(1, 22), "3")])
    # Not this study's: another site of the same organization, and another organization.
    other_site = Site.objects.create(organization=day_study.organization, code="other", name="Other", grid_region="x")
    hourly(meter(day_study, 5, "elsewhere", site=other_site), local(1, 0), [50] * 24)
    foreign_study = factories.make_study(other_supplier, factories.make_library(), period=(date(2025, 1, 1),) * 2)
    hourly(meter(foreign_study, 5, "foreign"), local(1, 0), [70] * 24)

    coverage = stage_coverage_for_study(study=day_study)

    assert len(coverage) == 26
    smt = coverage[stage(5).pk]
    assert smt.period_seconds == 86_400
    # A covers 00:00-06:00 and 08:00-20:00 = 18 h; B 19:00-22:00 adds 20:00-22:00: 20 h of 24.
    assert smt.covered_seconds == 20 * 3600
    assert smt.share == Decimal(20) / Decimal(24)
    assert smt.gaps == [(local(1, 6), local(1, 8)), (local(1, 22), local(2, 0))]
    assert all(start.utcoffset() == timedelta(hours=8) for start, _end in smt.gaps)
    # A: 1 + 5 × 1 + 12 × 2 = 30 kWh; B: 3 kWh.
    assert smt.kwh == Decimal(33)
    assert smt.source == ElectricitySource.METERED
    by_code = {point.code: point for point in smt.points}
    assert set(by_code) == {"smt-a", "smt-b"}
    assert by_code["smt-a"].kwh == Decimal(30)
    assert by_code["smt-a"].covered_seconds == 18 * 3600
    assert by_code["smt-a"].readings == 1 + 5 + 12
    assert by_code["smt-a"].gaps == [(local(1, 6), local(1, 8)), (local(1, 20), local(2, 0))]
    assert by_code["smt-b"].gaps == [(local(1, 0), local(1, 19)), (local(1, 22), local(2, 0))]
    assert by_code["smt-b"].covered_seconds == 3 * 3600

    nothing = coverage[stage(6).pk]
    assert nothing.points == []
    assert nothing.source == ElectricitySource.NONE
    assert nothing.covered_seconds == 0
    assert nothing.kwh == Decimal(0)
    assert nothing.gaps == [(local(1, 0), local(2, 0))]


def test_one_reading_across_both_edges_counts_once_by_its_time_inside(day_study):
    # 12:00 the day before to 12:00 the day after: 48 h of 4.8 kWh, of which 24 h (2.4 kWh) are inside.
    add(meter(day_study, 5, "smt"), [(local(31, 12, month=12, year=2024), local(2, 12), "4.8")])
    smt = stage_coverage_for_study(study=day_study)[stage(5).pk]
    assert smt.kwh == Decimal("2.4")
    assert smt.is_complete
    assert smt.gaps == []


def test_a_gap_free_run_with_edges_outside_the_period(day_study):
    # Hourly from 22:00 the day before to 02:00 the day after, 1 kWh each: 24 of the 28 hours are inside.
    hourly(meter(day_study, 5, "smt"), local(31, 22, month=12, year=2024), [1] * 28)
    smt = stage_coverage_for_study(study=day_study)[stage(5).pk]
    assert (smt.kwh, smt.covered_seconds, smt.gaps, smt.points[0].readings) == (Decimal(24), 86_400, [], 24)


def test_a_point_without_readings_in_the_period_leaves_the_whole_period_a_gap(day_study):
    point = meter(day_study, 5, "smt")
    hourly(point, local(2, 0), [1, 1])  # the day after: outside
    smt = stage_coverage_for_study(study=day_study)[stage(5).pk]
    assert smt.source == ElectricitySource.NONE
    assert smt.points[0].readings == 0
    assert smt.gaps == [(local(1, 0), local(2, 0))]
    assert smt.kwh == 0


def test_coverage_takes_a_fixed_number_of_queries_however_many_readings(day_study, django_assert_max_num_queries):
    for no in range(1, 9):
        hourly(meter(day_study, no, f"m{no}"), local(1, 0), [1] * 24)
    with django_assert_max_num_queries(3):
        coverage = stage_coverage_for_study(study=day_study)
    assert all(coverage[stage(no).pk].is_complete for no in range(1, 9))
    assert coverage[stage(3).pk].kwh == 24


def test_a_manual_point_makes_the_stage_manual_and_both_make_it_mixed(year_study):
    stage_electricity_manual_set(study=year_study, stage=stage(7), total_kwh=Decimal(10), monthly_kwh=None, user=None)
    coverage = stage_coverage_for_study(study=year_study)
    assert coverage[stage(7).pk].source == ElectricitySource.MANUAL
    assert coverage[stage(7).pk].is_complete
    # A meter reporting later (imported after the entry by hand) makes the stage mixed.
    hourly(meter(year_study, 7, "late-meter"), local(1, 0, month=6, year=2024), [1])
    assert stage_coverage_for_study(study=year_study)[stage(7).pk].source == ElectricitySource.MIXED


# --- entered by hand ----------------------------------------------------------------------------


def test_a_total_is_one_reading_over_the_whole_period(year_study):
    point = stage_electricity_manual_set(
        study=year_study, stage=stage(5), total_kwh=Decimal("1200.5"), monthly_kwh=None, user=None
    )

    assert point.is_manual
    assert point.code == f"manual-{year_study.site.code}-stage-5"
    readings = list(ElectricityReading.objects.filter(metering_point=point))
    assert [(r.start, r.end, r.milliwatt_hours, r.source) for r in readings] == [
        (datetime(2023, 12, 31, 16, tzinfo=UTC), datetime(2024, 12, 31, 16, tzinfo=UTC), 1_200_500_000, 1)
    ]
    entry = manual_entry_for_stage(study=year_study, stage=stage(5))
    assert entry.total_kwh == Decimal("1200.5")
    assert entry.monthly_kwh is None


def test_twelve_monthly_values_are_twelve_readings_summing_exactly(year_study):
    values = [Decimal(v) for v in ("100.1", "90.25", "80", "70.000001", "60", "50", "40", "30", "20", "10", "0", "5.5")]

    point = stage_electricity_manual_set(
        study=year_study, stage=stage(5), total_kwh=None, monthly_kwh=values, user=None
    )

    readings = list(ElectricityReading.objects.filter(metering_point=point).order_by("start"))
    assert len(readings) == 12
    assert [r.start for r in readings] == [datetime(2024, m, 1, tzinfo=SHANGHAI) for m in range(1, 13)]
    assert readings[-1].end == datetime(2025, 1, 1, tzinfo=SHANGHAI)
    assert all(r.source == ReadingSource.MANUAL for r in readings)
    # 100.1 + 90.25 + 80 + 70.000001 + 60 + 50 + 40 + 30 + 20 + 10 + 0 + 5.5 = 555.850001 kWh
    assert sum(r.milliwatt_hours for r in readings) == 555_850_001
    assert readings[3].milliwatt_hours == 70_000_001
    assert manual_entry_for_stage(study=year_study, stage=stage(5)).monthly_kwh == values
    coverage = stage_coverage_for_study(study=year_study)[stage(5).pk]
    assert coverage.kwh == Decimal("555.850001")
    assert coverage.is_complete
    assert coverage.period_seconds == 366 * 86_400


def test_a_new_entry_replaces_the_last_one_and_none_removes_it(year_study):
    twelve = [Decimal(1)] * 12
    point = stage_electricity_manual_set(
        study=year_study, stage=stage(5), total_kwh=None, monthly_kwh=twelve, user=None
    )
    stage_electricity_manual_set(study=year_study, stage=stage(5), total_kwh=Decimal(7), monthly_kwh=None, user=None)
    assert list(point.readings.values_list("milliwatt_hours", flat=True)) == [7_000_000]
    stage_electricity_manual_set(study=year_study, stage=stage(5), total_kwh=None, monthly_kwh=None, user=None)
    assert point.readings.count() == 0
    assert MeteringPoint.objects.filter(is_manual=True).count() == 1


def test_an_entry_includes_its_stage_in_the_study(year_study):
    assert not year_study.stages.filter(stage__no=9).exists()
    stage_electricity_manual_set(study=year_study, stage=stage(9), total_kwh=Decimal(1), monthly_kwh=None, user=None)
    assert year_study.stages.get(stage__no=9).allocation_share == 1


def test_monthly_values_need_twelve_whole_calendar_months(supplier, library):
    study = factories.make_study(supplier, library, period=(date(2024, 1, 15), date(2025, 1, 14)))
    assert study_months(study) is None

    with pytest.raises(ValidationError) as caught:
        stage_electricity_manual_set(
            study=study, stage=stage(5), total_kwh=None, monthly_kwh=[Decimal(1)] * 12, user=None
        )

    message = caught.value.message_dict["monthly_kwh"][0]
    assert "exactly twelve calendar months" in message
    assert "2024-01-15 to 2025-01-14" in message
    assert "Enter a total for the period instead" in message
    assert MeteringPoint.objects.count() == 0
    assert ElectricityReading.objects.count() == 0


def test_study_months_of_a_twelve_month_period(year_study, supplier, library):
    assert study_months(year_study) == [date(2024, m, 1) for m in range(1, 13)]
    july = factories.make_study(supplier, library, period=(date(2023, 7, 1), date(2024, 6, 30)))
    assert study_months(july) == [date(2023, m, 1) for m in range(7, 13)] + [date(2024, m, 1) for m in range(1, 7)]
    short = factories.make_study(supplier, library, period=(date(2024, 1, 1), date(2024, 11, 30)))
    assert study_months(short) is None


@pytest.mark.parametrize(
    ("total", "monthly", "field", "words"),
    [
        (Decimal(-1), None, "total_kwh", "-1 kWh is negative"),
        ("abc", None, "total_kwh", "'abc' is not a number"),
        (Decimal("1.0000001"), None, "total_kwh", "more than 6 decimal places"),
        (Decimal("1234567890.123456"), None, "total_kwh", "more than 15 significant digits"),
        (None, [Decimal(1)] * 13, "monthly_kwh", "Enter exactly 12 monthly values; 13 were given."),
        (None, [Decimal(1)] * 11, "monthly_kwh", "Enter exactly 12 monthly values; 11 were given."),
        (None, [Decimal(1)] * 11 + [Decimal(-2)], "monthly_kwh", "2024-12: -2 kWh is negative"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(year_study, total, monthly, field, words):
    with pytest.raises(ValidationError) as caught:
        stage_electricity_manual_set(study=year_study, stage=stage(5), total_kwh=total, monthly_kwh=monthly, user=None)
    assert words in " ".join(caught.value.message_dict[field])
    assert MeteringPoint.objects.count() == 0
    assert ElectricityReading.objects.count() == 0
    assert ReadingBatch.objects.count() == 0


@pytest.mark.parametrize(
    "reading",
    [
        (local(5, 8, month=3, year=2024), local(5, 9, month=3, year=2024)),  # inside the period
        (local(31, 22, month=12, year=2023), local(1, 2, year=2024)),  # across its start
    ],
)
def test_manual_entry_is_refused_where_meters_report(year_study, reading):
    point = meter(year_study, 5, "smt")
    add(point, [(reading[0], reading[1], "4")])

    with pytest.raises(ValidationError) as caught:
        stage_electricity_manual_set(
            study=year_study, stage=stage(5), total_kwh=Decimal(10), monthly_kwh=None, user=None
        )

    message = caught.value.message_dict["total_kwh"][0]
    assert "already has meter readings" in message
    assert "count it twice" in message
    assert MeteringPoint.objects.filter(is_manual=True).count() == 0
    assert ElectricityReading.objects.count() == 1


def test_meters_of_other_stages_or_outside_the_period_do_not_block(year_study):
    add(meter(year_study, 6, "reflow"), [(local(5, 8, month=3, year=2024), local(5, 9, month=3, year=2024), "4")])
    add(meter(year_study, 5, "smt"), [(local(1, 0, year=2025), local(1, 1, year=2025), "4")])  # the year after
    point = stage_electricity_manual_set(
        study=year_study, stage=stage(5), total_kwh=Decimal(10), monthly_kwh=None, user=None
    )
    assert point.readings.count() == 1


def test_a_study_no_longer_editable_refuses_the_entry(year_study):
    year_study.status = StudyStatus.SUBMITTED
    year_study.save()
    with pytest.raises(ValidationError) as caught:
        stage_electricity_manual_set(
            study=year_study, stage=stage(5), total_kwh=Decimal(1), monthly_kwh=None, user=None
        )
    assert "can no longer be changed" in caught.value.messages[0]
    assert ElectricityReading.objects.count() == 0


def test_a_period_not_over_yet_is_refused(year_study):
    with pytest.raises(ValidationError) as caught:
        stage_electricity_manual_set(
            study=year_study, stage=stage(5), total_kwh=Decimal(1), monthly_kwh=None, user=None,
            now=datetime(2024, 6, 1, tzinfo=UTC),
        )  # fmt: skip
    assert "not over yet" in caught.value.message_dict["total_kwh"][0]
    assert ElectricityReading.objects.count() == 0


def test_another_periods_entry_across_this_period_is_named(year_study, supplier, library):
    # A study of the same site for July 2023 - June 2024, entered first, overlaps 2024's first half.
    earlier = factories.make_study(supplier, library, period=(date(2023, 7, 1), date(2024, 6, 30)))
    earlier.site = year_study.site
    earlier.save()
    stage_electricity_manual_set(study=earlier, stage=stage(5), total_kwh=Decimal(5), monthly_kwh=None, user=None)

    with pytest.raises(ValidationError) as caught:
        stage_electricity_manual_set(
            study=year_study, stage=stage(5), total_kwh=Decimal(1), monthly_kwh=None, user=None
        )

    assert "another period (2023-07-01 to 2024-07-01)" in caught.value.message_dict["total_kwh"][0]
    assert ElectricityReading.objects.count() == 1


# --- through the study document and the engine ----------------------------------------------------


def test_a_manual_total_is_computed_like_meter_readings(supplier, library):
    """1200 kWh for the period, 50 % allocated, 1000 units, 0.6205 kgCO2e/kWh:
    Edl = 1200 × 0.5 / 1000 × 0.6205 = 0.3723 kg CO2e per unit."""
    study = factories.make_study(supplier, library, units_produced="1000", stage_nos=(12,))  # January 2025
    StudyStage.objects.filter(study=study).update(allocation_share=Decimal("0.5"), allocation_note="hours")
    stage_electricity_manual_set(study=study, stage=stage(12), total_kwh=Decimal(1200), monthly_kwh=None, user=None)

    evaluation = footprint_evaluate(study=study)

    points = evaluation.document["stages"][0]["metering_points"]
    assert [p["code"] for p in points] == [f"manual-{study.site.code}-stage-12"]
    assert points[0]["runs"][0]["source"] == "manual"
    assert points[0]["runs"][0]["milliwatt_hours"] == [1_200_000_000]
    assert evaluation.result.totals.edl == Decimal("0.3723")
    stored, _created = footprint_compute_now(study=study)
    assert Decimal(stored.totals["edl"]) == Decimal("0.3723")
