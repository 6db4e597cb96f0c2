"""A study's evidence files (list, upload, delete, download) and its timeline (the history of its rows
and its exchange events: submissions, transitions, comments once returned, verification grants).

Thin: every view opens the study with ``study_access`` (a foreign study is a 404, a write by a
viewer a 403), calls a selector or a service, and renders in the organization's time zone. A
file is streamed by ``evidence_download`` only, never from a public media URL.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.access import Access, Action
from apps.accounts.requests import require_membership
from apps.evidence.access import evidence_access, evidence_in_study
from apps.evidence.selectors import evidence_rows, evidence_targets
from apps.evidence.services import evidence_add, evidence_delete
from apps.evidence.timeline import study_timeline
from apps.exchange.timeline import study_exchange_timeline
from apps.inventory.access import study_access
from apps.inventory.models import Study
from apps.inventory.services.editable import study_is_editable
from apps.web import presentation
from apps.web.forms.evidence import EvidenceUploadForm


def _can_change(access: Access[Study]) -> bool:
    return access.can_edit and study_is_editable(access.obj)


def _safe_next(request: HttpRequest, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _render_list(
    request: HttpRequest, access: Access[Study], form: EvidenceUploadForm | None, *, status: int = 200
) -> HttpResponse:
    study = access.obj
    can_change = _can_change(access)
    if form is None and can_change:
        form = EvidenceUploadForm(targets=evidence_targets(study=study))
    context: dict[str, Any] = {
        "organization": study.organization,
        "study": study,
        "access": access,
        "tab": "evidence",
        "rows": evidence_rows(study=study),
        "form": form if can_change else None,
        # A refused upload to a study that can no longer be changed: say why, without the form.
        "errors": form.non_field_errors() if form is not None and not can_change else None,
        "can_change": can_change,
        "max_size": settings.EVIDENCE_MAX_BYTES,
    }
    with timezone.override(presentation.organization_timezone(study.organization)):
        return render(request, "web/evidence/list.html", context, status=status)


@login_required
@require_GET
def study_evidence(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    return _render_list(request, access, None)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    form = EvidenceUploadForm(request.POST, request.FILES, targets=evidence_targets(study=study))
    if form.is_valid():
        try:
            evidence = evidence_add(
                study=study,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                target=form.cleaned_data["target_object"],
                user=request.user,
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("Evidence file “%(name)s” added.") % {"name": evidence.original_name})
            default = reverse("web:study-evidence", args=[study.uuid])
            return HttpResponseRedirect(_safe_next(request, form.cleaned_data.get("next") or "", default))
    return _render_list(request, access, form)


def _add_service_errors(form: EvidenceUploadForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_POST
def evidence_remove(request: HttpRequest, study_uuid: UUID, evidence_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    evidence = evidence_in_study(study=study, evidence_uuid=evidence_uuid)
    try:
        evidence_delete(evidence=evidence, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Evidence file “%(name)s” deleted.") % {"name": evidence.original_name})
    default = reverse("web:study-evidence", args=[study.uuid])
    return HttpResponseRedirect(_safe_next(request, request.POST.get("next", ""), default))


@login_required
@require_GET
def evidence_download(request: HttpRequest, evidence_uuid: UUID) -> FileResponse:
    found = evidence_access(membership=require_membership(request), evidence_uuid=evidence_uuid)
    evidence = found.evidence
    try:
        handle = evidence.file.storage.open(evidence.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The stored file is missing") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_GET
def timeline(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.obj
    with timezone.override(presentation.organization_timezone(study.organization)):
        # The exchange's events of the study merged in, one list paged as one (apps.evidence.timeline).
        result = study_timeline(
            study=study, page=request.GET.get("page") or 1, extra=study_exchange_timeline(study=study)
        )
        context = {
            "organization": study.organization,
            "study": study,
            "access": access,
            "tab": "timeline",
            "page": result.page,
            "entries": result.entries,
        }
        return render(request, "web/timeline/timeline.html", context)


urlpatterns = [
    path("studies/<uuid:study_uuid>/evidence/", study_evidence, name="study-evidence"),
    path("studies/<uuid:study_uuid>/evidence/add/", evidence_upload, name="evidence-add"),
    path("studies/<uuid:study_uuid>/evidence/<uuid:evidence_uuid>/delete/", evidence_remove, name="evidence-delete"),
    path("evidence/<uuid:evidence_uuid>/", evidence_download, name="evidence-download"),
    path("studies/<uuid:study_uuid>/timeline/", timeline, name="study-timeline"),
]
