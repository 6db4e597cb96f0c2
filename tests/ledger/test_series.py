from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.factors.models import ElectricityFactorPoint, ElectricityFactorSeries
from apps.factors.series import (
    SeriesValidationError,
    series_check_coverage,
    series_points_bulk_upsert,
    series_points_for_period,
    series_require_coverage,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def hour(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def rejected(series, points) -> list[str]:
    before = ElectricityFactorPoint.objects.count()
    with pytest.raises(SeriesValidationError) as caught:
        series_points_bulk_upsert(series=series, points=points)
    assert ElectricityFactorPoint.objects.count() == before
    return caught.value.messages


def test_series_points_for_period_aligns_to_the_grid_with_none_for_gaps(hourly_series):
    series_points_bulk_upsert(series=hourly_series, points=[(hour(0), "0.5812"), (hour(1), "0.6"), (hour(3), "0.7")])

    first, values = series_points_for_period(series=hourly_series, start=hour(0.5), end=hour(4))

    assert first == hour(0)
    assert values == [Decimal("0.5812"), Decimal("0.6"), None, Decimal("0.7")]


def test_series_points_for_period_follows_a_grid_anchored_off_the_hour(library):
    daily = ElectricityFactorSeries.objects.create(
        dataset=library.dataset, code="daily", name="Daily", region="East China", resolution_seconds=86400, source="t"
    )
    beijing_midnights = [datetime(2024, 12, 31, 16, tzinfo=UTC) + timedelta(days=d) for d in range(3)]
    series_points_bulk_upsert(series=daily, points=[(t, "0.5") for t in beijing_midnights])

    first, values = series_points_for_period(series=daily, start=hour(0), end=hour(48))

    assert first == datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert values == [Decimal("0.5")] * 3


def test_series_check_coverage_names_the_missing_intervals(hourly_series):
    series_points_bulk_upsert(series=hourly_series, points=[(hour(h), "0.6") for h in (0, 1, 3)])

    gaps = series_check_coverage(series=hourly_series, start=hour(0.5), end=hour(6))

    assert gaps == [(hour(2), hour(3)), (hour(4), hour(6))]


def test_series_check_coverage_clips_gaps_to_the_period(hourly_series):
    series_points_bulk_upsert(series=hourly_series, points=[(hour(1), "0.6")])

    gaps = series_check_coverage(series=hourly_series, start=hour(0.5), end=hour(2.25))

    assert gaps == [(hour(0.5), hour(1)), (hour(2), hour(2.25))]


def test_series_check_coverage_of_an_empty_series_is_the_whole_period(hourly_series):
    assert series_check_coverage(series=hourly_series, start=hour(0), end=hour(5)) == [(hour(0), hour(5))]


def test_series_require_coverage_rejects_a_gap_with_its_interval(hourly_series):
    series_points_bulk_upsert(series=hourly_series, points=[(hour(h), "0.6") for h in (0, 1, 3)])

    with pytest.raises(SeriesValidationError) as caught:
        series_require_coverage(series=hourly_series, start=hour(0), end=hour(4))

    assert caught.value.messages == [
        "The electricity factor series grid.east.hourly has no value "
        "from 2025-01-01 02:00+00:00 to 2025-01-01 03:00+00:00."
    ]
    assert caught.value.errors[0].code == "series_gap"


def test_series_require_coverage_accepts_a_full_series(hourly_series):
    series_points_bulk_upsert(series=hourly_series, points=[(hour(h), "0.6") for h in range(4)])

    assert series_require_coverage(series=hourly_series, start=hour(0), end=hour(4)) is None


def test_series_points_bulk_upsert_rejects_misaligned_points(hourly_series):
    messages = rejected(hourly_series, [(hour(0), "0.6"), (hour(1.5), "0.6")])

    assert messages == [
        "Point 2: 2025-01-01 01:30+00:00 is not on the series grid (every 3600 s from 2025-01-01 00:00+00:00)"
    ]


def test_series_points_bulk_upsert_rejects_points_off_the_stored_grid(hourly_series):
    series_points_bulk_upsert(series=hourly_series, points=[(hour(0), "0.6")])

    messages = rejected(hourly_series, [(hour(5.25), "0.6"), (hour(6.25), "0.6")])

    assert [m.split(":")[0] for m in messages] == ["Point 1", "Point 2"]


def test_series_points_bulk_upsert_rejects_bad_values_and_duplicates(hourly_series):
    points = [
        (hour(0), "-0.1"),
        (hour(1), "0.1234567891"),
        (hour(2), "abc"),
        (hour(3), "1000000"),
        (hour(4), "0.5"),
        (hour(4), "0.5"),
        (datetime(2025, 1, 1, 5), "0.5"),
    ]

    messages = rejected(hourly_series, points)

    assert messages == [
        "Point 1: value -0.1 is negative",
        "Point 2: value 0.1234567891 has more than 9 decimal places",
        "Point 3: 'abc' is not a number",
        "Point 4: value 1000000 has more than 6 digits before the decimal point",
        "Point 6: 2025-01-01 04:00+00:00 repeats point 5",
        "Point 7: start 2025-01-01 05:00:00 is not an aware datetime on a whole second",
    ]


def test_series_points_bulk_upsert_never_changes_a_stored_value(hourly_series):
    """A dataset version is immutable: a stored point keeps its value, the same value again writes nothing, a new
    point extends the series, and a changed one refuses the whole call."""
    series_points_bulk_upsert(series=hourly_series, points=[(hour(0), "0.6"), (hour(1), "0.6")])

    with pytest.raises(SeriesValidationError) as caught:
        series_points_bulk_upsert(series=hourly_series, points=[(hour(1), "0.123456789"), (hour(2), "999999.5")])

    assert [e.code for e in caught.value.errors] == ["immutable"]
    assert caught.value.messages == [
        f"Point 1: 2025-01-01 01:00+00:00 already holds 0.6 in dataset version {hourly_series.dataset.version}, "
        "which is immutable: publish the change under a new version."
    ]
    assert list(hourly_series.points.order_by("start").values_list("value", flat=True)) == [
        Decimal("0.6"),
        Decimal("0.6"),
    ]

    written = series_points_bulk_upsert(series=hourly_series, points=[(hour(1), "0.600"), (hour(2), "999999.5")])

    assert written == 1
    assert list(hourly_series.points.order_by("start").values_list("value", flat=True)) == [
        Decimal("0.6"),
        Decimal("0.6"),
        Decimal("999999.5"),
    ]
