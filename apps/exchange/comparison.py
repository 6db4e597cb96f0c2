"""The buyer's comparison for green purchasing: the accepted footprints of one product type side by side.

A row is an accepted version (``SubmissionState.ACCEPTED``) of one of the buyer's requests for that
product type (``FootprintRequest.product_type``) while the supply relationship is active; the numbers
are read from the version's stored snapshot with apps.footprints.reader (never from the live study,
which the supplier may have changed since): E, Em and Ep per declared unit, the three largest
contributors and their share of E, and the primary-data share. Verified means a verification body
recorded a statement on the version; the row carries the latest one (its level of assurance and
opinion).

Rows sort by any column (``SORT_KEYS``; ``-key`` descending); an unknown key sorts by E ascending.
Rows without a value in the sorted column (a share of a zero E) come last either way, and rows that
tie keep the order supplier, product, version. The number of queries does not depend on the number of
rows: the versions with their request, supplier, product and snapshot in one, their statements in one,
and, for snapshots stored without their summary, the canonical inputs the reader's cache does not hold yet in
at most one more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Prefetch
from django.utils.functional import Promise

from apps.accounts.models import Organization
from apps.exchange.enums import AssuranceLevel, RelationshipStatus, SubmissionState
from apps.exchange.models import FootprintRequest, Submission, VerificationStatement
from apps.footprints.models import FootprintResult
from apps.footprints.reader import READER_VERSION, ResultView, result_read, snapshot_summary
from apps.footprints.summary import summary_is_current

CONTRIBUTORS = 3
DEFAULT_SORT = "e"
SORT_KEYS: tuple[str, ...] = ("supplier", "product", "period", "e", "em", "ep", "contributor", "primary", "verified")
_ASSURANCE_RANK = {AssuranceLevel.LIMITED: 1, AssuranceLevel.REASONABLE: 2}


@dataclass(frozen=True)
class Contributor:
    label: str  # in the active language (apps.footprints.reader.localized_label)
    key: str  # the line's key in the breakdown ("material/20")
    emission: Decimal  # kg CO2e per declared unit, full precision
    share: Decimal | None  # of E; None when E is zero


@dataclass(frozen=True)
class ComparisonRow:
    submission: Submission
    supplier_name: str
    product_code: str
    product_name: str
    period_start: date
    period_end: date
    declared_unit: str
    declared_unit_label: Promise | str
    e: Decimal  # kg CO2e per declared unit, full precision (the snapshot's totals)
    em: Decimal
    ep: Decimal
    contributors: tuple[Contributor, ...]  # the largest first, at most CONTRIBUTORS
    primary_data_share: Decimal  # of E, in [0, 1]
    statement: VerificationStatement | None  # the latest statement on the version, if any

    @property
    def verified(self) -> bool:
        return self.statement is not None

    @property
    def verification_rank(self) -> int:
        """0 not verified, 1 limited assurance, 2 reasonable assurance (the latest statement's level)."""
        if self.statement is None:
            return 0
        return _ASSURANCE_RANK.get(AssuranceLevel(self.statement.assurance_level), 1)

    @property
    def largest_share(self) -> Decimal | None:
        return self.contributors[0].share if self.contributors else None


@dataclass(frozen=True)
class Comparison:
    product_types: tuple[str, ...]  # the buyer's product types, sorted; empty: nothing was ever requested
    product_type: str  # the one shown ("" when there is none)
    sort: str  # as applied: a key of SORT_KEYS, with "-" for descending
    rows: tuple[ComparisonRow, ...]

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


def comparison_product_types(*, organization: Organization) -> tuple[str, ...]:
    """The product types of the buyer's requests, in alphabetical order."""
    return tuple(
        FootprintRequest.objects.filter(organization=organization)
        .order_by("product_type")
        .values_list("product_type", flat=True)
        .distinct()
    )


def _latest_accepted_type(organization: Organization) -> str:
    """The product type whose footprint the buyer accepted last: what a buyer opening the page wants to see."""
    latest = (
        Submission.objects.filter(
            request__organization=organization,
            request__relationship__status=RelationshipStatus.ACTIVE,
            state=SubmissionState.ACCEPTED,
        )
        .order_by("-state_changed_at", "-id")
        .values_list("request__product_type", flat=True)
        .first()
    )
    return latest or ""


def normalized_sort(sort: str | None) -> str:
    """``sort`` if it names a column (``e``, ``-e``, ``supplier``, ...); else E ascending."""
    sort = (sort or "").strip()
    return sort if sort.lstrip("-") in SORT_KEYS and sort.count("-") <= 1 and sort else DEFAULT_SORT


def comparison_read(
    *, organization: Organization, product_type: str | None = None, sort: str | None = None
) -> Comparison:
    """The comparison a buyer's page and exports show: ``product_type`` if it is one of the buyer's (else the
    one most recently given an accepted footprint, else its first), sorted by ``sort`` (else E ascending)."""
    product_types = comparison_product_types(organization=organization)
    if product_type in product_types:
        chosen = product_type
    else:
        chosen = _latest_accepted_type(organization) or (product_types[0] if product_types else "")
    applied = normalized_sort(sort)
    rows = comparison_rows(organization=organization, product_type=chosen, sort=applied) if chosen else []
    return Comparison(product_types=product_types, product_type=chosen, sort=applied, rows=tuple(rows))


def comparison_rows(*, organization: Organization, product_type: str, sort: str = DEFAULT_SORT) -> list[ComparisonRow]:
    """The accepted footprints of the buyer's requests for ``product_type`` (active relationships only)."""
    submissions = list(
        Submission.objects.filter(
            request__organization=organization,
            request__product_type=product_type,
            request__relationship__status=RelationshipStatus.ACTIVE,
            state=SubmissionState.ACCEPTED,
        )
        .select_related("organization", "request", "study__product", "result")
        .defer("result__canonical_inputs_gz")
        .prefetch_related(
            Prefetch(
                "statements",
                queryset=VerificationStatement.objects.order_by("-statement_date", "-id"),
                to_attr="statements_latest_first",
            )
        )
        .order_by("organization__name", "request__product_code", "pk")
    )
    _warm_snapshot_summaries([submission.result for submission in submissions])
    rows = [_row(submission, result_read(result=submission.result)) for submission in submissions]
    return sort_rows(rows, sort)


def _row(submission: Submission, view: ResultView) -> ComparisonRow:
    footprint_request = submission.request
    product = submission.study.product
    largest = sorted(view.lines, key=lambda line: line.emission.value, reverse=True)[:CONTRIBUTORS]
    statements: list[VerificationStatement] = getattr(submission, "statements_latest_first", [])
    return ComparisonRow(
        submission=submission,
        supplier_name=submission.organization.name,
        product_code=footprint_request.product_code or product.model_code,
        product_name=product.name or footprint_request.product_description,
        period_start=footprint_request.period_start,
        period_end=footprint_request.period_end,
        declared_unit=view.declared_unit,
        declared_unit_label=view.declared_unit_label,
        e=view.totals.e.value,
        em=view.totals.em.value,
        ep=view.totals.ep.value,
        contributors=tuple(
            Contributor(label=line.display_label, key=line.key, emission=line.emission.value, share=line.share)
            for line in largest
        ),
        primary_data_share=view.primary_data_share,
        statement=statements[0] if statements else None,
    )


_SORT_VALUES: dict[str, Callable[[ComparisonRow], Any]] = {
    "supplier": lambda row: row.supplier_name.casefold(),
    "product": lambda row: (row.product_code.casefold(), row.product_name.casefold()),
    "period": lambda row: (row.period_start, row.period_end),
    "e": lambda row: row.e,
    "em": lambda row: row.em,
    "ep": lambda row: row.ep,
    "contributor": lambda row: row.largest_share,
    "primary": lambda row: row.primary_data_share,
    "verified": lambda row: row.verification_rank,
}


def sort_rows(rows: list[ComparisonRow], sort: str) -> list[ComparisonRow]:
    """Rows in the order of ``sort`` (normalized first); ties in supplier, product, version order."""
    sort = normalized_sort(sort)
    value = _SORT_VALUES[sort.lstrip("-")]
    ordered = sorted(
        rows, key=lambda row: (row.supplier_name.casefold(), row.product_code.casefold(), row.submission.pk)
    )
    present = [row for row in ordered if value(row) is not None]
    missing = [row for row in ordered if value(row) is None]
    return sorted(present, key=value, reverse=sort.startswith("-")) + missing


def _warm_snapshot_summaries(results: list[FootprintResult]) -> None:
    """Put the reader's summary of every snapshot stored without one (apps.footprints.summary) and not yet in its
    cache there, reading their canonical inputs in one query (the rows were read without them).

    The key is apps.footprints.reader.snapshot_summary's; were it to change, the summaries would be read one
    query per row again (tests/exchange/test_comparison.py counts the queries with an empty cache)."""
    results = [result for result in results if not summary_is_current(result.summary)]  # stored: nothing to read
    keys = {f"footprints:snapshot-summary:{READER_VERSION}:{result.digest}": result.pk for result in results}
    cached = cache.get_many(list(keys))
    missing = {pk for key, pk in keys.items() if key not in cached}
    if missing:
        for result in FootprintResult.objects.filter(pk__in=missing):
            snapshot_summary(result=result)
