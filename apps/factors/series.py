"""Electricity-factor time series: writing points and reading them on the series grid.

A series of resolution R holds values for [t, t + R) at t = anchor + k·R, where the anchor is its
first point (hourly series sit on the hour; a daily series on Beijing midnights sits at 16:00
UTC). Points are checked against that grid when written, so readers may rely on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.factors.models import FACTOR_DIGITS, ElectricityFactorPoint, ElectricityFactorSeries

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DECIMAL_PLACES = FACTOR_DIGITS["decimal_places"]
WHOLE_DIGITS = FACTOR_DIGITS["max_digits"] - DECIMAL_PLACES
UPSERT_BATCH_SIZE = 2000


class SeriesValidationError(ValidationError):
    """Rejected factor points (nothing was written), or a series that leaves a gap in a period.

    ``errors`` keeps the individual ``ValidationError`` objects; ``params["row"]`` is the
    point's 1-based position in the input where one applies.
    """

    def __init__(self, errors: Sequence[ValidationError]) -> None:
        self.errors = list(errors)
        super().__init__(self.errors)


def series_points_for_period(
    *, series: ElectricityFactorSeries, start: datetime, end: datetime
) -> tuple[datetime, list[Decimal | None]]:
    """The values covering [start, end) on the series grid: (grid start <= start, one value per step).

    values[i] holds over [grid start + i·R, grid start + (i+1)·R); None marks a missing point.
    """
    _require_period(start, end)
    step = series.resolution_seconds
    rows = list(
        ElectricityFactorPoint.objects.filter(series=series, start__gt=start - timedelta(seconds=step), start__lt=end)
        .order_by("start")
        .values_list("start", "value")
    )
    anchor = _epoch(rows[0][0]) if rows else _anchor(series)
    first = _epoch(start) - (_epoch(start) - anchor) % step
    values: list[Decimal | None] = [None] * -((first - _epoch(end)) // step)  # ceil((end - first) / step)
    for point_start, value in rows:
        values[(_epoch(point_start) - first) // step] = value
    return datetime.fromtimestamp(first, UTC), values


def series_check_coverage(
    *, series: ElectricityFactorSeries, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) the series leaves without a value, as (gap start, gap end), in order."""
    first, values = series_points_for_period(series=series, start=start, end=end)
    step = timedelta(seconds=series.resolution_seconds)
    gaps: list[tuple[datetime, datetime]] = []
    for i, value in enumerate(values):
        if value is not None:
            continue
        gap_start, gap_end = max(first + step * i, start), min(first + step * (i + 1), end)
        if gaps and gaps[-1][1] == gap_start:
            gaps[-1] = (gaps[-1][0], gap_end)
        else:
            gaps.append((gap_start, gap_end))
    return gaps


def series_require_coverage(*, series: ElectricityFactorSeries, start: datetime, end: datetime) -> None:
    """Raise SeriesValidationError naming every gap the series leaves in [start, end)."""
    gaps = series_check_coverage(series=series, start=start, end=end)
    if gaps:
        message = _("The electricity factor series %(series)s has no value from %(start)s to %(end)s.")
        raise SeriesValidationError(
            errors=[
                ValidationError(
                    message, code="series_gap", params={"series": series.code, "start": _show(a), "end": _show(b)}
                )
                for a, b in gaps
            ]
        )


