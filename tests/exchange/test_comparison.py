"""The buyer's comparison selector: which accepted footprints it lists, their numbers (read from the snapshots),
the sort orders, and a number of queries that does not grow with the rows.

The inputs (tests/footprints/check_builders.complete_study): 25 catalogue materials per piece valued at 0.88
kg CO2e each and 7 others at 14 kg CO2e per kg with 1 kg each, so Em = 25 × 0.88 + 7 × 14 = 120 (Hangzhou;
Suzhou has material 32 at 0.5 kg: 113); stage 4 metered 500 kWh at 0.6205 kg CO2e/kWh = 310.25 kg CO2e over
the units made in January (1000 in Hangzhou: Ep = 0.31025; 400 in Suzhou: Ep = 0.775625).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.exchange.comparison import comparison_product_types, comparison_read, comparison_rows
from apps.exchange.services import relationship_end
from apps.exchange.workflow import submission_transition
from apps.inventory.models import Study
from tests import factories
from tests.exchange.builders import build_exchange
from tests.exchange.verification_builders import (
    PRODUCT_TYPE,
    add_supplier,
    grant,
    make_verifier,
    record_statement,
    submit_and_accept,
)

pytestmark = pytest.mark.django_db

E_HANGZHOU = Decimal("120.31025")
E_SUZHOU = Decimal("113.775625")


@pytest.fixture
def two(library):
    hangzhou = build_exchange(factories.make_organization(name="Hangzhou Meters"), library)
    suzhou = add_supplier(
        hangzhou, library, name="Suzhou Instruments", units_produced="400", material_32_quantity="0.5"
    )
    return hangzhou, suzhou


def _stored(submission, key: str) -> Decimal:
    return Decimal(submission.result.totals[key])


def test_both_suppliers_accepted_footprints_are_listed_by_e_with_their_snapshot_numbers(two):
    hangzhou, suzhou = two
    first = submit_and_accept(hangzhou)
    second = submit_and_accept(suzhou)

    rows = comparison_rows(organization=hangzhou.buyer, product_type=PRODUCT_TYPE)

    assert [row.supplier_name for row in rows] == ["Suzhou Instruments", "Hangzhou Meters"]
    by_supplier = {row.supplier_name: row for row in rows}
    suzhou_row, hangzhou_row = by_supplier["Suzhou Instruments"], by_supplier["Hangzhou Meters"]
    # Worked out by hand from the inputs (module docstring) ...
    assert (hangzhou_row.e, hangzhou_row.em, hangzhou_row.ep) == (E_HANGZHOU, Decimal(120), Decimal("0.31025"))
    assert (suzhou_row.e, suzhou_row.em, suzhou_row.ep) == (E_SUZHOU, Decimal(113), Decimal("0.775625"))
    # ... and exactly the strings the engine stored in each snapshot.
    for row, submission in ((hangzhou_row, first), (suzhou_row, second)):
        assert row.submission == submission
        assert (row.e, row.em, row.ep) == (
            _stored(submission, "e"),
            _stored(submission, "em"),
            _stored(submission, "ep"),
        )
        assert row.primary_data_share == Decimal(submission.result.primary_data_share)
        assert row.statement is None and not row.verified
    assert hangzhou_row.product_code == hangzhou.study.product.model_code
    assert hangzhou_row.product_name == "Single-phase smart meter"
    assert (str(hangzhou_row.period_start), str(hangzhou_row.period_end)) == ("2025-01-01", "2025-01-31")


def test_the_three_largest_contributors_come_with_their_share_of_e(two):
    hangzhou, suzhou = two
    submit_and_accept(hangzhou)
    submit_and_accept(suzhou)

    rows = {row.supplier_name: row for row in comparison_rows(organization=hangzhou.buyer, product_type=PRODUCT_TYPE)}

    hangzhou_row = rows["Hangzhou Meters"]
    # Materials 26 to 32 are 14 kg CO2e each, the largest lines; equal lines keep the snapshot's order.
    assert [c.key for c in hangzhou_row.contributors] == ["material/26", "material/27", "material/28"]
    assert [c.emission for c in hangzhou_row.contributors] == [Decimal(14)] * 3
    assert [c.share for c in hangzhou_row.contributors] == [Decimal(14) / E_HANGZHOU] * 3
    assert hangzhou_row.contributors[0].label.startswith("26. ")
    assert rows["Suzhou Instruments"].contributors[0].share == Decimal(14) / E_SUZHOU


def test_numbers_come_from_the_accepted_snapshot_not_the_study_edited_since(two, library):
    hangzhou, _suzhou = two
    submission = submit_and_accept(hangzhou)
    Study.objects.filter(pk=hangzhou.study.pk).update(units_produced=Decimal(1))  # the live study moves on

    (row,) = comparison_rows(organization=hangzhou.buyer, product_type=PRODUCT_TYPE)

    assert row.ep == Decimal("0.31025") == _stored(submission, "ep")


def test_only_accepted_versions_of_this_buyer_with_an_active_relationship_and_this_type_are_listed(two, library):
    hangzhou, suzhou = two
    submit_and_accept(hangzhou)
    waiting = suzhou.submit()  # submitted, not accepted

    # Another buyer's accepted footprint of the same product type.
    elsewhere = build_exchange(factories.make_organization(name="Elsewhere Meters"), library)
    submit_and_accept(elsewhere)
    # The same buyer's accepted footprint of another product type.
    three_phase = add_supplier(hangzhou, library, name="Ningbo Three-Phase", product_type="Three-phase smart meter")
    submit_and_accept(three_phase)

    names = [row.supplier_name for row in comparison_rows(organization=hangzhou.buyer, product_type=PRODUCT_TYPE)]
    assert names == ["Hangzhou Meters"]

    # Returned: still not listed.
    submission_transition(
        membership=suzhou.reviewer_membership(), submission=waiting, name="return", comment="Meter data missing."
    )
    names = [row.supplier_name for row in comparison_rows(organization=hangzhou.buyer, product_type=PRODUCT_TYPE)]
    assert names == ["Hangzhou Meters"]

    # The relationship ends: the accepted footprint is no longer compared.
    relationship_end(membership=hangzhou.manager_membership(), relationship=hangzhou.relationship)
    assert comparison_rows(organization=hangzhou.buyer, product_type=PRODUCT_TYPE) == []
    # The other buyer's comparison is its own.
    assert [r.supplier_name for r in comparison_rows(organization=elsewhere.buyer, product_type=PRODUCT_TYPE)] == [
        "Elsewhere Meters"
    ]


SUZHOU_FIRST = ["Suzhou Instruments", "Hangzhou Meters"]
HANGZHOU_FIRST = ["Hangzhou Meters", "Suzhou Instruments"]


@pytest.mark.parametrize(
    ("sort", "expected", "applied"),
    [
        ("e", SUZHOU_FIRST, "e"),
        ("-e", HANGZHOU_FIRST, "-e"),
        ("em", SUZHOU_FIRST, "em"),
        ("ep", HANGZHOU_FIRST, "ep"),
        ("-ep", SUZHOU_FIRST, "-ep"),
        ("supplier", HANGZHOU_FIRST, "supplier"),
        ("-supplier", SUZHOU_FIRST, "-supplier"),
        # The largest line is 14 kg CO2e in both: 14/120.31025 < 14/113.775625.
        ("contributor", HANGZHOU_FIRST, "contributor"),
        ("-contributor", SUZHOU_FIRST, "-contributor"),
        # Only the metered electricity is primary data: 0.31025/120.31025 < 0.775625/113.775625.
        ("primary", HANGZHOU_FIRST, "primary"),
        ("-primary", SUZHOU_FIRST, "-primary"),
        # The same period, product name and (no) verification: ties stay in supplier order both ways.
        ("period", HANGZHOU_FIRST, "period"),
        ("-period", HANGZHOU_FIRST, "-period"),
        ("verified", HANGZHOU_FIRST, "verified"),
        # Unknown keys fall back to E ascending.
        ("nonsense", SUZHOU_FIRST, "e"),
        ("--e", SUZHOU_FIRST, "e"),
        ("-", SUZHOU_FIRST, "e"),
        ("", SUZHOU_FIRST, "e"),
    ],
)
def test_sort_orders(two, sort, expected, applied):
    hangzhou, suzhou = two
    submit_and_accept(hangzhou)
    submit_and_accept(suzhou)

    comparison = comparison_read(organization=hangzhou.buyer, sort=sort)

    assert [row.supplier_name for row in comparison.rows] == expected
    assert comparison.sort == applied


def test_verified_rows_carry_the_latest_statement_and_sort_by_assurance(two):
    hangzhou, suzhou = two
    first = submit_and_accept(hangzhou)
    second = submit_and_accept(suzhou)
    verifier = make_verifier()
    auditor = factories.make_member(verifier, role="verifier")
    grant(hangzhou, first, verifier)
    grant(suzhou, second, verifier)
    record_statement(auditor, verifier, first, assurance_level="limited")
    record_statement(auditor, verifier, second, assurance_level="reasonable")

    rows = comparison_read(organization=hangzhou.buyer, sort="-verified").rows

    assert [row.supplier_name for row in rows] == ["Suzhou Instruments", "Hangzhou Meters"]
    assert [row.statement.assurance_level for row in rows] == ["reasonable", "limited"]
    assert all(row.verified for row in rows)
    assert [row.supplier_name for row in comparison_read(organization=hangzhou.buyer, sort="verified").rows] == [
        "Hangzhou Meters",
        "Suzhou Instruments",
    ]


def test_product_types_are_the_buyers_own_and_the_first_is_the_default(two, library):
    hangzhou, _suzhou = two
    add_supplier(hangzhou, library, name="Ningbo Three-Phase", product_type="Three-phase smart meter")
    build_exchange(factories.make_organization(name="Elsewhere Meters"), library)  # another buyer's request

    assert comparison_product_types(organization=hangzhou.buyer) == (PRODUCT_TYPE, "Three-phase smart meter")
    assert comparison_read(organization=hangzhou.buyer).product_type == PRODUCT_TYPE
    assert comparison_read(organization=hangzhou.buyer, product_type="Not ours").product_type == PRODUCT_TYPE
    chosen = comparison_read(organization=hangzhou.buyer, product_type="Three-phase smart meter")
    assert chosen.product_type == "Three-phase smart meter" and chosen.rows == ()


def test_the_default_is_the_product_type_accepted_last(two, library):
    hangzhou, _suzhou = two
    ningbo = add_supplier(hangzhou, library, name="Ningbo Three-Phase", product_type="Three-phase smart meter")
    submit_and_accept(hangzhou)
    assert comparison_read(organization=hangzhou.buyer).product_type == PRODUCT_TYPE

    submit_and_accept(ningbo)  # alphabetically last, accepted last: what the buyer opens the page for
    comparison = comparison_read(organization=hangzhou.buyer)
    assert comparison.product_type == "Three-phase smart meter"
    assert [row.supplier_name for row in comparison.rows] == ["Ningbo Three-Phase"]


def test_a_buyer_without_requests_has_nothing_to_compare(db):
    buyer = factories.make_organization(kind="buyer")
    comparison = comparison_read(organization=buyer)
    assert comparison.product_types == () and comparison.product_type == "" and comparison.rows == ()


def _count_queries(buyer) -> int:
    cache.clear()  # nothing cached: what the snapshots store is all there is
    with CaptureQueriesContext(connection) as queries:
        rows = comparison_read(organization=buyer).rows
        assert all(row.contributors for row in rows)
    assert not any("canonical_inputs_gz" in query["sql"] for query in queries.captured_queries)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_rows(two, library):
    hangzhou, suzhou = two
    submit_and_accept(hangzhou)
    one_row = _count_queries(hangzhou.buyer)

    submit_and_accept(suzhou)
    verifier = make_verifier()
    for index in range(2):
        extra = add_supplier(hangzhou, library, name=f"Extra Meters {index}")
        submission = submit_and_accept(extra)
        grant(extra, submission, verifier)
        record_statement(factories.make_member(verifier, role="verifier"), verifier, submission)
    assert len(comparison_read(organization=hangzhou.buyer).rows) == 4

    assert _count_queries(hangzhou.buyer) == one_row
    # The snapshots store their summaries: even with an empty cache, their canonical inputs are not read at all.
    with CaptureQueriesContext(connection) as warm:
        comparison_read(organization=hangzhou.buyer)
    assert len(warm) == one_row
