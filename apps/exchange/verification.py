"""Reads for third-party verification: what a verification body was granted, the grants of a version, its
statements, and the one statement a reader asks for (the writes are in apps.exchange.services).

Who sees what follows apps.exchange.access:

- a verification body sees the versions a supplier granted it while the grant is not revoked, and of the
  statements on them only its own: another body's conclusion is not shown to it (each body judges on its
  own);
- the supplier and the requesting buyer see every statement on a version they can read;
- a grant is the supplier's: only the supplier that made it looks it up (anything else is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from apps.accounts.models import Membership, Organization
from apps.exchange.access import ExchangeAccess, submission_access
from apps.exchange.models import Submission, VerificationGrant, VerificationStatement


@dataclass(frozen=True)
class GrantedSubmission:
    """A version a verification body may read, as its list shows it."""

    grant: VerificationGrant
    submission: Submission
    has_statement: bool

    @property
    def supplier_name(self) -> str:
        return self.submission.organization.name

    @property
    def product_label(self) -> str:
        return self.submission.request.product_label

    @property
    def period(self) -> tuple[date, date]:
        return self.submission.request.period_start, self.submission.request.period_end


def granted_submissions(*, organization: Organization) -> list[GrantedSubmission]:
    """The versions suppliers granted ``organization`` (a verification body) and did not revoke, newest grant
    first, with whether the body has recorded a statement on each, in one query."""
    own_statements = VerificationStatement.objects.filter(
        submission=OuterRef("submission_id"), organization=organization
    )
    grants = (
        VerificationGrant.objects.filter(verifier=organization, revoked_at__isnull=True)
        .select_related("submission", "submission__organization", "submission__request", "submission__study__product")
        .annotate(has_statement=Exists(own_statements))
        .order_by("-created_at", "-id")
    )
    rows = []
    for grant in grants:
        annotated: Any = grant
        rows.append(GrantedSubmission(grant=grant, submission=grant.submission, has_statement=annotated.has_statement))
    return rows


def submission_grants(*, submission: Submission) -> list[VerificationGrant]:
    """Every grant of one version (revoked ones too, for the record), newest first: for its supplier."""
    return list(
        VerificationGrant.objects.filter(submission=submission)
        .select_related("verifier", "granted_by")
        .order_by("-created_at", "-id")
    )


def grant_of_supplier(*, membership: Membership, grant_uuid: UUID) -> VerificationGrant:
    """A grant the member's organization (the supplier) made; anyone else's, or a missing one, is a 404."""
    grant = (
        VerificationGrant.objects.select_related("verifier", "submission", "submission__request")
        .filter(organization=membership.organization, uuid=grant_uuid)
        .first()
    )
    if grant is None:
        raise Http404("No such grant")
    return grant


def submission_statements(
    *, submission: Submission, verifier: Organization | None = None
) -> QuerySet[VerificationStatement]:
    """The statements on one version (only ``verifier``'s when it is given), newest statement first."""
    statements = VerificationStatement.objects.filter(submission=submission).select_related("organization")
    if verifier is not None:
        statements = statements.filter(organization=verifier)
    return statements.order_by("-statement_date", "-id")


def statements_for_reader(*, access: ExchangeAccess[Submission]) -> QuerySet[VerificationStatement]:
    """The statements on the version ``access`` opened that its member may read: all of them for the supplier
    and the buyer, its own for a verification body."""
    verifier = access.membership.organization if access.is_verifier else None
    return submission_statements(submission=access.obj, verifier=verifier)


def statement_access(*, membership: Membership, statement_uuid: UUID) -> VerificationStatement:
    """A statement whose version the member can read (the supplier, the requesting buyer, the verification
    body that recorded it); anything else is a 404, exactly like a missing one."""
    submission_uuid = (
        VerificationStatement.objects.filter(uuid=statement_uuid).values_list("submission__uuid", flat=True).first()
    )
    if submission_uuid is None:
        raise Http404("No such statement")
    access = submission_access(membership=membership, submission_uuid=submission_uuid)
    statement = statements_for_reader(access=access).filter(uuid=statement_uuid).first()
    if statement is None:
        raise Http404("No such statement")
    return statement
