"""Start a new study from an earlier one: same product and site, the next reporting period.

A second year should not be typed from scratch. The copy is a new draft study with the source's
settings (factor dataset, electricity factor or series, declared unit), every bill-of-materials
line with its transport legs, the stages' allocation shares and bases, and the fuel and waste
entries, all with their values as they are. Electricity readings are plant data of the site's
meters, not of the study: the new period reads its own.

It lives here, above inventory and ledger, because it writes both in one transaction.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.inventory.services.studies import User, study_create
from apps.ledger.models import FuelEntry, WasteEntry

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class StudyCopyProposal:
    """What the copy form offers: the next period of the same length and a free name."""

    name: str
    period_start: date
    period_end: date
    units_produced: Decimal


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def next_period(period_start: date, period_end: date) -> tuple[date, date]:
    """The period of the same length right after [start, end] (both inclusive).

    Whole months stay whole months (2025-01-01..2025-12-31 -> 2026-01-01..2026-12-31, a January
    -> the February after it, leap years included); any other period moves by its length in days.
    """
    whole_months = period_start.day == 1 and period_end == _month_end(period_end.year, period_end.month)
    if whole_months:
        months = (period_end.year - period_start.year) * 12 + period_end.month - period_start.month + 1
        start = _add_months(period_start, months)
        last_month = _add_months(start, months - 1)
        return start, _month_end(last_month.year, last_month.month)
    days = (period_end - period_start).days + 1
    start = period_end + timedelta(days=1)
    return start, start + timedelta(days=days - 1)


def _period_label(period_start: date, period_end: date) -> str:
    if (period_start.month, period_start.day, period_end.month, period_end.day) == (1, 1, 12, 31) and (
        period_start.year == period_end.year
    ):
        return str(period_start.year)
    if period_start.day == 1 and period_end == _month_end(period_start.year, period_start.month):
        return f"{period_start:%Y-%m}"
    return f"{period_start:%Y-%m-%d}–{period_end:%Y-%m-%d}"


def study_copy_proposal(*, source: Study) -> StudyCopyProposal:
    """The copy form's defaults: "<product name> <year>" for the next period, else "<source name> (copy)"."""
    start, end = next_period(source.period_start, source.period_end)
    candidates = [f"{source.product.name} {_period_label(start, end)}", _("%(name)s (copy)") % {"name": source.name}]
    candidates += [_("%(name)s (copy %(number)s)") % {"name": source.name, "number": n} for n in range(2, 100)]
    taken = set(
        Study.objects.for_organization(source.organization).filter(name__in=candidates).values_list("name", flat=True)
    )
    name = next((candidate for candidate in candidates if candidate not in taken), candidates[0])
    return StudyCopyProposal(name=name, period_start=start, period_end=end, units_produced=source.units_produced)


def _copied_values(row: models.Model, *, skip: set[str]) -> dict[str, Any]:
    """Every concrete field of ``row`` except its identity, its parent and its timestamps.

    Generic on purpose: a field added to a line later (custom lines, evidence links) is copied
    without touching this module. Unique fields (public ids) get their defaults anew.
    """
    values: dict[str, Any] = {}
    for field in row._meta.concrete_fields:
        if field.primary_key or field.unique or field.name in skip:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        values[field.attname] = getattr(row, field.attname)
    return values


def _copies(model: type[M], rows: list[M], *, skip: set[str], **parent: Any) -> list[M]:
    return [model(**{**_copied_values(row, skip=skip), **parent}) for row in rows]


def study_copy(
    *,
    source: Study,
    name: str,
    period_start: date,
    period_end: date,
    units_produced: Decimal,
    user: User,
) -> Study:
    """A new draft study of the same product and site for another period, with the source's inventory."""
    reason = _("Copied from study %(name)s") % {"name": source.name}
    history_user = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        target = study_create(
            organization=source.organization,
            product=source.product,
            site=source.site,
            name=name,
            period_start=period_start,
            period_end=period_end,
            units_produced=units_produced,
            declared_unit_amount=source.declared_unit_amount,
            factor_dataset=source.factor_dataset,
            electricity_factor=source.electricity_factor,
            electricity_series=source.electricity_series,
            description=source.description,
            user=user,
        )

        # Stages: study_create made all 26; take over the source's allocation (and any other setting).
        source_stages = {s.stage_id: s for s in StudyStage.objects.filter(study=source)}
        targets = list(StudyStage.objects.filter(study=target))
        stage_skip = {"organization", "study", "stage"}
        stage_fields: set[str] = set()
        for stage in targets:
            original = source_stages.get(stage.stage_id)
            if original is None:
                continue
            for attname, value in _copied_values(original, skip=stage_skip).items():
                setattr(stage, attname, value)
                stage_fields.add(attname)
        if stage_fields:
            StudyStage.objects.bulk_update(targets, sorted(stage_fields))

        # Bill of materials, then each line's transport legs under the new line.
        lines = list(BomLine.objects.filter(study=source).order_by("pk"))
        owner = {"organization": target.organization, "study": target}
        new_lines = _copies(BomLine, lines, skip={"organization", "study"}, **owner)
        bulk_create_with_history(new_lines, BomLine, default_user=history_user, default_change_reason=reason)
        line_map = {old.pk: new.pk for old, new in zip(lines, new_lines, strict=True)}
        legs = list(TransportLeg.objects.filter(bom_line__study=source).order_by("pk"))
        bulk_create_with_history(
            [
                TransportLeg(
                    **_copied_values(leg, skip={"organization", "bom_line"}),
                    organization=target.organization,
                    bom_line_id=line_map[leg.bom_line_id],
                )
                for leg in legs
            ],
            TransportLeg,
            default_user=history_user,
            default_change_reason=reason,
        )

        # Fuel and waste entries of the period (invoices, manifests): the starting point for the next.
        for model in (FuelEntry, WasteEntry):
            entries = list(model.objects.filter(study=source).order_by("pk"))
            bulk_create_with_history(
                _copies(model, entries, skip={"organization", "study"}, **owner),
                model,
                default_user=history_user,
                default_change_reason=reason,
            )
    return target
