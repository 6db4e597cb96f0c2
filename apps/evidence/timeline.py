"""A study's timeline: who changed what and when, with old and new values.

Read from the history the models keep (django-simple-history) for the study itself, its
bill-of-materials lines, transport legs, stages, fuel and waste entries and evidence files. The
records of all seven tables are merged newest first in one UNION query and paginated there; only
the records of the page are then read (one query per table on the page, plus one for the records
they are compared with), and every label a page needs (materials, factors, users, ...) is
resolved in bulk. No query is made per history record.

Entries kept elsewhere (the exchange's transitions, comments and grants of the study: apps.exchange,
a layer above this one) are merged in through a `TimelineSource` the caller passes: such a source
is small (a study has tens of events, not tens of thousands of changes), so all its keys are read,
and the history is read only in the window that can reach the page (`_MergedKeys`). Paging stays
exact: page n of the merged timeline is what page n of one list of both would be.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

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
    url: str = ""  # a page the entry is about (an exchange event's submitted version), "" for none


@dataclass(frozen=True)
class Timeline:
    page: Page[Any]
    entries: list[TimelineEntry]


class TimelineSource(Protocol):
    """Entries of the study's timeline kept outside the history tables, merged in newest first."""

    def keys(self) -> Sequence[tuple[datetime, int]]:
        """Every entry's (when, id), newest first (ties: the higher id first)."""
        ...

    def entries(self, ids: Sequence[int]) -> Mapping[int, TimelineEntry]:
        """The entries of those ids (one that vanished meanwhile may be missing)."""
        ...


# A merged key: ("history", when, history_id, table) or ("extra", when, id).
MergedKey = tuple[Any, ...]


class _MergedKeys:
    """The history's keys and a small source's, newest first, as one list a `Paginator` can slice.

    Of the first ``start`` entries of the merged list at most ``len(extra)`` are the source's, so the
    history entries of a page [start, stop) are among history[start - len(extra) : stop]: only that
    window of the history is read. A history key's position is its index plus the source's keys newer
    than it; a source key's is its index plus the history keys newer than it, which is exact for every
    key that lands on the page (the history before the window is all newer than the page)."""

    def __init__(self, history: QuerySet[Any], extra: Sequence[tuple[datetime, int]]) -> None:
        self._history = history
        self._extra = list(extra)
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._history.count() + len(self._extra)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[MergedKey]:
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        if not self._extra:
            return [("history", *row) for row in self._history[start:stop]]
        low = max(0, start - len(self._extra))
        window = list(self._history[low:stop])
        # Sort keys, newest first: at the same instant a history record before an event.
        history_keys = [
            ((when, 1, history_id), ("history", when, history_id, table)) for when, history_id, table in window
        ]
        extra_keys = [((when, 0, extra_id), ("extra", when, extra_id)) for when, extra_id in self._extra]
        extra_ascending = sorted(sort_key for sort_key, _key in extra_keys)
        history_ascending = sorted(sort_key for sort_key, _key in history_keys)
        placed: list[tuple[int, MergedKey]] = []
        for offset, (sort_key, history_key) in enumerate(history_keys):
            newer = len(extra_ascending) - bisect_right(extra_ascending, sort_key)
            placed.append((low + offset + newer, history_key))
        for offset, (sort_key, extra_key) in enumerate(extra_keys):
            newer = low + len(history_ascending) - bisect_right(history_ascending, sort_key)
            placed.append((offset + newer, extra_key))
        return [merged for position, merged in sorted(placed, key=lambda item: item[0]) if start <= position < stop]


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


def study_timeline(
    *,
    study: Study,
    page: int | str | None = 1,
    per_page: int = PER_PAGE,
    extra: TimelineSource | None = None,
) -> Timeline:
    """One page of the study's history, newest first, with the entries of ``extra`` merged in."""
    merged = _MergedKeys(_merged(study), extra.keys() if extra is not None else [])
    paginator: Paginator[MergedKey] = Paginator(merged, per_page)  # type: ignore[arg-type]
    current = paginator.get_page(page)
    page_keys: list[MergedKey] = list(current.object_list)
    keys: list[tuple[str, int]] = [(key[3], key[2]) for key in page_keys if key[0] == "history"]
    extra_ids = [key[2] for key in page_keys if key[0] == "extra"]
    extra_entries = extra.entries(extra_ids) if extra is not None and extra_ids else {}

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
    for merged_key in page_keys:
        if merged_key[0] == "extra":
            found = extra_entries.get(merged_key[2])
            if found is not None:
                entries.append(found)
            continue
        key = (merged_key[3], merged_key[2])
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
