"""More of an exchange, through the services: a second supplier of the same buyer (built the way
tests/exchange/builders.py builds the first), accepted versions, a verification body with a grant and a
statement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Organization
from apps.exchange.models import Submission, VerificationGrant, VerificationStatement
from apps.exchange.services import (
    relationship_accept,
    relationship_propose,
    request_create,
    verification_grant_add,
    verification_statement_record,
)
from apps.exchange.workflow import submission_transition
from apps.inventory.models import BomLine
from tests import factories
from tests.exchange.builders import Exchange, build_exchange, compute, membership_of
from tests.footprints.check_builders import complete_study

PRODUCT_TYPE = "Single-phase smart meter"


def add_supplier(
    exchange: Exchange,
    library: factories.Library,
    *,
    name: str,
    units_produced: str = "1000",
    material_32_quantity: str | None = None,
    product_type: str = PRODUCT_TYPE,
) -> Exchange:
    """Another supplier of ``exchange.buyer``: relationship proposed by the same reviewer and accepted, a complete
    study (``units_produced`` made in January; material 32's quantity changed if given) computed, and an open
    request for it."""
    supplier = factories.make_organization(name=name)
    manager = factories.make_member(supplier, role=Role.MANAGER)
    editor = factories.make_member(supplier, role=Role.EDITOR)
    relationship = relationship_propose(membership=exchange.reviewer_membership(), supplier_identifier=supplier.slug)
    relationship = relationship_accept(membership=membership_of(manager, supplier), relationship=relationship)
    study = complete_study(supplier, library, units_produced=units_produced)
    if material_32_quantity is not None:
        line = BomLine.objects.get(study=study, material__no=32)
        line.quantity = Decimal(material_32_quantity)
        line.save()
    compute(study)
    footprint_request = request_create(
        membership=exchange.reviewer_membership(),
        relationship=relationship,
        product_type=product_type,
        product_code=study.product.model_code,
        period_start=study.period_start,
        period_end=study.period_end,
        due_date=date(2025, 3, 31),
        today=date(2025, 2, 1),
    )
    return Exchange(
        exchange.buyer, supplier, exchange.reviewer, manager, editor, relationship, footprint_request, study
    )


def accept(exchange: Exchange, submission: Submission) -> Submission:
    return submission_transition(membership=exchange.reviewer_membership(), submission=submission, name="accept")


def submit_and_accept(exchange: Exchange) -> Submission:
    return accept(exchange, exchange.submit())


def make_verifier(name: str = "CQC Certification", *, credit_code: str = "") -> Organization:
    verifier = factories.make_organization(kind=OrganizationKind.VERIFIER, name=name)
    if credit_code:
        verifier.credit_code = credit_code
        verifier.save()
    return verifier


def grant(exchange: Exchange, submission: Submission, verifier: Organization) -> VerificationGrant:
    return verification_grant_add(
        membership=exchange.manager_membership(), submission=submission, verifier_identifier=verifier.slug
    )


def record_statement(
    verifier_user,
    verifier: Organization,
    submission: Submission,
    *,
    assurance_level: str = "reasonable",
    opinion: str = "unmodified",
    statement_date: date = date(2025, 2, 20),
    statement_file: UploadedFile | None = None,
) -> VerificationStatement:
    return verification_statement_record(
        membership=membership_of(verifier_user, verifier),
        submission=submission,
        standard="iso_14067",
        assurance_level=assurance_level,
        scope="Cradle-to-gate footprint of the meter, January 2025: bill of materials and metered electricity.",
        statement_date=statement_date,
        opinion=opinion,
        opinion_text="In our opinion the footprint is fairly stated.",
        statement_file=statement_file,
        today=date(2025, 3, 1),
    )


__all__ = [
    "PRODUCT_TYPE",
    "accept",
    "add_supplier",
    "build_exchange",
    "grant",
    "make_verifier",
    "record_statement",
    "submit_and_accept",
]
