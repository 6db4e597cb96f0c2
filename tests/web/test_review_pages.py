"""The reviewer's inbox and a submitted version's page (apps/web/views/review.py): what each side sees and may
do, the snapshot shown whatever the supplier does to the study afterwards, comments at their lines, refused
inputs with their messages (and nothing written), and the frozen evidence files.

Numbers (tests/exchange/test_review_selectors.py): the builder's v1 has E = 120.31025 kg CO2e per piece, shown
as 120.3; with material 20 at quantity 3 instead of 1, E = 120.31025 + 2 × 0.88 = 122.07025, shown as 122.1.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.enums import OrganizationKind, Role
from apps.catalog.models import Material
from apps.evidence.enums import EvidenceKind
from apps.evidence.services import evidence_add
from apps.exchange.enums import EventKind, SubmissionState
from apps.exchange.models import ExchangeEvent, ReviewComment, Submission
from apps.exchange.services import comment_add, request_create, verification_grant_add
from apps.exchange.workflow import submission_create, submission_transition
from apps.inventory.models import BomLine
from apps.inventory.services.bom import bom_line_update
from tests import factories
from tests.evidence.builders import PDF, upload, use_tmp_media
from tests.exchange.builders import Exchange, build_exchange, compute
from tests.footprints.check_builders import complete_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange(supplier, library) -> Exchange:
    return build_exchange(supplier, library)


@pytest.fixture
def media(settings, tmp_path):
    return use_tmp_media(settings, tmp_path)


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _detail(submission: Submission) -> str:
    return reverse("web:submission-detail", args=[submission.uuid])


def _comment_url(submission: Submission) -> str:
    return reverse("web:submission-comment", args=[submission.uuid])


def _transition_url(submission: Submission) -> str:
    return reverse("web:submission-transition", args=[submission.uuid])


def _total(html: str, key: str) -> str:
    """The number shown in the result section's totals row ``key``."""
    match = re.search(rf'data-total="{key}">\s*<th>[^<]*</th>\s*<td class="num">([^<]*)</td>', html)
    assert match, f"no totals row {key}"
    return match.group(1)


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    end = html.find("</section>", start)
    article_end = html.find("</article>", start)
    if article_end != -1 and (end == -1 or article_end < end):
        end = article_end
    return html[start:end]


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


def _return(exchange: Exchange, submission: Submission, comment: str = "Check material 20.") -> None:
    submission_transition(
        membership=exchange.reviewer_membership(), submission=submission, name="return", comment=comment
    )
    exchange.study.refresh_from_db()


def _another_submission(exchange: Exchange, library: factories.Library) -> Submission:
    """A second request of the same buyer to the same supplier, answered by another complete study."""
    study = complete_study(exchange.supplier, library)
    compute(study)
    footprint_request = request_create(
        membership=exchange.reviewer_membership(),
        relationship=exchange.relationship,
        product_type="Single-phase smart meter",
        product_code=study.product.model_code,
        period_start=study.period_start,
        period_end=study.period_end,
        due_date=date(2025, 3, 15),
        today=date(2025, 2, 1),
    )
    return submission_create(membership=exchange.manager_membership(), footprint_request=footprint_request, study=study)


def _state(submission: Submission) -> str:
    return Submission.objects.values_list("state", flat=True).get(pk=submission.pk)


# -- the snapshot, whatever happens to the study ---------------------------------------------------------------------


def test_the_page_shows_the_submitted_numbers_after_the_study_is_edited_and_recomputed(exchange):
    v1 = exchange.submit(note="January, as metered.")
    reviewer = _client(exchange.reviewer)
    assert _total(reviewer.get(_detail(v1)).content.decode(), "e") == "120.3"
    _return(exchange, v1)
    _set_quantity(exchange, 20, "3")
    compute(exchange.study)  # the study's latest result is now E = 122.07025

    html = reviewer.get(_detail(v1)).content.decode()

    assert _total(html, "e") == "120.3"
    assert _total(html, "em") == "120"
    assert "122.1" not in html
    assert "January, as metered." in html
    assert "Returned for changes" in html
    supplier_html = _client(exchange.supplier_manager).get(_detail(v1)).content.decode()
    assert _total(supplier_html, "e") == "120.3"


