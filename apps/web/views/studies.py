"""The study pages. Thin: access through selectors, numbers through presentation, times in the
organization's time zone."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.accounts.requests import request_membership, require_membership
from apps.inventory.access import study_access
from apps.web import presentation
from apps.web.selectors import study_status, study_statuses_for_organization


@login_required
def study_list(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    if membership is None:
        # A staff account with no organization lands here after logging in: say why the page is empty.
        return render(request, "web/study_list.html", {"organization": None, "statuses": []})
    organization = membership.organization
    statuses = study_statuses_for_organization(organization=organization)
    with timezone.override(presentation.organization_timezone(organization)):
        return render(request, "web/study_list.html", {"organization": organization, "statuses": statuses})


@login_required
def study_detail(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.obj
    status = study_status(study=study)
    result = status.result
    context = {
        "organization": study.organization,
        "study": study,
        "access": access,
        "computation": status.computation,
        "result": result,
        "totals": presentation.total_lines(result) if result else [],
        "breakdown": presentation.breakdown_lines(result) if result else [],
        "factors": presentation.factors_used(result) if result else [],
    }
    with timezone.override(presentation.organization_timezone(study.organization)):
        return render(request, "web/study_detail.html", context)
