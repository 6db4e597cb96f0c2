"""Purchased electricity (Edl): clipping to the period, static and hourly factors, the fast path."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from apps.engine import compute_footprint
from apps.engine.compute import to_decimal
from apps.engine.errors import SeriesGapError

from .factories import HOUR, QUARTER, T0, D, at, factor, run, series, stage, study

GRID = factor("0.6205", "kgCO2e/kWh", key="cn/2023")


def stage_line(inputs):
    (contribution,) = [c for c in compute_footprint(inputs).contributions if c.kind == "stage"]
    return contribution


def test_static_factor_stage_is_allocated_by_share_and_units():
    readings = run(step=QUARTER, energy=(250_000, 500_000, 750_000, 1_000_000))  # mWh
    inputs = study(units_produced=D(10), stages=(stage(readings, allocation_share=D("0.5")),), electricity_factor=GRID)

    line = stage_line(inputs)

    # 2,500,000 mWh = 2.5 kWh; × 0.6205 = 1.55125 kg; × 0.5 / 10 = 0.0775625 kg per meter
    assert line.activity == D("2.5")
    assert line.plant_emission == D("1.55125")
    assert line.emission == D("0.0775625")
    assert line.average_factor == D("0.6205")
    assert (line.factor_key, line.factor_value) == ("cn/2023", D("0.6205"))


def test_hourly_series_values_each_quarter_hour_at_its_hour():
    readings = run(step=QUARTER, energy=(1_000_000,) * 4 + (2_000_000,) * 4)
    inputs = study(stages=(stage(readings),), electricity_series=series("0.6", "0.5"))

    line = stage_line(inputs)

    # hour 1: 4 kWh × 0.6 = 2.4; hour 2: 8 kWh × 0.5 = 4.0; 6.4 kg for 12 kWh
    assert line.activity == D(12)
    assert line.plant_emission == D("6.4")
    assert line.average_factor == D("0.53333333333333333333333333333333333333333333333333")  # 6.4 / 12
    assert (line.factor_key, line.factor_value, line.factor_unit) == ("grid/hourly", None, "kgCO2e/kWh")


def test_series_fast_path_and_irregular_intervals_agree_exactly():
    quarter_hours = run(step=QUARTER, energy=(1_000_000,) * 8)
    # The same uniform consumption as two 45-minute readings (each across an hour boundary) and a 30-minute one.
    irregular = (
        run(step=2700, energy=(3_000_000, 3_000_000)),
        run(start=at(minutes=90), step=1800, energy=(2_000_000,)),
    )
    valued = series("0.6205", "0.5306")

    fast = stage_line(study(stages=(stage(quarter_hours),), electricity_series=valued))
    slow = stage_line(study(stages=(stage(*irregular),), electricity_series=valued))

    # 4 kWh × 0.6205 + 4 kWh × 0.5306 = 2.482 + 2.1224 = 4.6044
    assert fast.plant_emission == slow.plant_emission == D("4.6044")
    assert fast.activity == slow.activity == D(8)


def test_monthly_reading_is_prorated_over_an_hourly_series():
    # January: 744 hours; night hours (00-08) at 0.7, day hours at 0.5. One reading of 744 kWh.
    hourly = tuple("0.7" if hour % 24 < 8 else "0.5" for hour in range(744))
    month = run(step=744 * HOUR, energy=(744_000_000,))
    inputs = study(period_end=at(744), stages=(stage(month),), electricity_series=series(*hourly))

    line = stage_line(inputs)

    # uniform 1 kWh per hour: per day 8 × 0.7 + 16 × 0.5 = 13.6 kg; 31 days = 421.6 kg
    assert line.activity == D(744)
    assert line.plant_emission == D("421.6")
    assert line.average_factor == to_decimal(Fraction(4216, 7440))  # 421.6 / 744


def test_monthly_reading_straddling_the_period_start_counts_its_in_period_part():
    # A 48-hour reading from 24 h before the period: only its second half (hours 0-24) counts.
    hourly = tuple("0.7" if hour < 8 else "0.5" for hour in range(24))
    reading = run(start=T0 - timedelta(hours=24), step=48 * HOUR, energy=(96_000_000,))  # 96 kWh, 2 kWh/h
    inputs = study(period_end=at(24), stages=(stage(reading),), electricity_series=series(*hourly))

    line = stage_line(inputs)

    # 48 kWh in period: 8 h × 2 kWh × 0.7 + 16 h × 2 kWh × 0.5 = 11.2 + 16 = 27.2
    assert line.activity == D(48)
    assert line.plant_emission == D("27.2")


def test_readings_outside_the_period_are_ignored():
    # quarter hours from 30 minutes before to 30 minutes after a 2-hour period; the outer ones are huge
    readings = run(start=at(minutes=-30), step=QUARTER, energy=(10**9, 10**9, *([1_000_000] * 8), 10**9, 10**9))
    inputs = study(stages=(stage(readings),), electricity_factor=factor("0.5", "kgCO2e/kWh"))

    line = stage_line(inputs)

    assert line.activity == D(8)  # 8 in-period readings of 1 kWh
    assert line.plant_emission == D(4)


def test_misaligned_readings_straddling_both_period_ends_are_clipped():
    # 15-minute readings offset by 5 minutes: [-5, 10), [10, 25), ..., [115, 130) minutes
    readings = run(start=at(minutes=-5), step=QUARTER, energy=(900_000,) * 9)
    inputs = study(stages=(stage(readings),), electricity_series=series("0.6", "0.5"))

    line = stage_line(inputs)

    # 0.9 kWh per reading, 0.06 kWh per minute, 120 minutes in period: 7.2 kWh
    # minutes 0-60 at 0.6: 3.6 kWh → 2.16; minutes 60-120 at 0.5: 3.6 kWh → 1.8
    assert line.activity == D("7.2")
    assert line.plant_emission == D("3.96")


def test_single_reading_spanning_the_whole_period_and_beyond():
    reading = run(start=at(-1), step=4 * HOUR, energy=(8_000_000,))  # 2 kWh per hour, hours -1 to 3
    inputs = study(stages=(stage(reading),), electricity_series=series("0.6", "0.5"))

    line = stage_line(inputs)

    assert line.activity == D(4)  # hours 0-2
    assert line.plant_emission == D("2.2")  # 2 × 0.6 + 2 × 0.5


def test_stage_without_readings_has_no_average_factor():
    line = stage_line(study(stages=(stage(),), electricity_factor=GRID))

    assert (line.activity, line.plant_emission, line.emission, line.average_factor) == (D(0), D(0), D(0), None)


def test_energy_in_kwh_against_a_factor_per_mwh():
    reading = run(step=HOUR, energy=(3,), unit="kWh")
    inputs = study(stages=(stage(reading),), electricity_factor=factor("620.5", "kgCO2e/MWh"))

    line = stage_line(inputs)

    assert line.plant_emission == D("1.8615")  # 3 kWh × 0.6205 kg/kWh
    assert line.average_factor == D("0.6205")


def test_stage_allocation_division_rounds_to_fifty_digits():
    inputs = study(
        units_produced=D(3), stages=(stage(run(energy=(1_000_000,))),), electricity_factor=factor("1", "kgCO2e/kWh")
    )

    line = stage_line(inputs)

    assert str(line.emission) == "0." + "3" * 50  # 1 kg / 3 meters, 50 significant digits


def test_series_gap_in_the_middle_is_named():
    inputs = study(period_end=at(4), stages=(stage(),), electricity_series=series("0.5", None, None, "0.5"))

    with pytest.raises(SeriesGapError) as caught:
        compute_footprint(inputs)

    assert caught.value.code == "series_gap"
    assert caught.value.params == {
        "series": "grid/hourly",
        "gap_start": "2025-01-01T01:00:00+00:00",
        "gap_end": "2025-01-01T03:00:00+00:00",
    }


def test_series_starting_late_is_a_gap_at_the_period_start():
    inputs = study(stages=(stage(),), electricity_series=series("0.5", "0.5", start=at(minutes=30)))

    with pytest.raises(SeriesGapError) as caught:
        compute_footprint(inputs)

    assert (caught.value.params["gap_start"], caught.value.params["gap_end"]) == (
        "2025-01-01T00:00:00+00:00",
        "2025-01-01T00:30:00+00:00",
    )


def test_series_ending_early_is_a_gap_at_the_period_end():
    inputs = study(stages=(stage(),), electricity_series=series("0.5"))

    with pytest.raises(SeriesGapError) as caught:
        compute_footprint(inputs)

    assert (caught.value.params["gap_start"], caught.value.params["gap_end"]) == (
        "2025-01-01T01:00:00+00:00",
        "2025-01-01T02:00:00+00:00",
    )


def test_series_entirely_before_the_period_is_one_gap():
    inputs = study(stages=(stage(),), electricity_series=series("0.5", start=at(-5)))

    with pytest.raises(SeriesGapError) as caught:
        compute_footprint(inputs)

    assert (caught.value.params["gap_start"], caught.value.params["gap_end"]) == (
        "2025-01-01T00:00:00+00:00",
        "2025-01-01T02:00:00+00:00",
    )


def test_series_gap_is_clipped_to_the_period():
    # Period 00:30-02:00; the first hour's value is missing, but only its in-period half is the gap.
    inputs = study(period_start=at(minutes=30), stages=(stage(),), electricity_series=series(None, "0.5"))

    with pytest.raises(SeriesGapError) as caught:
        compute_footprint(inputs)

    assert (caught.value.params["gap_start"], caught.value.params["gap_end"]) == (
        "2025-01-01T00:30:00+00:00",
        "2025-01-01T01:00:00+00:00",
    )


def test_series_gaps_outside_the_period_are_allowed():
    inputs = study(
        stages=(stage(run(energy=(1_000_000, 1_000_000))),),
        electricity_series=series(None, "0.6", "0.5", None, start=at(-1)),
    )

    assert stage_line(inputs).plant_emission == D("1.1")


def _reference(period, readings, grid_start, grid_step, values):
    """Per reading, per factor interval, in plain fractions: the definition the fast path must match."""
    p0, p1 = period
    kwh = emission = Fraction(0)
    for start, step, energy in readings:
        for i, amount in enumerate(energy):
            r0, r1 = start + i * step, start + (i + 1) * step
            kwh += Fraction(amount * max(0, min(r1, p1) - max(r0, p0)), step) / 10**6
            for k, value in enumerate(values):
                g0, g1 = grid_start + k * grid_step, grid_start + (k + 1) * grid_step
                overlap = max(0, min(r1, p1, g1) - max(r0, p0, g0))
                emission += Fraction(amount * overlap, step) / 10**6 * Fraction(value)
    return kwh, emission


@pytest.mark.parametrize("seed", range(60))
def test_meter_matches_the_reference_definition(seed):
    rng = random.Random(seed)
    grid_step = rng.choice([900, 1800, 3600])
    values = [D(rng.randrange(1, 9999)).scaleb(-rng.randrange(0, 5)) for _ in range(12)]
    p0 = rng.randrange(0, 3 * grid_step)
    p1 = rng.randrange(p0 + 1, 12 * grid_step + 1)
    readings = []
    for _ in range(rng.randrange(1, 4)):
        step = rng.choice([60, 300, 450, 700, 900, 1800, 3600, 5400])
        start = rng.choice([0, grid_step, -step, rng.randrange(-2 * grid_step, 6 * grid_step)])
        start -= start % step if rng.random() < 0.5 else 0  # half the runs sit on the grid: the fast path
        readings.append((start, step, tuple(rng.randrange(0, 10**7) for _ in range(rng.randrange(0, 40)))))
    inputs = study(
        period_start=T0 + timedelta(seconds=p0),
        period_end=T0 + timedelta(seconds=p1),
        stages=(stage(*(run(start=T0 + timedelta(seconds=s), step=st, energy=e) for s, st, e in readings)),),
        electricity_series=series(*(str(v) for v in values), step=grid_step),
    )

    line = stage_line(inputs)

    kwh, emission = _reference((p0, p1), readings, 0, grid_step, values)
    assert line.activity == to_decimal(kwh)
    assert line.plant_emission == to_decimal(emission)


def test_periods_across_a_daylight_saving_change_count_elapsed_time():
    # Berlin springs forward on 2025-03-30: 00:00 to 04:00 local is three hours, not four.
    berlin = ZoneInfo("Europe/Berlin")
    start, end = datetime(2025, 3, 30, 0, tzinfo=berlin), datetime(2025, 3, 30, 4, tzinfo=berlin)
    readings = run(start=start, step=HOUR, energy=(1_000_000, 1_000_000, 1_000_000))
    inputs = study(
        period_start=start,
        period_end=end,
        stages=(stage(readings),),
        electricity_series=series("0.1", "0.2", "0.3", start=start),
    )

    line = stage_line(inputs)

    assert line.activity == D(3)
    assert line.plant_emission == D("0.6")  # 1 × 0.1 + 1 × 0.2 + 1 × 0.3
