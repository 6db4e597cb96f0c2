"""The exchange's part of a study's timeline: every submission, transition, comment and verification
grant of the study (the `ExchangeEvent` rows that name it), as entries of apps.evidence.timeline.

apps.evidence sits below this app and cannot read these rows; the page passes
`study_exchange_timeline(study=...)` to `apps.evidence.timeline.study_timeline(extra=...)`, which merges
them into the history newest first and pages both as one list.

The timeline is a page of the supplier's workspace. A comment's text reaches the supplier when its
version is returned (apps.exchange.models.ReviewComment), so a comment made on a version still waiting
for review (submitted or under review) is left out until the review ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from apps.evidence.timeline import FieldChange, TimelineEntry
from apps.exchange.enums import EventKind, RelationshipStatus, RequestStatus, SubmissionState
from apps.exchange.events import EVENT_RELATED, event_link, event_summary
from apps.exchange.models import OPEN_SUBMISSION_STATES, ExchangeEvent
from apps.inventory.models import Study

_STATE_CHOICES = (SubmissionState, RequestStatus, RelationshipStatus)


def _events(study: Study) -> QuerySet[ExchangeEvent]:
    return ExchangeEvent.objects.filter(study=study).exclude(
        Q(kind=EventKind.COMMENTED) & Q(submission__state__in=OPEN_SUBMISSION_STATES)
    )


class ExchangeTimeline:
    """A `apps.evidence.timeline.TimelineSource`: the study's exchange events, read a page at a time."""

    def __init__(self, study: Study) -> None:
        self.study = study

    def keys(self) -> Sequence[tuple[datetime, int]]:
        return list(_events(self.study).order_by("-created_at", "-id").values_list("created_at", "id"))

    def entries(self, ids: Sequence[int]) -> Mapping[int, TimelineEntry]:
        events = _events(self.study).filter(pk__in=list(ids)).select_related(*EVENT_RELATED)
        return {event.pk: exchange_entry(event) for event in events}


def study_exchange_timeline(*, study: Study) -> ExchangeTimeline:
    """The exchange events of the study, for `study_timeline(extra=...)` (two queries a page: keys, rows)."""
    return ExchangeTimeline(study)


def _label(state: str) -> str:
    """A state's name in the active language."""
    for choices in _STATE_CHOICES:
        if state in choices.values:
            return str(choices(state).label)
    return state


def exchange_entry(event: ExchangeEvent) -> TimelineEntry:
    """An event as a timeline entry (load it with apps.exchange.events.EVENT_RELATED)."""
    changes: tuple[FieldChange, ...] = ()
    if event.from_state or event.to_state:
        changes = (FieldChange(field=_("State"), old=_label(event.from_state) or "—", new=_label(event.to_state)),)
    if event.submission is not None and event.request is not None:
        subject = _("Version %(version)s for %(buyer)s") % {
            "version": event.submission.version,
            "buyer": event.request.organization.name,
        }
    elif event.request is not None:
        subject = _("Footprint request of %(buyer)s") % {"buyer": event.request.organization.name}
    else:
        subject = _("Exchange")
    try:
        url = event_link(event)
    except NoReverseMatch:  # the page is not there (yet): the entry is still shown
        url = ""
    reason = event.comment
    if event.kind in (EventKind.VERIFIER_GRANTED, EventKind.VERIFIER_REVOKED):
        reason = ""  # the comment is the verification body's name, already in the summary
    return TimelineEntry(
        when=event.created_at,
        who=event.actor.get_username() if event.actor is not None else "",
        action="exchange",
        action_label=capfirst(str(EventKind(event.kind).label)),
        kind_label=subject,
        label=event_summary(event),
        changes=changes,
        reason=reason,
        url=url,
    )
