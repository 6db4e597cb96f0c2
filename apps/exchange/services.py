"""Write services of the exchange (the workflow's transitions are in apps.exchange.workflow).

Keyword-only, typed, one transaction each; every one checks the member's party and role, validates
before it writes, and records an event (apps.exchange.events). A refusal is a ValidationError keyed
by the form field it concerns, or a PermissionDenied; nothing is written then.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.access import Action, membership_actions
from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Membership, Organization
from apps.accounts.tenancy import history_user_set, validated_save
from apps.evidence.files import inspect_upload
from apps.evidence.stored import stored_file_delete, stored_file_track
from apps.exchange.enums import (
    CommentTarget,
    EventKind,
    RelationshipStatus,
    RequestStatus,
    SubmissionState,
)
from apps.exchange.events import BUYER_ROLES, SUPPLIER_ROLES, VERIFIER_ROLES, event_record, members_with_roles
from apps.exchange.models import (
    FootprintRequest,
    Notification,
    ReviewComment,
    Submission,
    SupplyRelationship,
    VerificationGrant,
    VerificationStatement,
)
from apps.exchange.workflow import START_REVIEW, TransitionError, submission_transition
from apps.inventory.enums import DeclaredUnit

# Lazy: a module-level string is evaluated at import, in whatever language is active then.
_NOT_FOUND = gettext_lazy("No supplier with this short name or unified social credit code is registered.")


def _require(membership: Membership, action: Action, *, kind: str) -> None:
    if membership.organization.kind != kind or action not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))


def _recipients(organization: Organization, roles: tuple[str, ...]) -> dict[int, Organization]:
    return dict.fromkeys(members_with_roles(organization, roles), organization)


# Relationships ------------------------------------------------------------------------------------------


def supplier_find(*, identifier: str) -> Organization | None:
    """A supplier by its short name or unified social credit code (exact, case-insensitive): a buyer names
    the supplier it already deals with; nobody can list the platform's organizations."""
    identifier = identifier.strip()
    if not identifier:
        return None
    return (
        Organization.objects.filter(kind=OrganizationKind.SUPPLIER)
        .filter(Q(slug__iexact=identifier) | Q(credit_code__iexact=identifier))
        .first()
    )


def relationship_propose(*, membership: Membership, supplier_identifier: str, note: str = "") -> SupplyRelationship:
    """A buyer's manager or reviewer proposes to keep a supplier; it is active once the supplier's manager
    accepts."""
    _require(membership, Action.REVIEW, kind=OrganizationKind.BUYER)
    buyer = membership.organization
    supplier = supplier_find(identifier=supplier_identifier)
    if supplier is None:
        raise ValidationError({"supplier": [_NOT_FOUND]}, code="unknown_supplier")
    with transaction.atomic():
        existing = SupplyRelationship.objects.select_for_update().filter(organization=buyer, supplier=supplier).first()
        if existing is not None and existing.status != RelationshipStatus.ENDED:
            raise ValidationError(  # params inside: a dict of plain messages would show them uninterpolated
                {
                    "supplier": ValidationError(
                        _("%(supplier)s is already one of your suppliers (%(status)s)."),
                        code="duplicate",
                        params={"supplier": supplier.name, "status": RelationshipStatus(existing.status).label},
                    )
                }
            )
        relationship = existing or SupplyRelationship(organization=buyer, supplier=supplier)
        relationship.status = RelationshipStatus.PENDING
        relationship.note = note.strip()
        relationship.proposed_by = membership.user
        relationship.accepted_by = None
        relationship.accepted_at = None
        history_user_set(relationship, membership.user)
        validated_save(relationship)
        event_record(
            kind=EventKind.RELATIONSHIP_PROPOSED,
            organization=buyer,
            actor=membership.user,
            recipients=_recipients(supplier, ("manager",)),
            relationship=relationship,
            to_state=RelationshipStatus.PENDING,
            comment=relationship.note,
        )
    return relationship


