"""Recording what happened in an exchange, and telling the people it concerns.

`event_record` is called by the services of this app inside their transaction: it writes one
`ExchangeEvent`, one `Notification` per recipient (the in-app list), and, once the transaction commits,
an email to each recipient for the events that warrant one (`EMAILED`), in the recipient's language
(`UserProfile.language`, else the site's). Email goes through Django's mail (the console by default,
SMTP when ``EMAIL_HOST`` is set) over one connection per event; a mail server that fails loses no
event and undoes nothing: the notification is there, ``emailed_at`` stays empty, and the error is
logged (the callback is robust: the request that committed is not failed by it).

Who hears of what (the actor never hears of their own action; deactivated users hear nothing):

| event | recipients | emailed |
| --- | --- | --- |
| request created, version returned or accepted | the supplier's managers and editors | yes |
| version submitted | the buyer's managers and reviewers | yes |
| verifier given access | the verification body's managers and verifiers | yes |
| verification statement recorded | the supplier's managers, the buyer's managers and reviewers | yes |
| comment added | nobody: the supplier hears of the comments when the version is returned | no |
| the rest (relationships, review started, withdrawn, declined, access revoked) | the other side | no |
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.enums import Role
from apps.accounts.models import Membership, Organization, UserProfile
from apps.exchange.enums import EventKind
from apps.exchange.models import (
    ExchangeEvent,
    FootprintRequest,
    Notification,
    ReviewComment,
    Submission,
    SupplyRelationship,
)
from apps.inventory.models import Study

logger = logging.getLogger(__name__)

AnyUser = AbstractBaseUser | AnonymousUser | None

# Who in an organization hears of what concerns it.
SUPPLIER_ROLES = (Role.MANAGER, Role.EDITOR)
BUYER_ROLES = (Role.MANAGER, Role.REVIEWER)
VERIFIER_ROLES = (Role.MANAGER, Role.VERIFIER)

# The events that are also emailed (the rest appear in the in-app list and the timeline only). A
# verification body is emailed when it is given access: it has no other way of knowing.
EMAILED = frozenset(
    {
        EventKind.REQUEST_CREATED,
        EventKind.SUBMITTED,
        EventKind.RETURNED,
        EventKind.ACCEPTED,
        EventKind.VERIFIER_GRANTED,
        EventKind.VERIFIED,
    }
)

# One line per event kind: the email's subject, the in-app list's and the timeline's summary.
_SUMMARIES = {
    EventKind.RELATIONSHIP_PROPOSED: gettext_lazy("%(buyer)s proposes a supply relationship with %(supplier)s"),
    EventKind.RELATIONSHIP_ACCEPTED: gettext_lazy("%(supplier)s accepted the supply relationship with %(buyer)s"),
    EventKind.RELATIONSHIP_ENDED: gettext_lazy("The supply relationship of %(buyer)s with %(supplier)s ended"),
    EventKind.REQUEST_CREATED: gettext_lazy("%(buyer)s requests the carbon footprint of %(product)s"),
    EventKind.REQUEST_DECLINED: gettext_lazy("%(supplier)s declined the request for %(product)s"),
    EventKind.SUBMITTED: gettext_lazy("%(supplier)s submitted version %(version)s of %(product)s"),
    EventKind.REVIEW_STARTED: gettext_lazy("%(buyer)s started reviewing version %(version)s of %(product)s"),
    EventKind.COMMENTED: gettext_lazy("%(buyer)s commented on version %(version)s of %(product)s"),
    EventKind.RETURNED: gettext_lazy("%(buyer)s returned version %(version)s of %(product)s for changes"),
    EventKind.ACCEPTED: gettext_lazy("%(buyer)s accepted version %(version)s of %(product)s"),
    EventKind.WITHDRAWN: gettext_lazy("%(supplier)s withdrew version %(version)s of %(product)s"),
    EventKind.VERIFIER_GRANTED: gettext_lazy(
        "%(supplier)s gave %(body)s access to version %(version)s of %(product)s for verification"
    ),
    EventKind.VERIFIER_REVOKED: gettext_lazy(
        "%(supplier)s revoked the access of %(body)s to version %(version)s of %(product)s"
    ),
    EventKind.VERIFIED: gettext_lazy("%(verifier)s recorded a verification statement on %(product)s"),
}
# What every reader of an event needs loaded with it (summary, link): one query for any number of events.
EVENT_RELATED = (
    "organization",
    "actor",
    "relationship__organization",
    "relationship__supplier",
    "request__organization",
    "request__supplier",
    "submission",
)


def _person(user: AnyUser) -> Any:
    """The signed-in user behind an event, or None (a command, an import)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    return user


