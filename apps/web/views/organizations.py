"""Switching the active organization of a user who belongs to several."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts.requests import set_active_organization


@login_required
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    try:
        organization_id = int(request.POST.get("organization", ""))
    except ValueError as exc:
        raise Http404("No such organization") from exc
    set_active_organization(request, organization_id=organization_id)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:study-list")
    # A page of the previous organization (a study URL) is a 404 in the new one: go home instead.
    if "/studies/" in target or "/products/" in target or "/sites/" in target:
        target = reverse("web:study-list")
    return HttpResponseRedirect(target)


urlpatterns = [path("organization/switch/", organization_switch, name="organization-switch")]
