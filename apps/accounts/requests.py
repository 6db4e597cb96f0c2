"""The active membership of a request: resolved once per request (one query) from the session."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from apps.accounts.models import Membership
from apps.accounts.selectors import ACTIVE_ORGANIZATION_SESSION_KEY, active_membership_of, memberships_for_user

_CACHE_ATTRIBUTE = "_carbonfoot_memberships"


def request_memberships(request: HttpRequest) -> list[Membership]:
    """All of the user's memberships, read once per request."""
    if not hasattr(request, _CACHE_ATTRIBUTE):
        setattr(request, _CACHE_ATTRIBUTE, memberships_for_user(user=request.user))
    memberships: list[Membership] = getattr(request, _CACHE_ATTRIBUTE)
    return memberships


def request_membership(request: HttpRequest) -> Membership | None:
    """The user's membership in the organization chosen in the session (else their first one)."""
    return active_membership_of(
        request_memberships(request), organization_id=request.session.get(ACTIVE_ORGANIZATION_SESSION_KEY)
    )


def require_membership(request: HttpRequest) -> Membership:
    """For tenant pages: a user with no organization has nothing to see there (404)."""
    membership = request_membership(request)
    if membership is None:
        raise Http404("No organization")
    return membership


def set_active_organization(request: HttpRequest, *, organization_id: int) -> Membership:
    """Switch the session to another of the user's organizations; a foreign one is a 404."""
    for membership in request_memberships(request):
        if membership.organization_id == organization_id:
            request.session[ACTIVE_ORGANIZATION_SESSION_KEY] = organization_id
            return membership
    raise Http404("No such organization")
