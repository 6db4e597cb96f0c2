"""The in-app list of events: what happened in the exchanges the signed-in user takes part in.

| URL name | |
| --- | --- |
| web:notification-list | GET: the user's notifications in the active organization, newest first, 50 a page, unread |
|  | ones marked (``?unread=1``: only those) |
| web:notification-read | POST: mark one (``id``) or all of them read; another user's notification is a 404 |

A notification belongs to the organization its recipient heard it in, and its link opens a page of
that organization: the list shows the active organization's, and says how many unread ones wait in
the user's other organizations.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.requests import request_memberships, require_membership
from apps.exchange.notifications import (
    notification_ids_unread,
    notification_of,
    notifications_for,
    notifications_unread_count,
    notifications_unread_elsewhere,
)
from apps.exchange.services import notifications_mark_read
from apps.web import presentation

PER_PAGE = 50


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    organization = membership.organization
    unread_only = request.GET.get("unread") == "1"
    rows = notifications_for(user=request.user, organization=organization, unread_only=unread_only)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page") or 1)
    elsewhere = (
        notifications_unread_elsewhere(user=request.user, organization=organization)
        if len(request_memberships(request)) > 1
        else 0
    )
    context = {
        "organization": organization,
        "page": page,
        "rows": list(page.object_list),
        "unread_only": unread_only,
        "unread": notifications_unread_count(user=request.user, organization=organization),
        "unread_elsewhere": elsewhere,
    }
    with timezone.override(presentation.organization_timezone(organization)):
        return render(request, "web/notifications/list.html", context)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:notification-list")


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or every unread one of the active organization read."""
    membership = require_membership(request)
    raw_id = request.POST.get("id", "").strip()
    if raw_id:
        try:
            notification_id = int(raw_id)
        except ValueError as exc:
            raise Http404("No such notification") from exc
        notification = notification_of(
            user=request.user, notification_id=notification_id, organization=membership.organization
        )
        if notification is None:
            raise Http404("No such notification")
        ids = [notification.pk]
    else:
        ids = notification_ids_unread(user=request.user, organization=membership.organization)
    if ids:
        notifications_mark_read(user_id=membership.user_id, ids=ids)
    return HttpResponseRedirect(_back(request))


urlpatterns: list[URLPattern] = [
    path("notifications/", notification_list, name="notification-list"),
    path("notifications/read/", notification_read, name="notification-read"),
]
