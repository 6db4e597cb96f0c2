"""Reads of the exchange for the pages: relationships, requests, their submitted versions and the studies a
supplier may answer a request with. Each is a fixed number of queries however many rows it returns.

These read by organization (the caller's active one); a single row is reached through the access helpers
(apps.exchange.access), never through these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, CharField, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Organization
from apps.exchange.enums import RelationshipStatus, RequestStatus, SubmissionState
from apps.exchange.models import (
    OPEN_SUBMISSION_STATES,
    FootprintRequest,
    Submission,
    SupplyRelationship,
)
from apps.footprints.checks import study_checks_many
from apps.footprints.enums import ComputationStatus
from apps.footprints.marks import study_input_marks
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.footprints.selectors import studies_inputs_changed
from apps.inventory.models import Study
from apps.inventory.services.editable import STUDY_EDITABLE_STATUSES

_RESULT_HEAVY = ("result__canonical_inputs_gz", "result__breakdown")

# Relationships ------------------------------------------------------------------------------------------

_STATUS_ORDER = Case(
    When(status=RelationshipStatus.PENDING, then=Value(0)),
    When(status=RelationshipStatus.ACTIVE, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class RelationshipRow:
    relationship: SupplyRelationship
    counterpart: Organization  # the supplier for a buyer, the buyer for a supplier

    @property
    def status(self) -> str:
        return self.relationship.status

    @property
    def is_pending(self) -> bool:
        return self.relationship.status == RelationshipStatus.PENDING

    @property
    def is_active(self) -> bool:
        return self.relationship.status == RelationshipStatus.ACTIVE

    @property
    def is_ended(self) -> bool:
        return self.relationship.status == RelationshipStatus.ENDED


def relationships_for(*, organization: Organization, status: str | None = None) -> list[RelationshipRow]:
    """A buyer's suppliers or a supplier's buyers, each with its status: waiting ones first, then active, then
    ended, by the other party's name. One query."""
    queryset = SupplyRelationship.objects.select_related("organization", "supplier", "proposed_by", "accepted_by")
    if organization.kind == OrganizationKind.BUYER:
        queryset = queryset.filter(organization=organization)
        name = "supplier__name"
    elif organization.kind == OrganizationKind.SUPPLIER:
        queryset = queryset.filter(supplier=organization)
        name = "organization__name"
    else:
        return []
    if status is not None:
        queryset = queryset.filter(status=status)
    rows = queryset.annotate(status_order=_STATUS_ORDER).order_by("status_order", name, "id")
    buyer_side = organization.kind == OrganizationKind.BUYER
    return [RelationshipRow(r, r.supplier if buyer_side else r.organization) for r in rows]


def active_relationships(*, organization: Organization) -> QuerySet[SupplyRelationship]:
    """A buyer's active relationships: the suppliers it may send a request to."""
    return (
        SupplyRelationship.objects.filter(organization=organization, status=RelationshipStatus.ACTIVE)
        .select_related("supplier")
        .order_by("supplier__name", "id")
    )


def buyer_relationships(*, organization: Organization) -> QuerySet[SupplyRelationship]:
    """Every relationship a buyer proposed, whatever its status (a form's valid choices: the service decides
    whether it may be used)."""
    return SupplyRelationship.objects.filter(organization=organization).select_related("supplier")


# Requests -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    request: FootprintRequest
    latest_version: int | None
    latest_state: str  # the state of the latest submitted version, "" when none
    latest_uuid: str  # that version's public id, "" when none
    overdue: bool

    @property
    def is_open(self) -> bool:
        return self.request.status == RequestStatus.OPEN

    @property
    def latest_state_label(self) -> str:
        return str(SubmissionState(self.latest_state).label) if self.latest_state else ""


