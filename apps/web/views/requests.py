"""Footprint requests: a buyer's sent requests and the form that sends one; a supplier's incoming requests,
answered with a study (a new submitted version) or declined.

Thin: lists are read with apps.exchange.selectors, one request is reached through
apps.exchange.access.request_access (another organization's, or a supplier's once the relationship has
ended, is a 404; a role that may not act is a 403), and every change is made by apps.exchange.services or
apps.exchange.workflow, which decide and whose refusals are shown at the form.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.access import Action, membership_actions
from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Membership, Organization
from apps.accounts.requests import require_membership
from apps.exchange.access import ExchangeAccess, request_access
from apps.exchange.enums import RequestStatus
from apps.exchange.models import FootprintRequest
from apps.exchange.selectors import (
    active_relationships,
    buyer_product_types,
    buyer_relationships,
    matching_studies,
    request_versions,
    requests_for_buyer,
    requests_for_supplier,
    submittable_studies,
)
from apps.exchange.services import request_create
from apps.exchange.workflow import request_decline, submission_create
from apps.web import presentation
from apps.web.forms.requests import DeclineForm, RequestCreateForm, SubmitForm
from apps.web.forms.workspace import apply_service_errors


def _today(organization: Organization) -> date:
    return timezone.localdate(timezone=presentation.organization_timezone(organization))


def _can_request(membership: Membership) -> bool:
    return membership.organization.kind == OrganizationKind.BUYER and Action.REVIEW in membership_actions(membership)


def _show_errors(form: forms.Form, error: ValidationError, *, field: str) -> None:
    """A refusal keyed by field goes to that field; one that is not (a TransitionError) to ``field``."""
    if hasattr(error, "error_dict"):
        apply_service_errors(form, error)
    else:
        for message in error.messages:
            form.add_error(field, message)


# --- the list ---------------------------------------------------------------------------------------


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    organization = membership.organization
    today = _today(organization)
    status = request.GET.get("status", "")
    if status not in RequestStatus.values:
        status = ""
    if organization.kind == OrganizationKind.BUYER:
        rows = requests_for_buyer(organization=organization, status=status or None, today=today)
    elif organization.kind == OrganizationKind.SUPPLIER:
        rows = requests_for_supplier(organization=organization, status=status or None, today=today)
    else:
        rows = []
    context: dict[str, Any] = {
        "organization": organization,
        "is_buyer": organization.kind == OrganizationKind.BUYER,
        "is_supplier": organization.kind == OrganizationKind.SUPPLIER,
        "rows": rows,
        "status": status,
        "statuses": RequestStatus.choices,
        "can_request": _can_request(membership),
    }
    with timezone.override(presentation.organization_timezone(organization)):
        return render(request, "web/requests/list.html", context)


# --- a buyer sends one ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def request_create_view(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    if not _can_request(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    organization = membership.organization
    relationships = buyer_relationships(organization=organization)
    initial: dict[str, Any] = {}
    wanted = request.GET.get("supplier", "")
    if wanted:
        initial["supplier"] = wanted
    form = RequestCreateForm(request.POST or None, relationships=relationships, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            footprint_request = request_create(
                membership=membership,
                relationship=data["supplier"],
                product_type=data["product_type"],
                product_code=data["product_code"],
                product_description=data["product_description"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                declared_unit=data["declared_unit"],
                due_date=data["due_date"],
                message=data["message"],
                today=_today(organization),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Request sent to %(supplier)s.") % {"supplier": footprint_request.supplier.name},
            )
            return HttpResponseRedirect(reverse("web:request-detail", args=[footprint_request.uuid]))
    context = {
        "form": form,
        "product_types": buyer_product_types(organization=organization),
        "has_suppliers": active_relationships(organization=organization).exists(),
    }
    return render(request, "web/requests/form.html", context)


# --- one request ------------------------------------------------------------------------------------


def _answerable(access: ExchangeAccess[FootprintRequest]) -> bool:
    """Whether the page offers the supplier's forms (the workflow decides when they are posted)."""
    return access.is_supplier and access.can_submit and access.obj.status == RequestStatus.OPEN


