"""Third-party verification: a supplier grants a verification body read access to one submitted version, the
body lists what it was granted and records its statement, and every reader of the version sees the statements.

Who may do what (apps.exchange.access, apps.accounts.access):

- granting and revoking take Action.SUBMIT in the supplier that submitted the version (its manager); the
  buyer, the verifier and the supplier's other roles get a 403 on a version they can see;
- a verification body sees only the versions granted to it and not revoked: any other version, and every
  study, product or page of the supplier, is a 404 for it; its list (``web:verifier-home``) is a 404 for an
  organization that is not a verification body;
- a statement is recorded by a member with Action.VERIFY (a body's manager or verifier) on a version granted
  to the body: without the grant the version is a 404, without the role (or from the supplier's or the
  buyer's side) a 403;
- a statement's file is streamed to whoever may read the statement (apps.exchange.verification): the
  supplier, the requesting buyer and the body that recorded it.

The review page of a version (templates/web/review/) includes the two fragments here: the grants and their
form for the supplier (``grant_context`` + ``web/verification/_grant.html``) and the statements
(``statements_context`` + ``web/verification/_statements.html``). The grant form posts with htmx and gets the
fragment back; without JavaScript it posts normally and is redirected to the version (or, when it was
refused, shown the fragment with its errors on a page of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.access import Action, membership_actions
from apps.accounts.enums import OrganizationKind
from apps.accounts.requests import require_membership
from apps.exchange.access import ExchangeAccess, submission_access
from apps.exchange.enums import SubmissionState
from apps.exchange.models import Submission, VerificationGrant, VerificationStatement
from apps.exchange.services import (
    verification_grant_add,
    verification_grant_revoke,
    verification_statement_record,
)
from apps.exchange.verification import (
    grant_of_supplier,
    granted_submissions,
    statement_access,
    statements_for_reader,
    submission_grants,
    submission_statements,
)
from apps.web import presentation
from apps.web.forms.verification import GrantForm, StatementForm
from apps.web.forms.workspace import apply_service_errors


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _version_url(submission: Submission) -> str:
    return reverse("web:submission-detail", args=[submission.uuid])


# --- the fragments the review page includes ------------------------------------------------------------------


@dataclass(frozen=True)
class GrantPanel:
    """What templates/web/verification/_grant.html shows: the version's grants and the form (its supplier only)."""

    submission: Submission
    visible: bool  # the supplier's side of the version
    can_change: bool  # may grant and revoke (Action.SUBMIT), and the version is not withdrawn
    grants: tuple[VerificationGrant, ...]
    form: GrantForm | None
    notice: str = ""  # what the last htmx post did


def grant_context(
    access: ExchangeAccess[Submission], *, form: GrantForm | None = None, notice: str = ""
) -> dict[str, Any]:
    """The context of ``web/verification/_grant.html`` for the version ``access`` opened (``grant_panel``). Nothing
    is read for the buyer's or the verifier's side: the panel stays empty for them."""
    submission = access.obj
    if not access.is_supplier:
        return {"grant_panel": GrantPanel(submission, visible=False, can_change=False, grants=(), form=None)}
    can_change = access.can_submit and submission.state != SubmissionState.WITHDRAWN
    return {
        "grant_panel": GrantPanel(
            submission,
            visible=True,
            can_change=can_change,
            grants=tuple(submission_grants(submission=submission)),
            form=(form or GrantForm()) if can_change else None,
            notice=notice,
        )
    }


@dataclass(frozen=True)
class StatementsPanel:
    """What templates/web/verification/_statements.html shows."""

    submission: Submission
    statements: tuple[VerificationStatement, ...]
    can_record: bool  # a verifier of a granted body: link to the statement form


def statements_context(submission: Submission, *, access: ExchangeAccess[Submission] | None = None) -> dict[str, Any]:
    """The context of ``web/verification/_statements.html`` (``statements_panel``): the statements on the version
    that the member of ``access`` may read (a verification body reads its own only). Pass the access the page
    opened the version with; without it every statement is listed (for a supplier's or a buyer's page)."""
    if access is None:
        found = tuple(submission_statements(submission=submission))
        return {"statements_panel": StatementsPanel(submission, found, can_record=False)}
    can_record = access.is_verifier and access.can_verify
    return {"statements_panel": StatementsPanel(submission, tuple(statements_for_reader(access=access)), can_record)}


def _grant_response(request: HttpRequest, access: ExchangeAccess[Submission], **panel: Any) -> HttpResponse:
    context = {"submission": access.obj, "access": access, **grant_context(access, **panel)}
    template = "web/verification/_grant.html" if _is_htmx(request) else "web/verification/grant_page.html"
    with timezone.override(presentation.organization_timezone(access.obj.organization)):
        return render(request, template, context)


# --- grants -----------------------------------------------------------------------------------------------------


