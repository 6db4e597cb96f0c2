"""The study pages. Thin: access through selectors, numbers through presentation, times in the
organization's time zone."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from apps.web.views import results, workspace


@login_required
def study_list(request: HttpRequest) -> HttpResponse:
    """The home page (URL name "web:study-list"): the supplier workspace's dashboard."""
    return workspace.dashboard(request)


@login_required
def study_detail(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """The overview tab: facts, completeness checks, compute button and live status, the result."""
    return results.study_overview(request, study_uuid)