def series_points_bulk_upsert(
    *, series: ElectricityFactorSeries, points: Sequence[tuple[datetime, Decimal | str]]
) -> int:
    """Insert points: all or nothing, every problem reported. Returns the number of points written.

    A dataset version is immutable once stored (docs/factors.md): a point already stored may be sent again with
    the same value (it is not written again), never with another one; a correction is a new dataset version.
    New points extend the series (a period it did not cover could not have been computed with it)."""
    errors: list[ValidationError] = []
    step = series.resolution_seconds

    def fail(message: StrOrPromise, code: str, row: int, **params: object) -> None:
        errors.append(ValidationError(message, code=code, params={"row": row, **params}))

    checked: list[tuple[int, datetime, Decimal, int]] = []  # epoch, start, value, row
    for row, (start, raw) in enumerate(points, start=1):
        value = _factor_value(raw, row, fail)
        if not isinstance(start, datetime) or timezone.is_naive(start) or start.microsecond:
            fail(
                _("Point %(row)s: start %(start)s is not an aware datetime on a whole second"),
                "bad_datetime",
                row,
                start=str(start),
            )
        elif value is not None:
            checked.append((_epoch(start), start, value, row))
    if not points:
        errors.append(ValidationError(_("There are no points to write."), code="empty"))
    anchor = _anchor(series, default=min((item[0] for item in checked), default=0))
    seen: dict[int, int] = {}
    for epoch, start, _value, row in checked:
        if (epoch - anchor) % step:
            message = _("Point %(row)s: %(start)s is not on the series grid (every %(step)s s from %(anchor)s)")
            fail(
                message,
                "misaligned",
                row,
                start=_show(start),
                step=step,
                anchor=_show(datetime.fromtimestamp(anchor, UTC)),
            )
        if epoch in seen:
            fail(
                _("Point %(row)s: %(start)s repeats point %(other)s"),
                "duplicate",
                row,
                start=_show(start),
                other=seen[epoch],
            )
        seen.setdefault(epoch, row)
    if errors:
        raise SeriesValidationError(errors=_by_row(errors))
    with transaction.atomic():
        stored = _stored_values(series, checked)
        for epoch, start, value, row in checked:
            if epoch in stored and stored[epoch] != value:
                message = _(
                    "Point %(row)s: %(start)s already holds %(stored)s in dataset version %(version)s, which is "
                    "immutable: publish the change under a new version."
                )
                fail(
                    message,
                    "immutable",
                    row,
                    start=_show(start),
                    stored=f"{stored[epoch].normalize():f}",
                    version=series.dataset.version,
                )
        if errors:
            raise SeriesValidationError(errors=_by_row(errors))
        new = [
            ElectricityFactorPoint(series=series, start=start, value=value)
            for epoch, start, value, _r in checked
            if epoch not in stored
        ]
        ElectricityFactorPoint.objects.bulk_create(new, batch_size=UPSERT_BATCH_SIZE)
    return len(new)


def _by_row(errors: list[ValidationError]) -> list[ValidationError]:
    return sorted(errors, key=lambda e: (e.params or {}).get("row", 0))


def _stored_values(
    series: ElectricityFactorSeries, checked: list[tuple[int, datetime, Decimal, int]]
) -> dict[int, Decimal]:
    """The stored values at the starts of ``checked`` (by epoch), read in one range query."""
    if not checked:
        return {}
    wanted = {item[0] for item in checked}
    first = min(item[1] for item in checked)
    last = max(item[1] for item in checked)
    rows = ElectricityFactorPoint.objects.filter(series=series, start__gte=first, start__lte=last).values_list(
        "start", "value"
    )
    return {_epoch(start): value for start, value in rows.iterator() if _epoch(start) in wanted}


def _factor_value(raw: object, row: int, fail: Callable[..., None]) -> Decimal | None:
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        value = None
    if value is None or isinstance(raw, bool) or not value.is_finite():
        fail(_("Point %(row)s: '%(value)s' is not a number"), "not_a_number", row, value=raw)
        return None
    if value < 0:
        fail(_("Point %(row)s: value %(value)s is negative"), "negative", row, value=raw)
        return None
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMAL_PLACES:
        message = _("Point %(row)s: value %(value)s has more than %(places)s decimal places")
        fail(message, "too_many_decimals", row, value=raw, places=DECIMAL_PLACES)
        return None
    if value >= 10**WHOLE_DIGITS:
        message = _("Point %(row)s: value %(value)s has more than %(digits)s digits before the decimal point")
        fail(message, "too_large", row, value=raw, digits=WHOLE_DIGITS)
        return None
    return value


def _anchor(series: ElectricityFactorSeries, default: int = 0) -> int:
    """Epoch seconds of the series' first point: the grid every other point sits on."""
    first = ElectricityFactorPoint.objects.filter(series=series).order_by("start").values_list("start", flat=True)
    stored = first.first()
    return default if stored is None else _epoch(stored)


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _show(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(" ", "minutes" if not value.second else "seconds")


def _require_period(start: datetime, end: datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError(f"end {end} is not after start {start}")
