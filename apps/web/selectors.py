"""Reads for the web pages. A request reaches a study through apps.inventory.access.study_access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.accounts.models import Organization
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.inventory.models import Study
from apps.inventory.selectors import study_list


@dataclass(frozen=True)
class StudyStatus:
    """A study with its latest computation (what the user sees happening) and latest result."""

    study: Study
    computation: FootprintComputation | None
    result: FootprintResult | None


def _with_latest_ids(queryset: QuerySet[Study]) -> QuerySet[Study]:
    """Annotate the ids of the latest computation and of the latest result.

    The latest result is the one the latest successful computation produced (a computation may
    reuse an older snapshot with the same digest), else the newest result row of the study (a
    snapshot stored by `compute_footprint` has no computation row).
    """
    computations = FootprintComputation.objects.filter(study=OuterRef("pk")).order_by("-created_at", "-id")
    succeeded = computations.filter(status=ComputationStatus.SUCCEEDED, result__isnull=False)
    results = FootprintResult.objects.filter(study=OuterRef("pk")).order_by("-created_at", "-id")
    return queryset.annotate(
        latest_computation_id=Subquery(computations.values("id")[:1]),
        latest_result_id=Coalesce(
            Subquery(succeeded.values("result_id")[:1]),
            Subquery(results.values("id")[:1]),
            output_field=BigIntegerField(),
        ),
    )


def _latest_ids(study: Study) -> tuple[int | None, int | None]:
    annotated: Any = study  # annotated by _with_latest_ids
    return annotated.latest_computation_id, annotated.latest_result_id


def _statuses(studies: list[Study], *, with_breakdown: bool) -> list[StudyStatus]:
    """Attach computations and results in two queries, however many studies there are."""
    ids = [_latest_ids(s) for s in studies]
    computations = FootprintComputation.objects.in_bulk([c for c, _r in ids if c])
    deferred = ["canonical_inputs_gz"] if with_breakdown else ["canonical_inputs_gz", "breakdown"]
    results = FootprintResult.objects.defer(*deferred).in_bulk([r for _c, r in ids if r])
    return [
        StudyStatus(
            study=s,
            computation=computations.get(c) if c else None,
            result=results.get(r) if r else None,
        )
        for s, (c, r) in zip(studies, ids, strict=True)
    ]


def study_statuses_for_organization(*, organization: Organization) -> list[StudyStatus]:
    studies = list(_with_latest_ids(study_list(organization=organization)))
    return _statuses(studies, with_breakdown=False)


def study_status(*, study: Study) -> StudyStatus:
    """The latest computation and result of a study from `study_access`. The result's breakdown (its lines)
    is read when first used: a page served from the fragment cache never needs it."""
    latest: Any = _with_latest_ids(Study.objects.filter(pk=study.pk))
    annotated: Any = study
    annotated.latest_computation_id, annotated.latest_result_id = latest.values_list(
        "latest_computation_id", "latest_result_id"
    ).get()
    status = _statuses([study], with_breakdown=False)[0]
    if status.result is not None and status.result.study_id == study.pk:
        status.result.study = study  # the reader falls back to it: no second read of the study
    return status
