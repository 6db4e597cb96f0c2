"""The reviewer's inbox and the page of one submitted version: its snapshot, flags, comments, evidence, history,
what changed since the version before, and the review's transitions.

| URL name | |
| --- | --- |
| web:review-inbox | GET, buyer members: the versions waiting for review, by due date then supplier |
| web:submission-detail | GET: one version, to its buyer, its supplier and a verifier the supplier granted it |
| web:submission-evidence | GET: a file frozen with the version, streamed to whoever may read the version |
| web:submission-comment | POST, the buyer's reviewers: a comment on the version or one of its lines |
| web:submission-transition | POST ``action`` = start_review, return, accept (buyer's reviewers), withdraw |
|  | (the supplier's manager), optional ``comment`` |

Thin: the version comes from ``submission_access`` (anyone else gets a 404), everything it shows is read from its
result snapshot through apps.exchange.review and apps.footprints.reader (never from the live study), and every
write is a service call (a refused one is shown on the page: 400 for a bad input, 409 for a state that does not
allow it; a role that may not is a 403).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.enums import OrganizationKind
from apps.accounts.requests import require_membership
from apps.evidence.enums import EvidenceKind
from apps.exchange.access import ExchangeAccess, submission_access
from apps.exchange.enums import SubmissionState
from apps.exchange.models import (
    ReviewComment,
    Submission,
    SubmissionEvidence,
)
from apps.exchange.review import (
    Flag,
    InputChange,
    SubmissionDiff,
    flags_by_line,
    line_anchor,
    review_inbox,
    submission_diff,
    submission_flags,
)
from apps.exchange.services import comment_add
from apps.exchange.workflow import TransitionError, submission_transition
from apps.footprints.display import Amount
from apps.footprints.models import FootprintResult
from apps.footprints.reader import READER_VERSION, ResultLine, ResultView, localized_label, result_charts, result_read
from apps.web import presentation
from apps.web.forms.review import TRANSITION_ACTIONS, CommentForm, TransitionForm, apply_service_errors
from apps.web.fragments import cached_fragment
from apps.web.views.verification import grant_context, statements_context

RESULT_TEMPLATES = ("web/results/_result.html",)
# Lines a comment may be about (apps.exchange.services.comment_add): the breakdown's own kinds.
COMMENTABLE_KINDS = ("material", "stage", "fuel", "waste")
# The supplier (and a verifier) read the buyer's comments once the buyer has decided.
COMMENTS_SHARED_STATES = (SubmissionState.RETURNED, SubmissionState.ACCEPTED)
# A refused transition that is a bad input (400) rather than a state that does not allow it (409).
BAD_INPUT_CODES = ("comment_required", "unknown_transition")


# --- the inbox ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    organization = membership.organization
    if organization.kind != OrganizationKind.BUYER:
        raise PermissionDenied(_("Only a buyer organization reviews submitted footprints."))
    context = {
        "organization": organization,
        "rows": review_inbox(organization=organization),
        "today": timezone.localdate(timezone=presentation.organization_timezone(organization)),
    }
    with timezone.override(presentation.organization_timezone(organization)):
        return render(request, "web/review/inbox.html", context)


# --- the page of one version -------------------------------------------------------------------------------------


@dataclass
class ReviewLine:
    """A breakdown line that has flags or comments, where the page shows them together."""

    key: str
    anchor: str
    label: str
    emission: Amount | None
    flags: list[Flag] = field(default_factory=list)
    comments: list[ReviewComment] = field(default_factory=list)


def _access(request: HttpRequest, submission_uuid: UUID) -> ExchangeAccess[Submission]:
    return submission_access(membership=require_membership(request), submission_uuid=submission_uuid)


def _result_html(request: HttpRequest, result: FootprintResult) -> SafeString:
    """The result section (templates/web/results/_result.html) of the version's snapshot, rendered once per
    snapshot and language (apps.web.fragments): a snapshot never changes."""

    def render_section(extra: dict[str, Any]) -> str:
        view = result_read(result=result)
        context = {"view": view, "charts": result_charts(view=view), "oob": False}
        return render_to_string("web/results/_result.html", {**context, **extra})

    key = ("review-result", READER_VERSION, result.pk, result.digest)
    return cached_fragment(request, key=key, templates=RESULT_TEMPLATES, render=render_section)


def comment_lines(view: ResultView) -> list[tuple[str, str]]:
    """(key, label) of the lines a comment may be about: materials, stages, fuels and wastes."""
    return [
        (line.key, line.display_label)
        for line in view.lines
        if line.kind in COMMENTABLE_KINDS and line.key.split("/", 1)[0] == line.kind
    ]


def _review_lines(view: ResultView, flags: list[Flag], comments: list[ReviewComment]) -> list[ReviewLine]:
    grouped = flags_by_line(flags)
    commented: dict[str, list[ReviewComment]] = {}
    for comment in comments:
        if comment.line_key:
            commented.setdefault(comment.line_key, []).append(comment)
    known: set[str] = set()
    lines: list[ReviewLine] = []
    for line in view.lines:
        known.add(line.key)
        if line.key in grouped or line.key in commented:
            lines.append(_review_line(line, grouped.get(line.key, []), commented.get(line.key, [])))
    for key, orphans in commented.items():  # a line key the breakdown lacks (cannot happen through the service)
        if key not in known:
            label = localized_label(orphans[0].line_label or key)
            lines.append(ReviewLine(key, line_anchor(key), label, None, comments=orphans))
    return lines


def _review_line(line: ResultLine, flags: list[Flag], comments: list[ReviewComment]) -> ReviewLine:
    return ReviewLine(line.key, line_anchor(line.key), line.display_label, line.emission, flags, comments)


def _detail_context(
    request: HttpRequest,
    access: ExchangeAccess[Submission],
    *,
    comment_form: CommentForm | None = None,
    transition_form: TransitionForm | None = None,
    transition_action: str = "",
) -> dict[str, Any]:
    submission = access.obj
    footprint_request = submission.request
    result = submission.result
    view = result_read(result=result)
    flags = submission_flags(submission=submission)
    comments_visible = access.is_buyer or submission.state in COMMENTS_SHARED_STATES
    comments = (
        list(ReviewComment.objects.filter(submission=submission).select_related("author").order_by("created_at", "id"))
        if comments_visible
        else []
    )
    is_open = submission.state in (SubmissionState.SUBMITTED, SubmissionState.UNDER_REVIEW)
    reviewer = access.is_buyer and access.can_review
    lines = comment_lines(view)
    if comment_form is None:
        comment_form = CommentForm(lines=lines)
    if access.is_verifier:
        history: list[Submission] = [submission]  # a verifier was granted this version, not the others
    else:
        history = list(
            Submission.objects.filter(request=footprint_request)
            .only("uuid", "version", "state", "created_at", "state_changed_at", "request_id")
            .order_by("version")
        )
    diff: SubmissionDiff | None = None
    preceding: Submission | None = None
    if submission.preceding_id is not None and not access.is_verifier:
        # The blob of canonical inputs is read only on a cache miss (the reader asks for it then).
        preceding = (
            Submission.objects.select_related("result")
            .defer("result__canonical_inputs_gz")
            .get(pk=submission.preceding_id)
        )
        diff = submission_diff(old=preceding, new=submission)
    transition_form = transition_form or TransitionForm()
    can = {
        "can_comment": reviewer and is_open,
        "can_start_review": reviewer and submission.state == SubmissionState.SUBMITTED,
        "can_return": reviewer and is_open,
        "can_accept": reviewer and is_open,
        "can_withdraw": access.is_supplier and access.can_submit and submission.state == SubmissionState.SUBMITTED,
    }
    can["can_decide"] = any(can[name] for name in ("can_start_review", "can_return", "can_accept", "can_withdraw"))
    # A refusal whose form the page no longer shows (the state moved on): said at the top of the page instead.
    refusals = [
        *([] if can["can_decide"] else transition_form.non_field_errors()),
        *([] if can["can_comment"] else comment_form.non_field_errors()),
    ]
    return {
        **can,
        "refusals": refusals,
        "organization": access.membership.organization,
        "access": access,
        "submission": submission,
        "footprint_request": footprint_request,
        "supplier": submission.organization,
        "buyer": footprint_request.organization,
        "view": view,
        "result_html": _result_html(request, result),
        "flags": flags,
        "comments_visible": comments_visible,
        "submission_comments": [c for c in comments if not c.line_key],
        "review_lines": _review_lines(view, flags, comments),
        "evidence": _evidence_rows(submission),
        # The verification helper's fragments: the supplier's grants panel and the statements this reader may see.
        **grant_context(access),
        **statements_context(submission, access=access),
        "history": history,
        "preceding": preceding,
        "diff": diff,
        "diff_inputs": _diff_inputs(diff),
        "comment_form": comment_form,
        "transition_form": transition_form,
        "transition_action": transition_action,
    }


@dataclass(frozen=True)
class EvidenceRow:
    uuid: UUID  # the evidence file's public id (web:submission-evidence)
    name: str
    kind: str
    attached_to: str
    size_bytes: int
    sha256: str


def _evidence_rows(submission: Submission) -> list[EvidenceRow]:
    kinds = dict(EvidenceKind.choices)
    return [
        EvidenceRow(
            row.evidence.uuid,
            row.original_name,
            str(kinds.get(row.kind, row.kind)),
            row.attached_to,
            row.size_bytes,
            row.sha256,
        )
        for row in SubmissionEvidence.objects.filter(submission=submission)
        .select_related("evidence")
        .only("attached_to", "original_name", "kind", "sha256", "size_bytes", "submission_id", "evidence__uuid")
    ]


def _diff_inputs(diff: SubmissionDiff | None) -> list[InputChange]:
    return list(diff.inputs) if diff is not None else []


def _render_detail(
    request: HttpRequest, access: ExchangeAccess[Submission], *, status: int = 200, **kwargs: Any
) -> HttpResponse:
    zone = presentation.organization_timezone(access.membership.organization)
    with timezone.override(zone):
        return render(request, "web/review/detail.html", _detail_context(request, access, **kwargs), status=status)


@login_required
@require_GET
def submission_detail(request: HttpRequest, submission_uuid: UUID) -> HttpResponse:
    return _render_detail(request, _access(request, submission_uuid))


def _detail_url(submission: Submission, anchor: str = "") -> str:
    url = reverse("web:submission-detail", args=[submission.uuid])
    return f"{url}#{anchor}" if anchor else url


@login_required
@require_GET
def submission_evidence(request: HttpRequest, submission_uuid: UUID, evidence_uuid: UUID) -> FileResponse:
    """A file frozen with the version; a file the version does not name is a 404 (even one of the same study)."""
    submission = _access(request, submission_uuid).obj
    frozen = (
        SubmissionEvidence.objects.filter(submission=submission, evidence__uuid=evidence_uuid)
        .select_related("evidence")
        .first()
    )
    if frozen is None:
        raise Http404("No such file in this version")
    evidence = frozen.evidence
    try:
        handle = evidence.file.storage.open(evidence.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The stored file is missing") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=frozen.original_name, content_type=evidence.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def submission_comment(request: HttpRequest, submission_uuid: UUID) -> HttpResponse:
    """A reviewer's comment; refused ones are shown at their field (400) and write nothing."""
    access = _access(request, submission_uuid)
    if not (access.is_buyer and access.can_review):
        raise PermissionDenied(_("Your role does not allow this."))
    submission = access.obj
    view = result_read(result=submission.result)
    lines = comment_lines(view)
    form = CommentForm(request.POST, lines=lines)
    if form.is_valid():
        line_key = form.cleaned_data["line"].strip()
        labels = {line.key: line.label for line in view.lines}
        try:
            comment_add(
                membership=access.membership,
                submission=submission,
                body=form.cleaned_data["body"],
                line_key=line_key,
                line_label=labels.get(line_key, ""),
            )
        except TransitionError as error:
            apply_service_errors(form, error)
            return _render_detail(request, _access(request, submission_uuid), status=409, comment_form=form)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your comment was added."))
            return HttpResponseRedirect(_detail_url(submission, line_anchor(line_key) if line_key else "comments"))
    return _render_detail(request, access, status=400, comment_form=form)


