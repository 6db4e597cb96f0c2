"""What a member may do: roles mapped to actions, and the `Access` every access helper returns.

Each object kind has one access helper (``study_access``, ``product_access``, ``site_access`` in
apps.inventory.access, and so on in the apps that own the kind). It takes the request's active
membership and the object's public id and returns the object together with the actions the
member may take on it. An object of another organization does not exist for the caller (404);
an action the role does not allow on a visible object is refused (403). Views, forms, exports and
the API go through these helpers and never filter by organization themselves.

Roles (docs/architecture.md, "Tenancy and roles"):

| role | in a supplier | in a buyer | in a verification body |
| --- | --- | --- | --- |
| manager | read, edit, submit, manage (members, products, sites) | read, review, manage | read, verify, manage |
| editor | read, edit | read | read |
| verifier | read (trace and recompute) | read | read, verify |
| reviewer | read | read, review | read |
| viewer | read | read | read |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Membership

T = TypeVar("T")


class Action(StrEnum):
    READ = "read"
    EDIT = "edit"  # enter and change activity data
    SUBMIT = "submit"  # send a computed study to a buyer (issue "Footprint requests and review")
    REVIEW = "review"  # return or accept a supplier's submission
    MANAGE = "manage"  # members, products, sites, organization settings
    VERIFY = "verify"  # record a verification statement on a submitted version the supplier granted


_SUPPLIER_ACTIONS: dict[str, frozenset[Action]] = {
    Role.MANAGER: frozenset({Action.READ, Action.EDIT, Action.SUBMIT, Action.MANAGE}),
    Role.EDITOR: frozenset({Action.READ, Action.EDIT}),
    Role.VERIFIER: frozenset({Action.READ}),
    Role.REVIEWER: frozenset({Action.READ}),
    Role.VIEWER: frozenset({Action.READ}),
}
_BUYER_ACTIONS: dict[str, frozenset[Action]] = {
    Role.MANAGER: frozenset({Action.READ, Action.REVIEW, Action.MANAGE}),
    Role.EDITOR: frozenset({Action.READ}),
    Role.VERIFIER: frozenset({Action.READ}),
    Role.REVIEWER: frozenset({Action.READ, Action.REVIEW}),
    Role.VIEWER: frozenset({Action.READ}),
}

# A verification body (a third party) sees only the submitted versions a supplier granted it.
_VERIFIER_ACTIONS: dict[str, frozenset[Action]] = {
    Role.MANAGER: frozenset({Action.READ, Action.VERIFY, Action.MANAGE}),
    Role.EDITOR: frozenset({Action.READ}),
    Role.VERIFIER: frozenset({Action.READ, Action.VERIFY}),
    Role.REVIEWER: frozenset({Action.READ}),
    Role.VIEWER: frozenset({Action.READ}),
}
_ACTIONS_BY_KIND: dict[str, dict[str, frozenset[Action]]] = {
    OrganizationKind.SUPPLIER: _SUPPLIER_ACTIONS,
    OrganizationKind.BUYER: _BUYER_ACTIONS,
    OrganizationKind.VERIFIER: _VERIFIER_ACTIONS,
}


def role_actions(*, role: str, organization_kind: str) -> frozenset[Action]:
    """The actions a role grants inside its own organization (unknown roles grant nothing)."""
    return _ACTIONS_BY_KIND.get(organization_kind, {}).get(role, frozenset())


def membership_actions(membership: Membership) -> frozenset[Action]:
    return role_actions(role=membership.role, organization_kind=membership.organization.kind)


@dataclass(frozen=True)
class Access(Generic[T]):
    """An object the member may see, with what they may do with it."""

    obj: T
    membership: Membership
    actions: frozenset[Action]

    def can(self, action: Action) -> bool:
        return action in self.actions

    @property
    def can_edit(self) -> bool:
        return Action.EDIT in self.actions

    @property
    def can_submit(self) -> bool:
        return Action.SUBMIT in self.actions

    @property
    def can_review(self) -> bool:
        return Action.REVIEW in self.actions

    @property
    def can_verify(self) -> bool:
        return Action.VERIFY in self.actions

    @property
    def can_manage(self) -> bool:
        return Action.MANAGE in self.actions

    def require(self, action: Action) -> T:
        """The object if the action is allowed; else 403 (the object is visible, the action is not)."""
        if action not in self.actions:
            raise PermissionDenied(_("Your role does not allow this."))
        return self.obj


def require_action(membership: Membership, action: Action) -> None:
    """For actions on the organization itself (create a product, a site, a study)."""
    if action not in membership_actions(membership):
        raise PermissionDenied(_("Your role does not allow this."))