@login_required
@require_POST
def submission_grant(request: HttpRequest, submission_uuid: UUID) -> HttpResponse:
    access = submission_access(membership=require_membership(request), submission_uuid=submission_uuid)
    submission = access.require(Action.SUBMIT)
    form = GrantForm(request.POST)
    if form.is_valid():
        try:
            grant = verification_grant_add(
                membership=access.membership, submission=submission, verifier_identifier=form.cleaned_data["verifier"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            notice = _("%(verifier)s can now read version %(version)s.") % {
                "verifier": grant.verifier.name,
                "version": submission.version,
            }
            if _is_htmx(request):
                return _grant_response(request, access, notice=notice)
            messages.success(request, notice)
            return HttpResponseRedirect(_version_url(submission))
    return _grant_response(request, access, form=form)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, grant_uuid: UUID) -> HttpResponse:
    membership = require_membership(request)
    grant = grant_of_supplier(membership=membership, grant_uuid=grant_uuid)
    notice = ""
    try:
        verification_grant_revoke(membership=membership, grant=grant)
    except ValidationError as error:  # already revoked (a second tab, a double click)
        notice = " ".join(error.messages)
        if not _is_htmx(request):
            messages.error(request, notice)
    else:
        notice = _("%(verifier)s can no longer read this version.") % {"verifier": grant.verifier.name}
        if not _is_htmx(request):
            messages.success(request, notice)
    if _is_htmx(request):
        access = submission_access(membership=membership, submission_uuid=grant.submission.uuid)
        return _grant_response(request, access, notice=notice)
    return HttpResponseRedirect(_version_url(grant.submission))


# --- the verification body --------------------------------------------------------------------------------------


@login_required
@require_GET
def verifier_home(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    if membership.organization.kind != OrganizationKind.VERIFIER:
        raise Http404("Only a verification body has granted versions")
    context = {
        "organization": membership.organization,
        "rows": granted_submissions(organization=membership.organization),
        "can_verify": Action.VERIFY in membership_actions(membership),
    }
    with timezone.override(presentation.organization_timezone(membership.organization)):
        return render(request, "web/verification/home.html", context)


def _statement_errors(form: StatementForm, error: ValidationError) -> None:
    """The file checks (apps.evidence.files) name the field ``file``: here it is ``statement_file``."""
    if hasattr(error, "error_dict") and "file" in error.error_dict:
        error_dict = dict(error.error_dict)
        error_dict.setdefault("statement_file", [])
        error_dict["statement_file"] = [*error_dict["statement_file"], *error_dict.pop("file")]
        error = ValidationError(error_dict)
    apply_service_errors(form, error)


@login_required
@require_http_methods(["GET", "POST"])
def statement_create(request: HttpRequest, submission_uuid: UUID) -> HttpResponse:
    access = submission_access(membership=require_membership(request), submission_uuid=submission_uuid)
    if not access.is_verifier:
        raise PermissionDenied(_("Only a verification body the supplier granted access records a statement."))
    submission = access.require(Action.VERIFY)
    if request.method == "POST":
        form = StatementForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                verification_statement_record(
                    membership=access.membership,
                    submission=submission,
                    standard=data["standard"],
                    assurance_level=data["assurance_level"],
                    scope=data["scope"],
                    statement_date=data["statement_date"],
                    opinion=data["opinion"],
                    opinion_text=data["opinion_text"],
                    statement_file=data.get("statement_file") or None,
                )
            except ValidationError as error:
                _statement_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Your statement on version %(version)s of %(product)s is recorded.")
                    % {"version": submission.version, "product": submission.request.product_label},
                )
                return HttpResponseRedirect(_version_url(submission))
    else:
        form = StatementForm(initial={"statement_date": timezone.localdate()})
    context = {
        "organization": access.membership.organization,
        "submission": submission,
        "access": access,
        "form": form,
        "max_size": settings.EVIDENCE_MAX_BYTES,
    }
    return render(request, "web/verification/statement_form.html", context)


@login_required
@require_GET
def statement_file(request: HttpRequest, statement_uuid: UUID) -> FileResponse:
    statement = statement_access(membership=require_membership(request), statement_uuid=statement_uuid)
    if not statement.statement_file:
        raise Http404("This statement has no file")
    try:
        handle = statement.statement_file.storage.open(statement.statement_file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The stored file is missing") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=statement.statement_file_name or f"{statement.uuid}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


urlpatterns = [
    path("submissions/<uuid:submission_uuid>/verification/grant/", submission_grant, name="submission-grant"),
    path("verification/grants/<uuid:grant_uuid>/revoke/", grant_revoke, name="grant-revoke"),
    path("verification/", verifier_home, name="verifier-home"),
    path("submissions/<uuid:submission_uuid>/verification/statement/", statement_create, name="statement-create"),
    path("verification/statements/<uuid:statement_uuid>/file/", statement_file, name="statement-file"),
]