def test_the_next_version_shows_its_numbers_and_what_changed(exchange):
    v1 = exchange.submit()
    _return(exchange, v1)
    _set_quantity(exchange, 20, "3")
    compute(exchange.study)
    v2 = exchange.submit()

    html = _client(exchange.reviewer).get(_detail(v2)).content.decode()

    assert _total(html, "e") == "122.1"
    changes = _section(html, "changes")
    assert "Changes from version 1 to version 2" in changes
    assert re.search(r'data-total="e" class="changed">\s*<th>[^<]*</th>\s*<td class="num old"><span title="120.31025">'
                     r'120.3</span></td>\s*<td class="num new"><span title="122.07025">122.1</span></td>\s*'
                     r'<td class="num difference"><span title="1.76">\+1.76</span>', changes)  # fmt: skip
    inputs = changes[changes.index('class="diff-inputs"') :]
    assert inputs.count('data-field="') == 1
    assert re.search(r'data-key="material/20" data-field="quantity".*?20\. printed circuit board.*?1 piece.*?3 piece',
                     inputs, re.S)  # fmt: skip
    history = _section(html, "history")
    assert history.index('data-version="1"') < history.index('data-version="2"')
    assert f'href="{_detail(v1)}"' in history
    v1_html = _client(exchange.reviewer).get(_detail(v1)).content.decode()
    assert 'id="changes"' not in v1_html  # the first version has nothing to compare with


# -- the inbox --------------------------------------------------------------------------------------------------------


def test_the_inbox_links_each_waiting_version_in_a_constant_number_of_queries(exchange, library):
    v1 = exchange.submit()
    reviewer = _client(exchange.reviewer)
    reviewer.get(reverse("web:review-inbox"))  # warm the session and the caches
    with CaptureQueriesContext(connection) as one:
        html = reviewer.get(reverse("web:review-inbox")).content.decode()
    assert f'href="{_detail(v1)}"' in html
    assert exchange.supplier.name in html
    assert "2025-03-31" in html
    _another_submission(exchange, library)
    with CaptureQueriesContext(connection) as two:
        html = reviewer.get(reverse("web:review-inbox")).content.decode()
    assert html.count('class="inbox-row') == 2
    assert len(two) == len(one)


def test_the_inbox_is_for_buyers(exchange):
    assert _client(exchange.supplier_manager).get(reverse("web:review-inbox")).status_code == 403
    viewer = factories.make_member(exchange.buyer, role=Role.VIEWER)
    response = _client(viewer).get(reverse("web:review-inbox"))
    assert response.status_code == 200
    assert "Nothing is waiting for your review." in response.content.decode()


# -- comments ---------------------------------------------------------------------------------------------------------


def test_a_line_comment_is_shown_at_its_line_and_a_whole_one_with_the_version(exchange):
    v1 = exchange.submit()
    reviewer = _client(exchange.reviewer)

    response = reviewer.post(_comment_url(v1), {"line": "material/20", "body": "Is the board 1 piece per meter?"})

    assert response.status_code == 302
    assert response["Location"] == f"{_detail(v1)}#line-material-20"
    comment = ReviewComment.objects.get(submission=v1)
    assert (comment.line_key, comment.target, comment.line_label) == (
        "material/20",
        "material",
        "20. 印制电路板 / printed circuit board",
    )
    assert _state(v1) == SubmissionState.UNDER_REVIEW  # the first comment starts the review
    reviewer.post(_comment_url(v1), {"line": "", "body": "Please add the supplier's certificate."})

    html = reviewer.get(_detail(v1)).content.decode()

    line = _section(html, "line-material-20")
    assert "20. printed circuit board" in line
    assert "Is the board 1 piece per meter?" in line
    assert "supplier&#x27;s certificate" not in line
    whole = html[html.index('id="comments"') : html.index('id="lines"')]
    assert "Please add the supplier&#x27;s certificate." in whole
    assert "Is the board 1 piece per meter?" not in whole


