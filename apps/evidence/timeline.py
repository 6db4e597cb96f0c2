"""A study's timeline: who changed what and when, with old and new values.

Read from the history the models keep (django-simple-history) for the study itself, its
bill-of-materials lines, transport legs, stages, fuel and waste entries and evidence files. The
records of all seven tables are merged newest first in one UNION query and paginated there; only
the records of the page are then read (one query per table on the page, plus one for the records
they are compared with), and every label a page needs (materials, factors, users, ...) is
resolved in bulk. No query is made per history record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.evidence.labels import EMPTY, LabelResolver, percent_of_fraction, plain_decimal
from apps.evidence.models import EvidenceFile
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.models import FuelEntry, WasteEntry

PER_PAGE = 50
TRACKED: dict[str, type[models.Model]] = {
    "study": Study,
    "bom_line": BomLine,
    "transport_leg": TransportLeg,
    "study_stage": StudyStage,
    "fuel_entry": FuelEntry,
    "waste_entry": WasteEntry,
    "evidence": EvidenceFile,
}
# Stored as fractions, shown and entered as percentages (2 = 2 %).
PERCENT_FIELDS = frozenset({"loss_rate", "allocation_share"})
# Never changes within a study's rows, or says nothing to a reader.
EXCLUDED_FIELDS = frozenset({"organization", "study"})
# Fields whose models name them only by their attribute (Django's automatic verbose name is not
# translated): the timeline names them in the reader's language.
_AUTOMATIC_NAMES = {
    "material": gettext_lazy("material"),
    "factor": gettext_lazy("emission factor"),
    "product": gettext_lazy("product"),
    "site": gettext_lazy("site"),
    "stage": gettext_lazy("stage"),
    "bom_line": gettext_lazy("bill-of-materials line"),
    "created_by": gettext_lazy("created by"),
    "electricity_factor": gettext_lazy("electricity factor"),
    "electricity_series": gettext_lazy("electricity factor series"),
    "factor_dataset": gettext_lazy("factor dataset"),
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    who: str  # a username, or "" for a change made by the system (a command, an import)
    action: str  # "created", "changed" or "deleted"
    action_label: str
    kind_label: str
    label: str
    changes: tuple[FieldChange, ...]
    reason: str


@dataclass(frozen=True)
class Timeline:
    page: Page[Any]
    entries: list[TimelineEntry]


def _history_of(model: type[models.Model], study: Study) -> QuerySet[Any]:
    history = model.history  # type: ignore[attr-defined]
    if model is Study:
        return history.filter(id=study.pk)
    if model is TransportLeg:
        # Legs of every line the study ever had, deleted ones included.
        return history.filter(bom_line_id__in=BomLine.history.filter(study_id=study.pk).values("id"))
    return history.filter(study_id=study.pk)


def _merged(study: Study) -> QuerySet[Any]:
    parts = [
        _history_of(model, study)
        .order_by()
        .annotate(timeline_table=Value(key, output_field=CharField()))
        .values_list("history_date", "history_id", "timeline_table")
        for key, model in TRACKED.items()
    ]
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")


def _display(resolver: LabelResolver, model: type[models.Model], name: str, value: Any) -> str:
    field = model._meta.get_field(name)
    if value is None or value == "":
        return EMPTY
    if field.is_relation and field.related_model is not None:
        return resolver.label(field.related_model, value)  # type: ignore[arg-type]
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))  # type: ignore[union-attr]
    if name in PERCENT_FIELDS:
        return percent_of_fraction(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(field, models.FileField):
        return str(getattr(value, "name", value))
    return str(value)


def field_label(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    verbose = getattr(field, "verbose_name", name)
    if str(verbose) == name.replace("_", " ") and name in _AUTOMATIC_NAMES:
        verbose = _AUTOMATIC_NAMES[name]
    return capfirst(str(verbose))


def _field_order(model: type[models.Model]) -> dict[str, int]:
    return {field.name: index for index, field in enumerate(model._meta.fields)}


def study_timeline(*, study: Study, page: int | str | None = 1, per_page: int = PER_PAGE) -> Timeline:
    """One page of the study's history, newest first."""
    paginator = Paginator(_merged(study), per_page)
    current = paginator.get_page(page)
    keys: list[tuple[str, int]] = [(kind, history_id) for _when, history_id, kind in current.object_list]

    ids_by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, history_id in keys:
        ids_by_kind[kind].append(history_id)

    records: dict[tuple[str, int], Any] = {}
    previous: dict[tuple[str, int], Any] = {}
    for kind, ids in ids_by_kind.items():
        history = TRACKED[kind].history  # type: ignore[attr-defined]
        earlier = history.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by("-history_id")
        rows = list(history.filter(history_id__in=ids).annotate(previous_id=Subquery(earlier.values("history_id")[:1])))
        for row in rows:
            records[(kind, row.history_id)] = row
        wanted = [row.previous_id for row in rows if row.history_type == "~" and row.previous_id is not None]
        if wanted:
            for row in history.filter(history_id__in=wanted):
                previous[(kind, row.history_id)] = row

    resolver = LabelResolver()
    user_model = get_user_model()
    deltas: dict[tuple[str, int], list[Any]] = {}
    for (kind, history_id), record in records.items():
        model = TRACKED[kind]
        resolver.need_label_of(model, record)
        resolver.need(user_model, record.history_user_id)
        before = previous.get((kind, record.previous_id)) if record.history_type == "~" else None
        if before is None:
            continue
        delta = record.diff_against(before, excluded_fields=EXCLUDED_FIELDS)
        deltas[(kind, history_id)] = delta.changes
        for change in delta.changes:
            field = model._meta.get_field(change.field)
            if field.is_relation and field.related_model is not None:
                resolver.need(field.related_model, change.old)  # type: ignore[arg-type]
                resolver.need(field.related_model, change.new)  # type: ignore[arg-type]
    resolver.resolve()

    actions = {"+": ("created", _("created")), "~": ("changed", _("changed")), "-": ("deleted", _("deleted"))}
    entries: list[TimelineEntry] = []
    for key in keys:
        record = records.get(key)
        if record is None:  # deleted from the history table between the two queries
            continue
        kind, _history_id = key
        model = TRACKED[kind]
        order = _field_order(model)
        changes = sorted(deltas.get(key, []), key=lambda change: order.get(change.field, 0))
        action, action_label = actions.get(record.history_type, ("changed", _("changed")))
        user = resolver.row(user_model, record.history_user_id) if record.history_user_id else None
        entries.append(
            TimelineEntry(
                when=record.history_date,
                who=user.get_username() if user is not None else "",
                action=action,
                action_label=action_label,
                kind_label=capfirst(str(model._meta.verbose_name)),
                label=resolver.label_of(model, record),
                changes=tuple(
                    FieldChange(
                        field=field_label(model, change.field),
                        old=_display(resolver, model, change.field, change.old),
                        new=_display(resolver, model, change.field, change.new),
                    )
                    for change in changes
                ),
                reason=record.history_change_reason or "",
            )
        )
    return Timeline(page=current, entries=entries)
