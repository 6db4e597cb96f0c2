"""The exchange between a buyer and its suppliers: relationships, requests, submitted versions, review
comments, verification grants and statements, and the events every party and the timeline read.

Shaped so that the PACT data-exchange API can be laid on it: a request is a PACT request
(RequestCreated, then RequestFulfilled by an accepted version or RequestRejected by a decline); a
submitted version is a ProductFootprint (its own id, a version number, the id of the version it
follows, the snapshot digest of its inputs) and the accepted one is the footprint that is published.

Every row is tenant-owned: a relationship and a request belong to the buyer that made them, a
submitted version and a verification grant to the supplier, a comment to its author's
organization and a statement to the verification body. Who else may see a row is decided by the
access helpers (apps.exchange.access), never by a view.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.accounts.models import Organization, TenantModel
from apps.evidence.models import EvidenceFile
from apps.exchange.enums import (
    AssuranceLevel,
    CommentTarget,
    EventKind,
    RelationshipStatus,
    RequestStatus,
    SubmissionState,
    VerificationOpinion,
    VerificationStandard,
)
from apps.footprints.models import FootprintResult, ImmutableRowError
from apps.inventory.enums import DeclaredUnit
from apps.inventory.models import Study

# The workflow fields of a submitted version: the only ones that ever change after it is written.
SUBMISSION_WORKFLOW_FIELDS = frozenset({"state", "state_changed_at", "updated_at"})
OPEN_SUBMISSION_STATES = (SubmissionState.SUBMITTED, SubmissionState.UNDER_REVIEW)


class SupplyRelationship(TenantModel):
    """A buyer keeps a supplier: proposed by the buyer (``organization``), accepted by the supplier's
    manager. Without an active one, neither side sees anything of the other."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    supplier = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="buyer_relationships", verbose_name=_("supplier")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=RelationshipStatus.choices, default=RelationshipStatus.PENDING
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["supplier__name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "supplier"], name="relationship_unique_pair"),
            models.CheckConstraint(condition=~Q(organization=models.F("supplier")), name="relationship_not_self"),
        ]
        verbose_name = _("supply relationship")
        verbose_name_plural = _("supply relationships")

    def __str__(self) -> str:
        return f"{self.organization} ← {self.supplier}"


class FootprintRequest(TenantModel):
    """A buyer asks one of its suppliers for the footprint of a product over a period."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    relationship = models.ForeignKey(SupplyRelationship, on_delete=models.PROTECT, related_name="requests")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("supplier"))
    product_type = models.CharField(
        _("product type"),
        max_length=120,
        help_text=_("What the comparison groups by, e.g. “single-phase smart meter”."),
    )
    product_code = models.CharField(_("supplier's model code"), max_length=80, blank=True)
    product_description = models.CharField(_("product description"), max_length=300, blank=True)
    period_start = models.DateField(_("reporting period start"))
    period_end = models.DateField(_("reporting period end (inclusive)"))
    declared_unit = models.CharField(
        _("declared unit"), max_length=16, choices=DeclaredUnit.choices, default=DeclaredUnit.PIECE
    )
    due_date = models.DateField(_("due date"))
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="request_period_ordered",
                violation_error_message=_("The reporting period must end on or after the day it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(product_code="") | ~Q(product_description=""),
                name="request_names_product",
                violation_error_message=_("Name the product: the supplier's model code or a description."),
            ),
        ]
        verbose_name = _("footprint request")
        verbose_name_plural = _("footprint requests")

    def __str__(self) -> str:
        return f"{self.product_code or self.product_description} {self.period_start}–{self.period_end}"

    @property
    def product_label(self) -> str:
        if self.product_code and self.product_description:
            return f"{self.product_description} ({self.product_code})"
        return self.product_code or self.product_description


class Submission(TenantModel):
    """Version n of a supplier's answer to a request: a computed study frozen at one result snapshot.

    Never altered or deleted: only the workflow fields (``SUBMISSION_WORKFLOW_FIELDS``) change, and only
    through apps.exchange.workflow. What the buyer sees is read from ``result`` (immutable, and the
    canonical inputs it holds), never from the live study, which the supplier may go on editing.
    """

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(FootprintRequest, on_delete=models.PROTECT, related_name="submissions")
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveIntegerField(_("version"))
    preceding = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("preceding version")
    )
    result = models.ForeignKey(FootprintResult, on_delete=models.PROTECT, related_name="submissions")
    digest = models.CharField(_("SHA-256 of the canonical inputs"), max_length=64)
    note = models.TextField(_("note to the buyer"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=SubmissionState.choices, default=SubmissionState.SUBMITTED
    )
    state_changed_at = models.DateTimeField(_("state changed"), auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["request", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["request", "version"], name="submission_unique_version"),
            # A request has at most one accepted version, and at most one waiting for review.
            models.UniqueConstraint(
                fields=["request"], condition=Q(state=SubmissionState.ACCEPTED), name="submission_one_accepted"
            ),
            models.UniqueConstraint(
                fields=["request"], condition=Q(state__in=OPEN_SUBMISSION_STATES), name="submission_one_open"
            ),
        ]
        verbose_name = _("submitted version")
        verbose_name_plural = _("submitted versions")

    def __str__(self) -> str:
        return f"{self.request} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= SUBMISSION_WORKFLOW_FIELDS:
                raise ImmutableRowError("A submitted version is never altered; only its workflow state changes.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRowError("A submitted version is never deleted.")


class SubmissionEvidence(TenantModel):
    """The evidence files of the study when the version was submitted (the file itself is kept for as long
    as a version names it: the foreign key protects it)."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="evidence")
    evidence = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="+")
    attached_to = models.CharField(_("attached to"), max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=24)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["submission", "attached_to", "original_name"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "evidence"], name="submissionevidence_unique"),
        ]
        verbose_name = _("evidence of a submitted version")
        verbose_name_plural = _("evidence of submitted versions")


