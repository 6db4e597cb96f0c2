"""The header's organization switcher: the active organization and the user's others."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.accounts.requests import request_membership, request_memberships


def active_organization(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = request_membership(request)
    return {
        "active_membership": membership,
        "active_organization": membership.organization if membership else None,
        "user_memberships": sorted(request_memberships(request), key=lambda m: m.organization.name),
    }
