"""Verification reads: a body sees exactly the versions granted to it (and nothing else of the supplier), the
grants and statements of a version, and who may open a statement."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404

from apps.accounts.enums import Role
from apps.exchange.access import Side, submission_access
from apps.exchange.services import request_create, verification_grant_add, verification_grant_revoke
from apps.exchange.verification import (
    grant_of_supplier,
    granted_submissions,
    statement_access,
    statements_for_reader,
    submission_grants,
)
from apps.exchange.workflow import submission_create
from apps.inventory.access import product_access, site_access, study_access
from tests import factories
from tests.exchange.builders import build_exchange, compute, membership_of
from tests.exchange.verification_builders import (
    add_supplier,
    grant,
    make_verifier,
    record_statement,
    submit_and_accept,
)
from tests.footprints.check_builders import complete_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange(supplier, library):
    return build_exchange(supplier, library)


@pytest.fixture
def verifier():
    return make_verifier(credit_code="91310000MA1FL0XX1X")


@pytest.fixture
def auditor(verifier):
    return factories.make_member(verifier, role=Role.VERIFIER)


def test_a_body_reads_a_version_only_while_it_is_granted(exchange, verifier, auditor):
    submission = exchange.submit()
    auditor_membership = membership_of(auditor, verifier)
    with pytest.raises(Http404):
        submission_access(membership=auditor_membership, submission_uuid=submission.uuid)
    assert granted_submissions(organization=verifier) == []

    given = grant(exchange, submission, verifier)

    access = submission_access(membership=auditor_membership, submission_uuid=submission.uuid)
    assert access.side == Side.VERIFIER and access.can_verify
    (row,) = granted_submissions(organization=verifier)
    assert (row.submission, row.grant, row.has_statement) == (submission, given, False)
    assert row.supplier_name == exchange.supplier.name
    assert row.period == (date(2025, 1, 1), date(2025, 1, 31))

    verification_grant_revoke(membership=exchange.manager_membership(), grant=given)

    with pytest.raises(Http404):
        submission_access(membership=auditor_membership, submission_uuid=submission.uuid)
    assert granted_submissions(organization=verifier) == []


def test_the_body_is_found_by_its_unified_social_credit_code(exchange, verifier, auditor):
    submission = exchange.submit()
    verification_grant_add(
        membership=exchange.manager_membership(), submission=submission, verifier_identifier="91310000ma1fl0xx1x"
    )
    assert [row.submission for row in granted_submissions(organization=verifier)] == [submission]


def test_a_granted_body_sees_nothing_else_of_the_supplier(exchange, verifier, auditor, library):
    first = exchange.submit()
    grant(exchange, first, verifier)
    auditor_membership = membership_of(auditor, verifier)

    with pytest.raises(Http404):
        study_access(membership=auditor_membership, study_uuid=exchange.study.uuid)
    with pytest.raises(Http404):
        product_access(membership=auditor_membership, product_uuid=exchange.study.product.uuid)
    with pytest.raises(Http404):
        site_access(membership=auditor_membership, site_uuid=exchange.study.site.uuid)
    # The supplier's version of another product, answering another request of the buyer, is not granted.
    study = complete_study(exchange.supplier, library)
    compute(study)
    second_request = request_create(
        membership=exchange.reviewer_membership(),
        relationship=exchange.relationship,
        product_type="Single-phase smart meter",
        product_code=study.product.model_code,
        period_start=study.period_start,
        period_end=study.period_end,
        due_date=date(2025, 3, 31),
        today=date(2025, 2, 1),
    )
    second = submission_create(membership=exchange.manager_membership(), footprint_request=second_request, study=study)
    with pytest.raises(Http404):
        submission_access(membership=auditor_membership, submission_uuid=second.uuid)
    assert [row.submission for row in granted_submissions(organization=verifier)] == [first]


def test_granted_list_says_which_versions_have_the_bodys_statement(exchange, verifier, auditor, library):
    first = submit_and_accept(exchange)
    second_exchange = add_supplier(exchange, library, name="Second Meters")
    second = second_exchange.submit()
    grant(exchange, first, verifier)
    grant(second_exchange, second, verifier)
    other_body = make_verifier("Other Body")
    grant(exchange, first, other_body)
    record_statement(factories.make_member(other_body, role=Role.VERIFIER), other_body, first)

    assert {row.submission: row.has_statement for row in granted_submissions(organization=verifier)} == {
        first: False,
        second: False,
    }  # the other body's statement is not this body's

    record_statement(auditor, verifier, first)

    rows = granted_submissions(organization=verifier)
    assert [row.submission for row in rows] == [second, first]  # newest grant first
    assert {row.submission: row.has_statement for row in rows} == {first: True, second: False}


def test_statements_are_read_by_supplier_buyer_and_the_body_that_recorded_them(exchange, verifier, auditor):
    submission = submit_and_accept(exchange)
    grant(exchange, submission, verifier)
    statement = record_statement(auditor, verifier, submission)
    other_body = make_verifier("Other Body")
    grant(exchange, submission, other_body)
    other_auditor = factories.make_member(other_body, role=Role.VERIFIER)
    other_statement = record_statement(other_auditor, other_body, submission, assurance_level="limited")

    for membership in (exchange.manager_membership(), exchange.reviewer_membership()):
        access = submission_access(membership=membership, submission_uuid=submission.uuid)
        assert set(statements_for_reader(access=access)) == {statement, other_statement}
        assert statement_access(membership=membership, statement_uuid=statement.uuid) == statement
    # Each body reads its own statement, not the other's.
    own = submission_access(membership=membership_of(auditor, verifier), submission_uuid=submission.uuid)
    assert list(statements_for_reader(access=own)) == [statement]
    assert statement_access(membership=membership_of(auditor, verifier), statement_uuid=statement.uuid) == statement
    with pytest.raises(Http404):
        statement_access(membership=membership_of(other_auditor, other_body), statement_uuid=statement.uuid)
    # A stranger: another buyer, another supplier.
    stranger_buyer = factories.make_organization(kind="buyer")
    for organization in (stranger_buyer, factories.make_organization()):
        user = factories.make_member(organization, role=Role.MANAGER)
        with pytest.raises(Http404):
            statement_access(membership=membership_of(user, organization), statement_uuid=statement.uuid)


def test_the_statement_stays_readable_for_buyer_after_the_grant_is_revoked(exchange, verifier, auditor):
    submission = submit_and_accept(exchange)
    given = grant(exchange, submission, verifier)
    statement = record_statement(auditor, verifier, submission)

    verification_grant_revoke(membership=exchange.manager_membership(), grant=given)

    assert statement_access(membership=exchange.reviewer_membership(), statement_uuid=statement.uuid) == statement
    with pytest.raises(Http404):
        statement_access(membership=membership_of(auditor, verifier), statement_uuid=statement.uuid)


def test_a_grant_is_looked_up_by_its_supplier_only(exchange, verifier, auditor):
    submission = exchange.submit()
    given = grant(exchange, submission, verifier)

    assert grant_of_supplier(membership=exchange.manager_membership(), grant_uuid=given.uuid) == given
    for membership in (exchange.reviewer_membership(), membership_of(auditor, verifier)):
        with pytest.raises(Http404):
            grant_of_supplier(membership=membership, grant_uuid=given.uuid)
    assert submission_grants(submission=submission) == [given]
