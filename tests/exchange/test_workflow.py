"""The review state machine (apps.exchange.workflow): every allowed and forbidden transition, what each
records, what it refuses and that a refusal writes nothing; versions stay as submitted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from apps.accounts.enums import OrganizationKind, Role
from apps.catalog.models import Material
from apps.exchange.enums import EventKind, RequestStatus, SubmissionState
from apps.exchange.models import ExchangeEvent, Notification, ReviewComment, Submission
from apps.exchange.services import comment_add
from apps.exchange.workflow import (
    TRANSITIONS,
    TransitionError,
    request_decline,
    submission_create,
    submission_transition,
)
from apps.footprints.models import ImmutableRowError
from apps.inventory.enums import StudyStatus
from apps.inventory.models import BomLine
from apps.inventory.services.bom import bom_line_update
from tests import factories
from tests.exchange.builders import Exchange, build_exchange, compute, membership_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def exchange(supplier, library) -> Exchange:
    return build_exchange(supplier, library)


def _set_quantity(exchange: Exchange, material_no: int, quantity: str) -> None:
    exchange.study.refresh_from_db()
    line = BomLine.objects.get(study=exchange.study, material=Material.objects.get(no=material_no))
    bom_line_update(
        study=exchange.study,
        line=line,
        quantity=Decimal(quantity),
        loss_rate=line.loss_rate,
        factor=line.factor,
        data_source=line.data_source,
        unit_mass_kg=line.unit_mass_kg,
        notes=line.notes,
        expected_version=None,
        user=exchange.supplier_manager,
    )


def _state(submission: Submission) -> str:
    return Submission.objects.values_list("state", flat=True).get(pk=submission.pk)


def _reviewer(exchange: Exchange):
    return exchange.reviewer_membership()


def _move(exchange: Exchange, submission: Submission, name: str, comment: str = "") -> Submission:
    side = TRANSITIONS[name].side
    membership = _reviewer(exchange) if side == "buyer" else exchange.manager_membership()
    return submission_transition(membership=membership, submission=submission, name=name, comment=comment)


def _to(exchange: Exchange, state: str) -> Submission:
    """A first version brought to ``state`` through the allowed transitions."""
    submission = exchange.submit()
    path = {
        SubmissionState.SUBMITTED: [],
        SubmissionState.UNDER_REVIEW: ["start_review"],
        SubmissionState.RETURNED: ["start_review", "return"],
        SubmissionState.ACCEPTED: ["start_review", "accept"],
        SubmissionState.WITHDRAWN: ["withdraw"],
    }[state]
    for name in path:
        submission = _move(exchange, submission, name, comment="Check the PCB quantity." if name == "return" else "")
    assert _state(submission) == state
    return submission


# (state, transition) -> the state after it, or None when the transition is refused from that state.
ALLOWED = {
    (SubmissionState.SUBMITTED, "start_review"): SubmissionState.UNDER_REVIEW,
    (SubmissionState.SUBMITTED, "return"): SubmissionState.RETURNED,
    (SubmissionState.SUBMITTED, "accept"): SubmissionState.ACCEPTED,
    (SubmissionState.SUBMITTED, "withdraw"): SubmissionState.WITHDRAWN,
    (SubmissionState.UNDER_REVIEW, "return"): SubmissionState.RETURNED,
    (SubmissionState.UNDER_REVIEW, "accept"): SubmissionState.ACCEPTED,
}
STUDY_AFTER = {
    SubmissionState.UNDER_REVIEW: StudyStatus.UNDER_REVIEW,
    SubmissionState.RETURNED: StudyStatus.RETURNED,
    SubmissionState.ACCEPTED: StudyStatus.ACCEPTED,
    SubmissionState.WITHDRAWN: StudyStatus.DRAFT,
}


@pytest.mark.parametrize("state", list(SubmissionState))
@pytest.mark.parametrize("name", ["start_review", "return", "accept", "withdraw"])
def test_every_transition_from_every_state(exchange, state, name):
    submission = _to(exchange, state)
    events_before = ExchangeEvent.objects.count()
    target = ALLOWED.get((state, name))

    if target is None:
        with pytest.raises(TransitionError) as refused:
            _move(exchange, submission, name, comment="Because.")
        assert str(SubmissionState(state).label) in " ".join(refused.value.messages)
        assert _state(submission) == state
        assert ExchangeEvent.objects.count() == events_before
        assert ReviewComment.objects.filter(submission=submission, body="Because.").count() == 0
    else:
        _move(exchange, submission, name, comment="Because.")
        assert _state(submission) == target
        exchange.study.refresh_from_db()
        assert exchange.study.status == STUDY_AFTER[target]
        event = ExchangeEvent.objects.filter(submission=submission).order_by("-id").first()
        assert event is not None
        assert (event.from_state, event.to_state) == (state, target)
        assert event.actor_id is not None


def test_a_buyer_cannot_withdraw_and_a_supplier_cannot_review(exchange):
    submission = exchange.submit()
    with pytest.raises(PermissionDenied):
        submission_transition(membership=_reviewer(exchange), submission=submission, name="withdraw")
    for name in ("start_review", "return", "accept"):
        with pytest.raises(PermissionDenied):
            submission_transition(
                membership=exchange.manager_membership(), submission=submission, name=name, comment="x"
            )
    assert _state(submission) == SubmissionState.SUBMITTED


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.VERIFIER])
def test_buyer_members_without_review_cannot_accept(exchange, role):
    submission = exchange.submit()
    other = factories.make_member(exchange.buyer, role=role)
    with pytest.raises(PermissionDenied):
        submission_transition(membership=membership_of(other, exchange.buyer), submission=submission, name="accept")
    assert _state(submission) == SubmissionState.SUBMITTED


def test_a_reviewer_of_another_buyer_cannot_accept(exchange):
    other_buyer = factories.make_organization(kind=OrganizationKind.BUYER)
    stranger = factories.make_member(other_buyer, role=Role.REVIEWER)
    submission = exchange.submit()
    with pytest.raises(PermissionDenied):
        submission_transition(membership=membership_of(stranger, other_buyer), submission=submission, name="accept")
    assert _state(submission) == SubmissionState.SUBMITTED


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_only_a_supplier_manager_submits(exchange, role):
    member = factories.make_member(exchange.supplier, role=role)
    with pytest.raises(PermissionDenied):
        submission_create(
            membership=membership_of(member, exchange.supplier),
            footprint_request=exchange.request,
            study=exchange.study,
        )
    assert not Submission.objects.exists()


def test_return_needs_a_comment_and_writes_nothing_without_one(exchange):
    submission = exchange.submit()
    with pytest.raises(TransitionError) as refused:
        _move(exchange, submission, "return", comment="   ")
    assert "at least one comment" in refused.value.messages[0]
    assert _state(submission) == SubmissionState.SUBMITTED
    assert not ReviewComment.objects.exists()


def test_a_line_comment_is_enough_to_return(exchange):
    submission = exchange.submit()
    comment_add(membership=_reviewer(exchange), submission=submission, body="Is 1 PCB right?", line_key="material/20")
    assert _state(submission) == SubmissionState.UNDER_REVIEW  # the first comment starts the review
    _move(exchange, submission, "return")
    assert _state(submission) == SubmissionState.RETURNED


def test_comment_on_an_unknown_line_is_refused(exchange):
    submission = exchange.submit()
    with pytest.raises(ValidationError) as refused:
        comment_add(membership=_reviewer(exchange), submission=submission, body="?", line_key="material/99")
    assert refused.value.message_dict == {"line": ["This version has no such line."]}
    with pytest.raises(ValidationError) as empty:
        comment_add(membership=_reviewer(exchange), submission=submission, body="  ")
    assert empty.value.message_dict == {"body": ["Write the comment."]}
    assert not ReviewComment.objects.exists()
    assert _state(submission) == SubmissionState.SUBMITTED


def test_resubmission_is_version_two_and_version_one_keeps_its_inputs_and_numbers(exchange):
    first = _to(exchange, SubmissionState.RETURNED)
    first_totals = dict(first.result.totals)
    first_document = first.result.canonical_inputs

    # The supplier fixes the PCB line (quantity 1 -> 2 pieces of 0.88 kg CO2e each) and computes again.
    _set_quantity(exchange, 20, "2")
    compute(exchange.study)
    second = exchange.submit()

    assert (second.version, second.preceding_id) == (2, first.pk)
    assert Decimal(second.result.totals["em_materials"]) - Decimal(first_totals["em_materials"]) == Decimal("0.88")
    first = Submission.objects.get(pk=first.pk)
    assert first.result.totals == first_totals
    assert first.result.canonical_inputs == first_document
    assert first.digest == first.result.digest != second.digest


def test_a_study_under_review_cannot_be_edited_and_a_returned_one_can(exchange):
    submission = exchange.submit()
    exchange.study.refresh_from_db()
    with pytest.raises(ValidationError):
        _set_quantity(exchange, 20, "3")
    _move(exchange, submission, "return", comment="Fix it.")
    exchange.study.refresh_from_db()
    _set_quantity(exchange, 20, "3")
    line = BomLine.objects.get(study=exchange.study, material=Material.objects.get(no=20))
    assert line.quantity == Decimal(3)


def test_a_submitted_version_is_never_altered_or_deleted(exchange):
    submission = exchange.submit()
    submission.note = "changed"
    with pytest.raises(ImmutableRowError):
        submission.save()
    with pytest.raises(ImmutableRowError):
        submission.delete()
    assert Submission.objects.get(pk=submission.pk).note == ""


def test_submitting_requires_a_current_result(exchange):
    _set_quantity(exchange, 20, "5")
    with pytest.raises(TransitionError) as refused:
        exchange.submit()
    assert "changed after its latest computation" in refused.value.messages[0]
    assert not Submission.objects.exists()


def test_submitting_an_uncomputed_or_mismatched_study_is_refused(supplier, library, exchange):
    from tests.footprints.check_builders import complete_study

    uncomputed = complete_study(supplier, library)
    uncomputed.product = exchange.study.product
    uncomputed.save()
    with pytest.raises(TransitionError) as refused:
        submission_create(
            membership=exchange.manager_membership(), footprint_request=exchange.request, study=uncomputed
        )
    assert refused.value.messages == ["Compute the study before submitting it."]

    other_product = complete_study(supplier, library)
    compute(other_product)
    with pytest.raises(TransitionError) as mismatch:
        submission_create(
            membership=exchange.manager_membership(), footprint_request=exchange.request, study=other_product
        )
    assert f"this study is of model {other_product.product.model_code}" in mismatch.value.messages[0]
    assert not Submission.objects.exists()


def test_one_open_version_per_request_and_none_after_acceptance(exchange):
    exchange.submit()
    with pytest.raises(TransitionError):
        exchange.submit()
    assert Submission.objects.count() == 1
    submission = Submission.objects.get()
    _move(exchange, submission, "accept")
    exchange.request.refresh_from_db()
    assert exchange.request.status == RequestStatus.FULFILLED
    with pytest.raises(TransitionError) as closed:
        exchange.submit()
    assert "takes no more submissions" in closed.value.messages[0]


def test_decline_needs_a_reason_and_is_refused_twice(exchange):
    with pytest.raises(ValidationError) as no_reason:
        request_decline(membership=exchange.manager_membership(), footprint_request=exchange.request, reason=" ")
    assert no_reason.value.message_dict == {"reason": ["Say why you decline: the buyer reads it."]}
    exchange.request.refresh_from_db()
    assert exchange.request.status == RequestStatus.OPEN

    request_decline(
        membership=exchange.manager_membership(), footprint_request=exchange.request, reason="Not our product."
    )
    exchange.request.refresh_from_db()
    assert (exchange.request.status, exchange.request.decline_reason) == (RequestStatus.DECLINED, "Not our product.")
    with pytest.raises(TransitionError):
        request_decline(membership=exchange.manager_membership(), footprint_request=exchange.request, reason="Again.")
    with pytest.raises(TransitionError):
        exchange.submit()
    assert ExchangeEvent.objects.filter(kind=EventKind.REQUEST_DECLINED).count() == 1


def test_transitions_notify_the_other_side_not_the_actor(exchange):
    submission = exchange.submit()
    assert set(Notification.objects.filter(event__kind=EventKind.SUBMITTED).values_list("recipient_id", flat=True)) == {
        exchange.reviewer.pk
    }
    _move(exchange, submission, "accept")
    assert set(Notification.objects.filter(event__kind=EventKind.ACCEPTED).values_list("recipient_id", flat=True)) == {
        exchange.supplier_manager.pk,
        exchange.supplier_editor.pk,
    }
