"""The review workflow: one state machine, in one place.

A study is a *draft* until its supplier submits it in answer to a request; each submission is a new,
immutable version (apps.exchange.models.Submission). A version then moves:

    submitted ──start_review──▶ under_review ──return──▶ returned
        │  ╲                         │
        │   ╲──return / accept──▶    └──accept──▶ accepted
        └──withdraw──▶ withdrawn

and the request it answers is *open* until a version is accepted (*fulfilled*) or the supplier
*declines* it. Every transition here checks who may make it and from which state, records who, when
and why (`ExchangeEvent`, the study's history), and refuses anything else with a `TransitionError`
naming the current state: never a silent no-op. The state is changed with a compare-and-set update
(``UPDATE ... WHERE state IN (allowed)``), so of two reviewers accepting at once exactly one
succeeds and the other is told what happened.

The study follows its latest version: submitted, under review and accepted studies cannot be edited
(apps.inventory.services.editable); a returned or withdrawn one can, and its next submission is
version n+1 of the same answer. Nothing a version shows is read from the live study.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.access import Action, membership_actions
from apps.accounts.models import Membership, Organization
from apps.accounts.tenancy import history_user_set
from apps.evidence.models import EvidenceFile
from apps.exchange.enums import CommentTarget, EventKind, RelationshipStatus, RequestStatus, SubmissionState
from apps.exchange.events import BUYER_ROLES, SUPPLIER_ROLES, event_record, members_with_roles
from apps.exchange.models import (
    OPEN_SUBMISSION_STATES,
    FootprintRequest,
    ReviewComment,
    Submission,
    SubmissionEvidence,
)
from apps.footprints.checks import study_checks
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.footprints.selectors import studies_inputs_changed
from apps.inventory.enums import StudyStatus
from apps.inventory.models import Study
from apps.inventory.services.editable import STUDY_EDITABLE_STATUSES

AnyUser = AbstractBaseUser | AnonymousUser | None


class TransitionError(ValidationError):
    """A transition that is not allowed from the current state (or whose conditions are not met)."""


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[SubmissionState, ...]
    target: SubmissionState
    side: str  # "buyer" or "supplier": whose member makes it
    action: Action
    event: EventKind
    study_status: StudyStatus


START_REVIEW = Transition(
    "start_review",
    (SubmissionState.SUBMITTED,),
    SubmissionState.UNDER_REVIEW,
    "buyer",
    Action.REVIEW,
    EventKind.REVIEW_STARTED,
    StudyStatus.UNDER_REVIEW,
)
RETURN = Transition(
    "return",
    (SubmissionState.SUBMITTED, SubmissionState.UNDER_REVIEW),
    SubmissionState.RETURNED,
    "buyer",
    Action.REVIEW,
    EventKind.RETURNED,
    StudyStatus.RETURNED,
)
ACCEPT = Transition(
    "accept",
    (SubmissionState.SUBMITTED, SubmissionState.UNDER_REVIEW),
    SubmissionState.ACCEPTED,
    "buyer",
    Action.REVIEW,
    EventKind.ACCEPTED,
    StudyStatus.ACCEPTED,
)
WITHDRAW = Transition(
    "withdraw",
    (SubmissionState.SUBMITTED,),
    SubmissionState.WITHDRAWN,
    "supplier",
    Action.SUBMIT,
    EventKind.WITHDRAWN,
    StudyStatus.DRAFT,
)
TRANSITIONS: dict[str, Transition] = {t.name: t for t in (START_REVIEW, RETURN, ACCEPT, WITHDRAW)}


def _state_label(state: str) -> str:
    return str(SubmissionState(state).label) if state in SubmissionState.values else state


def _refuse_state(transition: Transition, current: str) -> TransitionError:
    messages = {
        "start_review": _("The review cannot start: this version is %(state)s."),
        "return": _("This version cannot be returned: it is %(state)s."),
        "accept": _("This version cannot be accepted: it is %(state)s."),
        "withdraw": _("This version cannot be withdrawn: it is %(state)s. Only a version not yet under review can."),
    }
    return TransitionError(
        messages[transition.name], code="invalid_transition", params={"state": _state_label(current)}
    )


def _require_side(membership: Membership, transition_side: str, submission: Submission, action: Action) -> None:
    """Who may make a transition: a member of the right party, with the role that allows the action."""
    organization_id = membership.organization_id
    party = submission.request.organization_id if transition_side == "buyer" else submission.organization_id
    if organization_id != party or action not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))


def _recipients(organization: Organization, roles: Iterable[str]) -> dict[int, Organization]:
    return dict.fromkeys(members_with_roles(organization, roles), organization)


def _set_study_status(study: Study, status: StudyStatus, user: AnyUser) -> None:
    """The study follows its latest version (saved, not updated in bulk: the marks and history see it)."""
    locked = Study.objects.select_for_update().get(pk=study.pk)
    locked.status = status
    history_user_set(locked, user)
    locked.save(update_fields=["status", "updated_at"])
    study.status = status


def submission_transition(
    *, membership: Membership, submission: Submission, name: str, comment: str = ""
) -> Submission:
    """Make transition ``name`` ("start_review", "return", "accept", "withdraw") on a version.

    Raises PermissionDenied (the member's party or role may not), TransitionError (not from the current
    state; a return without a comment) and writes nothing then. Returns the version, re-read."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionError(_("Unknown action."), code="unknown_transition")
    _require_side(membership, transition.side, submission, transition.action)
    comment = comment.strip()
    user = membership.user
    with transaction.atomic():
        if transition is RETURN:
            has_comment = bool(comment) or ReviewComment.objects.filter(submission=submission).exists()
            if not has_comment:
                raise TransitionError(
                    _("Say what needs changing: add at least one comment before returning this version."),
                    code="comment_required",
                )
            if comment:
                ReviewComment.objects.create(
                    organization=membership.organization,
                    submission=submission,
                    target=CommentTarget.SUBMISSION,
                    body=comment,
                    author=user,
                )
        now = timezone.now()
        try:
            with transaction.atomic():
                changed = Submission.objects.filter(pk=submission.pk, state__in=transition.sources).update(
                    state=transition.target, state_changed_at=now, updated_at=now
                )
        except IntegrityError as exc:  # another version of the request was accepted meanwhile
            raise TransitionError(
                _("Another version of this request has already been accepted."), code="already_accepted"
            ) from exc
        if changed != 1:
            current = Submission.objects.filter(pk=submission.pk).values_list("state", flat=True).first() or ""
            raise _refuse_state(transition, current)
        previous = submission.state
        submission.state = transition.target
        submission.state_changed_at = now
        footprint_request = submission.request
        if transition is ACCEPT:
            FootprintRequest.objects.filter(pk=footprint_request.pk).update(
                status=RequestStatus.FULFILLED, updated_at=now
            )
            footprint_request.status = RequestStatus.FULFILLED
        _set_study_status(submission.study, transition.study_status, user)
        if transition.side == "buyer":
            recipients = _recipients(submission.organization, SUPPLIER_ROLES)
        else:
            recipients = _recipients(footprint_request.organization, BUYER_ROLES)
        event_record(
            kind=transition.event,
            organization=membership.organization,
            actor=user,
            recipients=recipients,
            submission=submission,
            from_state=previous,
            to_state=transition.target,
            comment=comment,
        )
    return submission