def relationship_accept(*, membership: Membership, relationship: SupplyRelationship) -> SupplyRelationship:
    """The supplier's manager accepts a proposed relationship."""
    if relationship.supplier_id != membership.organization_id or Action.MANAGE not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    with transaction.atomic():
        now = timezone.now()
        changed = SupplyRelationship.objects.filter(pk=relationship.pk, status=RelationshipStatus.PENDING).update(
            status=RelationshipStatus.ACTIVE, accepted_by=membership.user, accepted_at=now, updated_at=now
        )
        if changed != 1:
            raise TransitionError(_("This relationship is not waiting for your answer."), code="invalid_transition")
        relationship.refresh_from_db()
        event_record(
            kind=EventKind.RELATIONSHIP_ACCEPTED,
            organization=membership.organization,
            actor=membership.user,
            recipients=_recipients(relationship.organization, BUYER_ROLES),
            relationship=relationship,
            from_state=RelationshipStatus.PENDING,
            to_state=RelationshipStatus.ACTIVE,
        )
    return relationship


def relationship_end(*, membership: Membership, relationship: SupplyRelationship) -> SupplyRelationship:
    """Either side's manager ends a relationship: from then on neither sees the other's rows."""
    side_ok = membership.organization_id in (relationship.organization_id, relationship.supplier_id)
    if not side_ok or Action.MANAGE not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    with transaction.atomic():
        now = timezone.now()
        previous = relationship.status
        changed = (
            SupplyRelationship.objects.filter(pk=relationship.pk)
            .exclude(status=RelationshipStatus.ENDED)
            .update(status=RelationshipStatus.ENDED, updated_at=now)
        )
        if changed != 1:
            raise TransitionError(_("This relationship has already ended."), code="invalid_transition")
        relationship.status = RelationshipStatus.ENDED
        other = relationship.supplier if membership.organization_id == relationship.organization_id else None
        recipients = _recipients(other, ("manager",)) if other else _recipients(relationship.organization, BUYER_ROLES)
        event_record(
            kind=EventKind.RELATIONSHIP_ENDED,
            organization=membership.organization,
            actor=membership.user,
            recipients=recipients,
            relationship=relationship,
            from_state=previous,
            to_state=RelationshipStatus.ENDED,
        )
    return relationship


# Requests -----------------------------------------------------------------------------------------------


def request_create(
    *,
    membership: Membership,
    relationship: SupplyRelationship,
    product_type: str,
    product_code: str = "",
    product_description: str = "",
    period_start: date,
    period_end: date,
    due_date: date,
    declared_unit: str = DeclaredUnit.PIECE,
    message: str = "",
    today: date | None = None,
) -> FootprintRequest:
    """A buyer's reviewer asks a supplier of an active relationship for a footprint (PACT: RequestCreated)."""
    _require(membership, Action.REVIEW, kind=OrganizationKind.BUYER)
    if relationship.organization_id != membership.organization_id:
        raise ValidationError(
            {"supplier": [_("Select a valid choice. That choice is not one of the available choices.")]}
        )
    if relationship.status != RelationshipStatus.ACTIVE:
        raise ValidationError(
            {
                "supplier": ValidationError(
                    _("%(supplier)s has not accepted your supply relationship yet."),
                    code="relationship_not_active",
                    params={"supplier": relationship.supplier.name},
                )
            }
        )
    today = today or timezone.localdate()
    if due_date < today:
        raise ValidationError(
            {
                "due_date": ValidationError(
                    _("The due date %(date)s is in the past."), code="due_in_past", params={"date": due_date}
                )
            }
        )
    footprint_request = FootprintRequest(
        organization=membership.organization,
        relationship=relationship,
        supplier=relationship.supplier,
        product_type=product_type.strip(),
        product_code=product_code.strip(),
        product_description=product_description.strip(),
        period_start=period_start,
        period_end=period_end,
        declared_unit=declared_unit,
        due_date=due_date,
        message=message.strip(),
        created_by=membership.user,
    )
    with transaction.atomic():
        history_user_set(footprint_request, membership.user)
        validated_save(footprint_request)
        event_record(
            kind=EventKind.REQUEST_CREATED,
            organization=membership.organization,
            actor=membership.user,
            recipients=_recipients(relationship.supplier, SUPPLIER_ROLES),
            request=footprint_request,
            to_state=RequestStatus.OPEN,
            comment=footprint_request.message,
        )
    return footprint_request


