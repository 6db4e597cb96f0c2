"""Notifications and emails (apps.exchange.events, apps.exchange.notifications): who hears of each event,
in which language, with which link; comments reach the supplier with the return; a mail server that
fails loses nothing; the in-app list reads in a fixed number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import UserProfile
from apps.catalog.models import Material
from apps.exchange.enums import (
    AssuranceLevel,
    EventKind,
    SubmissionState,
    VerificationOpinion,
    VerificationStandard,
)
from apps.exchange.events import notifications_email
from apps.exchange.models import ExchangeEvent, Notification, Submission
from apps.exchange.notifications import notifications_for, notifications_unread_count
from apps.exchange.services import (
    comment_add,
    notifications_mark_read,
    relationship_end,
    request_create,
    verification_grant_add,
    verification_grant_revoke,
    verification_statement_record,
)
from apps.exchange.workflow import request_decline, submission_transition
from apps.inventory.models import BomLine
from apps.inventory.services.bom import bom_line_update
from tests import factories
from tests.exchange.builders import Exchange, build_exchange, compute, membership_of

pytestmark = pytest.mark.django_db

SITE = "https://carbonfoot.example"


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


class UnreachableBackend(BaseEmailBackend):
    """A mail server that cannot even be reached."""

    def open(self):
        raise TimeoutError("no route to the mail server")

    def send_messages(self, email_messages):  # pragma: no cover - never reached
        raise AssertionError("open() failed: nothing may be sent")


class World:
    """An exchange with every kind of member on each side, each with an address; some read English, some
    Chinese."""

    def __init__(self, supplier, library) -> None:
        self.ex: Exchange = build_exchange(supplier, library)
        ex = self.ex
        self.buyer_manager = factories.make_member(ex.buyer, role=Role.MANAGER)
        self.buyer_viewer = factories.make_member(ex.buyer, role=Role.VIEWER)
        self.supplier_viewer = factories.make_member(ex.supplier, role=Role.VIEWER)
        self.verifier_org = factories.make_organization(kind=OrganizationKind.VERIFIER, name="CQC Verification")
        self.verifier = factories.make_member(self.verifier_org, role=Role.VERIFIER)
        self.verifier_manager = factories.make_member(self.verifier_org, role=Role.MANAGER)
        self.verifier_viewer = factories.make_member(self.verifier_org, role=Role.VIEWER)
        users = [
            ex.reviewer, ex.supplier_manager, ex.supplier_editor, self.buyer_manager, self.buyer_viewer,
            self.supplier_viewer, self.verifier, self.verifier_manager, self.verifier_viewer,
        ]  # fmt: skip
        for user in users:
            user.email = f"{user.username}@example.test"
            user.save(update_fields=["email"])
        for user, language in (
            (ex.supplier_manager, "en"),
            (ex.supplier_editor, "zh-hans"),
            (ex.reviewer, "en"),
            (self.buyer_manager, "zh-hans"),
            (self.verifier, "en"),
            (self.verifier_manager, "zh-hans"),
        ):
            UserProfile.objects.create(user=user, language=language)

    @property
    def product(self) -> str:
        return self.ex.request.product_label

    def reviewer(self):
        return self.ex.reviewer_membership()

    def manager(self):
        return self.ex.manager_membership()

    def returned(self, *, line_comment: str = "The PCB mass looks twice too high.") -> Submission:
        submission = self.ex.submit(note="First answer")
        comment_add(
            membership=self.reviewer(),
            submission=submission,
            body=line_comment,
            line_key="material/20",
            line_label="20. printed circuit board",
        )
        return submission_transition(
            membership=self.reviewer(), submission=submission, name="return", comment="Please check the PCB."
        )

    def resubmit(self, quantity: str = "0.5") -> Submission:
        """The returned study changed, computed and submitted again: the next version."""
        self.ex.study.refresh_from_db()
        line = BomLine.objects.get(study=self.ex.study, material=Material.objects.get(no=20))
        bom_line_update(
            study=self.ex.study, line=line, quantity=Decimal(quantity), loss_rate=line.loss_rate, factor=line.factor,
            data_source=line.data_source, unit_mass_kg=line.unit_mass_kg, notes=line.notes, expected_version=None,
            user=self.ex.supplier_manager,
        )  # fmt: skip
        compute(self.ex.study)
        return self.ex.submit()


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE + "/"  # a trailing slash is not doubled in the link


@pytest.fixture
def world(supplier, library) -> World:
    return World(supplier, library)


def _mail_to(mailoutbox, user):
    found = [m for m in mailoutbox if m.to == [user.email]]
    assert len(found) == 1, [m.to for m in mailoutbox]
    return found[0]


def _addresses(mailoutbox) -> set[str]:
    return {address for message in mailoutbox for address in message.to}


def _recipients(event: ExchangeEvent) -> set[int]:
    return set(Notification.objects.filter(event=event).values_list("recipient_id", flat=True))


def _detail(submission: Submission) -> str:
    return reverse("web:submission-detail", args=[submission.uuid])


def _latest(kind: EventKind) -> ExchangeEvent:
    return ExchangeEvent.objects.filter(kind=kind).latest("id")


# --- the five emailed events (and the grant) ----------------------------------------------------


def test_a_request_emails_the_suppliers_managers_and_editors_each_in_their_language(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ex = world.ex
    with django_capture_on_commit_callbacks(execute=True):
        footprint_request = request_create(
            membership=world.reviewer(), relationship=ex.relationship, product_type="Three-phase meter",
            product_code="DTZY-9", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
            due_date=date(2026, 3, 31), message="For the 2026 tender.", today=date(2026, 1, 5),
        )  # fmt: skip

    assert _addresses(mailoutbox) == {ex.supplier_manager.email, ex.supplier_editor.email}
    english = _mail_to(mailoutbox, ex.supplier_manager)
    chinese = _mail_to(mailoutbox, ex.supplier_editor)
    assert english.subject == f"{ex.buyer.name} requests the carbon footprint of DTZY-9"
    assert chinese.subject == f"{ex.buyer.name} 请求提供 DTZY-9 的碳足迹"
    assert "Reporting period: 2025-01-01 to 2025-12-31" in english.body
    assert "Due date: 2026-03-31" in english.body
    assert "For the 2026 tender." in english.body
    assert "报告期：2025-01-01 至 2025-12-31" in chinese.body
    link = SITE + reverse("web:request-detail", args=[footprint_request.uuid])
    assert link in english.body.splitlines() and link in chinese.body.splitlines()
    event = _latest(EventKind.REQUEST_CREATED)
    assert _recipients(event) == {ex.supplier_manager.pk, ex.supplier_editor.pk}
    assert Notification.objects.filter(event=event, emailed_at__isnull=False).count() == 2


def test_a_submission_emails_the_buyers_reviewers_and_managers_not_the_supplier(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ex = world.ex
    with django_capture_on_commit_callbacks(execute=True):
        submission = ex.submit(note="Measured at our Hangzhou plant.")

    assert _addresses(mailoutbox) == {ex.reviewer.email, world.buyer_manager.email}
    assert _mail_to(mailoutbox, ex.reviewer).subject == f"{ex.supplier.name} submitted version 1 of {world.product}"
    assert _mail_to(mailoutbox, world.buyer_manager).subject == f"{ex.supplier.name} 已提交 {world.product} 的第 1 版"
    body = _mail_to(mailoutbox, ex.reviewer).body
    assert SITE + _detail(submission) in body.splitlines()
    assert "Measured at our Hangzhou plant." in body


def test_a_return_emails_the_supplier_with_every_comment_and_the_actor_hears_nothing(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ex = world.ex
    submission = world.ex.submit()
    comment_add(
        membership=world.reviewer(), submission=submission, body="Twice too heavy?", line_key="material/20",
        line_label="20. printed circuit board",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        submission_transition(membership=world.reviewer(), submission=submission, name="return", comment="See the PCB.")

    assert _addresses(mailoutbox) == {ex.supplier_manager.email, ex.supplier_editor.email}
    english = _mail_to(mailoutbox, ex.supplier_manager)
    assert english.subject == f"{ex.buyer.name} returned version 1 of {world.product} for changes"
    assert "The buyer's comments:" in english.body
    assert "- 20. printed circuit board: Twice too heavy?" in english.body
    assert "- the whole version: See the PCB." in english.body
    chinese = _mail_to(mailoutbox, ex.supplier_editor)
    assert chinese.subject == f"{ex.buyer.name} 已将 {world.product} 的第 1 版退回修改"
    assert "- 整个版本: See the PCB." in chinese.body
    assert SITE + _detail(submission) in english.body.splitlines()


def test_an_acceptance_emails_the_supplier(world, mailoutbox, django_capture_on_commit_callbacks):
    ex = world.ex
    world.returned()
    second = world.resubmit()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submission_transition(membership=world.reviewer(), submission=second, name="accept")

    assert _addresses(mailoutbox) == {ex.supplier_manager.email, ex.supplier_editor.email}
    assert _mail_to(mailoutbox, ex.supplier_manager).subject == f"{ex.buyer.name} accepted version 2 of {world.product}"
    assert _mail_to(mailoutbox, ex.supplier_editor).subject == f"{ex.buyer.name} 已接受 {world.product} 的第 2 版"
    assert SITE + _detail(second) in _mail_to(mailoutbox, ex.supplier_manager).body.splitlines()


def test_a_grant_emails_the_verification_bodys_members_and_a_statement_the_supplier_and_buyer(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ex = world.ex
    submission = ex.submit()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        verification_grant_add(
            membership=world.manager(), submission=submission, verifier_identifier=world.verifier_org.slug
        )

    assert _addresses(mailoutbox) == {world.verifier.email, world.verifier_manager.email}
    assert _mail_to(mailoutbox, world.verifier).subject == (
        f"{ex.supplier.name} gave CQC Verification access to version 1 of {world.product} for verification"
    )
    assert _mail_to(mailoutbox, world.verifier_manager).subject == (
        f"{ex.supplier.name} 已授权 CQC Verification 查阅 {world.product} 的第 1 版以进行核查"
    )

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        verification_statement_record(
            membership=membership_of(world.verifier, world.verifier_org), submission=submission,
            standard=VerificationStandard.ISO_14067, assurance_level=AssuranceLevel.LIMITED,
            scope="Cradle to gate, January 2025.", statement_date=date(2025, 2, 20),
            opinion=VerificationOpinion.UNMODIFIED, opinion_text="Fairly stated in all material respects.",
            today=date(2025, 2, 21),
        )  # fmt: skip

    # The supplier's managers and the buyer's reviewers and managers; not the verifier who recorded it.
    assert _addresses(mailoutbox) == {ex.supplier_manager.email, ex.reviewer.email, world.buyer_manager.email}
    english = _mail_to(mailoutbox, ex.reviewer)
    assert english.subject == f"CQC Verification recorded a verification statement on {world.product}"
    assert "Fairly stated in all material respects." in english.body
    assert _mail_to(mailoutbox, world.buyer_manager).subject == f"CQC Verification 已登记 {world.product} 的核查声明"


def test_a_recipient_without_a_language_reads_the_sites_language(
    world, mailoutbox, django_capture_on_commit_callbacks, settings
):
    UserProfile.objects.filter(user=world.ex.reviewer).delete()
    settings.LANGUAGE_CODE = "en"
    with django_capture_on_commit_callbacks(execute=True):
        world.ex.submit()
    assert _mail_to(mailoutbox, world.ex.reviewer).subject.startswith(f"{world.ex.supplier.name} submitted version 1")


def test_a_deactivated_member_and_one_without_an_address_get_no_mail(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ex = world.ex
    world.buyer_manager.is_active = False
    world.buyer_manager.save(update_fields=["is_active"])
    ex.reviewer.email = ""
    ex.reviewer.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        ex.submit()

    assert mailoutbox == []
    event = _latest(EventKind.SUBMITTED)
    assert _recipients(event) == {ex.reviewer.pk}  # in the list, without an email
    assert Notification.objects.get(event=event).emailed_at is None


# --- comments ------------------------------------------------------------------------------------


def test_the_supplier_hears_of_comments_only_when_the_version_is_returned(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ex = world.ex
    submission = ex.submit()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comment_add(membership=world.reviewer(), submission=submission, body="Why 500 kWh?", line_key="stage/4")

    commented = _latest(EventKind.COMMENTED)
    assert commented.submission_id == submission.pk and commented.study_id == ex.study.pk
    assert commented.comment.endswith("Why 500 kWh?")
    assert _recipients(commented) == set()
    assert mailoutbox == []
    heard = list(notifications_for(user=ex.supplier_manager, organization=ex.supplier))
    # The first comment started the review, which the supplier is told of; the comment itself is not.
    assert [row.kind for row in heard] == [
        EventKind.REVIEW_STARTED,
        EventKind.REQUEST_CREATED,
        EventKind.RELATIONSHIP_PROPOSED,
    ]
    assert not any("500 kWh" in row.comment or "500 kWh" in row.summary for row in heard)

    with django_capture_on_commit_callbacks(execute=True):
        submission_transition(membership=world.reviewer(), submission=submission, name="return")

    returned = _latest(EventKind.RETURNED)
    assert _recipients(returned) == {ex.supplier_manager.pk, ex.supplier_editor.pk}
    assert "- stage/4: Why 500 kWh?" in _mail_to(mailoutbox, ex.supplier_manager).body
    rows = list(notifications_for(user=ex.supplier_manager, organization=ex.supplier))
    assert rows[0].kind == EventKind.RETURNED and rows[0].unread


# --- every event kind in the in-app list ------------------------------------------------------------


def test_every_event_kind_is_recorded_with_the_notifications_of_the_people_it_concerns(world):
    ex = world.ex
    supplier_side = {ex.supplier_manager.pk, ex.supplier_editor.pk}
    buyer_side = {ex.reviewer.pk, world.buyer_manager.pk}
    verifiers = {world.verifier.pk, world.verifier_manager.pk}

    first = ex.submit()
    submission_transition(membership=ex.manager_membership(), submission=first, name="withdraw")
    second = ex.submit()
    comment_add(membership=world.reviewer(), submission=second, body="Check stage 4.", line_key="stage/4")
    submission_transition(membership=world.reviewer(), submission=second, name="return")
    grant = verification_grant_add(
        membership=world.manager(), submission=second, verifier_identifier=world.verifier_org.slug
    )
    verification_statement_record(
        membership=membership_of(world.verifier_manager, world.verifier_org), submission=second,
        standard=VerificationStandard.ISO_14067, assurance_level=AssuranceLevel.REASONABLE, scope="All of it.",
        statement_date=date(2025, 2, 20), opinion=VerificationOpinion.MODIFIED, opinion_text="Except stage 4.",
        today=date(2025, 2, 21),
    )  # fmt: skip
    verification_grant_revoke(membership=world.manager(), grant=grant)
    third = world.resubmit()
    submission_transition(membership=world.reviewer(), submission=third, name="accept")
    other = request_create(
        membership=world.reviewer(), relationship=ex.relationship, product_type="Meter", product_code="X-1",
        period_start=date(2025, 1, 1), period_end=date(2025, 1, 31), due_date=date(2025, 3, 1),
        today=date(2025, 2, 1),
    )  # fmt: skip
    request_decline(membership=world.manager(), footprint_request=other, reason="We do not make X-1.")
    relationship_end(membership=world.manager(), relationship=ex.relationship)

    expected = {
        EventKind.RELATIONSHIP_PROPOSED: {ex.supplier_manager.pk},  # the supplier's manager answers it
        EventKind.RELATIONSHIP_ACCEPTED: {ex.reviewer.pk},  # the buyer manager joined later
        EventKind.REQUEST_CREATED: supplier_side,
        EventKind.SUBMITTED: buyer_side,
        EventKind.WITHDRAWN: buyer_side,
        EventKind.REVIEW_STARTED: supplier_side,
        EventKind.COMMENTED: set(),
        EventKind.RETURNED: supplier_side,
        EventKind.VERIFIER_GRANTED: verifiers,
        EventKind.VERIFIED: {ex.supplier_manager.pk, *buyer_side},
        EventKind.VERIFIER_REVOKED: verifiers,
        EventKind.ACCEPTED: supplier_side,
        EventKind.REQUEST_DECLINED: buyer_side,
        EventKind.RELATIONSHIP_ENDED: buyer_side,
    }
    assert set(expected) == set(EventKind)
    for kind, recipients in expected.items():
        event = _latest(kind)
        assert _recipients(event) == recipients, kind
        assert event.actor_id not in _recipients(event), kind
    assert (
        Notification.objects.filter(
            recipient__in=[world.buyer_viewer, world.supplier_viewer, world.verifier_viewer]
        ).count()
        == 0
    )  # viewers read, they are not told


def test_the_in_app_rows_carry_summary_link_who_and_comment_in_a_fixed_number_of_queries(world):
    ex = world.ex
    submission = world.returned(line_comment="One")
    with translation.override("en"), CaptureQueriesContext(connection) as one:
        rows = notifications_for(user=ex.supplier_manager, organization=ex.supplier)
        first = rows[0:50]
    queries = len(one.captured_queries)  # now: the connection keeps only the latest 9,000 queries
    returned = first[0]
    assert returned.kind == EventKind.RETURNED
    assert returned.summary == f"{ex.buyer.name} returned version 1 of {world.product} for changes"
    assert returned.link == _detail(submission)
    assert returned.who == ex.reviewer.username
    assert returned.comment == "Please check the PCB."
    assert returned.unread and returned.organization == ex.supplier.name

    for n in range(3):  # three more rounds: submitted again, started, commented, returned
        latest = world.resubmit(quantity=f"0.{n + 5}")
        comment_add(membership=world.reviewer(), submission=latest, body=f"Round {n}")
        submission_transition(membership=world.reviewer(), submission=latest, name="return")
    with CaptureQueriesContext(connection) as many:
        more = notifications_for(user=ex.supplier_manager, organization=ex.supplier)[0:50]
    assert len(more) > len(first)
    assert len(many.captured_queries) == queries == 1


def test_marking_read_touches_only_the_users_own_notifications(world):
    ex = world.ex
    world.returned()
    own = Notification.objects.filter(recipient=ex.supplier_manager)
    theirs = Notification.objects.get(recipient=ex.supplier_editor, event__kind=EventKind.RETURNED)

    assert notifications_mark_read(user_id=ex.supplier_manager.pk, ids=[theirs.pk]) == 0
    assert notifications_mark_read(user_id=ex.supplier_manager.pk) == own.count()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert notifications_unread_count(user=ex.supplier_manager) == 0
    assert notifications_unread_count(user=ex.supplier_editor) == 3  # the request, the review, the return


# --- a mail server that fails -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["FailingBackend", "UnreachableBackend"])
def test_a_failing_mail_server_loses_no_event_and_leaves_emailed_at_empty(
    world, settings, mailoutbox, django_capture_on_commit_callbacks, backend, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.{backend}"
    ex = world.ex
    with django_capture_on_commit_callbacks(execute=True):
        submission = ex.submit()  # raises nothing

    assert Submission.objects.get(pk=submission.pk).state == SubmissionState.SUBMITTED
    event = _latest(EventKind.SUBMITTED)
    assert _recipients(event) == {ex.reviewer.pk, world.buyer_manager.pk}
    assert not Notification.objects.filter(event=event, emailed_at__isnull=False).exists()
    assert mailoutbox == []
    assert "mail" in caplog.text.lower()

    # Once the server is back, sending again delivers what is still unsent, and only that.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_email(event_id=event.pk) == 2
    assert notifications_email(event_id=event.pk) == 0
    assert _addresses(mailoutbox) == {ex.reviewer.email, world.buyer_manager.email}
    assert not Notification.objects.filter(event=event, emailed_at__isnull=True).exists()
