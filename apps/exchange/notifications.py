"""Reading a person's notifications (the in-app list): selectors, no writes (marking read is
apps.exchange.services.notifications_mark_read).

`notifications_for` returns a lazy list that a `Paginator` pages: counting it is one query and each
page it is sliced to is one more, whatever the number of notifications or event kinds. Every row
carries what the list shows: the event's summary and link (apps.exchange.events), when, who acted
and the comment that came with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from apps.accounts.models import Organization
from apps.exchange.enums import EventKind
from apps.exchange.events import EVENT_RELATED, event_link, event_summary
from apps.exchange.models import Notification


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    kind_label: str
    summary: str
    link: str  # a path
    when: datetime
    who: str  # the actor's username, "" for the system
    comment: str
    unread: bool
    organization: str  # the organization the recipient hears it in


class NotificationList:
    """A user's notifications, newest first, read a slice at a time (what `Paginator` needs)."""

    def __init__(self, queryset: QuerySet[Notification]) -> None:
        self._queryset = queryset
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> NotificationRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[NotificationRow]: ...
    def __getitem__(self, index: int | slice) -> NotificationRow | list[NotificationRow]:
        if isinstance(index, int):
            rows = self[index : index + 1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        return [_row(notification) for notification in self._queryset[index]]

    def __iter__(self) -> Iterator[NotificationRow]:
        return iter(self[0 : self.count()])


def _queryset(*, user: Any, organization: Organization | None, unread_only: bool) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(recipient_id=user.pk)
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset


def notifications_for(
    *, user: AbstractBaseUser | AnonymousUser, organization: Organization | None = None, unread_only: bool = False
) -> NotificationList:
    """The user's notifications (those heard in ``organization`` when given), newest first."""
    if not user.is_authenticated:
        return NotificationList(Notification.objects.none())
    related = ["organization", *(f"event__{name}" for name in EVENT_RELATED)]
    queryset = (
        _queryset(user=user, organization=organization, unread_only=unread_only)
        .select_related(*related)
        .order_by("-created_at", "-id")
    )
    return NotificationList(queryset)


def notifications_unread_count(
    *, user: AbstractBaseUser | AnonymousUser, organization: Organization | None = None
) -> int:
    """How many of the user's notifications are unread (one query; for the header)."""
    if not user.is_authenticated:
        return 0
    return _queryset(user=user, organization=organization, unread_only=True).count()


def notifications_unread_elsewhere(*, user: AbstractBaseUser | AnonymousUser, organization: Organization) -> int:
    """Unread notifications the user hears in their other organizations (shown once they switch)."""
    if not user.is_authenticated:
        return 0
    return _queryset(user=user, organization=None, unread_only=True).exclude(organization=organization).count()


def notification_of(
    *, user: AbstractBaseUser | AnonymousUser, notification_id: int, organization: Organization | None = None
) -> Notification | None:
    """One of the user's notifications, or None (someone else's is exactly like a missing one)."""
    if not user.is_authenticated:
        return None
    return _queryset(user=user, organization=organization, unread_only=False).filter(pk=notification_id).first()


def notification_ids_unread(*, user: AbstractBaseUser | AnonymousUser, organization: Organization) -> list[int]:
    """The ids of the user's unread notifications in one organization."""
    if not user.is_authenticated:
        return []
    return list(
        _queryset(user=user, organization=organization, unread_only=True).values_list("id", flat=True).order_by("id")
    )


def _row(notification: Notification) -> NotificationRow:
    event = notification.event
    actor = event.actor
    return NotificationRow(
        id=notification.pk,
        kind=event.kind,
        kind_label=str(EventKind(event.kind).label),
        summary=event_summary(event),
        link=event_link(event),
        when=event.created_at,
        who=actor.get_username() if actor is not None else "",
        comment="" if event.kind in (EventKind.VERIFIER_GRANTED, EventKind.VERIFIER_REVOKED) else event.comment,
        unread=notification.read_at is None,
        organization=notification.organization.name,
    )
