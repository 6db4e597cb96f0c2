"""A study's overview and result, computing it from the page, and the live status of the computation.

| URL name | |
| --- | --- |
| web:study-detail | the overview (studies.study_detail calls `study_overview`): facts, the buyer's comments on a |
|  | returned version (each linking to its line), checks, status, result |
| web:study-compute | POST: queue a computation (editors; refused while something blocks) |
| web:study-status | GET, htmx: the status fragment, polled while the computation is queued or running; once it ends |
|  | the fragment also replaces the result section (an out-of-band swap), so the page needs no reload |
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.access import Access, Action
from apps.accounts.requests import require_membership
from apps.exchange.selectors_comments import open_comments_for_study
from apps.footprints.checks import StudyChecks, study_checks
from apps.footprints.enums import ComputationStatus
from apps.footprints.reader import READER_VERSION, ResultView, result_charts, result_read
from apps.footprints.services import footprint_request
from apps.inventory.access import study_access
from apps.inventory.models import Study
from apps.web import presentation
from apps.web.fragments import cached_fragment
from apps.web.selectors import StudyStatus, study_status

PENDING = (ComputationStatus.QUEUED, ComputationStatus.RUNNING)
POLL_SECONDS = 1


def _is_htmx(request: HttpRequest) -> bool:
    """Set by django-htmx's middleware (request.htmx is falsy for a plain request)."""
    return bool(getattr(request, "htmx", False))


def _is_pending(status: StudyStatus) -> bool:
    return status.computation is not None and status.computation.status in PENDING


RESULT_TEMPLATES = ("web/results/_result.html",)


def _result_context(request: HttpRequest, status: StudyStatus, *, oob: bool = False) -> dict[str, Any]:
    """The result section, rendered once per snapshot (it never changes) and language (apps.web.fragments)."""
    result = status.result

    def render_section(extra: dict[str, Any]) -> str:
        view: ResultView | None = result_read(result=result) if result is not None else None
        context = {"view": view, "charts": result_charts(view=view) if view is not None else None, "oob": oob}
        return render_to_string("web/results/_result.html", {**context, **extra})

    key = ("result", READER_VERSION, result.pk if result else "none", result.digest if result else "", int(oob))
    return {
        "result": result,
        "result_html": cached_fragment(request, key=key, templates=RESULT_TEMPLATES, render=render_section),
    }


def _status_context(
    study: Study, access: Access[Study], status: StudyStatus, checks: StudyChecks | None
) -> dict[str, Any]:
    """`checks` None: the computation is pending, the button is disabled whatever they say."""
    pending = _is_pending(status)
    return {
        "study": study,
        "access": access,
        "computation": status.computation,
        "pending": pending,
        "poll_seconds": POLL_SECONDS,
        "can_compute": not pending and checks is not None and checks.can_compute and access.can_edit,
        "blocked": checks is not None and not checks.can_compute,
    }


def _overview_context(request: HttpRequest, access: Access[Study], *, refused: bool = False) -> dict[str, Any]:
    study = access.obj
    status = study_status(study=study)
    checks = study_checks(study=study)
    comments = open_comments_for_study(study=study)
    return {
        "organization": study.organization,
        "study": study,
        "access": access,
        "tab": "overview",
        "status": status,
        "checks": checks,
        "blocking": presentation.problem_links(study=study, problems=checks.blocking),
        "warnings": presentation.problem_links(study=study, problems=checks.warnings),
        "buyer_comments": presentation.comment_links(study=study, comments=comments.comments),
        "refused": refused,
        **_status_context(study, access, status, checks),
        **_result_context(request, status),
    }


@require_GET
def study_overview(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """The overview tab (web:study-detail)."""
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    with timezone.override(presentation.organization_timezone(access.obj.organization)):
        return render(request, "web/study_detail.html", _overview_context(request, access))


@login_required
@require_POST
def study_compute(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """Queue a computation. Refused (409, nothing queued) while a blocking problem remains; a second click while
    one is queued or running queues nothing more."""
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    checks = study_checks(study=study)
    overview = reverse("web:study-detail", args=[study.uuid])
    if not checks.can_compute:
        if _is_htmx(request):
            # htmx does not swap an error response: reload the page, which lists what blocks.
            return HttpResponse(status=409, headers={"HX-Refresh": "true"})
        with timezone.override(presentation.organization_timezone(study.organization)):
            return render(
                request, "web/study_detail.html", _overview_context(request, access, refused=True), status=409
            )
    if not _is_pending(study_status(study=study)):
        footprint_request(study=study, requested_by=request.user if request.user.is_authenticated else None)
    if _is_htmx(request):
        return _status_response(request, access)
    messages.success(request, _("The computation is queued. This page shows its progress."))
    return HttpResponseRedirect(f"{overview}#computation")


@login_required
@require_GET
def study_status_fragment(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """The status fragment; polled every second while pending. The poll that sees the computation end also
    carries the result section, swapped out of band."""
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    return _status_response(request, access)


def _status_response(request: HttpRequest, access: Access[Study]) -> HttpResponse:
    study = access.obj
    status = study_status(study=study)
    checks = None if _is_pending(status) else study_checks(study=study)  # a poll every second stays light
    context = _status_context(study, access, status, checks)
    polled = request.GET.get("polling") == "1"
    if polled and not context["pending"]:
        context["result_oob"] = True
        context.update(_result_context(request, status, oob=True))
    with timezone.override(presentation.organization_timezone(study.organization)):
        return render(request, "web/results/_status.html", context)


urlpatterns: list[URLPattern] = [
    path("studies/<uuid:study_uuid>/compute/", study_compute, name="study-compute"),
    path("studies/<uuid:study_uuid>/status/", study_status_fragment, name="study-status"),
]
