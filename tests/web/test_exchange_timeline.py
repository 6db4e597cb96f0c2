"""The study's timeline shows its exchange: every submission, transition, comment (once the version is
returned) and verification grant, merged newest first with the history of its rows, and paged as one
list."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from apps.accounts.enums import OrganizationKind, Role
from apps.catalog.models import Material
from apps.evidence.timeline import study_timeline
from apps.exchange.models import ExchangeEvent
from apps.exchange.services import comment_add, verification_grant_add, verification_grant_revoke
from apps.exchange.timeline import study_exchange_timeline
from apps.exchange.workflow import submission_transition
from apps.inventory.models import BomLine, Study
from apps.inventory.services.bom import bom_line_update
from tests import factories
from tests.exchange.builders import Exchange, build_exchange, compute

pytestmark = pytest.mark.django_db


@pytest.fixture
def ex(supplier, library) -> Exchange:
    return build_exchange(supplier, library)


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _page(client: Client, study: Study, page: int | None = None) -> str:
    response = client.get(reverse("web:study-timeline", args=[study.uuid]), {"page": page} if page else None)
    assert response.status_code == 200
    return response.content.decode()


def _exchange_entries(html: str) -> list[str]:
    items = re.findall(r'<li class="timeline-entry timeline-exchange">(.*?)</li>\s*(?=<li|</ol>)', html, re.S)
    return [re.sub(r"\s+", " ", item) for item in items]


def _all_entries(html: str) -> list[str]:
    return re.findall(r'<li class="timeline-entry timeline-(\w+)">', html)


def _edit_pcb(ex: Exchange, quantity: str) -> None:
    ex.study.refresh_from_db()
    line = BomLine.objects.get(study=ex.study, material=Material.objects.get(no=20))
    bom_line_update(
        study=ex.study, line=line, quantity=Decimal(quantity), loss_rate=line.loss_rate, factor=line.factor,
        data_source=line.data_source, unit_mass_kg=line.unit_mass_kg, notes=line.notes, expected_version=None,
        user=ex.supplier_editor,
    )  # fmt: skip


def test_transitions_comments_and_grants_are_in_the_timeline_newest_first(ex):
    reviewer = ex.reviewer_membership()
    submission = ex.submit(note="Our first answer")
    comment_add(
        membership=reviewer, submission=submission, body="The PCB looks twice too heavy.", line_key="material/20",
        line_label="20. printed circuit board",
    )  # fmt: skip
    submission_transition(membership=reviewer, submission=submission, name="return", comment="Please check the PCB.")
    verifier = factories.make_organization(kind=OrganizationKind.VERIFIER, name="CQC Verification")
    grant = verification_grant_add(
        membership=ex.manager_membership(), submission=submission, verifier_identifier=verifier.slug
    )
    verification_grant_revoke(membership=ex.manager_membership(), grant=grant)

    html = _page(_client(ex.supplier_editor), ex.study)
    entries = _exchange_entries(html)

    buyer, product = ex.buyer.name, ex.request.product_label
    assert [re.search(r'<span class="action">(.*?)</span>', e).group(1) for e in entries] == [
        "Verifier&#x27;s access revoked",
        "Verifier given access",
        "Returned for changes",
        "Comment added",
        "Review started",
        "Version submitted",
    ]
    revoked, granted, returned, commented, started, submitted = entries
    assert f"{ex.supplier.name} revoked the access of CQC Verification to version 1 of {product}" in revoked
    assert f"{buyer} started reviewing version 1 of {product}" in started
    assert f"{ex.supplier.name} gave CQC Verification access to version 1 of {product} for verification" in granted
    assert f"Version 1 for {buyer}" in granted
    assert f'href="{reverse("web:submission-detail", args=[submission.uuid])}"' in granted
    assert ex.supplier_manager.username in granted
    assert f"{buyer} returned version 1 of {product} for changes" in returned
    assert "Please check the PCB." in returned
    assert (
        '<span class="field">State</span>: <span class="old">Under review</span> → '
        '<span class="new">Returned for changes</span>'
    ) in returned
    assert "20. printed circuit board: The PCB looks twice too heavy." in commented
    assert ex.reviewer.username in commented
    assert "Our first answer" in submitted
    assert '<span class="new">Submitted</span>' in submitted
    # Every event of the study is there, once.
    assert len(entries) == ExchangeEvent.objects.filter(study=ex.study).count() == 6
    # The study's own history is merged in by time: the return changed the study's status just before
    # its event was recorded, so that change comes right after the event (newest first).
    kinds = _all_entries(html)
    returned_at = kinds.index("exchange", kinds.index("exchange", kinds.index("exchange") + 1) + 1)
    assert kinds[returned_at + 1] == "changed"


def test_a_comment_waits_for_the_return_before_the_supplier_reads_it_in_the_timeline(ex):
    reviewer = ex.reviewer_membership()
    submission = ex.submit()
    comment_add(membership=reviewer, submission=submission, body="secret-draft-comment", line_key="stage/4")

    html = _page(_client(ex.supplier_manager), ex.study)
    assert "secret-draft-comment" not in html
    assert "Comment added" not in html
    assert "Review started" in html

    submission_transition(membership=reviewer, submission=submission, name="return")
    html = _page(_client(ex.supplier_manager), ex.study)
    assert "stage/4: secret-draft-comment" in html


def test_the_timeline_stays_a_workspace_page(ex, other_supplier):
    ex.submit()
    url = reverse("web:study-timeline", args=[ex.study.uuid])
    assert _client(ex.reviewer).get(url).status_code == 404  # the buyer reads the submitted version, not this
    assert _client(factories.make_member(other_supplier)).get(url).status_code == 404
    viewer = factories.make_member(ex.supplier, role=Role.VIEWER)
    assert "Version submitted" in _page(_client(viewer), ex.study)


def _interleaved(ex: Exchange, rounds: int, comments: int) -> None:
    """Rounds of: the supplier edits (history), submits, the buyer comments and returns (events)."""
    reviewer = ex.reviewer_membership()
    for n in range(rounds):
        if n:
            _edit_pcb(ex, f"1.{n}")
            compute(ex.study)
        submission = ex.submit()
        for k in range(comments):
            comment_add(membership=reviewer, submission=submission, body=f"round {n} comment {k}")
        submission_transition(membership=reviewer, submission=submission, name="return")


def _history_count(study: Study) -> int:
    """Counted here from the tables themselves, not through the timeline."""
    from apps.evidence.models import EvidenceFile
    from apps.inventory.models import StudyStage, TransportLeg
    from apps.ledger.models import FuelEntry, WasteEntry

    lines = BomLine.history.filter(study_id=study.pk)
    return (
        Study.history.filter(id=study.pk).count()
        + lines.count()
        + TransportLeg.history.filter(bom_line_id__in=lines.values("id")).count()
        + sum(m.history.filter(study_id=study.pk).count() for m in (StudyStage, FuelEntry, WasteEntry, EvidenceFile))
    )


def test_paging_the_merged_timeline_gives_every_entry_once_in_time_order(ex):
    _interleaved(ex, rounds=3, comments=4)
    events = ExchangeEvent.objects.filter(study=ex.study).count()
    assert events == 3 * (1 + 1 + 4 + 1)  # submitted, review started, the comments, returned
    total = _history_count(ex.study) + events

    with translation.override("en"):
        everything = study_timeline(study=ex.study, per_page=1000, extra=study_exchange_timeline(study=ex.study))
        assert everything.page.paginator.count == len(everything.entries) == total
        times = [entry.when for entry in everything.entries]
        assert times == sorted(times, reverse=True)
        assert sum(1 for entry in everything.entries if entry.action == "exchange") == events
        comments = [entry.reason for entry in everything.entries if entry.reason.startswith("round ")]
        assert comments == [f"round {n} comment {k}" for n in (2, 1, 0) for k in (3, 2, 1, 0)]

        for per_page in (1, 5, 7, 13):
            pages = -(-total // per_page)
            paged = []
            for number in range(1, pages + 1):
                page = study_timeline(
                    study=ex.study, page=number, per_page=per_page, extra=study_exchange_timeline(study=ex.study)
                )
                assert page.page.number == number and page.page.paginator.num_pages == pages
                paged += page.entries
            assert paged == everything.entries, per_page


def test_the_pages_of_the_view_hold_fifty_entries_and_the_last_the_rest(ex):
    _interleaved(ex, rounds=2, comments=30)
    client = _client(ex.supplier_editor)
    total = _history_count(ex.study) + ExchangeEvent.objects.filter(study=ex.study).count()
    assert 100 < total <= 150

    first, second, third = (_page(client, ex.study, n) for n in (1, 2, 3))

    assert f"({total} changes)" in first
    counts = [len(_all_entries(html)) for html in (first, second, third)]
    assert counts == [50, 50, total - 100]
    seen = [c for html in (first, second, third) for c in re.findall(r"round \d comment \d+", html)]
    assert sorted(seen) == sorted(f"round {n} comment {k}" for n in range(2) for k in range(30))
    assert "Page 3 of 3" in third and 'rel="prev"' in third and 'rel="next"' not in third


def test_the_timeline_reads_in_the_same_number_of_queries_with_more_events(ex, django_assert_max_num_queries):
    _interleaved(ex, rounds=1, comments=1)
    client = _client(ex.supplier_editor)
    with CaptureQueriesContext(connection) as few:
        _page(client, ex.study)
    queries = len(few.captured_queries)  # now: the connection keeps only the latest 9,000 queries
    assert len(_exchange_entries(_page(client, ex.study))) == 4

    reviewer = ex.reviewer_membership()
    _edit_pcb(ex, "3")
    compute(ex.study)
    submission = ex.submit(note="again")
    for k in range(10):
        comment_add(membership=reviewer, submission=submission, body=f"more {k}", line_key="stage/4")
    submission_transition(membership=reviewer, submission=submission, name="return")
    with django_assert_max_num_queries(queries):
        html = _page(client, ex.study)
    assert len(_exchange_entries(html)) == 4 + 13