def test_the_supplier_reads_the_comments_once_the_version_is_returned(exchange):
    v1 = exchange.submit()
    comment_add(membership=exchange.reviewer_membership(), submission=v1, body="Stage 4 looks low.", line_key="stage/4")
    supplier = _client(exchange.supplier_manager)
    assert "Stage 4 looks low." not in supplier.get(_detail(v1)).content.decode()

    _return(exchange, v1, comment="")  # the line comment is enough to return it

    html = supplier.get(_detail(v1)).content.decode()
    assert "Stage 4 looks low." in _section(html, "line-stage-4")


def test_an_empty_comment_is_refused_at_its_field_and_nothing_is_written(exchange):
    v1 = exchange.submit()

    response = _client(exchange.reviewer).post(_comment_url(v1), {"line": "material/20", "body": "  "})

    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="field-body"') : html.index("</div>", html.index('id="field-body"'))]
    assert "Write the comment." in field
    assert ReviewComment.objects.filter(submission=v1).count() == 0
    assert _state(v1) == SubmissionState.SUBMITTED
    assert not ExchangeEvent.objects.filter(submission=v1, kind=EventKind.COMMENTED).exists()


def test_a_comment_on_a_line_the_version_lacks_is_refused(exchange):
    v1 = exchange.submit()

    response = _client(exchange.reviewer).post(_comment_url(v1), {"line": "material/99", "body": "What is this?"})

    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="field-line"') : html.index("</div>", html.index('id="field-line"'))]
    assert "This version has no such line." in field
    assert "What is this?" in html  # the text typed is kept
    assert ReviewComment.objects.filter(submission=v1).count() == 0
    assert _state(v1) == SubmissionState.SUBMITTED


def test_a_comment_on_a_decided_version_is_refused_with_its_state(exchange):
    v1 = exchange.submit()
    submission_transition(membership=exchange.reviewer_membership(), submission=v1, name="accept")

    response = _client(exchange.reviewer).post(_comment_url(v1), {"line": "", "body": "Late remark."})

    assert response.status_code == 409
    assert "Comments are added while a version is under review; this one is Accepted." in response.content.decode()
    assert ReviewComment.objects.filter(submission=v1).count() == 0


# -- transitions ------------------------------------------------------------------------------------------------------


def test_a_reviewer_starts_the_review_returns_with_a_comment_and_the_buttons_follow_the_state(exchange):
    v1 = exchange.submit()
    reviewer = _client(exchange.reviewer)
    html = reviewer.get(_detail(v1)).content.decode()
    for value in ("start_review", "return", "accept"):
        assert f'name="action" value="{value}"' in html
    assert 'value="withdraw"' not in html

    assert reviewer.post(_transition_url(v1), {"action": "start_review"}).status_code == 302
    assert _state(v1) == SubmissionState.UNDER_REVIEW
    html = reviewer.get(_detail(v1)).content.decode()
    assert 'value="start_review"' not in html
    assert 'value="return"' in html

    response = reviewer.post(_transition_url(v1), {"action": "return", "comment": "Meter the SMT line separately."})

    assert response.status_code == 302
    assert _state(v1) == SubmissionState.RETURNED
    html = reviewer.get(_detail(v1)).content.decode()
    assert "Version 1 was returned to the supplier for changes." in html
    assert "Meter the SMT line separately." in html
    assert 'name="action"' not in html
    assert 'class="comment-form"' not in html