class ReviewComment(TenantModel):
    """A reviewer's comment on a submitted version, on the whole of it or on one line.

    ``line_key`` is the line's key in the result breakdown (``material/20``, ``stage/5``, ``fuel/1``;
    docs/study-format.md), so the comment finds its line in the snapshot, in the next version and in
    the supplier's workspace. The supplier sees comments once the version is returned.
    """

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="comments")
    target = models.CharField(
        _("about"), max_length=12, choices=CommentTarget.choices, default=CommentTarget.SUBMISSION
    )
    line_key = models.CharField(_("line"), max_length=80, blank=True)
    line_label = models.CharField(_("line name"), max_length=300, blank=True)
    body = models.TextField(_("comment"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target=CommentTarget.SUBMISSION) & Q(line_key=""))
                | (~Q(target=CommentTarget.SUBMISSION) & ~Q(line_key="")),
                name="comment_line_matches_target",
            ),
        ]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")

    def __str__(self) -> str:
        return f"{self.submission}: {self.line_key or self.target}"


class VerificationGrant(TenantModel):
    """A supplier (``organization``) lets a verification body read one submitted version."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="grants")
    verifier = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="verification_grants", verbose_name=_("verification body")
    )
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "verifier"], name="grant_unique_submission_verifier"),
        ]
        verbose_name = _("verification grant")
        verbose_name_plural = _("verification grants")

    def __str__(self) -> str:
        return f"{self.verifier} → {self.submission}"


def statement_upload_to(instance: VerificationStatement, filename: str) -> str:
    return f"statements/{instance.organization_id}/{filename}"


class VerificationStatement(TenantModel):
    """What a verification body (``organization``) concluded about one submitted version. Never altered."""

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="statements")
    grant = models.ForeignKey(VerificationGrant, on_delete=models.PROTECT, related_name="statements")
    standard = models.CharField(_("standard"), max_length=16, choices=VerificationStandard.choices)
    assurance_level = models.CharField(_("level of assurance"), max_length=12, choices=AssuranceLevel.choices)
    scope = models.TextField(_("scope"))
    statement_date = models.DateField(_("date of the statement"))
    opinion = models.CharField(_("opinion"), max_length=12, choices=VerificationOpinion.choices)
    opinion_text = models.TextField(_("opinion, as worded in the statement"))
    statement_file = models.FileField(_("statement file"), upload_to=statement_upload_to, blank=True, max_length=255)
    statement_file_name = models.CharField(_("file name"), max_length=255, blank=True)
    statement_file_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    verifier_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-statement_date", "-id"]
        verbose_name = _("verification statement")
        verbose_name_plural = _("verification statements")

    def __str__(self) -> str:
        return f"{self.organization}: {self.submission}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRowError("A verification statement is never altered.")
        super().save(*args, **kwargs)


class ExchangeEvent(TenantModel):
    """One thing that happened (a transition, a comment, a grant), recorded by the service that did it.

    ``organization`` is the organization of the person who acted. The study's timeline, the in-app
    list and the emails are read from these rows; they are never changed.
    """

    kind = models.CharField(_("event"), max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    relationship = models.ForeignKey(SupplyRelationship, null=True, on_delete=models.PROTECT, related_name="events")
    request = models.ForeignKey(FootprintRequest, null=True, on_delete=models.PROTECT, related_name="events")
    submission = models.ForeignKey(Submission, null=True, on_delete=models.PROTECT, related_name="events")
    study = models.ForeignKey(Study, null=True, on_delete=models.PROTECT, related_name="exchange_events")
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["study", "-created_at"], name="exchangeevent_study_time")]
        verbose_name = _("exchange event")
        verbose_name_plural = _("exchange events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRowError("Events are never altered.")
        super().save(*args, **kwargs)


class Notification(TenantModel):
    """An event, for one person (``organization`` is the recipient's organization)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(ExchangeEvent, on_delete=models.CASCADE, related_name="notifications")
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_recipient_unread")]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event"], name="notification_unique_recipient_event"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
