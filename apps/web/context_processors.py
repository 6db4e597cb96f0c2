"""What the header shows on every page besides the organization switcher (apps.accounts.context_processors):
the number of the user's unread notifications in the active organization (the list shows the same ones;
it says how many wait in the user's other organizations).

Read lazily, when a template shows it: a fragment that renders no header pays no query, a page pays one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from apps.accounts.requests import request_membership
from apps.exchange.notifications import notifications_unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread() -> int:
        membership = request_membership(request)
        if membership is None:
            return 0
        return notifications_unread_count(user=user, organization=membership.organization)

    return {"notifications_unread": SimpleLazyObject(unread)}
