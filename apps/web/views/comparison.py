"""The buyer's comparison for green purchasing: the accepted footprints of one product type across its
suppliers (apps.exchange.comparison), as a page with a chart, a CSV file and an Excel workbook.

Only a buyer organization has a comparison: for a supplier or a verification body these URLs do not
exist (404, as for any page that is not theirs), whatever the member's role. Every member of the buyer
may read it (Action.READ). The page and both exports show the same rows in the same order (the query
parameters ``product_type`` and ``sort``, ``-`` for descending; an unknown value falls back to the first
product type and to E ascending).

Exports carry the numbers at full precision (decimal strings in the CSV, numbers in the workbook with a
display format of four significant digits), units in the headers, headers in the user's language. A text
cell that a spreadsheet would read as a formula (it begins with =, +, -, @, a tab or a carriage return) is
written as text: with a leading apostrophe in the CSV, as a string cell in the workbook.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs in the project's pins
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Membership
from apps.accounts.requests import require_membership
from apps.exchange.comparison import CONTRIBUTORS, Comparison, ComparisonRow, comparison_read
from apps.exchange.enums import AssuranceLevel, VerificationOpinion
from apps.footprints.charts import StackedItem, stacked_bars_svg
from apps.footprints.display import KG_CO2E

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _buyer(request: HttpRequest) -> Membership:
    membership = require_membership(request)
    if membership.organization.kind != OrganizationKind.BUYER:
        raise Http404("Only a buyer compares its suppliers' footprints")
    return membership


def _comparison(request: HttpRequest) -> tuple[Membership, Comparison]:
    membership = _buyer(request)
    comparison = comparison_read(
        organization=membership.organization,
        product_type=request.GET.get("product_type"),
        sort=request.GET.get("sort"),
    )
    return membership, comparison


def _query(comparison: Comparison, *, sort: str | None = None) -> str:
    return urlencode({"product_type": comparison.product_type, "sort": sort or comparison.sort})


# --- the page ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # a sort key of apps.exchange.comparison.SORT_KEYS
    label: str
    numeric: bool
    url: str  # this page sorted by the column (the other direction when it is the current one)
    direction: str  # "ascending" / "descending" when the page is sorted by it, else ""


def _columns(comparison: Comparison) -> list[Column]:
    unit = KG_CO2E
    spec = [
        ("supplier", _("Supplier"), False),
        ("product", _("Product"), False),
        ("period", _("Reporting period"), False),
        ("e", _("E (%(unit)s)") % {"unit": unit}, True),
        ("em", _("Em (%(unit)s)") % {"unit": unit}, True),
        ("ep", _("Ep (%(unit)s)") % {"unit": unit}, True),
        ("contributor", _("Largest contributors (share of E)"), False),
        ("primary", _("Primary data (share of E)"), True),
        ("verified", _("Verification"), False),
    ]
    base = reverse("web:comparison")
    columns = []
    for key, label, numeric in spec:
        current = comparison.sort_key == key
        next_sort = key if not current or comparison.descending else f"-{key}"
        direction = ("descending" if comparison.descending else "ascending") if current else ""
        columns.append(Column(key, label, numeric, f"{base}?{_query(comparison, sort=next_sort)}", direction))
    return columns


def _row_label(row: ComparisonRow) -> str:
    return f"{row.supplier_name} · {row.product_code or row.product_name}"


def _chart(comparison: Comparison) -> str:
    items = [StackedItem(label=_row_label(row), parts=(row.em, row.ep)) for row in comparison.rows]
    return stacked_bars_svg(
        items,
        series=[_("Em: raw-material acquisition"), _("Ep: manufacturing")],
        unit=KG_CO2E,
        title=_("E per declared unit, by supplier"),
    )


@login_required
@require_GET
def comparison_page(request: HttpRequest) -> HttpResponse:
    membership, comparison = _comparison(request)
    context: dict[str, Any] = {
        "organization": membership.organization,
        "comparison": comparison,
        "columns": _columns(comparison),
        "chart": _chart(comparison) if comparison.rows else "",
        "unit": KG_CO2E,
        "csv_url": f"{reverse('web:comparison-csv')}?{_query(comparison)}",
        "xlsx_url": f"{reverse('web:comparison-xlsx')}?{_query(comparison)}",
    }
    return render(request, "web/comparison/comparison.html", context)


# --- the exports ------------------------------------------------------------------------------------------------


def _headers() -> list[str]:
    per_unit = _("kg CO2e per declared unit")
    headers = [
        _("Supplier"),
        _("Product model code"),
        _("Product"),
        _("Reporting period start"),
        _("Reporting period end"),
        _("Declared unit"),
        _("Version"),
        _("E (%(unit)s)") % {"unit": per_unit},
        _("Em (%(unit)s)") % {"unit": per_unit},
        _("Ep (%(unit)s)") % {"unit": per_unit},
    ]
    for number in range(1, CONTRIBUTORS + 1):
        headers.append(_("Contributor %(number)s") % {"number": number})
        headers.append(_("Contributor %(number)s: share of E (0 to 1)") % {"number": number})
    headers += [
        _("Primary data: share of E (0 to 1)"),
        _("Verified"),
        _("Level of assurance"),
        _("Opinion"),
        _("Date of the statement"),
    ]
    return headers


# A cell's value and, for numbers, how it is shown in the workbook ("sig4", "share", "date").
ExportCell = tuple[str | Decimal | date | int | None, str]


def _export_rows(comparison: Comparison) -> Iterable[list[ExportCell]]:
    for row in comparison.rows:
        cells: list[ExportCell] = [
            (row.supplier_name, ""),
            (row.product_code, ""),
            (row.product_name, ""),
            (row.period_start, "date"),
            (row.period_end, "date"),
            (str(row.declared_unit_label), ""),
            (row.submission.version, "int"),
            (row.e, "sig4"),
            (row.em, "sig4"),
            (row.ep, "sig4"),
        ]
        for index in range(CONTRIBUTORS):
            contributor = row.contributors[index] if index < len(row.contributors) else None
            cells.append((contributor.label if contributor else None, ""))
            cells.append((contributor.share if contributor else None, "share"))
        statement = row.statement
        cells += [
            (row.primary_data_share, "share"),
            (_("Yes") if statement else _("No"), ""),
            (str(AssuranceLevel(statement.assurance_level).label) if statement else None, ""),
            (str(VerificationOpinion(statement.opinion).label) if statement else None, ""),
            (statement.statement_date if statement else None, "date"),
        ]
        yield cells


def formula_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV: a leading apostrophe, the usual convention)."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _csv_value(value: str | Decimal | date | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return formula_safe(value)


def _filename(comparison: Comparison, extension: str) -> str:
    stem = slugify(comparison.product_type, allow_unicode=True) or "products"
    return f"comparison-{stem}.{extension}"


@login_required
@require_GET
def comparison_csv(request: HttpRequest) -> HttpResponse:
    _membership, comparison = _comparison(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([formula_safe(header) for header in _headers()])
    for cells in _export_rows(comparison):
        writer.writerow([_csv_value(value) for value, _kind in cells])
    # A byte-order mark: Excel then reads the file as UTF-8 (Chinese names and labels).
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _filename(comparison, "csv")) or ""
    response["Cache-Control"] = "private, no-cache"
    return response


def _sig4_format(value: Decimal) -> str:
    """An Excel number format showing ``value`` with four significant digits (the cell keeps the full value)."""
    if value.is_zero():
        return "0"
    places = max(0, 3 - value.adjusted())
    return "0" if places == 0 else "0." + "0" * places


def _xlsx_cell(cell: Any, value: str | Decimal | date | int | None, kind: str) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it begins with
    elif isinstance(value, Decimal):
        cell.number_format = "0.0%" if kind == "share" else _sig4_format(value)
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"


@login_required
@require_GET
def comparison_xlsx(request: HttpRequest) -> HttpResponse:
    _membership, comparison = _comparison(request)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Comparison")[:31]
    headers = _headers()
    for column, header in enumerate(headers, start=1):
        _xlsx_cell(sheet.cell(row=1, column=column), header, "")
        sheet.column_dimensions[get_column_letter(column)].width = max(12, min(40, len(header) + 2))
    for row_number, cells in enumerate(_export_rows(comparison), start=2):
        for column, (value, kind) in enumerate(cells, start=1):
            _xlsx_cell(sheet.cell(row=row_number, column=column), value, kind)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _filename(comparison, "xlsx")) or ""
    response["Cache-Control"] = "private, no-cache"
    return response


urlpatterns = [
    path("comparison/", comparison_page, name="comparison"),
    path("comparison/export.csv", comparison_csv, name="comparison-csv"),
    path("comparison/export.xlsx", comparison_xlsx, name="comparison-xlsx"),
]