# Review comments ----------------------------------------------------------------------------------------

# A line's kind is the first part of its breakdown key; a line beyond the catalogue ("custom/1") and a
# material's transport leg ("material/20/transport/1") are bill-of-materials lines too.
_LINE_TARGETS = {
    "material": CommentTarget.MATERIAL,
    "custom": CommentTarget.MATERIAL,
    "stage": CommentTarget.STAGE,
    "fuel": CommentTarget.FUEL,
    "waste": CommentTarget.WASTE,
}


def comment_add(
    *, membership: Membership, submission: Submission, body: str, line_key: str = "", line_label: str = ""
) -> ReviewComment:
    """A reviewer comments on a version under review, on the whole of it (``line_key`` empty) or on one
    line of its result (``material/20``, ``stage/5``, ``fuel/1``, ``waste/1``). A version just submitted
    goes under review with its first comment."""
    if submission.request.organization_id != membership.organization_id or Action.REVIEW not in membership_actions(
        membership
    ):
        raise PermissionDenied(_("Your role does not allow this."))
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("Write the comment.")]}, code="required")
    target = CommentTarget.SUBMISSION
    if line_key:
        kind = line_key.split("/", 1)[0]
        known = {row.get("key") for row in (submission.result.breakdown or [])}
        if kind not in _LINE_TARGETS or line_key not in known:
            raise ValidationError({"line": [_("This version has no such line.")]}, code="unknown_line")
        target = _LINE_TARGETS[kind]
    with transaction.atomic():
        state = Submission.objects.filter(pk=submission.pk).values_list("state", flat=True).get()
        if state == SubmissionState.SUBMITTED:
            submission_transition(membership=membership, submission=submission, name=START_REVIEW.name)
        elif state != SubmissionState.UNDER_REVIEW:
            raise TransitionError(
                _("Comments are added while a version is under review; this one is %(state)s."),
                code="not_under_review",
                params={"state": SubmissionState(state).label},
            )
        comment = ReviewComment(
            organization=membership.organization,
            submission=submission,
            target=target,
            line_key=line_key,
            line_label=line_label.strip()[:300],
            body=body,
            author=membership.user,
        )
        validated_save(comment)
        event_record(
            kind=EventKind.COMMENTED,
            organization=membership.organization,
            actor=membership.user,
            recipients={},  # the supplier hears of the comments when the version is returned
            submission=submission,
            comment=body if not line_key else f"{line_label or line_key}: {body}",
        )
    return comment


# Verification -------------------------------------------------------------------------------------------


def verifier_find(*, identifier: str) -> Organization | None:
    identifier = identifier.strip()
    if not identifier:
        return None
    return (
        Organization.objects.filter(kind=OrganizationKind.VERIFIER)
        .filter(Q(slug__iexact=identifier) | Q(credit_code__iexact=identifier))
        .first()
    )


def verification_grant_add(
    *, membership: Membership, submission: Submission, verifier_identifier: str
) -> VerificationGrant:
    """The supplier's manager lets a verification body read one submitted version (and nothing else)."""
    if submission.organization_id != membership.organization_id or Action.SUBMIT not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    if submission.state == SubmissionState.WITHDRAWN:
        raise TransitionError(_("A withdrawn version cannot be verified."), code="withdrawn")
    verifier = verifier_find(identifier=verifier_identifier)
    if verifier is None:
        raise ValidationError(
            {"verifier": [_("No verification body with this short name or unified social credit code is registered.")]},
            code="unknown_verifier",
        )
    with transaction.atomic():
        grant = VerificationGrant.objects.select_for_update().filter(submission=submission, verifier=verifier).first()
        if grant is not None and grant.revoked_at is None:
            raise ValidationError(
                {
                    "verifier": ValidationError(
                        _("%(verifier)s can already read this version."),
                        code="duplicate",
                        params={"verifier": verifier.name},
                    )
                }
            )
        if grant is None:
            grant = VerificationGrant(organization=membership.organization, submission=submission, verifier=verifier)
        grant.revoked_at = None
        grant.granted_by = membership.user
        history_user_set(grant, membership.user)
        validated_save(grant)
        event_record(
            kind=EventKind.VERIFIER_GRANTED,
            organization=membership.organization,
            actor=membership.user,
            recipients=_recipients(verifier, VERIFIER_ROLES),
            submission=submission,
            comment=verifier.name,
        )
    return grant


