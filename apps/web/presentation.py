"""Turn a stored FootprintResult (decimal strings at full precision) into rows for the pages.

Nothing here rounds: numbers stay exact Decimals and the templates round them for display only
(the `sig4` filter in templatetags/cf_format.py).
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization
from apps.footprints.models import FootprintResult
from apps.inventory.enums import DataSource

KIND_LABELS: dict[str, Promise] = {
    "material": _("Material"),
    "transport": _("Transport"),
    "stage": _("Electricity (stage)"),
    "fuel": _("Fuel combustion"),
    "waste": _("Waste treatment"),
}

# (key in FootprintResult.totals, label, indentation level): E = Em + Ep, Em and Ep split as in seed 001.
TOTAL_LINES: tuple[tuple[str, Promise, int], ...] = (
    ("e", _("E: product carbon footprint"), 0),
    ("em", _("Em: raw-material acquisition"), 1),
    ("em_materials", _("Materials"), 2),
    ("em_transport", _("Transport"), 2),
    ("ep", _("Ep: manufacturing"), 1),
    ("eb", _("Eb: fuel combustion"), 2),
    ("edl", _("Edl: purchased electricity"), 2),
    ("ew", _("Ew: waste treatment"), 2),
)


@dataclass(frozen=True)
class TotalLine:
    key: str
    label: Promise
    level: int
    value: Decimal | None


@dataclass(frozen=True)
class BreakdownLine:
    kind: str
    kind_label: Promise | str
    label: str
    activity: Decimal | None
    activity_unit: str
    factor_key: str
    factor_value: Decimal | None
    factor_unit: str
    average_factor: Decimal | None
    emission: Decimal | None
    data_source: Promise | str

    @property
    def factor_code(self) -> str:
        return factor_code(self.factor_key)


@dataclass(frozen=True)
class FactorUsed:
    key: str
    value: Decimal | None  # None: a time series (each stage line shows its average)
    unit: str
    lines: int  # breakdown lines valued with it
    name: str = ""
    dataset: str = ""
    gwp_basis: str = ""
    source: str = ""

    @property
    def code(self) -> str:
        return factor_code(self.key)


def factor_code(key: str) -> str:
    """A factor key is DATASET@VERSION/CODE (docs/study-format.md); the code is what a reader scans."""
    return key.rsplit("/", 1)[-1]


def to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def organization_timezone(organization: Organization) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organization.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _data_source_label(value: str) -> Promise | str:
    try:
        return DataSource(value).label
    except ValueError:
        return value or ""


def total_lines(result: FootprintResult) -> list[TotalLine]:
    totals = result.totals or {}
    return [TotalLine(key, label, level, to_decimal(totals.get(key))) for key, label, level in TOTAL_LINES]


def breakdown_lines(result: FootprintResult) -> list[BreakdownLine]:
    return [
        BreakdownLine(
            kind=row.get("kind") or "",
            kind_label=KIND_LABELS.get(row.get("kind") or "", row.get("kind") or ""),
            label=row.get("label") or row.get("key") or "",
            activity=to_decimal(row.get("activity")),
            activity_unit=row.get("activity_unit") or "",
            factor_key=row.get("factor_key") or "",
            factor_value=to_decimal(row.get("factor_value")),
            factor_unit=row.get("factor_unit") or "",
            average_factor=to_decimal(row.get("average_factor")),
            emission=to_decimal(row.get("emission")),
            data_source=_data_source_label(row.get("data_source") or ""),
        )
        for row in result.breakdown or []
    ]


def factors_used(result: FootprintResult) -> list[FactorUsed]:
    """Every factor and series the snapshot's inputs hold, with its dataset and citation, and how
    many breakdown lines it valued.

    Read from the stored canonical inputs (docs/study-format.md: `factors`, `factor_datasets`,
    `electricity.series`); a snapshot whose document lacks them falls back to the breakdown's keys.
    """
    lines = Counter(row.get("factor_key") or "" for row in result.breakdown or [])
    stored = cache.get_or_set(f"web:snapshot-factors:{result.digest}", lambda: _document_factors(result), None)
    if stored:
        return [FactorUsed(**factor, lines=lines[factor["key"]]) for factor in stored]
    first_rows: dict[str, dict[str, Any]] = {}
    for row in result.breakdown or []:
        if row.get("factor_key"):
            first_rows.setdefault(row["factor_key"], row)
    return [
        FactorUsed(
            key=key, value=to_decimal(row.get("factor_value")), unit=row.get("factor_unit") or "", lines=lines[key]
        )
        for key, row in first_rows.items()
    ]


def _document_factors(result: FootprintResult) -> list[dict[str, Any]]:
    """The factor list of a snapshot's canonical inputs (cached: snapshots never change)."""
    try:
        document = result.canonical_inputs
    except (OSError, ValueError):
        return []
    datasets = {d.get("key"): d for d in document.get("factor_datasets") or [] if isinstance(d, dict)}

    def entry(item: dict[str, Any], value: Decimal | None, name: str) -> dict[str, Any]:
        dataset = datasets.get(item.get("dataset"), {})
        return {
            "key": item.get("key") or "",
            "value": value,
            "unit": item.get("unit") or "",
            "name": name,
            "dataset": item.get("dataset") or "",
            "gwp_basis": dataset.get("gwp_basis") or "",
            "source": item.get("source") or "",
        }

    factors = [
        entry(f, to_decimal(f.get("value")), " / ".join(n for n in (f.get("name_zh"), f.get("name_en")) if n))
        for f in document.get("factors") or []
        if isinstance(f, dict)
    ]
    series = (document.get("electricity") or {}).get("series")
    if isinstance(series, dict):
        factors.append(entry(series, None, series.get("name") or ""))
    return factors
