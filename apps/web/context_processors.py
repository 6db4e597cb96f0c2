"""What the header shows on every page besides the organization switcher (apps.accounts.context_processors):
the number of the user's unread notifications.

Read lazily, when a template shows it: a fragment that renders no header pays no query, a page pays one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from apps.exchange.selectors import notifications_unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    user_id = user.pk

    return {"notifications_unread": SimpleLazyObject(lambda: notifications_unread_count(user_id=user_id))}
