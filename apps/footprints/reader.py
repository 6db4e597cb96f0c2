"""Reading a stored FootprintResult: the one typed view of a snapshot for the pages, the PDF and the API.

`result_read(result=...)` turns the stored decimal strings into a `ResultView`: the totals per declared
unit as `Amount`s, the lines grouped by kind (materials, transport, stages, fuels, waste) with their
activity, factor, emission and share of E, the factors used (with dataset, citation and GWP basis, from
the summary of its canonical inputs stored with the snapshot), the primary-data share, the snapshot's
identity (digest, method and engine versions, when it was computed) and the plant totals of the period.

Nothing here rounds: every number keeps full engine precision; `Amount.display()` and
apps.footprints.display round for reading only. What the view needs from the canonical document is
stored with the snapshot when it is made (apps.footprints.summary), so a page showing a result never
decompresses a year of readings; a snapshot stored without it has it read once and cached by digest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.footprints.display import KG_CO2E, KWH, Amount, to_decimal
from apps.footprints.models import FootprintResult
from apps.footprints.summary import snapshot_summary_build, summary_is_current
from apps.inventory.enums import DataSource, DeclaredUnit, TransportMode

READER_VERSION = 1  # part of the cache keys: bump when the cached summary changes shape

# Kinds of breakdown lines, in the order of E = Em (materials, transport) + Ep (stages, fuels, waste).
MATERIAL, TRANSPORT, STAGE, FUEL, WASTE = "material", "transport", "stage", "fuel", "waste"
KINDS: tuple[str, ...] = (MATERIAL, TRANSPORT, STAGE, FUEL, WASTE)
GROUP_LABELS: dict[str, Promise] = {
    MATERIAL: _("Materials"),
    TRANSPORT: _("Transport"),
    STAGE: _("Electricity by stage"),
    FUEL: _("Fuel combustion"),
    WASTE: _("Waste treatment"),
}
# The total each group adds up to (FootprintResult.totals keys).
GROUP_TOTALS: dict[str, str] = {
    MATERIAL: "em_materials",
    TRANSPORT: "em_transport",
    STAGE: "edl",
    FUEL: "eb",
    WASTE: "ew",
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

_ZERO = Decimal(0)


@dataclass(frozen=True)
class TotalRow:
    key: str
    label: Promise
    level: int
    amount: Amount
    share: Decimal | None  # of E

    @property
    def value(self) -> Decimal:
        return self.amount.value


@dataclass(frozen=True)
class Totals:
    """kg CO2e per declared unit."""

    e: Amount
    em: Amount
    em_materials: Amount
    em_transport: Amount
    ep: Amount
    eb: Amount
    edl: Amount
    ew: Amount

    @property
    def rows(self) -> tuple[TotalRow, ...]:
        e = self.e.value
        return tuple(
            TotalRow(key, label, level, getattr(self, key), _share(getattr(self, key).value, e))
            for key, label, level in TOTAL_LINES
        )


@dataclass(frozen=True)
class ResultLine:
    """One contribution, per declared unit (a stage's, fuel's or waste's plant figures beside it)."""

    kind: str
    key: str  # "material/20", "material/20/transport/1", "stage/5", "fuel/1" (docs/study-format.md)
    label: str
    activity: Amount | None  # per declared unit for materials and transport; for the whole period otherwise
    factor_key: str  # DATASET@VERSION/CODE
    factor: Amount | None  # None for a factor series (see average_factor)
    average_factor: Amount | None  # a stage valued with a time series: the energy-weighted mean
    emission: Amount  # kg CO2e per declared unit
    share: Decimal | None  # of E
    data_source: str
    plant_emission: Amount | None  # kg CO2e of the plant in the period, before allocation (stages, fuels, waste)
    allocation_share: Decimal | None

    @property
    def factor_code(self) -> str:
        return factor_code(self.factor_key)

    @property
    def display_label(self) -> str:
        """The label in the active language: "20. 印制电路板 / printed circuit board" is "20. printed circuit
        board" on an English page, a transport leg's mode in words."""
        return localized_label(self.label)

    @property
    def data_source_label(self) -> Promise | str:
        try:
            return DataSource(self.data_source).label
        except ValueError:
            return self.data_source

    @property
    def is_primary(self) -> bool:
        return self.data_source in (DataSource.MEASURED_PRIMARY, DataSource.SUPPLIER_SPECIFIC)


@dataclass(frozen=True)
class LineGroup:
    kind: str
    label: Promise
    lines: tuple[ResultLine, ...]
    subtotal: Amount  # kg CO2e per declared unit
    share: Decimal | None  # of E


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
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def code(self) -> str:
        return factor_code(self.key)

    @property
    def amount(self) -> Amount | None:
        return None if self.value is None else Amount(self.value, self.unit)

    @property
    def is_series(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class PlantTotals:
    """The whole plant over the reporting period: not per declared unit."""

    declared_units: Decimal  # declared units made in the period (units produced / declared unit amount)
    electricity: Amount  # kWh metered on the study's stages, before allocation
    electricity_allocated: Amount  # kWh after each stage's allocation share
    emissions: Amount  # kg CO2e of the product over the period: E × declared units


@dataclass(frozen=True)
class ResultView:
    result_id: int
    study_id: int
    digest: str
    method_version: str
    engine_version: str
    computed_at: datetime
    declared_unit: str  # "piece"
    declared_unit_amount: Decimal
    units_produced: Decimal
    totals: Totals
    groups: tuple[LineGroup, ...]  # every kind, in E order, empty ones included
    factors: tuple[FactorUsed, ...]
    primary_data_share: Decimal
    plant: PlantTotals
    electricity_per_declared_unit: Amount  # kWh after allocation, per declared unit

    @property
    def lines(self) -> tuple[ResultLine, ...]:
        return tuple(line for group in self.groups for line in group.lines)

    @property
    def declared_unit_label(self) -> Promise | str:
        try:
            return DeclaredUnit(self.declared_unit).label
        except ValueError:
            return self.declared_unit

    def group(self, kind: str) -> LineGroup:
        return next(group for group in self.groups if group.kind == kind)


def localized_label(label: str) -> str:
    """A bilingual label "N. 中文 / English (mode)" (apps.footprints.document.to_engine) in the active language."""
    text, mode = label, ""
    if label.endswith(")") and " (" in label:
        head, _sep, tail = label.rpartition(" (")
        if tail[:-1] in TransportMode.values:
            text, mode = head, f" ({TransportMode(tail[:-1]).label})"
    number, dot, names = text.partition(". ")
    if not dot or not number.isdigit() or " / " not in names:
        return f"{text}{mode}"
    chinese, _sep, english = names.partition(" / ")
    name = chinese if (get_language() or "").startswith("zh") else english
    return f"{number}. {name}{mode}"


def factor_code(key: str) -> str:
    """A factor key is DATASET@VERSION/CODE (docs/study-format.md); the code is what a reader scans."""
    return key.rsplit("/", 1)[-1]


def result_read(*, result: FootprintResult) -> ResultView:
    """The typed view of a stored snapshot (its breakdown and totals must be loaded; the canonical inputs are
    read at most once per digest, then cached)."""
    summary = snapshot_summary(result=result)
    stored_totals: Mapping[str, Any] = result.totals or {}
    totals = Totals(**{key: Amount(_number(stored_totals.get(key)), KG_CO2E) for key, _label, _level in TOTAL_LINES})
    e = totals.e.value
    lines = [_line(row, e) for row in result.breakdown or [] if isinstance(row, dict)]
    groups = []
    for kind in KINDS:
        of_kind = tuple(line for line in lines if line.kind == kind)
        subtotal = sum((line.emission.value for line in of_kind), _ZERO)
        groups.append(
            LineGroup(
                kind=kind,
                label=GROUP_LABELS[kind],
                lines=of_kind,
                subtotal=Amount(subtotal, KG_CO2E),
                share=_share(subtotal, e),
            )
        )
    others = tuple(line for line in lines if line.kind not in KINDS)  # a kind a later method adds
    if others:
        subtotal = sum((line.emission.value for line in others), _ZERO)
        groups.append(LineGroup("other", _("Other"), others, Amount(subtotal, KG_CO2E), _share(subtotal, e)))

    study = summary.get("study") or _study_facts(result)
    declared_amount = _number(study.get("declared_unit_amount"), Decimal(1))
    units_produced = _number(study.get("units_produced"))
    declared_units = units_produced / declared_amount if declared_amount else units_produced
    stage_lines = [line for line in lines if line.kind == STAGE]
    kwh = sum((line.activity.value for line in stage_lines if line.activity is not None), _ZERO)
    allocated = sum(
        (
            line.activity.value * (line.allocation_share if line.allocation_share is not None else 1)
            for line in stage_lines
            if line.activity is not None
        ),
        _ZERO,
    )
    per_unit = allocated / declared_units if declared_units else _ZERO
    return ResultView(
        result_id=result.pk,
        study_id=result.study_id,
        digest=result.digest,
        method_version=result.method_version,
        engine_version=result.engine_version,
        computed_at=result.created_at,
        declared_unit=study.get("declared_unit") or "piece",
        declared_unit_amount=declared_amount,
        units_produced=units_produced,
        totals=totals,
        groups=tuple(groups),
        factors=_factors_used(result, summary),
        primary_data_share=_number(result.primary_data_share),
        plant=PlantTotals(
            declared_units=declared_units,
            electricity=Amount(kwh, KWH),
            electricity_allocated=Amount(allocated, KWH),
            emissions=Amount(e * declared_units, KG_CO2E),
        ),
        electricity_per_declared_unit=Amount(per_unit, KWH),
    )


def snapshot_summary(*, result: FootprintResult) -> dict[str, Any]:
    """What the view needs from the snapshot's canonical inputs (the study facts and the factor list): the summary
    stored with the snapshot (apps.footprints.summary). A snapshot stored without one (or with one of an older
    shape) has it read from its document once per digest and cached for good: a snapshot never changes."""
    stored = result.summary
    if summary_is_current(stored):
        return stored
    key = f"footprints:snapshot-summary:{READER_VERSION}:{result.digest}"
    summary: Any = cache.get_or_set(key, lambda: _summarize(result), None)
    return summary if isinstance(summary, dict) else _summarize(result)


def snapshot_inputs_document(*, result: FootprintResult) -> Mapping[str, Any]:
    """The per-line inputs of a snapshot in the canonical document's shape, each run's energies replaced by their
    count (`readings`): from the stored summary, else from the document itself (which has the energies)."""
    stored = result.summary
    if summary_is_current(stored):
        inputs: Mapping[str, Any] = stored.get("inputs") or {}
        return inputs
    return result.canonical_inputs


def _summarize(result: FootprintResult) -> dict[str, Any]:
    try:
        document = result.canonical_inputs
    except (OSError, ValueError, EOFError):
        return {"factors": [], "study": None}
    return snapshot_summary_build(document)


def _study_facts(result: FootprintResult) -> dict[str, Any]:
    """For a snapshot whose document lacks its study section: the study row as it is now."""
    study = result.study
    return {
        "declared_unit": study.declared_unit,
        "declared_unit_amount": str(study.declared_unit_amount),
        "units_produced": str(study.units_produced),
    }


def _factors_used(result: FootprintResult, summary: Mapping[str, Any]) -> tuple[FactorUsed, ...]:
    """Every factor and series the snapshot's inputs hold, with how many lines each valued; a snapshot whose
    document lists none falls back to the breakdown's factor keys."""
    lines = Counter(row.get("factor_key") or "" for row in result.breakdown or [] if isinstance(row, dict))
    stored = summary.get("factors") or []
    if stored:
        return tuple(
            FactorUsed(
                key=f["key"],
                value=to_decimal(f["value"]),
                unit=f["unit"],
                lines=lines[f["key"]],
                name=f["name"],
                dataset=f["dataset"],
                gwp_basis=f["gwp_basis"],
                source=f["source"],
                low=to_decimal(f.get("low")),
                high=to_decimal(f.get("high")),
            )
            for f in stored
        )
    first_rows: dict[str, dict[str, Any]] = {}
    for row in result.breakdown or []:
        if isinstance(row, dict) and row.get("factor_key"):
            first_rows.setdefault(row["factor_key"], row)
    return tuple(
        FactorUsed(
            key=key,
            value=to_decimal(row.get("factor_value")),
            unit=row.get("factor_unit") or "",
            lines=lines[key],
            dataset=key.rsplit("/", 1)[0] if "/" in key else "",
        )
        for key, row in first_rows.items()
    )


def _line(row: Mapping[str, Any], e: Decimal) -> ResultLine:
    emission = _number(row.get("emission"))
    activity = to_decimal(row.get("activity"))
    factor_value = to_decimal(row.get("factor_value"))
    average = to_decimal(row.get("average_factor"))
    plant = to_decimal(row.get("plant_emission"))
    factor_unit = row.get("factor_unit") or ""
    return ResultLine(
        kind=row.get("kind") or "",
        key=row.get("key") or "",
        label=row.get("label") or row.get("key") or "",
        activity=None if activity is None else Amount(activity, row.get("activity_unit") or ""),
        factor_key=row.get("factor_key") or "",
        factor=None if factor_value is None else Amount(factor_value, factor_unit),
        average_factor=None if average is None or factor_value is not None else Amount(average, factor_unit),
        emission=Amount(emission, KG_CO2E),
        share=_share(emission, e),
        data_source=row.get("data_source") or "",
        plant_emission=None if plant is None else Amount(plant, KG_CO2E),
        allocation_share=to_decimal(row.get("allocation_share")),
    )


def _number(value: Any, default: Decimal = _ZERO) -> Decimal:
    number = to_decimal(value)
    return default if number is None else number


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None


# --- charts ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultCharts:
    """Inline SVG (charts.py): the largest contributors, Em against Ep, and the stages."""

    contributors: str
    split: str
    stages: str


def result_charts(*, view: ResultView) -> ResultCharts:
    """The snapshot's charts in the active language, cached by digest and language (snapshots never change)."""
    key = f"footprints:snapshot-charts:{READER_VERSION}:{view.digest}:{view.method_version}:{get_language()}"
    charts: Any = cache.get_or_set(key, lambda: _draw_charts(view), None)
    return charts if isinstance(charts, ResultCharts) else _draw_charts(view)


def _draw_charts(view: ResultView) -> ResultCharts:
    from django.utils.translation import gettext

    from apps.footprints.charts import ChartItem, column_svg, contributors_bar_svg, split_svg

    unit = KG_CO2E
    contributors = [ChartItem(label=line.display_label, value=line.emission.value) for line in view.lines]
    split = [
        ChartItem(label=gettext("Em: raw-material acquisition"), value=view.totals.em.value),
        ChartItem(label=gettext("Ep: manufacturing"), value=view.totals.ep.value),
    ]
    stages = [ChartItem(label=line.display_label, value=line.emission.value) for line in view.group(STAGE).lines]
    return ResultCharts(
        contributors=contributors_bar_svg(contributors, unit=unit, title=gettext("Largest contributors"), limit=10),
        split=split_svg(split, unit=unit, title=gettext("Em against Ep")),
        stages=column_svg(stages, unit=unit, title=gettext("Electricity by stage")),
    )