def _done_message(action: str, version: int) -> str:
    messages_by_action = {
        "start_review": _("The review of version %(version)s has started."),
        "return": _("Version %(version)s was returned to the supplier for changes."),
        "accept": _("Version %(version)s was accepted."),
        "withdraw": _("Version %(version)s was withdrawn."),
    }
    return messages_by_action[action] % {"version": version}


@login_required
@require_POST
def submission_transition_view(request: HttpRequest, submission_uuid: UUID) -> HttpResponse:
    """Start the review, return (with a comment), accept, or withdraw. A transition the state does not allow is
    shown on the page (409), a bad input too (400); a member whose role may not make it gets a 403."""
    access = _access(request, submission_uuid)
    if not ((access.is_buyer and access.can_review) or (access.is_supplier and access.can_submit)):
        raise PermissionDenied(_("Your role does not allow this."))  # whatever the action: none is theirs
    form = TransitionForm(request.POST)
    form.is_valid()
    action = str(form.cleaned_data.get("action") or "")
    try:
        submission = submission_transition(
            membership=access.membership,
            submission=access.obj,
            name=action,
            comment=str(form.cleaned_data.get("comment") or ""),
        )
    except TransitionError as error:
        form.add_error(None, error)
        status = 400 if getattr(error, "code", None) in BAD_INPUT_CODES else 409
        return _render_detail(
            request,
            _access(request, submission_uuid),  # re-read: the state may have moved meanwhile
            status=status,
            transition_form=form,
            transition_action=action if action in TRANSITION_ACTIONS else "",
        )
    messages.success(request, _done_message(action, submission.version))
    return HttpResponseRedirect(_detail_url(submission))


urlpatterns: list[URLPattern] = [
    path("review/", inbox, name="review-inbox"),
    path("submissions/<uuid:submission_uuid>/", submission_detail, name="submission-detail"),
    path(
        "submissions/<uuid:submission_uuid>/evidence/<uuid:evidence_uuid>/",
        submission_evidence,
        name="submission-evidence",
    ),
    path("submissions/<uuid:submission_uuid>/comments/", submission_comment, name="submission-comment"),
    path("submissions/<uuid:submission_uuid>/transition/", submission_transition_view, name="submission-transition"),
]