def _latest_result(study: Study) -> FootprintResult:
    """The result of the study's latest computation; refused unless it succeeded on the current inputs."""
    computation = FootprintComputation.objects.filter(study=study).order_by("-created_at", "-id").first()
    if computation is not None:
        if computation.status in (ComputationStatus.QUEUED, ComputationStatus.RUNNING):
            raise TransitionError(
                _("The study is being computed. Submit it once the result is in."), code="computation_pending"
            )
        if computation.status != ComputationStatus.SUCCEEDED or computation.result_id is None:
            raise TransitionError(
                _("The study's latest computation failed. Fix what it reported and compute again."),
                code="computation_failed",
            )
        result = FootprintResult.objects.get(pk=computation.result_id)
    else:
        found = FootprintResult.objects.filter(study=study).order_by("-created_at", "-id").first()
        if found is None:
            raise TransitionError(_("Compute the study before submitting it."), code="not_computed")
        result = found
    if studies_inputs_changed(studies=[study])[study.pk]:
        raise TransitionError(
            _("The study changed after its latest computation. Compute it again so the result shows what you submit."),
            code="inputs_changed",
        )
    return result


def _require_matches_request(study: Study, footprint_request: FootprintRequest) -> None:
    errors: list[ValidationError] = []
    if (study.period_start, study.period_end) != (footprint_request.period_start, footprint_request.period_end):
        errors.append(
            ValidationError(
                _("The study covers %(study_start)s to %(study_end)s; the request asks for %(start)s to %(end)s."),
                code="period_mismatch",
                params={
                    "study_start": study.period_start.isoformat(),
                    "study_end": study.period_end.isoformat(),
                    "start": footprint_request.period_start.isoformat(),
                    "end": footprint_request.period_end.isoformat(),
                },
            )
        )
    if study.declared_unit != footprint_request.declared_unit:
        errors.append(
            ValidationError(
                _("The study's declared unit differs from the one the request asks for."), code="unit_mismatch"
            )
        )
    if footprint_request.product_code and study.product.model_code != footprint_request.product_code:
        errors.append(
            ValidationError(
                _("The request is for model %(requested)s; this study is of model %(model)s."),
                code="product_mismatch",
                params={"requested": footprint_request.product_code, "model": study.product.model_code},
            )
        )
    if errors:
        raise TransitionError(errors)


