"""Recording what happened in an exchange, and telling the people it concerns.

`event_record` is called by the services of this app inside their transaction: it writes one
`ExchangeEvent`, one `Notification` per recipient (the in-app list), and, once the transaction commits,
an email to each recipient for the events that warrant one, in the recipient's language. Email goes
through Django's mail (the console by default, SMTP when ``EMAIL_HOST`` is set); a mail server that
fails loses no event: the notification is there, and ``emailed_at`` stays empty.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.enums import Role
from apps.accounts.models import Membership, Organization, UserProfile
from apps.exchange.enums import EventKind
from apps.exchange.models import ExchangeEvent, FootprintRequest, Notification, Submission, SupplyRelationship
from apps.inventory.models import Study

logger = logging.getLogger(__name__)

AnyUser = AbstractBaseUser | AnonymousUser | None

# Who in an organization hears of what concerns it.
SUPPLIER_ROLES = (Role.MANAGER, Role.EDITOR)
BUYER_ROLES = (Role.MANAGER, Role.REVIEWER)
VERIFIER_ROLES = (Role.MANAGER, Role.VERIFIER)

# The events that are also emailed (the rest appear in the in-app list and the timeline only).
EMAILED = frozenset(
    {EventKind.REQUEST_CREATED, EventKind.SUBMITTED, EventKind.RETURNED, EventKind.ACCEPTED, EventKind.VERIFIED}
)

_SUBJECTS = {
    EventKind.REQUEST_CREATED: gettext_lazy("%(buyer)s requests the carbon footprint of %(product)s"),
    EventKind.SUBMITTED: gettext_lazy("%(supplier)s submitted version %(version)s of %(product)s"),
    EventKind.RETURNED: gettext_lazy("%(buyer)s returned version %(version)s of %(product)s for changes"),
    EventKind.ACCEPTED: gettext_lazy("%(buyer)s accepted version %(version)s of %(product)s"),
    EventKind.VERIFIED: gettext_lazy("%(verifier)s recorded a verification statement on %(product)s"),
}


def _person(user: AnyUser) -> Any:
    """The signed-in user behind an event, or None (a command, an import)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    return user


def members_with_roles(organization: Organization, roles: Iterable[str]) -> list[int]:
    """User ids of the organization's members with one of the roles."""
    return list(
        Membership.objects.filter(organization=organization, role__in=list(roles))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def event_record(
    *,
    kind: EventKind,
    organization: Organization,
    actor: AnyUser,
    recipients: dict[int, Organization],
    relationship: SupplyRelationship | None = None,
    request: FootprintRequest | None = None,
    submission: Submission | None = None,
    study: Study | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
) -> ExchangeEvent:
    """Write the event and its notifications (``recipients``: user id -> the organization they hear it in).

    Must be called inside the caller's transaction: the event is part of what the caller did."""
    person = _person(actor)
    if request is None and submission is not None:
        request = submission.request
    if relationship is None and request is not None:
        relationship = request.relationship
    if study is None and submission is not None:
        study = submission.study
    event = ExchangeEvent.objects.create(
        organization=organization,
        kind=kind,
        actor=person,
        relationship=relationship,
        request=request,
        submission=submission,
        study=study,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
    )
    actor_id = person.pk if person is not None else None
    notifications = [
        Notification(organization=recipient_org, recipient_id=user_id, event=event)
        for user_id, recipient_org in recipients.items()
        if user_id != actor_id
    ]
    Notification.objects.bulk_create(notifications)
    if kind in EMAILED and notifications:
        event_id = event.pk
        transaction.on_commit(lambda: notifications_email(event_id=event_id))
    return event


def notifications_email(*, event_id: int) -> int:
    """Email the recipients of an event who have not been emailed yet; returns how many were sent."""
    event = (
        ExchangeEvent.objects.select_related(
            "organization", "request", "request__organization", "request__supplier", "submission"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    sent = 0
    pending = Notification.objects.filter(event=event, emailed_at__isnull=True).select_related("recipient")
    languages = dict(
        UserProfile.objects.filter(user_id__in=[n.recipient_id for n in pending]).values_list("user_id", "language")
    )
    for notification in pending:
        address = notification.recipient.email
        if not address:
            continue
        language = languages.get(notification.recipient_id) or settings.LANGUAGE_CODE
        with translation.override(language):
            subject, body = _message(event)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception:  # a mail server that fails must not undo or stop anything: the notification stays
            logger.exception("Could not email notification %s", notification.pk)
            continue
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def event_link(event: ExchangeEvent) -> str:
    """The page an event is about (a path; emails prefix ``SITE_URL``)."""
    if event.submission_id is not None:
        return reverse("web:submission-detail", args=[event.submission.uuid])  # type: ignore[union-attr]
    if event.request_id is not None:
        return reverse("web:request-detail", args=[event.request.uuid])  # type: ignore[union-attr]
    return reverse("web:supplier-list")


def event_summary(event: ExchangeEvent) -> str:
    """One line, in the active language, saying what happened."""
    template = _SUBJECTS.get(EventKind(event.kind))
    if template is None:
        return str(EventKind(event.kind).label)
    return str(template) % _parameters(event)


def _parameters(event: ExchangeEvent) -> dict[str, Any]:
    footprint_request = event.request
    submission = event.submission
    return {
        "buyer": footprint_request.organization.name if footprint_request else "",
        "supplier": footprint_request.supplier.name if footprint_request else "",
        "verifier": event.organization.name,
        "product": footprint_request.product_label if footprint_request else "",
        "version": submission.version if submission else "",
    }


def _message(event: ExchangeEvent) -> tuple[str, str]:
    subject = event_summary(event)
    lines = [subject, ""]
    footprint_request = event.request
    if footprint_request is not None:
        lines.append(
            _("Reporting period: %(start)s to %(end)s")
            % {"start": footprint_request.period_start.isoformat(), "end": footprint_request.period_end.isoformat()}
        )
        lines.append(_("Due date: %(date)s") % {"date": footprint_request.due_date.isoformat()})
    if event.comment:
        lines += ["", event.comment]
    lines += ["", f"{settings.SITE_URL.rstrip('/')}{event_link(event)}", "", _("— carbonfoot")]
    return subject, "\n".join(lines)