def _with_latest_version(queryset: QuerySet[FootprintRequest]) -> QuerySet[FootprintRequest]:
    latest = Submission.objects.filter(request=OuterRef("pk")).order_by("-version")
    return queryset.annotate(
        latest_version=Subquery(latest.values("version")[:1], output_field=IntegerField()),
        latest_state=Subquery(latest.values("state")[:1], output_field=CharField()),
        latest_uuid=Subquery(latest.values("uuid")[:1]),
        open_first=Case(When(status=RequestStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("open_first", "due_date", "-created_at", "-id")


def _rows(queryset: QuerySet[FootprintRequest], today: date | None) -> list[RequestRow]:
    today = today or timezone.localdate()
    rows = []
    for footprint_request in queryset:
        annotated: Any = footprint_request
        rows.append(
            RequestRow(
                request=footprint_request,
                latest_version=annotated.latest_version,
                latest_state=annotated.latest_state or "",
                latest_uuid=str(annotated.latest_uuid) if annotated.latest_uuid else "",
                overdue=footprint_request.status == RequestStatus.OPEN and footprint_request.due_date < today,
            )
        )
    return rows


def requests_for_buyer(
    *, organization: Organization, status: str | None = None, today: date | None = None
) -> list[RequestRow]:
    """The requests a buyer sent, with the state of each one's latest version: open ones first, by due date.
    One query. ``today`` (default: today in the active time zone) decides what is overdue."""
    queryset = FootprintRequest.objects.filter(organization=organization).select_related("supplier", "relationship")
    if status is not None:
        queryset = queryset.filter(status=status)
    return _rows(_with_latest_version(queryset), today)


def requests_for_supplier(
    *, organization: Organization, status: str | None = None, today: date | None = None
) -> list[RequestRow]:
    """The requests addressed to a supplier by buyers whose relationship is active (an ended one hides its
    requests, as apps.exchange.access does): open ones first, by due date. One query."""
    queryset = FootprintRequest.objects.filter(
        supplier=organization, relationship__status=RelationshipStatus.ACTIVE
    ).select_related("organization", "relationship")
    if status is not None:
        queryset = queryset.filter(status=status)
    return _rows(_with_latest_version(queryset), today)


def buyer_product_types(*, organization: Organization) -> list[str]:
    """The product types a buyer has asked for before (a request form's suggestions). One query."""
    return list(
        FootprintRequest.objects.filter(organization=organization)
        .order_by("product_type")
        .values_list("product_type", flat=True)
        .distinct()
    )


def request_versions(*, footprint_request: FootprintRequest) -> list[Submission]:
    """A request's submitted versions, newest first, each with its state, study and totals (not its lines or
    inputs). One query."""
    return list(
        Submission.objects.filter(request=footprint_request)
        .select_related("study", "study__product", "submitted_by", "result")
        .defer(*_RESULT_HEAVY)
        .order_by("-version")
    )


# Dashboards ---------------------------------------------------------------------------------------------


def _buyer_visible_submissions(organization: Organization) -> QuerySet[Submission]:
    return Submission.objects.filter(
        request__organization=organization, request__relationship__status=RelationshipStatus.ACTIVE
    )


def submissions_waiting_count(*, organization: Organization) -> int:
    """How many versions sent to a buyer wait for its review (submitted or under review). One query."""
    return _buyer_visible_submissions(organization).filter(state__in=OPEN_SUBMISSION_STATES).count()


def accepted_recently(*, organization: Organization, limit: int = 5) -> list[Submission]:
    """A buyer's most recently accepted footprints, with their request, supplier and totals. One query."""
    return list(
        _buyer_visible_submissions(organization)
        .filter(state=SubmissionState.ACCEPTED)
        .select_related("request", "request__supplier", "result")
        .defer(*_RESULT_HEAVY)
        .order_by("-state_changed_at", "-id")[:limit]
    )


# Studies that answer a request --------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmittableStudy:
    """A study of the requested product, period and declared unit, and whether it can be submitted now.

    ``reasons`` say what stands in the way, as a hint next to the choice; apps.exchange.workflow.submission_create
    decides, and says so in its own words, when the study is submitted."""

    study: Study
    result: FootprintResult | None
    reasons: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.reasons


def _matching_studies(organization: Organization, footprint_request: FootprintRequest) -> QuerySet[Study]:
    queryset = Study.objects.for_organization(organization).filter(
        period_start=footprint_request.period_start,
        period_end=footprint_request.period_end,
        declared_unit=footprint_request.declared_unit,
    )
    if footprint_request.product_code:
        queryset = queryset.filter(product__model_code=footprint_request.product_code)
    return queryset


def matching_studies(*, organization: Organization, footprint_request: FootprintRequest) -> QuerySet[Study]:
    """The supplier's studies of the request's period, declared unit and (when the request names one) model:
    the valid choices of the submit form, ready or not."""
    if footprint_request.supplier_id != organization.pk:
        return Study.objects.none()
    return _matching_studies(organization, footprint_request).select_related("product", "site")


def submittable_studies(*, organization: Organization, footprint_request: FootprintRequest) -> list[SubmittableStudy]:
    """The supplier's studies that match the request (period, declared unit, model code if the request gives
    one), each with its latest result and what keeps it from being submitted now, ready ones first. A fixed
    number of queries however many studies match: the studies, their input marks, the checks (about a dozen
    when not cached), the changed flags (none when cached) and the results."""
    if footprint_request.supplier_id != organization.pk:
        return []
    computations = FootprintComputation.objects.filter(study=OuterRef("pk")).order_by("-created_at", "-id")
    results = FootprintResult.objects.filter(study=OuterRef("pk")).order_by("-created_at", "-id")
    studies = list(
        _matching_studies(organization, footprint_request)
        .select_related("product", "site")
        .annotate(
            latest_computation_id=Subquery(computations.values("id")[:1]),
            latest_computation_status=Subquery(computations.values("status")[:1]),
            latest_computation_result_id=Subquery(computations.values("result_id")[:1]),
            latest_result_row_id=Subquery(results.values("id")[:1]),
        )
        .order_by("-updated_at", "name")
    )
    if not studies:
        return []
    marks = study_input_marks(studies=studies)
    checks = study_checks_many(studies=studies, marks=marks)
    latest: dict[int, tuple[int | None, str, int | None]] = {}
    for study in studies:
        # The result a submission would freeze: the latest computation's, else (none ever queued) the newest
        # stored snapshot, as apps.exchange.workflow reads it.
        annotated: Any = study
        computation_id, status = annotated.latest_computation_id, annotated.latest_computation_status or ""
        if computation_id is not None:
            result_id = annotated.latest_computation_result_id if status == ComputationStatus.SUCCEEDED else None
        else:
            result_id = annotated.latest_result_row_id
        latest[study.pk] = (computation_id, status, result_id)
    editable = [s for s in studies if s.status in STUDY_EDITABLE_STATUSES]
    changed = studies_inputs_changed(studies=editable, marks=marks, latest=latest)
    result_ids = [r for _c, _s, r in latest.values() if r]
    found = FootprintResult.objects.defer("canonical_inputs_gz", "breakdown").in_bulk(result_ids)
    rows = []
    for study in studies:
        computation_id, status, result_id = latest[study.pk]
        reasons: list[str] = []
        if study.status not in STUDY_EDITABLE_STATUSES:  # submitted, under review or accepted
            reasons.append(_("The study is %(status)s.") % {"status": study.get_status_display()})
        blocking = len(checks[study.pk].blocking) if study.pk in checks else 0
        if blocking:
            reasons.append(
                ngettext("%(count)d problem blocks it.", "%(count)d problems block it.", blocking) % {"count": blocking}
            )
        if status in (ComputationStatus.QUEUED, ComputationStatus.RUNNING):
            reasons.append(_("It is being computed."))
        elif computation_id is not None and status != ComputationStatus.SUCCEEDED:
            reasons.append(_("Its latest computation failed."))
        elif result_id is None:
            reasons.append(_("It has not been computed."))
        elif changed.get(study.pk):
            reasons.append(_("It changed after its latest computation."))
        rows.append(SubmittableStudy(study=study, result=found.get(result_id) if result_id else None,
                                     reasons=tuple(reasons)))  # fmt: skip
    rows.sort(key=lambda row: (not row.ready, row.study.name))
    return rows