def submission_create(
    *, membership: Membership, footprint_request: FootprintRequest, study: Study, note: str = ""
) -> Submission:
    """Submit ``study`` in answer to ``footprint_request``: version n+1 of the answer, frozen at the study's
    latest result. The study must be complete, computed on its current inputs, of the requested product,
    period and declared unit, and not waiting for review elsewhere.

    Raises PermissionDenied (not a manager of the supplier the request is addressed to) or TransitionError
    (every unmet condition, each in its own words); writes nothing then."""
    supplier = membership.organization
    if footprint_request.supplier_id != supplier.pk or Action.SUBMIT not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    if study.organization_id != supplier.pk:
        raise TransitionError(_("Select a valid choice. That choice is not one of the available choices."))
    with transaction.atomic():
        locked_request = (
            FootprintRequest.objects.select_for_update().select_related("relationship").get(pk=footprint_request.pk)
        )
        if locked_request.relationship.status != RelationshipStatus.ACTIVE:
            raise TransitionError(_("The supply relationship with this buyer has ended."), code="relationship_ended")
        if locked_request.status != RequestStatus.OPEN:
            raise TransitionError(
                _("This request is %(status)s: it takes no more submissions."),
                code="request_closed",
                params={"status": RequestStatus(locked_request.status).label},
            )
        locked_study = Study.objects.select_for_update().select_related("product").get(pk=study.pk)
        if locked_study.status not in STUDY_EDITABLE_STATUSES:
            raise TransitionError(
                _("The study is %(status)s. Only a draft or a returned study can be submitted."),
                code="study_not_submittable",
                params={"status": StudyStatus(locked_study.status).label},
            )
        if Submission.objects.filter(study=locked_study, state__in=OPEN_SUBMISSION_STATES).exists():
            raise TransitionError(_("This study is already waiting for a review."), code="study_under_review")
        _require_matches_request(locked_study, locked_request)
        checks = study_checks(study=locked_study)
        if not checks.can_compute:
            raise TransitionError(
                _("The study is not complete: %(count)s problems block it. The overview lists them."),
                code="incomplete",
                params={"count": len(checks.blocking)},
            )
        result = _latest_result(locked_study)
        previous = Submission.objects.filter(request=locked_request).order_by("-version").first()
        if previous is not None and previous.state in OPEN_SUBMISSION_STATES:
            raise TransitionError(
                _("Version %(version)s is still waiting for the buyer's review."),
                code="previous_open",
                params={"version": previous.version},
            )
        submission = Submission(
            organization=supplier,
            request=locked_request,
            study=locked_study,
            version=(previous.version + 1) if previous is not None else 1,
            preceding=previous,
            result=result,
            digest=result.digest,
            note=note.strip(),
            state=SubmissionState.SUBMITTED,
            submitted_by=membership.user,
        )
        submission.full_clean(exclude=["preceding", "result", "study", "request", "submitted_by"])
        submission.save()
        _freeze_evidence(submission)
        _set_study_status(locked_study, StudyStatus.SUBMITTED, membership.user)
        study.status = StudyStatus.SUBMITTED
        event_record(
            kind=EventKind.SUBMITTED,
            organization=supplier,
            actor=membership.user,
            recipients=_recipients(locked_request.organization, BUYER_ROLES),
            submission=submission,
            to_state=SubmissionState.SUBMITTED,
            comment=submission.note,
        )
    return submission