def test_return_without_a_comment_is_refused_and_nothing_is_written(exchange):
    v1 = exchange.submit()

    response = _client(exchange.reviewer).post(_transition_url(v1), {"action": "return", "comment": " "})

    assert response.status_code == 400
    html = response.content.decode()
    actions = _section(html, "actions")
    assert "Say what needs changing: add at least one comment before returning this version." in actions
    assert _state(v1) == SubmissionState.SUBMITTED
    assert ReviewComment.objects.filter(submission=v1).count() == 0
    assert not ExchangeEvent.objects.filter(submission=v1, kind=EventKind.RETURNED).exists()


def test_a_transition_the_state_does_not_allow_is_a_409_with_the_state(exchange):
    v1 = exchange.submit()
    reviewer = _client(exchange.reviewer)
    assert reviewer.post(_transition_url(v1), {"action": "accept"}).status_code == 302

    response = reviewer.post(_transition_url(v1), {"action": "accept"})

    assert response.status_code == 409
    assert "This version cannot be accepted: it is Accepted." in response.content.decode()
    assert ExchangeEvent.objects.filter(submission=v1, kind=EventKind.ACCEPTED).count() == 1


def test_an_unknown_action_is_a_400(exchange):
    v1 = exchange.submit()
    response = _client(exchange.reviewer).post(_transition_url(v1), {"action": "approve"})
    assert response.status_code == 400
    assert "Unknown action." in response.content.decode()
    assert _state(v1) == SubmissionState.SUBMITTED


def test_a_buyer_viewer_reads_the_page_but_may_neither_decide_nor_comment(exchange):
    v1 = exchange.submit()
    viewer = _client(factories.make_member(exchange.buyer, role=Role.VIEWER))

    html = viewer.get(_detail(v1)).content.decode()
    assert _total(html, "e") == "120.3"
    assert 'name="action"' not in html
    assert 'class="comment-form"' not in html

    assert viewer.post(_transition_url(v1), {"action": "accept"}).status_code == 403
    assert viewer.post(_comment_url(v1), {"line": "", "body": "Fine by me."}).status_code == 403
    assert _state(v1) == SubmissionState.SUBMITTED
    assert ReviewComment.objects.filter(submission=v1).count() == 0


def test_the_supplier_manager_withdraws_a_version_not_yet_under_review(exchange):
    v1 = exchange.submit()
    manager = _client(exchange.supplier_manager)
    html = manager.get(_detail(v1)).content.decode()
    assert 'name="action" value="withdraw"' in html
    assert 'value="accept"' not in html
    editor = _client(exchange.supplier_editor)
    assert 'name="action"' not in editor.get(_detail(v1)).content.decode()
    assert editor.post(_transition_url(v1), {"action": "withdraw"}).status_code == 403
    assert manager.post(_comment_url(v1), {"line": "", "body": "Self-review."}).status_code == 403

    assert manager.post(_transition_url(v1), {"action": "withdraw"}).status_code == 302

    assert _state(v1) == SubmissionState.WITHDRAWN


# -- who reaches the page ---------------------------------------------------------------------------------------------


def test_a_reviewer_of_another_buyer_gets_404_everywhere(exchange, library, media):
    evidence = evidence_add(
        study=exchange.study,
        upload=upload("invoice.pdf", PDF),
        kind=EvidenceKind.INVOICE,
        user=exchange.supplier_manager,
    )
    v1 = exchange.submit()
    other = build_exchange(factories.make_organization(), library)
    stranger = _client(other.reviewer)

    assert stranger.get(_detail(v1)).status_code == 404
    assert stranger.post(_comment_url(v1), {"line": "", "body": "Hello"}).status_code == 404
    assert stranger.post(_transition_url(v1), {"action": "accept"}).status_code == 404
    url = reverse("web:submission-evidence", args=[v1.uuid, evidence.uuid])
    assert stranger.get(url).status_code == 404
    assert _state(v1) == SubmissionState.SUBMITTED
    assert ReviewComment.objects.count() == 0


