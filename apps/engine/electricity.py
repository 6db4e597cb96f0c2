"""Metering purchased electricity (Edl): readings clipped to the period and valued against the factor.

All arithmetic here is on integers: times in microseconds from an origin, energies as the ledger's
integers, and the series' factor values scaled by a power of ten into integers. A reading that lies
only partly in the period, or across several factor intervals, contributes energy × overlap / step,
so every run adds one exact fraction. The caller rounds the stage's exact total once.

Fast path: when a run's step divides the series step and its readings sit on the series grid, each
reading falls in exactly one factor interval, so the readings of an interval are summed as a slice
and multiplied once by that interval's factor. No Python code runs per reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from fractions import Fraction
from itertools import accumulate
from operator import mul

from apps.engine import units
from apps.engine.types import FactorSeries, ReadingRun

_MICROSECOND = timedelta(microseconds=1)
_SECOND = 1_000_000
_SCALE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)  # scaleb by a power of ten never rounds


def micros(moment: datetime, origin: datetime) -> int:
    # In UTC: Python subtracts two datetimes of the same zone on the wall clock, wrong across DST.
    return (moment.astimezone(UTC) - origin.astimezone(UTC)) // _MICROSECOND


@dataclass(frozen=True)
class FactorGrid:
    """A validated factor series as integers: value[k] = scaled[k] × 10**exponent."""

    origin: datetime
    step: int  # microseconds
    scaled: list[int]
    prefix: list[int]  # prefix[k] == sum(scaled[:k]), to weight long readings in constant time
    exponent: int

    @classmethod
    def from_series(cls, series: FactorSeries) -> FactorGrid:
        # Gaps outside the period are allowed (validation only demands the period be covered) and never read.
        values = [Decimal(0) if value is None else Decimal(value) for value in series.values]
        exponent = min((int(value.as_tuple().exponent) for value in values), default=0)
        scaled = [int(value.scaleb(-exponent, context=_SCALE)) for value in values]
        return cls(
            origin=series.start,
            step=series.step_seconds * _SECOND,
            scaled=scaled,
            prefix=[0, *accumulate(scaled)],
            exponent=exponent,
        )

    def weight(self, start: int, end: int) -> int:
        """Σ over factor intervals of overlap(µs) × scaled value, for start < end inside the series."""
        step, scaled = self.step, self.scaled
        first, last = start // step, (end - 1) // step
        if first == last:
            return (end - start) * scaled[first]
        return (
            ((first + 1) * step - start) * scaled[first]
            + step * (self.prefix[last] - self.prefix[first + 1])
            + (end - last * step) * scaled[last]
        )

    def aligned_sum(self, energy: Sequence[int], lo: int, hi: int, offset: int, step: int) -> int:
        """Σ energy[i] × scaled[interval of reading i] for readings lo..hi-1 that each sit in one interval."""
        per_interval = self.step // step
        scaled = self.scaled
        interval, within = divmod(offset + lo * step, self.step)
        total = 0
        if within:
            head_end = min(hi, lo + per_interval - within // step)
            total += sum(energy[lo:head_end]) * scaled[interval]
            lo, interval = head_end, interval + 1
        count = (hi - lo) // per_interval
        if count:
            body = energy[lo : lo + count * per_interval]
            factors = scaled[interval : interval + count]
            if per_interval == 1:
                total += sum(map(mul, body, factors))
            else:
                # zip over one iterator repeated n times yields consecutive n-tuples: one per interval.
                total += sum(map(mul, map(sum, zip(*[iter(body)] * per_interval, strict=True)), factors))
            lo, interval = lo + count * per_interval, interval + count
        if lo < hi:
            total += sum(energy[lo:hi]) * scaled[interval]
        return total


def meter_stage(
    runs: Sequence[ReadingRun], period_start: datetime, period_end: datetime, grid: FactorGrid | None
) -> tuple[Fraction, Fraction]:
    """In-period kWh, and Σ kWh × scaled factor (zero without a grid), both exact."""
    origin = grid.origin if grid is not None else period_start
    p0, p1 = micros(period_start, origin), micros(period_end, origin)
    energy_kwh = weighted = Fraction(0)
    for run in runs:
        energy_num, weighted_num = _meter_run(run, p0, p1, origin, grid)
        if energy_num == 0 and weighted_num == 0:
            continue
        to_kwh = _to_kwh(run.unit)
        step = run.step_seconds * _SECOND
        energy_kwh += Fraction(energy_num, step) * to_kwh
        weighted += Fraction(weighted_num, step) * to_kwh
    return energy_kwh, weighted


def _to_kwh(unit: str) -> Fraction:
    factor = units.conversion_factor(unit, units.KWH)
    if factor is None:  # validation rejects such runs; this guards direct callers
        raise ValueError(f"{unit!r} is not an energy unit")
    return Fraction(factor)


def _meter_run(run: ReadingRun, p0: int, p1: int, origin: datetime, grid: FactorGrid | None) -> tuple[int, int]:
    """(Σ energy × in-period µs, Σ energy × weight), both still to be divided by the step in µs."""
    energy, count = run.energy, len(run.energy)
    step = run.step_seconds * _SECOND
    offset = micros(run.start, origin)
    # Readings lo..hi-1 lie wholly inside the period; at most lo-1 and hi straddle a boundary.
    lo = min(count, max(0, -((offset - p0) // step)))
    hi = min(count, max(0, (p1 - offset) // step))
    energy_num = weighted_num = 0
    if lo < hi:
        energy_num = sum(energy[lo:hi]) * step
        if grid is not None:
            if grid.step % step == 0 and offset % step == 0:
                weighted_num = grid.aligned_sum(energy, lo, hi, offset, step) * step
            else:
                weighted_num = sum(
                    energy[i] * grid.weight(offset + i * step, offset + (i + 1) * step) for i in range(lo, hi)
                )
    for i in sorted({lo - 1, hi}):
        if 0 <= i < count and not lo <= i < hi:
            start, end = max(offset + i * step, p0), min(offset + (i + 1) * step, p1)
            if end > start:
                energy_num += energy[i] * (end - start)
                if grid is not None:
                    weighted_num += energy[i] * grid.weight(start, end)
    return energy_num, weighted_num


def first_gap(series: FactorSeries, period_start: datetime, period_end: datetime) -> tuple[datetime, datetime] | None:
    """The earliest stretch of the period the series leaves without a value, or None if it covers it all."""
    step, values = series.step_seconds * _SECOND, list(series.values)
    p0, p1 = micros(period_start, series.start), micros(period_end, series.start)
    count = len(values)
    lo = min(count, max(0, p0 // step))
    hi = min(count, -(-p1 // step))  # intervals touching the period
    if p0 < 0:
        gap_start, after = p0, 0
    else:
        missing = _index_of_none(values, lo, hi)
        if missing == hi and hi * step >= p1:
            return None
        gap_start, after = max(p0, missing * step), missing
    while after < hi and values[after] is None:
        after += 1
    gap_end = after * step if after < hi else p1
    return _moment(series.start, gap_start, period_start), _moment(series.start, gap_end, period_start)


def _moment(origin: datetime, offset: int, zone_of: datetime) -> datetime:
    return (origin.astimezone(UTC) + offset * _MICROSECOND).astimezone(zone_of.tzinfo)


def _index_of_none(values: list[Decimal | None], lo: int, hi: int) -> int:
    try:
        return values.index(None, lo, hi)
    except ValueError:
        return hi
