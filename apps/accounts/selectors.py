"""Reads about organizations and memberships; the one place a request finds its tenant."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from apps.accounts.models import Membership, Organization


def membership_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    """The user's active membership: their first organization (multi-org switching comes later)."""
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("organization").filter(user=user).order_by("id").first()


def organization_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Organization:
    membership = membership_for_user(user=user)
    if membership is None:
        raise Http404("No organization")
    return membership.organization