def _freeze_evidence(submission: Submission) -> None:
    """Name the study's evidence files in the version; the foreign key keeps each file while it is named."""
    rows = []
    for evidence in EvidenceFile.objects.filter(study=submission.study).select_related(
        "bom_line__material", "transport_leg", "study_stage__stage", "fuel_entry", "waste_entry", "factor"
    ):
        rows.append(
            SubmissionEvidence(
                organization=submission.organization,
                submission=submission,
                evidence=evidence,
                attached_to=_attached_to(evidence),
                original_name=evidence.original_name,
                kind=evidence.kind,
                sha256=evidence.sha256,
                size_bytes=evidence.size_bytes,
            )
        )
    SubmissionEvidence.objects.bulk_create(rows)


def _attached_to(evidence: EvidenceFile) -> str:
    for field in ("bom_line", "transport_leg", "study_stage", "fuel_entry", "waste_entry", "factor"):
        row = getattr(evidence, field, None)
        if row is not None:
            return str(row)
    return _("the study")


def request_decline(*, membership: Membership, footprint_request: FootprintRequest, reason: str) -> FootprintRequest:
    """The supplier declines an open request, saying why (PACT: RequestRejected)."""
    if footprint_request.supplier_id != membership.organization_id or Action.SUBMIT not in membership_actions(
        membership
    ):
        raise PermissionDenied(_("Your role does not allow this."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you decline: the buyer reads it.")]}, code="reason_required")
    with transaction.atomic():
        if Submission.objects.filter(request=footprint_request, state__in=OPEN_SUBMISSION_STATES).exists():
            raise TransitionError(
                _("A version is waiting for the buyer's review: withdraw it before declining."),
                code="open_submission",
            )
        now = timezone.now()
        changed = FootprintRequest.objects.filter(pk=footprint_request.pk, status=RequestStatus.OPEN).update(
            status=RequestStatus.DECLINED, decline_reason=reason, updated_at=now
        )
        if changed != 1:
            current = FootprintRequest.objects.filter(pk=footprint_request.pk).values_list("status", flat=True).first()
            raise TransitionError(
                _("This request cannot be declined: it is %(status)s."),
                code="invalid_transition",
                params={"status": RequestStatus(current).label if current else ""},
            )
        footprint_request.status = RequestStatus.DECLINED
        footprint_request.decline_reason = reason
        event_record(
            kind=EventKind.REQUEST_DECLINED,
            organization=membership.organization,
            actor=membership.user,
            recipients=_recipients(footprint_request.organization, BUYER_ROLES),
            request=footprint_request,
            from_state=RequestStatus.OPEN,
            to_state=RequestStatus.DECLINED,
            comment=reason,
        )
    return footprint_request
