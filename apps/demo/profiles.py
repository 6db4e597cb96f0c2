"""Synthetic, deterministic time series for the demo: 15-minute stage loads and an hourly grid factor.

Pure Python (no Django): the same seed gives the same numbers on every machine, and a shorter span
is a prefix of the full year, so a test with two days sees the year's first two days.

Stage loads. Every slot's load is ``(base + active × volume) × season × scale × noise``:
- the shape (base, active) comes from the stage's profile and the kind of day: weekdays run two
  shifts (08:00-24:00, meal breaks at 12:00 and 18:00), Saturdays one (08:00-16:00), Sundays and
  public holidays none; the plant shuts for Spring Festival (25 Jan - 9 Feb 2025) and works the
  official make-up days. Ovens warm up for an hour before the first shift; burn-in and aging
  chambers run around the clock; the warehouse follows daylight and heating/cooling seasons;
  forklift chargers run at night after the shifts;
- volume is the day's production level (seeded, about 1 ± 0.05, with a monthly order pattern);
- scale makes the noise-free year total exactly the stage's annual kWh;
- noise is uniform within ±7 % per slot (seeded per stage).

Grid factor. An hourly shape ``1 - PV - wind - hydro + heating + cooling + evening``: a midday
solar dip (stronger in summer, scaled by a seeded daily cloudiness), a night wind dip (stronger in
late winter, seeded daily windiness), a wet-season hydro dip (peaking in July), a winter heating
and a summer cooling peak (the latter in the afternoon and evening), and an evening peak (17-22 h).
It is scaled so its mean is the annual factor, then rounded to 4 places by largest remainder so the
mean of the rounded values is still exactly the annual factor.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
YEAR_START = datetime(2025, 1, 1, tzinfo=TZ)
DAYS_IN_YEAR = 365
SLOT_SECONDS = 900
SLOTS_PER_DAY = 86_400 // SLOT_SECONDS
HOURS_IN_YEAR = DAYS_IN_YEAR * 24
SEED = 14067
NOISE = 0.07  # per-slot meter noise, uniform ±7 % (standard deviation about 4 %)

SHUTDOWN = (date(2025, 1, 25), date(2025, 2, 9))  # Spring Festival (eve 28 Jan), with travel days
HOLIDAYS = frozenset(
    [date(2025, 1, 1)]
    + [date(2025, 4, d) for d in (4, 5, 6)]
    + [date(2025, 5, d) for d in (1, 2, 3, 4, 5, 31)]
    + [date(2025, 6, d) for d in (1, 2)]
    + [date(2025, 10, d) for d in range(1, 9)]
)
MAKEUP_WORKDAYS = frozenset([date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)])
MONTH_VOLUME = (0.95, 0.85, 1.0, 1.0, 1.05, 1.05, 1.0, 1.0, 1.05, 1.0, 1.05, 0.95)  # order book, Jan..Dec
MONTH_HVAC = (1.3, 1.25, 1.05, 0.95, 1.0, 1.15, 1.35, 1.35, 1.15, 0.95, 1.05, 1.25)


def day_kind(day: date) -> str:
    if SHUTDOWN[0] <= day <= SHUTDOWN[1]:
        return "shutdown"
    if day in HOLIDAYS:
        return "holiday"
    if day in MAKEUP_WORKDAYS or day.weekday() < 5:
        return "weekday"
    return "saturday" if day.weekday() == 5 else "sunday"


def _slots(first_hour: float, last_hour: float) -> range:
    return range(int(first_hour * 4), int(last_hour * 4))


def _shift_slots(kind: str) -> range:
    return {"weekday": _slots(8, 24), "saturday": _slots(8, 16)}.get(kind, range(0))


def _template(profile: str, kind: str) -> tuple[list[float], list[float]]:
    """(base, active) per slot of one day: base is standby load, active scales with volume."""
    shift = _shift_slots(kind)
    meals = set(_slots(12, 12.75)) | set(_slots(18, 18.75))
    base, active = [0.0] * SLOTS_PER_DAY, [0.0] * SLOTS_PER_DAY
    for slot in range(SLOTS_PER_DAY):
        on = slot in shift
        if profile == "line":
            base[slot] = 0.06 if kind != "shutdown" else 0.02
            active[slot] = (0.5 if slot in meals else 1.0) if on else 0.0
        elif profile == "oven":
            base[slot] = 0.03
            warming = bool(shift) and slot in _slots(7, 8)
            active[slot] = 1.4 if warming else (1.0 if on else 0.0)
        elif profile == "continuous":
            base[slot] = 0.02
            active[slot] = {"weekday": 1.0, "saturday": 1.0, "sunday": 0.8, "holiday": 0.5}.get(kind, 0.0)
        elif profile == "building":
            base[slot] = 0.35 if kind != "shutdown" else 0.25
            daylight = slot in _slots(7, 23)
            active[slot] = 0.0 if not daylight else {"weekday": 0.65, "saturday": 0.45}.get(kind, 0.15)
        elif profile == "charging":
            base[slot] = 0.02
            night = slot in _slots(0, 6)
            level = {"weekday": 1.0, "saturday": 1.0, "sunday": 0.6}.get(kind, 0.0)
            active[slot] = level if night else (0.25 if on else 0.0)
        else:
            raise ValueError(f"unknown load profile {profile!r}")
    return base, active


PROFILES = ("line", "oven", "continuous", "building", "charging")
_KINDS = ("weekday", "saturday", "sunday", "holiday", "shutdown")
_TEMPLATES = {(p, k): _template(p, k) for p in PROFILES for k in _KINDS}


def _year_days() -> list[tuple[str, float, float]]:
    """(kind, volume, HVAC season) of every day of the year, from one seeded stream."""
    rng = random.Random(SEED)  # noqa: S311 - seeded demo data, not security
    days = []
    for d in range(DAYS_IN_YEAR):
        day = YEAR_START.date() + timedelta(days=d)
        volume = MONTH_VOLUME[day.month - 1] * min(1.2, max(0.8, rng.gauss(1.0, 0.05)))
        days.append((day_kind(day), volume, MONTH_HVAC[day.month - 1]))
    return days


_YEAR = _year_days()


def _day_loads(profile: str, day: tuple[str, float, float]) -> list[float]:
    """Noise-free relative load of each slot of one day."""
    kind, volume, hvac = day
    base, active = _TEMPLATES[(profile, kind)]
    if profile == "building":
        return [(b + a) * hvac for b, a in zip(base, active, strict=True)]
    return [b + a * volume for b, a in zip(base, active, strict=True)]


_YEAR_ACTIVITY = {p: sum(sum(_day_loads(p, day)) for day in _YEAR) for p in PROFILES}


def stage_energies(*, profile: str, kwh_per_year: Decimal, stage_no: int, days: int = DAYS_IN_YEAR) -> list[int]:
    """Milliwatt-hours of each 15-minute slot from 2025-01-01 00:00 (Beijing time), for `days` days."""
    if not 1 <= days <= DAYS_IN_YEAR:
        raise ValueError(f"days must be 1..{DAYS_IN_YEAR}, got {days}")
    scale = float(kwh_per_year) * 1_000_000 / _YEAR_ACTIVITY[profile]
    uniform = random.Random(SEED * 1000 + stage_no).random  # noqa: S311 - seeded demo data, not security
    out: list[int] = []
    for day in _YEAR[:days]:
        # Noise uniform in ±NOISE; int(x + 0.5) rounds these positive loads half up, fast.
        low, span = (1 - NOISE) * scale, 2 * NOISE * scale
        out.extend([int(load * (low + span * uniform()) + 0.5) for load in _day_loads(profile, day)])
    return out


def grid_series_start() -> datetime:
    """The first hourly point: Beijing midnight of 1 Jan 2025 (16:00 UTC the day before)."""
    return YEAR_START.astimezone(UTC)


def _grid_shape() -> list[float]:
    rng = random.Random(SEED + 1)  # noqa: S311
    weather = [(rng.uniform(0.35, 1.0), rng.uniform(0.3, 1.3)) for _ in range(DAYS_IN_YEAR)]
    shape = []
    for hour in range(HOURS_IN_YEAR):
        doy, h = divmod(hour, 24)
        middle = h + 0.5
        cloud, wind = weather[doy]
        daylight = max(0.0, math.sin(math.pi * (middle - 6) / 12))
        pv = 0.16 * (0.75 + 0.25 * math.sin(2 * math.pi * (doy - 80) / 365)) * cloud * daylight**1.5
        night = max(0.0, math.cos(2 * math.pi * (middle - 3) / 24)) ** 2
        wind_dip = 0.06 * (0.85 + 0.15 * math.cos(2 * math.pi * (doy - 60) / 365)) * wind * night
        hydro = 0.07 * math.exp(-(((doy - 200) / 45) ** 2))
        winter = min(abs(doy - 15), DAYS_IN_YEAR - abs(doy - 15))
        heating = 0.05 * math.exp(-((winter / 35) ** 2))
        cooling = 0.06 * math.exp(-(((doy - 215) / 28) ** 2)) * (1.0 if 11 <= h < 22 else 0.4)
        evening = 0.05 if 17 <= h < 22 else 0.0
        shape.append(1 - pv - wind_dip - hydro + heating + cooling + evening)
    return shape


def grid_hourly_values(annual: Decimal = Decimal("0.5500"), places: int = 4) -> list[Decimal]:
    """8,760 hourly factors whose mean is exactly `annual` (kgCO2e/kWh)."""
    shape = _grid_shape()
    unit = Decimal(1).scaleb(-places)
    target = int(annual / unit) * len(shape)  # the total in units of the last place
    scaled = [x * float(annual / unit) * len(shape) / sum(shape) for x in shape]
    floors = [math.floor(x) for x in scaled]
    remainder_order = sorted(range(len(shape)), key=lambda i: (floors[i] - scaled[i], i))
    for i in remainder_order[: target - sum(floors)]:
        floors[i] += 1
    return [Decimal(n).scaleb(-places) for n in floors]


def hourly_points(values: Sequence[Decimal]) -> list[tuple[datetime, Decimal]]:
    start = grid_series_start()
    return [(start + timedelta(hours=i), value) for i, value in enumerate(values)]
