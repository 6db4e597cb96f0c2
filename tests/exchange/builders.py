"""An exchange between a buyer and a supplier, built through the services: a supply relationship, a
request, and a complete, computed study that answers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractUser

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Membership, Organization
from apps.exchange.models import FootprintRequest, Submission, SupplyRelationship
from apps.exchange.services import relationship_accept, relationship_propose, request_create
from apps.exchange.workflow import submission_create
from apps.footprints.enums import ComputationStatus
from apps.footprints.services import footprint_compute, footprint_request
from apps.inventory.models import Study
from tests import factories
from tests.footprints.check_builders import complete_study


def membership_of(user: AbstractUser, organization: Organization) -> Membership:
    return Membership.objects.select_related("organization", "user").get(user=user, organization=organization)


def compute(study: Study) -> None:
    computation = footprint_compute(computation_id=footprint_request(study=study).pk)
    assert computation.status == ComputationStatus.SUCCEEDED, computation.error_message


@dataclass
class Exchange:
    buyer: Organization
    supplier: Organization
    reviewer: AbstractUser  # buyer
    supplier_manager: AbstractUser
    supplier_editor: AbstractUser
    relationship: SupplyRelationship
    request: FootprintRequest
    study: Study

    def reviewer_membership(self) -> Membership:
        return membership_of(self.reviewer, self.buyer)

    def manager_membership(self) -> Membership:
        return membership_of(self.supplier_manager, self.supplier)

    def submit(self, note: str = "") -> Submission:
        return submission_create(
            membership=self.manager_membership(), footprint_request=self.request, study=self.study, note=note
        )


def build_exchange(supplier: Organization, library: factories.Library, *, today: date | None = None) -> Exchange:
    """Buyer ↔ supplier relationship accepted, an open request for the study's product and period (January
    2025, per piece), and the study complete and computed (not yet submitted)."""
    buyer = factories.make_organization(kind=OrganizationKind.BUYER, name=f"Grid buyer {supplier.pk}")
    reviewer = factories.make_member(buyer, role=Role.REVIEWER)
    manager = factories.make_member(supplier, role=Role.MANAGER)
    editor = factories.make_member(supplier, role=Role.EDITOR)
    relationship = relationship_propose(membership=membership_of(reviewer, buyer), supplier_identifier=supplier.slug)
    relationship = relationship_accept(membership=membership_of(manager, supplier), relationship=relationship)
    study = complete_study(supplier, library)
    compute(study)
    footprint_request_row = request_create(
        membership=membership_of(reviewer, buyer),
        relationship=relationship,
        product_type="Single-phase smart meter",
        product_code=study.product.model_code,
        period_start=study.period_start,
        period_end=study.period_end,
        due_date=date(2025, 3, 31),
        today=today or date(2025, 2, 1),
    )
    return Exchange(buyer, supplier, reviewer, manager, editor, relationship, footprint_request_row, study)