def members_with_roles(organization: Organization, roles: Iterable[str]) -> list[int]:
    """User ids of the organization's active members with one of the roles."""
    return list(
        Membership.objects.filter(organization=organization, role__in=list(roles), user__is_active=True)
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
        # Robust: a failure after the commit is logged, never raised into the request that committed.
        transaction.on_commit(lambda: notifications_email(event_id=event_id), robust=True)
    return event


def notifications_email(*, event_id: int) -> int:
    """Email the recipients of an event who have not been emailed yet; returns how many were sent.

    A message the mail server refuses is logged and left unsent (``emailed_at`` empty): the in-app
    notification is there either way, and calling this again sends only what is still unsent."""
    event = ExchangeEvent.objects.select_related(*EVENT_RELATED).filter(pk=event_id).first()
    if event is None:
        return 0
    pending = list(
        Notification.objects.filter(event=event, emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("id")
    )
    if not pending:
        return 0
    languages = dict(
        UserProfile.objects.filter(user_id__in=[n.recipient_id for n in pending]).values_list("user_id", "language")
    )
    comments = _comments_of(event)
    messages: dict[str, tuple[str, str]] = {}  # by language: every recipient of a language reads the same mail
    sent = 0
    try:
        connection = get_connection()
        connection.open()
    except Exception:  # an unreachable server: nothing is sent, everything stays as it is
        logger.exception("Could not open a mail connection for event %s", event.pk)
        return 0
    try:
        for notification in pending:
            language = languages.get(notification.recipient_id) or settings.LANGUAGE_CODE
            if language not in messages:
                with translation.override(language):
                    messages[language] = _message(event, comments)
            subject, body = messages[language]
            message = EmailMessage(
                subject, body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email], connection=connection
            )
            try:
                delivered = message.send()
            except Exception:  # a mail server that fails must not undo or stop anything: the notification stays
                logger.exception("Could not email notification %s", notification.pk)
                continue
            if not delivered:
                continue
            now = timezone.now()
            Notification.objects.filter(pk=notification.pk).update(emailed_at=now, updated_at=now)
            sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.exception("Could not close the mail connection for event %s", event.pk)
    return sent


def event_link(event: ExchangeEvent) -> str:
    """The page an event is about (a path; emails prefix ``SITE_URL``)."""
    if event.submission_id is not None:
        return reverse("web:submission-detail", args=[event.submission.uuid])  # type: ignore[union-attr]
    if event.request_id is not None:
        return reverse("web:request-detail", args=[event.request.uuid])  # type: ignore[union-attr]
    return reverse("web:supplier-list")


def event_summary(event: ExchangeEvent) -> str:
    """One line, in the active language, saying what happened (load the event with ``EVENT_RELATED``)."""
    template = _SUMMARIES.get(EventKind(event.kind))
    if template is None:
        return str(EventKind(event.kind).label)
    return str(template) % _parameters(event)


def _parameters(event: ExchangeEvent) -> dict[str, Any]:
    footprint_request = event.request
    relationship = event.relationship
    submission = event.submission
    return {
        "buyer": relationship.organization.name if relationship else "",
        "supplier": relationship.supplier.name if relationship else "",
        "verifier": event.organization.name,
        # The verification body given or refused access (its name is the event's comment).
        "body": event.comment,
        "product": footprint_request.product_label if footprint_request else "",
        "version": submission.version if submission else "",
    }


def _comments_of(event: ExchangeEvent) -> list[ReviewComment]:
    """The comments a returned version was returned with: the supplier reads them in the email."""
    if event.kind != EventKind.RETURNED or event.submission_id is None:
        return []
    return list(ReviewComment.objects.filter(submission_id=event.submission_id).order_by("created_at", "id"))


def _one_line(text: str) -> str:
    """A subject is one line (a line break in it is refused by the mail library)."""
    return " ".join(text.split())


def _message(event: ExchangeEvent, comments: list[ReviewComment]) -> tuple[str, str]:
    subject = _one_line(event_summary(event))
    lines = [subject, ""]
    footprint_request = event.request
    if footprint_request is not None:
        lines.append(
            _("Reporting period: %(start)s to %(end)s")
            % {"start": footprint_request.period_start.isoformat(), "end": footprint_request.period_end.isoformat()}
        )
        lines.append(_("Due date: %(date)s") % {"date": footprint_request.due_date.isoformat()})
    if comments:
        lines += ["", _("The buyer's comments:")]
        for comment in comments:
            where = comment.line_label or comment.line_key or _("the whole version")
            lines.append(f"- {where}: {comment.body}")
    elif event.comment and event.kind not in (EventKind.VERIFIER_GRANTED, EventKind.VERIFIER_REVOKED):
        lines += ["", event.comment]
    lines += ["", f"{settings.SITE_URL.rstrip('/')}{event_link(event)}", "", _("— carbonfoot")]
    return subject, "\n".join(lines)
