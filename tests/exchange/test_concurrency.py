"""Two reviewers acting on the same version at the same moment leave exactly one outcome (PostgreSQL:
real concurrent transactions; SQLite serializes every write, so there is no race to test there)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import translation

from apps.accounts.enums import Role
from apps.exchange.enums import EventKind, SubmissionState
from apps.exchange.models import ExchangeEvent, Submission
from apps.exchange.workflow import TransitionError, submission_transition
from tests import factories
from tests.exchange.builders import build_exchange, membership_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL"),
]


def _race(calls):
    """Run the calls in threads released together; each returns ("ok", state) or ("refused", message)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, str]] = [("", "")] * len(calls)

    def run(index, call):
        try:
            with translation.override("en"):
                barrier.wait(timeout=10)
                outcomes[index] = ("ok", call().state)
        except TransitionError as exc:
            outcomes[index] = ("refused", exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("second", ["accept", "return"])
def test_two_reviewers_at_once_leave_one_outcome(supplier, library, second):
    exchange = build_exchange(supplier, library)
    submission = exchange.submit()
    other = factories.make_member(exchange.buyer, role=Role.REVIEWER)
    first_membership = exchange.reviewer_membership()
    second_membership = membership_of(other, exchange.buyer)

    outcomes = _race(
        [
            lambda: submission_transition(
                membership=first_membership, submission=Submission.objects.get(pk=submission.pk), name="accept"
            ),
            lambda: submission_transition(
                membership=second_membership,
                submission=Submission.objects.get(pk=submission.pk),
                name=second,
                comment="Please check.",
            ),
        ]
    )

    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
    final = Submission.objects.get(pk=submission.pk).state
    winner = next(state for kind, state in outcomes if kind == "ok")
    assert final == winner
    refusal = next(message for kind, message in outcomes if kind == "refused")
    with translation.override("en"):
        assert str(SubmissionState(final).label) in refusal
    decided = ExchangeEvent.objects.filter(submission=submission, kind__in=[EventKind.ACCEPTED, EventKind.RETURNED])
    assert decided.count() == 1