def test_a_granted_verifier_reads_the_version_and_nothing_of_its_neighbours(exchange):
    v1 = exchange.submit()
    _return(exchange, v1)
    v2 = exchange.submit()
    body = factories.make_organization(kind=OrganizationKind.VERIFIER, name="Verify Co")
    verifier = factories.make_member(body, role=Role.VERIFIER)
    verification_grant_add(membership=exchange.manager_membership(), submission=v2, verifier_identifier=body.slug)
    client = _client(verifier)

    html = client.get(_detail(v2)).content.decode()

    assert _total(html, "e") == "120.3"
    assert 'name="action"' not in html
    assert f'href="{_detail(v1)}"' not in html
    assert 'id="changes"' not in html
    assert client.get(_detail(v1)).status_code == 404


# -- evidence ---------------------------------------------------------------------------------------------------------


def test_the_evidence_frozen_with_a_version_downloads_and_a_later_file_is_a_404(exchange, media):
    first = evidence_add(
        study=exchange.study,
        upload=upload("电费发票 January.pdf", PDF),
        kind=EvidenceKind.INVOICE,
        user=exchange.supplier_manager,
    )
    v1 = exchange.submit()
    _return(exchange, v1)
    later = evidence_add(
        study=exchange.study, upload=upload("later.pdf", PDF), kind=EvidenceKind.INVOICE, user=exchange.supplier_manager
    )
    reviewer = _client(exchange.reviewer)

    html = reviewer.get(_detail(v1)).content.decode()
    evidence = _section(html, "evidence")
    url = reverse("web:submission-evidence", args=[v1.uuid, first.uuid])
    assert f'href="{url}"' in evidence
    assert "later.pdf" not in evidence
    assert "Invoice" in evidence or "invoice" in evidence.lower()

    response = reviewer.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E7%94%B5%E8%B4%B9%E5%8F%91%E7%A5%A8%20January.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert _client(exchange.supplier_editor).get(url).status_code == 200

    assert reviewer.get(reverse("web:submission-evidence", args=[v1.uuid, later.uuid])).status_code == 404


# -- flags on the page ------------------------------------------------------------------------------------------------


def test_a_flag_links_to_its_line_where_it_is_shown_again(exchange):
    exchange.study.refresh_from_db()
    line = BomLine.objects.get(study=exchange.study, material__no=20)
    bom_line_update(
        study=exchange.study,
        line=line,
        quantity=line.quantity,
        loss_rate=Decimal("0.15"),
        factor=line.factor,
        data_source=line.data_source,
        unit_mass_kg=line.unit_mass_kg,
        notes=line.notes,
        expected_version=None,
        user=exchange.supplier_manager,
    )
    compute(exchange.study)
    v1 = exchange.submit()

    html = _client(exchange.reviewer).get(_detail(v1)).content.decode()

    flags = _section(html, "flags")
    assert '<a href="#line-material-20">20. printed circuit board: a loss rate of 15 % is above 10 %.</a>' in flags
    assert "a loss rate of 15 % is above 10 %." in _section(html, "line-material-20")


def test_the_page_costs_the_same_queries_with_more_comments_and_files(exchange, media):
    evidence_add(
        study=exchange.study, upload=upload("a.pdf", PDF), kind=EvidenceKind.INVOICE, user=exchange.supplier_manager
    )
    v1 = exchange.submit()
    membership = exchange.reviewer_membership()
    comment_add(membership=membership, submission=v1, body="one", line_key="material/1")
    reviewer = _client(exchange.reviewer)
    reviewer.get(_detail(v1))
    with CaptureQueriesContext(connection) as few:
        reviewer.get(_detail(v1))
    for no in range(2, 8):
        comment_add(membership=membership, submission=v1, body=f"comment {no}", line_key=f"material/{no}")
    comment_add(membership=membership, submission=v1, body="whole")
    with CaptureQueriesContext(connection) as many:
        html = reviewer.get(_detail(v1)).content.decode()
    assert html.count('class="comment"') == 8
    assert len(many) == len(few)
