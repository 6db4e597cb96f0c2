"""Access helpers for the exchange: relationships, requests and submitted versions, with what the member
may do with them (apps.accounts.access).

Who sees what:

- a supply relationship: the buyer that proposed it and the supplier it names;
- a request: the buyer that made it; the supplier it is addressed to while the relationship is active;
- a submitted version: the supplier that submitted it; the buyer that requested it while the
  relationship is active; a verification body that the supplier granted access to that version (and
  nothing else of the supplier).

Anything else is a 404, exactly like a missing row; an action the role does not allow is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

from django.db.models import Q
from django.http import Http404

from apps.accounts.access import Access, Action, membership_actions
from apps.accounts.models import Membership
from apps.exchange.enums import RelationshipStatus
from apps.exchange.models import FootprintRequest, Submission, SupplyRelationship, VerificationGrant

T = TypeVar("T")


class Side(StrEnum):
    BUYER = "buyer"
    SUPPLIER = "supplier"
    VERIFIER = "verifier"


@dataclass(frozen=True)
class ExchangeAccess(Access[T]):
    """An Access that also says on which side of the exchange the member stands."""

    side: Side = Side.SUPPLIER

    @property
    def is_buyer(self) -> bool:
        return self.side == Side.BUYER

    @property
    def is_supplier(self) -> bool:
        return self.side == Side.SUPPLIER

    @property
    def is_verifier(self) -> bool:
        return self.side == Side.VERIFIER


def relationship_access(*, membership: Membership, relationship_uuid: UUID) -> ExchangeAccess[SupplyRelationship]:
    organization = membership.organization
    relationship = (
        SupplyRelationship.objects.select_related("organization", "supplier")
        .filter(Q(organization=organization) | Q(supplier=organization), uuid=relationship_uuid)
        .first()
    )
    if relationship is None:
        raise Http404("No such relationship")
    side = Side.BUYER if relationship.organization_id == organization.pk else Side.SUPPLIER
    return ExchangeAccess(obj=relationship, membership=membership, actions=membership_actions(membership), side=side)


def request_access(*, membership: Membership, request_uuid: UUID) -> ExchangeAccess[FootprintRequest]:
    organization = membership.organization
    footprint_request = (
        FootprintRequest.objects.select_related("organization", "supplier", "relationship")
        .filter(
            Q(organization=organization) | Q(supplier=organization, relationship__status=RelationshipStatus.ACTIVE),
            uuid=request_uuid,
        )
        .first()
    )
    if footprint_request is None:
        raise Http404("No such request")
    side = Side.BUYER if footprint_request.organization_id == organization.pk else Side.SUPPLIER
    return ExchangeAccess(
        obj=footprint_request, membership=membership, actions=membership_actions(membership), side=side
    )


def submission_access(*, membership: Membership, submission_uuid: UUID) -> ExchangeAccess[Submission]:
    organization = membership.organization
    granted = VerificationGrant.objects.filter(verifier=organization, revoked_at__isnull=True).values("submission_id")
    submission = (
        Submission.objects.select_related(
            "organization",
            "request",
            "request__organization",
            "request__relationship",
            "study",
            "study__product",
            "result",
        )
        .defer("result__canonical_inputs_gz")  # read only when a page's cache misses it
        .filter(
            Q(organization=organization)
            | Q(request__organization=organization, request__relationship__status=RelationshipStatus.ACTIVE)
            | Q(pk__in=granted),
            uuid=submission_uuid,
        )
        .first()
    )
    if submission is None:
        raise Http404("No such submitted version")
    if submission.organization_id == organization.pk:
        side = Side.SUPPLIER
    elif submission.request.organization_id == organization.pk:
        side = Side.BUYER
    else:
        side = Side.VERIFIER
    actions = membership_actions(membership)
    if side != Side.VERIFIER:
        actions = actions - {Action.VERIFY}
    return ExchangeAccess(obj=submission, membership=membership, actions=actions, side=side)
