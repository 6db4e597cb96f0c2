"""Verification pages: a supplier grants and revokes a body's access to one version, the body lists what it was
granted and records its statement (with or without a PDF), and everyone who reads the version reads the
statement; the body sees nothing else of the supplier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.enums import Role
from apps.exchange.access import submission_access
from apps.exchange.enums import EventKind
from apps.exchange.models import ExchangeEvent, VerificationGrant, VerificationStatement
from apps.web.views.verification import grant_context, statements_context
from tests import factories
from tests.evidence.builders import PDF, PNG, stored_files, upload, use_tmp_media
from tests.exchange.builders import build_exchange, membership_of
from tests.exchange.verification_builders import grant, make_verifier, record_statement, submit_and_accept

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    return use_tmp_media(settings, tmp_path)


@pytest.fixture
def exchange(supplier, library):
    return build_exchange(supplier, library)


@pytest.fixture
def submission(exchange):
    return exchange.submit()


@pytest.fixture
def verifier():
    return make_verifier("CQC Certification")


@pytest.fixture
def auditor(verifier):
    return factories.make_member(verifier, role=Role.VERIFIER)


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _detail(submission) -> str:
    return reverse("web:submission-detail", args=[submission.uuid])


def _grant_url(submission) -> str:
    return reverse("web:submission-grant", args=[submission.uuid])


def _statement_url(submission) -> str:
    return reverse("web:statement-create", args=[submission.uuid])


def _statement_data(**overrides):
    data = {
        "standard": "iso_14067",
        "assurance_level": "reasonable",
        "scope": "Cradle-to-gate footprint of the meter, January 2025.",
        "statement_date": "2025-02-20",
        "opinion": "unmodified",
        "opinion_text": "In our opinion the footprint is fairly stated.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# -- granting and revoking -------------------------------------------------------------------------------------


def test_the_suppliers_manager_grants_a_body_by_its_short_name(exchange, submission, verifier, auditor):
    client = _client(exchange.supplier_manager)

    response = client.post(_grant_url(submission), {"verifier": verifier.slug.upper()})

    assert response.status_code == 302 and response["Location"] == _detail(submission)
    given = VerificationGrant.objects.get(submission=submission)
    assert (given.verifier, given.granted_by, given.revoked_at) == (verifier, exchange.supplier_manager, None)
    assert ExchangeEvent.objects.filter(kind=EventKind.VERIFIER_GRANTED, submission=submission).count() == 1
    page = client.get(_detail(submission))
    assert "CQC Certification can now read version 1." in page.content.decode()


def test_with_htmx_the_grant_form_answers_with_the_fragment(exchange, submission, verifier):
    client = _client(exchange.supplier_manager)

    response = client.post(_grant_url(submission), {"verifier": verifier.slug}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="verification-grants" id="verification-grants">')
    assert "<html" not in html
    assert "CQC Certification can now read version 1." in html
    given = VerificationGrant.objects.get(submission=submission)
    assert reverse("web:grant-revoke", args=[given.uuid]) in html


@pytest.mark.parametrize("htmx", [False, True])
def test_an_unknown_body_is_refused_at_the_field_and_nothing_is_written(exchange, submission, htmx):
    client = _client(exchange.supplier_manager)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = client.post(_grant_url(submission), {"verifier": "no-such-body"}, **headers)

    assert response.status_code == 200
    html = response.content.decode()
    assert "No verification body with this short name or unified social credit code is registered." in html
    assert 'id="field-verifier"' in html and "field-error" in html
    assert not VerificationGrant.objects.exists()
    assert not ExchangeEvent.objects.filter(kind=EventKind.VERIFIER_GRANTED).exists()


def test_an_empty_name_and_a_second_grant_are_refused(exchange, submission, verifier):
    client = _client(exchange.supplier_manager)
    response = client.post(_grant_url(submission), {"verifier": " "}, HTTP_HX_REQUEST="true")
    assert "Name the verification body by its short name or unified social credit code." in response.content.decode()

    grant(exchange, submission, verifier)
    response = client.post(_grant_url(submission), {"verifier": verifier.slug}, HTTP_HX_REQUEST="true")
    assert "CQC Certification can already read this version." in response.content.decode()
    assert VerificationGrant.objects.count() == 1


def test_only_the_suppliers_manager_may_grant(exchange, submission, verifier, auditor):
    grant(exchange, submission, verifier)
    for user in (exchange.supplier_editor, exchange.reviewer, auditor):
        response = _client(user).post(_grant_url(submission), {"verifier": verifier.slug})
        assert response.status_code == 403, user
    stranger = factories.make_member(factories.make_organization(), role=Role.MANAGER)
    assert _client(stranger).post(_grant_url(submission), {"verifier": verifier.slug}).status_code == 404
    assert VerificationGrant.objects.count() == 1


def test_revoking_takes_the_version_away_from_the_body(exchange, submission, verifier, auditor):
    given = grant(exchange, submission, verifier)
    verifier_client = _client(auditor)
    assert verifier_client.get(_detail(submission)).status_code == 200
    assert verifier_client.get(_statement_url(submission)).status_code == 200

    response = _client(exchange.supplier_manager).post(reverse("web:grant-revoke", args=[given.uuid]))

    assert response.status_code == 302 and response["Location"] == _detail(submission)
    given.refresh_from_db()
    assert given.revoked_at is not None
    assert verifier_client.get(_detail(submission)).status_code == 404
    assert verifier_client.get(_statement_url(submission)).status_code == 404
    assert verifier_client.post(_statement_url(submission), _statement_data()).status_code == 404
    assert not VerificationStatement.objects.exists()
    # A second revoke (another tab) says what happened, and changes nothing.
    again = _client(exchange.supplier_manager).post(
        reverse("web:grant-revoke", args=[given.uuid]), HTTP_HX_REQUEST="true"
    )
    assert "This access has already been revoked." in again.content.decode()


def test_only_the_supplier_finds_a_grant_to_revoke(exchange, submission, verifier, auditor):
    given = grant(exchange, submission, verifier)
    url = reverse("web:grant-revoke", args=[given.uuid])
    for user in (exchange.reviewer, auditor):
        assert _client(user).post(url).status_code == 404
    assert _client(exchange.supplier_editor).post(url).status_code == 403
    given.refresh_from_db()
    assert given.revoked_at is None


def test_the_grant_fragment_lists_grants_for_the_supplier_only(exchange, submission, verifier, auditor):
    given = grant(exchange, submission, verifier)
    manager_access = submission_access(membership=exchange.manager_membership(), submission_uuid=submission.uuid)
    html = render_to_string("web/verification/_grant.html", grant_context(manager_access))

    assert "CQC Certification" in html and reverse("web:grant-revoke", args=[given.uuid]) in html
    assert _grant_url(submission) in html
    editor_access = submission_access(
        membership=membership_of(exchange.supplier_editor, exchange.supplier), submission_uuid=submission.uuid
    )
    editor_html = render_to_string("web/verification/_grant.html", grant_context(editor_access))
    assert "CQC Certification" in editor_html and _grant_url(submission) not in editor_html
    for membership in (exchange.reviewer_membership(), membership_of(auditor, verifier)):
        access = submission_access(membership=membership, submission_uuid=submission.uuid)
        assert render_to_string("web/verification/_grant.html", grant_context(access)).strip() == ""


# -- what a verification body sees --------------------------------------------------------------------------------


def test_a_body_without_a_grant_gets_404_on_the_version_and_the_statement_form(submission, auditor):
    client = _client(auditor)
    assert client.get(_detail(submission)).status_code == 404
    assert client.get(_statement_url(submission)).status_code == 404
    assert client.post(_statement_url(submission), _statement_data()).status_code == 404


def test_a_granted_body_sees_nothing_else_of_the_supplier(exchange, submission, verifier, auditor):
    grant(exchange, submission, verifier)
    client = _client(auditor)
    study = exchange.study
    for name in ("web:study-detail", "web:study-bom", "web:study-stages", "web:study-evidence", "web:study-timeline"):
        assert client.get(reverse(name, args=[study.uuid])).status_code == 404, name
    assert client.get(reverse("web:request-detail", args=[exchange.request.uuid])).status_code == 404
    assert client.get(_detail(submission)).status_code == 200


def test_the_verifier_home_lists_the_granted_versions(exchange, submission, verifier, auditor):
    grant(exchange, submission, verifier)

    response = _client(auditor).get(reverse("web:verifier-home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert exchange.supplier.name in html
    assert exchange.request.product_label in html
    assert "2025-01-01 – 2025-01-31" in html
    assert _detail(submission) in html and _statement_url(submission) in html
    assert "Submitted" in html


def test_the_verifier_home_says_when_the_statement_is_recorded(exchange, submission, verifier, auditor):
    grant(exchange, submission, verifier)
    record_statement(auditor, verifier, submission)

    html = _client(auditor).get(reverse("web:verifier-home")).content.decode()

    assert "Recorded" in html and _statement_url(submission) not in html


def test_the_verifier_home_is_only_for_verification_bodies(exchange):
    for user in (exchange.supplier_manager, exchange.reviewer):
        assert _client(user).get(reverse("web:verifier-home")).status_code == 404


# -- recording a statement ---------------------------------------------------------------------------------------


def test_the_body_records_a_statement_with_its_pdf_and_the_buyer_sees_it(media, exchange, verifier, auditor):
    submission = submit_and_accept(exchange)
    grant(exchange, submission, verifier)
    client = _client(auditor)
    assert client.get(_statement_url(submission)).status_code == 200

    data = _statement_data(statement_file=upload("CQC statement 2025.pdf", PDF))
    response = client.post(_statement_url(submission), data)

    assert response.status_code == 302 and response["Location"] == _detail(submission)
    statement = VerificationStatement.objects.get()
    assert (statement.organization, statement.submission, statement.verifier_user) == (verifier, submission, auditor)
    assert (statement.standard, statement.assurance_level, statement.opinion) == (
        "iso_14067",
        "reasonable",
        "unmodified",
    )
    assert str(statement.statement_date) == "2025-02-20"
    assert statement.statement_file_name == "CQC statement 2025.pdf"
    assert len(stored_files(media)) == 1
    assert ExchangeEvent.objects.filter(kind=EventKind.VERIFIED, submission=submission).count() == 1

    # The buyer (and the supplier) read the statement and download its file.
    buyer_access = submission_access(membership=exchange.reviewer_membership(), submission_uuid=submission.uuid)
    html = render_to_string("web/verification/_statements.html", statements_context(submission, access=buyer_access))
    assert "CQC Certification" in html and "ISO 14067:2018" in html and "Reasonable assurance" in html
    assert "Cradle-to-gate footprint of the meter, January 2025." in html and "2025-02-20" in html
    assert "Unmodified (the footprint is fairly stated)" in html
    file_url = reverse("web:statement-file", args=[statement.uuid])
    assert file_url in html
    for user in (exchange.reviewer, exchange.supplier_manager, auditor):
        download = _client(user).get(file_url)
        assert download.status_code == 200, user
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert "attachment" in download["Content-Disposition"]
        assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"scope": ""}, "scope", "Describe the scope of the verification."),
        ({"scope": None}, "scope", "Describe the scope of the verification."),
        ({"opinion_text": " "}, "opinion_text", "Give the opinion as the statement words it."),
        ({"statement_date": ""}, "statement_date", "Give the date of the statement."),
        ({"statement_date": "20 Feb"}, "statement_date", "Enter a valid date."),
        ({"assurance_level": "total"}, "assurance_level", "Select a valid choice."),
    ],
)
def test_bad_statement_fields_are_refused_at_the_field(
    media, exchange, submission, verifier, auditor, overrides, field, message
):
    grant(exchange, submission, verifier)

    response = _client(auditor).post(_statement_url(submission), _statement_data(**overrides))

    assert response.status_code == 200
    html = response.content.decode()
    field_html = html.split(f'id="field-{field}"', 1)[1].split('<div class="field', 1)[0]
    assert message in field_html
    assert not VerificationStatement.objects.exists()
    assert stored_files(media) == []


def test_a_future_statement_date_is_refused(media, exchange, submission, verifier, auditor):
    grant(exchange, submission, verifier)
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = _statement_data(statement_date=tomorrow.isoformat(), statement_file=upload("statement.pdf", PDF))

    response = _client(auditor).post(_statement_url(submission), data)

    html = response.content.decode()
    field_html = html.split('id="field-statement_date"', 1)[1].split('<div class="field', 1)[0]
    assert f"The statement&#x27;s date {tomorrow.isoformat()} is in the future." in field_html
    assert not VerificationStatement.objects.exists()
    assert not ExchangeEvent.objects.filter(kind=EventKind.VERIFIED).exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("statement.png", PNG, "The statement file must be a PDF document."),
        ("statement.pdf", PNG, "but its content is a PNG image."),  # the content decides, not the name
        ("statement.html", b"<html></html>", "Files of type .html are not accepted."),
    ],
)
def test_a_statement_file_that_is_not_a_pdf_is_refused(
    media, exchange, submission, verifier, auditor, name, content, message
):
    grant(exchange, submission, verifier)

    response = _client(auditor).post(_statement_url(submission), _statement_data(statement_file=upload(name, content)))

    assert response.status_code == 200
    html = response.content.decode()
    field_html = html.split('id="field-statement_file"', 1)[1].split('<div class="field', 1)[0]
    assert message in field_html, field_html
    assert not VerificationStatement.objects.exists()
    assert stored_files(media) == []


def test_an_oversized_statement_file_is_refused(media, settings, exchange, submission, verifier, auditor):
    settings.EVIDENCE_MAX_BYTES = len(PDF) - 1
    grant(exchange, submission, verifier)

    response = _client(auditor).post(
        _statement_url(submission), _statement_data(statement_file=upload("statement.pdf", PDF))
    )

    html = response.content.decode()
    field_html = html.split('id="field-statement_file"', 1)[1].split('<div class="field', 1)[0]
    assert "files of at most" in field_html and "MB are accepted." in field_html, field_html
    assert not VerificationStatement.objects.exists()
    assert stored_files(media) == []


def test_a_statement_without_a_file_has_no_download(media, exchange, submission, verifier, auditor):
    grant(exchange, submission, verifier)
    response = _client(auditor).post(_statement_url(submission), _statement_data())
    assert response.status_code == 302
    statement = VerificationStatement.objects.get()
    assert statement.statement_file.name == ""
    assert _client(exchange.reviewer).get(reverse("web:statement-file", args=[statement.uuid])).status_code == 404


def test_only_a_verifier_of_the_granted_body_records_a_statement(exchange, submission, verifier, auditor):
    grant(exchange, submission, verifier)
    viewer = factories.make_member(verifier, role=Role.VIEWER)
    for user in (viewer, exchange.supplier_manager, exchange.reviewer):
        client = _client(user)
        assert client.get(_statement_url(submission)).status_code == 403, user
        assert client.post(_statement_url(submission), _statement_data()).status_code == 403, user
    other_body = make_verifier("Other Body")
    other = factories.make_member(other_body, role=Role.VERIFIER)
    assert _client(other).get(_statement_url(submission)).status_code == 404
    assert not VerificationStatement.objects.exists()


def test_a_statement_file_is_not_streamed_to_strangers(media, exchange, verifier, auditor):
    submission = submit_and_accept(exchange)
    grant(exchange, submission, verifier)
    statement = record_statement(auditor, verifier, submission, statement_file=upload("statement.pdf", PDF))
    url = reverse("web:statement-file", args=[statement.uuid])
    other_body = make_verifier("Other Body")
    grant(exchange, submission, other_body)  # it reads the version, not the other body's statement
    strangers = [
        factories.make_member(other_body, role=Role.VERIFIER),
        factories.make_member(factories.make_organization(), role=Role.MANAGER),
        factories.make_member(factories.make_organization(kind="buyer"), role=Role.REVIEWER),
    ]
    for user in strangers:
        assert _client(user).get(url).status_code == 404, user
    assert _client(auditor).get(url).status_code == 200