def _render_detail(
    request: HttpRequest,
    access: ExchangeAccess[FootprintRequest],
    *,
    submit_form: SubmitForm | None = None,
    decline_form: DeclineForm | None = None,
) -> HttpResponse:
    footprint_request = access.obj
    organization = access.membership.organization
    answerable = _answerable(access)
    rows = []
    if answerable:
        rows = submittable_studies(organization=organization, footprint_request=footprint_request)
        if submit_form is None:
            studies = matching_studies(organization=organization, footprint_request=footprint_request)
            submit_form = SubmitForm(studies=studies, rows=rows)
        decline_form = decline_form or DeclineForm()
    today = _today(organization)
    context: dict[str, Any] = {
        "access": access,
        "fr": footprint_request,
        "versions": request_versions(footprint_request=footprint_request),
        "overdue": footprint_request.status == RequestStatus.OPEN and footprint_request.due_date < today,
        "answerable": answerable,
        "studies": rows,
        "any_ready": any(row.ready for row in rows),
        # A form that was posted is shown with its errors even when the request closed meanwhile.
        "submit_form": submit_form if answerable or (submit_form is not None and submit_form.is_bound) else None,
        "decline_form": decline_form if answerable or (decline_form is not None and decline_form.is_bound) else None,
    }
    with timezone.override(presentation.organization_timezone(organization)):
        return render(request, "web/requests/detail.html", context)


@login_required
@require_GET
def request_detail(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    access = request_access(membership=require_membership(request), request_uuid=request_uuid)
    return _render_detail(request, access)


def _supplier_answering(request: HttpRequest, request_uuid: UUID) -> ExchangeAccess[FootprintRequest]:
    access = request_access(membership=require_membership(request), request_uuid=request_uuid)
    access.require(Action.SUBMIT)
    if not access.is_supplier:
        raise PermissionDenied(_("Your role does not allow this."))
    return access


@login_required
@require_POST
def request_submit(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    access = _supplier_answering(request, request_uuid)
    footprint_request, organization = access.obj, access.membership.organization
    rows = submittable_studies(organization=organization, footprint_request=footprint_request)
    studies = matching_studies(organization=organization, footprint_request=footprint_request)
    form = SubmitForm(request.POST, studies=studies, rows=rows)
    if form.is_valid():
        try:
            submission = submission_create(
                membership=access.membership,
                footprint_request=footprint_request,
                study=form.cleaned_data["study"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _show_errors(form, exc, field="study")
        else:
            messages.success(
                request,
                _("Version %(version)s sent to %(buyer)s.")
                % {"version": submission.version, "buyer": footprint_request.organization.name},
            )
            return HttpResponseRedirect(reverse("web:request-detail", args=[footprint_request.uuid]))
    return _render_detail(request, access, submit_form=form)


@login_required
@require_POST
def request_decline_view(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    access = _supplier_answering(request, request_uuid)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            request_decline(
                membership=access.membership, footprint_request=access.obj, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _show_errors(form, exc, field="reason")
        else:
            messages.success(
                request, _("You declined the request of %(buyer)s.") % {"buyer": access.obj.organization.name}
            )
            return HttpResponseRedirect(reverse("web:request-detail", args=[access.obj.uuid]))
    return _render_detail(request, access, decline_form=form)


urlpatterns = [
    path("requests/", request_list, name="request-list"),
    path("requests/new/", request_create_view, name="request-create"),
    path("requests/<uuid:request_uuid>/", request_detail, name="request-detail"),
    path("requests/<uuid:request_uuid>/submit/", request_submit, name="request-submit"),
    path("requests/<uuid:request_uuid>/decline/", request_decline_view, name="request-decline"),
]
