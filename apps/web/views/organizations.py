"""Switching the active organization of a user who belongs to several, and the language of the pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.i18n import LANGUAGE_QUERY_PARAMETER, set_language

from apps.accounts.requests import set_active_organization
from apps.accounts.services import user_language_set


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


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The header's language switch: Django's ``set_language`` (the cookie the pages follow), and for a
    signed-in user the same choice stored for the emails they are sent."""
    response = set_language(request)
    language = request.POST.get(LANGUAGE_QUERY_PARAMETER, "")
    if language and check_for_language(language):
        user_language_set(user=request.user, language=language)
    return response


urlpatterns = [
    path("organization/switch/", organization_switch, name="organization-switch"),
    path("language/", language_set, name="language-set"),
]
