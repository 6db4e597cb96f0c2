"""Reads about organizations and memberships; the one place a request finds its tenant.

A user may belong to several organizations. The active one is kept in the session
(``ACTIVE_ORGANIZATION_SESSION_KEY``) and switched with ``accounts:switch-organization``; without
one (or when the user has since left it) the user's first membership is active.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404

from apps.accounts.models import Membership, Organization

ACTIVE_ORGANIZATION_SESSION_KEY = "carbonfoot.active_organization"


def memberships_for_user(*, user: User | AnonymousUser) -> list[Membership]:
    """The user's memberships, oldest first (the first is active until the user switches)."""
    if not user.is_authenticated:
        return []
    return list(Membership.objects.select_related("organization").filter(user=user).order_by("id"))


def active_membership_of(memberships: list[Membership], *, organization_id: int | None) -> Membership | None:
    """The membership in ``organization_id`` if among them, else the first one."""
    for membership in memberships:
        if membership.organization_id == organization_id:
            return membership
    return memberships[0] if memberships else None


def membership_for_user(*, user: User | AnonymousUser, organization_id: int | None = None) -> Membership | None:
    """The membership in ``organization_id`` if the user has one, else the user's first membership."""
    return active_membership_of(memberships_for_user(user=user), organization_id=organization_id)


def organization_for_user(*, user: User | AnonymousUser, organization_id: int | None = None) -> Organization:
    membership = membership_for_user(user=user, organization_id=organization_id)
    if membership is None:
        raise Http404("No organization")
    return membership.organization