def verification_grant_revoke(*, membership: Membership, grant: VerificationGrant) -> VerificationGrant:
    if grant.organization_id != membership.organization_id or Action.SUBMIT not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    with transaction.atomic():
        now = timezone.now()
        changed = VerificationGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
            revoked_at=now, updated_at=now
        )
        if changed != 1:
            raise TransitionError(_("This access has already been revoked."), code="invalid_transition")
        grant.revoked_at = now
        event_record(
            kind=EventKind.VERIFIER_REVOKED,
            organization=membership.organization,
            actor=membership.user,
            recipients=_recipients(grant.verifier, VERIFIER_ROLES),
            submission=grant.submission,
            comment=grant.verifier.name,
        )
    return grant


def verification_statement_record(
    *,
    membership: Membership,
    submission: Submission,
    standard: str,
    assurance_level: str,
    scope: str,
    statement_date: date,
    opinion: str,
    opinion_text: str,
    statement_file: UploadedFile | None = None,
    today: date | None = None,
) -> VerificationStatement:
    """A verifier of a body the supplier granted access records its statement on that version."""
    organization = membership.organization
    if organization.kind != OrganizationKind.VERIFIER or Action.VERIFY not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    grant = VerificationGrant.objects.filter(
        submission=submission, verifier=organization, revoked_at__isnull=True
    ).first()
    if grant is None:
        raise PermissionDenied(_("Your role does not allow this."))
    today = today or timezone.localdate()
    if statement_date > today:
        raise ValidationError(
            {
                "statement_date": ValidationError(
                    _("The statement's date %(date)s is in the future."), code="future", params={"date": statement_date}
                )
            }
        )
    statement = VerificationStatement(
        organization=organization,
        submission=submission,
        grant=grant,
        standard=standard,
        assurance_level=assurance_level,
        scope=scope.strip(),
        statement_date=statement_date,
        opinion=opinion,
        opinion_text=opinion_text.strip(),
        verifier_user=membership.user,
    )
    statement.full_clean(exclude=["statement_file"])
    inspected = None
    if statement_file is not None:
        inspected = inspect_upload(statement_file, max_bytes=settings.EVIDENCE_MAX_BYTES)
        if inspected.extension != ".pdf":
            raise ValidationError({"statement_file": [_("The statement file must be a PDF document.")]}, code="not_pdf")
        statement.statement_file_name = inspected.original_name
        statement.statement_file_sha256 = inspected.sha256
        statement_file.seek(0)
        statement.statement_file = File(statement_file, name=f"{statement.uuid}.pdf")
    in_callers_transaction = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic():
            statement.save()
            event_record(
                kind=EventKind.VERIFIED,
                organization=organization,
                actor=membership.user,
                recipients={
                    **_recipients(submission.organization, ("manager",)),
                    **_recipients(submission.request.organization, BUYER_ROLES),
                },
                submission=submission,
                comment=statement.opinion_text,
            )
    except Exception:
        if statement.statement_file and getattr(statement.statement_file, "_committed", False):
            stored_file_delete(statement.statement_file.storage, statement.statement_file.name)
        raise
    if in_callers_transaction and statement.statement_file:
        stored_file_track(
            storage=statement.statement_file.storage,
            name=statement.statement_file.name,
            using=DEFAULT_DB_ALIAS,
            model=VerificationStatement,  # else the end of the request takes it for an evidence file's and deletes it
            field="statement_file",
        )
    return statement


# Notifications ------------------------------------------------------------------------------------------


def notifications_mark_read(*, user_id: int, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them, or those ids); returns how many changed."""
    queryset = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now(), updated_at=timezone.now())
