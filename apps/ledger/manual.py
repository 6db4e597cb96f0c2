"""Electricity entered by hand for a stage: a total for the reporting period, or twelve monthly values.

The values are stored like any meter's, as readings (source ``ReadingSource.MANUAL``) on the
site's manual-entry metering point for that stage (``MeteringPoint.is_manual``, code
``manual-<site code>-stage-<no>``), so the study document and the engine take them exactly as they
take a meter's: a total is one reading over the whole period, monthly values are one reading per
calendar month, each in the organization's time zone.

A stage whose meters already report readings in the period cannot also get a manual entry: the
same electricity would be counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.catalog.models import ProcessStage
from apps.inventory.models import Site, Study
from apps.inventory.services.editable import study_lock_editable, study_require_editable
from apps.inventory.services.stages import study_stage_include
from apps.ledger.enums import ReadingSource
from apps.ledger.errors import ReadingValidationError
from apps.ledger.models import ElectricityReading, MeteringPoint
from apps.ledger.selectors import metered_readings_exist, organization_zone, study_period_bounds
from apps.ledger.services import ReadingInput, kwh_to_milliwatt_hours, metering_point_create, readings_bulk_insert

MAX_SIGNIFICANT_DIGITS = 15
MONTHS = 12


def manual_point_code(site: Site, stage: ProcessStage) -> str:
    return f"manual-{site.code}-stage-{stage.no}"


def manual_kwh_checked(value: Decimal | str | int) -> int:
    """kWh as typed by a person, to exact integer mWh: not negative, at most 15 significant digits
    and 6 decimal places. Raises a ValidationError with the reason (no field key)."""
    milliwatt_hours = kwh_to_milliwatt_hours(value)
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    if milliwatt_hours and len(number.normalize().as_tuple().digits) > MAX_SIGNIFICANT_DIGITS:
        raise ValidationError(
            _("%(value)s kWh has more than 15 significant digits."), code="too_many_digits", params={"value": value}
        )
    return milliwatt_hours


def study_months(study: Study) -> list[date] | None:
    """The first day of each month when the study's period is exactly twelve whole calendar months."""
    start, end = study.period_start, study.period_end
    if start.day != 1:
        return None
    months = [_add_months(start, i) for i in range(MONTHS)]
    if _add_months(start, MONTHS) != date.fromordinal(end.toordinal() + 1):
        return None
    return months


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def stage_electricity_manual_set(
    *,
    study: Study,
    stage: ProcessStage,
    total_kwh: Decimal | None,
    monthly_kwh: Sequence[Decimal] | None,
    user: AbstractBaseUser | AnonymousUser | None,
    now: datetime | None = None,
) -> MeteringPoint | None:
    """Replace the stage's manual electricity in the study period, in one transaction.

    Give ``total_kwh`` (one reading over the whole period) or ``monthly_kwh`` (twelve values, one
    reading per calendar month; the period must be exactly twelve calendar months); neither removes
    the manual entry. Returns the manual-entry metering point (None when there was nothing to keep).
    Raises ValidationError keyed ``total_kwh`` or ``monthly_kwh``; nothing is written then.
    """
    study_require_editable(study)
    if total_kwh is not None and monthly_kwh is not None:
        raise ValidationError(_("Enter either a total for the period or twelve monthly values, not both."))
    field = "total_kwh" if monthly_kwh is None else "monthly_kwh"
    start, end = study_period_bounds(study=study)
    zone = organization_zone(study.organization)
    readings: list[ReadingInput] = []
    if total_kwh is not None:
        try:
            manual_kwh_checked(total_kwh)
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from None
        readings = [ReadingInput(start=start, end=end, kwh=total_kwh)]
    elif monthly_kwh is not None:
        values = list(monthly_kwh)
        months = study_months(study)
        if months is None:
            raise ValidationError(
                {
                    field: [
                        _(
                            "Twelve monthly values need a reporting period of exactly twelve calendar months "
                            "(from the first day of a month to the last day of the twelfth); this period runs from "
                            "%(start)s to %(end)s. Enter a total for the period instead."
                        )
                        % {"start": study.period_start.isoformat(), "end": study.period_end.isoformat()}
                    ]
                }
            )
        if len(values) != MONTHS:
            raise ValidationError(
                {field: [_("Enter exactly 12 monthly values; %(count)s were given.") % {"count": len(values)}]}
            )
        problems = []
        for month, value in zip(months, values, strict=True):
            try:
                manual_kwh_checked(value)
            except ValidationError as exc:
                problems.append(f"{month:%Y-%m}: {exc.messages[0]}")
        if problems:
            raise ValidationError({field: problems})
        bounds = [*months, _add_months(months[0], MONTHS)]
        readings = [
            ReadingInput(
                start=datetime.combine(bounds[i], time(0), tzinfo=zone),
                end=datetime.combine(bounds[i + 1], time(0), tzinfo=zone),
                kwh=values[i],
            )
            for i in range(MONTHS)
        ]
    now = now or timezone.now()
    if readings and end > now:
        raise ValidationError(
            {
                field: [
                    _(
                        "The reporting period ends on %(end)s, which is not over yet: electricity can be entered by "
                        "hand once the period has ended."
                    )
                    % {"end": study.period_end.isoformat()}
                ]
            }
        )

    site = study.site
    with transaction.atomic():
        study_lock_editable(study)
        # One manual edit of a site at a time: the manual point is created at most once.
        Site.objects.select_for_update().filter(pk=site.pk).first()
        if readings and metered_readings_exist(site=site, stage=stage, start=start, end=end):
            raise ValidationError(
                {
                    field: [
                        _(
                            "Stage %(no)s already has meter readings at %(site)s in this reporting period; entering "
                            "its electricity by hand as well would count it twice. Use the meter readings, or remove "
                            "them before entering a value by hand."
                        )
                        % {"no": stage.no, "site": site.name}
                    ]
                }
            )
        point = MeteringPoint.objects.filter(
            organization_id=study.organization_id, site=site, stage=stage, is_manual=True
        ).first()
        if point is None and not readings:
            return None
        if point is None:
            point = metering_point_create(
                organization=study.organization,
                site=site,
                stage=stage,
                code=manual_point_code(site, stage),
                name=f"{stage.no}. {stage.name_zh} / {stage.name_en} (manual entry)"[:200],
                is_manual=True,
            )
        stored = ElectricityReading.objects.filter(metering_point=point, start__lt=end, end__gt=start)
        across = stored.exclude(start__gte=start, end__lte=end).order_by("start").first()
        if across is not None:
            raise ValidationError(
                {
                    field: [
                        _(
                            "A value entered by hand for another period (%(start)s to %(end)s) overlaps this reporting "
                            "period; change it in the study of that period first."
                        )
                        % {
                            "start": across.start.astimezone(zone).date().isoformat(),
                            "end": across.end.astimezone(zone).date().isoformat(),
                        }
                    ]
                }
            )
        stored.delete()
        # The point's update time is part of the checks' coverage cache key: a removal that inserts
        # nothing must still invalidate it.
        MeteringPoint.objects.filter(pk=point.pk).update(updated_at=timezone.now())
        if readings:
            study_stage_include(study=study, stage=stage, user=user)
            try:
                readings_bulk_insert(
                    organization=study.organization,
                    metering_point=point,
                    readings=readings,
                    source=ReadingSource.MANUAL,
                    created_by=user if isinstance(user, AbstractBaseUser) else None,
                    description=f"Entered by hand for {study.name}"[:300],
                    now=now,
                )
            except ReadingValidationError as exc:  # the checks above leave nothing for it to find
                raise ValidationError({field: exc.messages}) from None
    return point
