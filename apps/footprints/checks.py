"""Completeness and plausibility of a study before it is computed.

`study_checks` lists what stops a computation (blocking) and what looks odd (warnings), each naming
the page the problem is fixed on (`section`) and the HTML id of the field there (`anchor`), plus the
share of required inputs present. `study_checks_many` does the same for a dashboard in a bounded
number of queries, whatever the number of studies.

Blocking (the engine would refuse the study, or the result would silently miss inputs):

- a catalogue material with no bill-of-materials line (enter 0 when the product does not use it);
- a line whose factor cannot be resolved (its own factor, else the supplier's own factor for the
  material, else the library default: the precedence of apps.factors.selectors.factors_for_materials);
- a unit that its factor cannot value (a per-kg factor on a piece or litre line without the mass of
  one unit; a fuel in litres with a per-kg factor), decided with apps.engine.units as the engine does;
- a stage of the study with no electricity for part of the reporting period;
- no electricity factor or series on the study.

Warnings: a factor outside its library range (low/high), a loss rate above 10 %, and electricity
per declared unit more than 30 % away from the same product's latest earlier study with a result.

Anchors, by section:

| section | anchor |
| --- | --- |
| bom | a field of the grid's row: ``material-<no>-quantity`` (a material without a line), ``line-<id>-<field>`` |
|  | (``quantity``, ``factor``, ``unit_mass_kg``, ``loss_rate``) and ``line-<id>-legs`` (its transport legs) |
| stages | ``stage-<no>-electricity`` (the stage's electricity cell, catalogue stage number) |
| entries | ``fuel-<id>``, ``waste-<id>`` |
| study | ``id_electricity_factor`` (the study settings form) |
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest, Least
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.accounts.models import Organization
from apps.catalog.models import Material, ProcessStage
from apps.engine import units
from apps.factors.models import EmissionFactor
from apps.footprints.display import significant
from apps.footprints.document.canonical import period_bounds
from apps.footprints.marks import study_input_marks
from apps.footprints.models import FootprintResult
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.models import (
    MILLIWATT_HOURS_PER_KWH,
    ElectricityReading,
    FuelEntry,
    MeteringPoint,
    ReadingBatch,
    WasteEntry,
)
from apps.ledger.selectors import stage_coverage_for_study

BLOCKING = "blocking"
WARNING = "warning"

LOSS_RATE_WARNING = Decimal("0.10")
ELECTRICITY_DEVIATION_WARNING = Decimal("0.30")
# A reading lasts at most a month: one that starts this long before the period cannot reach into it,
# so the scan of the (metering_point, start) index starts there instead of at the point's first reading.
LONGEST_READING = timedelta(days=32)
_COVERAGE_CACHE_SECONDS = 24 * 3600
_CHECKS_CACHE_SECONDS = 24 * 3600
CHECKS_VERSION = 1  # part of the cache key: bump when StudyChecks or a check changes


@dataclass(frozen=True)
class Problem:
    code: str  # stable: "material_missing_quantity", "stage_electricity_gap", ...
    severity: str  # "blocking" | "warning"
    message: str  # in the language active when the checks ran
    section: str  # "bom" | "stages" | "entries" | "study": the page the problem is fixed on
    anchor: str  # the HTML id of the field on that page

    @property
    def is_blocking(self) -> bool:
        return self.severity == BLOCKING


@dataclass(frozen=True)
class StudyChecks:
    problems: tuple[Problem, ...]
    completeness: Decimal  # 0..1: the share of required inputs present

    @property
    def blocking(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == BLOCKING)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == WARNING)

    @property
    def can_compute(self) -> bool:
        return not self.blocking


def study_checks(*, study: Study) -> StudyChecks:
    """The checks of one study, its stage coverage exactly as the stages page shows it."""
    return _checks_cached([study], exact=True)[study.pk]


def study_checks_many(*, studies: Sequence[Study], marks: Mapping[int, str] | None = None) -> dict[int, StudyChecks]:
    """The checks of each study, by study id (about a dozen queries, however many studies). `marks`: the
    studies' input marks when the caller has read them already (apps.footprints.marks)."""
    return _checks_cached(list(studies), exact=False, marks=marks)


def _checks_cached(
    studies: list[Study], *, exact: bool, marks: Mapping[int, str] | None = None
) -> dict[int, StudyChecks]:
    """Checks are cached under the study's input mark (apps.footprints.marks): an edit changes the mark, so
    the next request checks again; until then every page and worker reads the same answer."""
    if not studies:
        return {}
    if marks is None or any(s.pk not in marks for s in studies):
        marks = study_input_marks(studies=studies)
    language = get_language() or ""
    keys = {s.pk: f"footprints:checks:{CHECKS_VERSION}:{int(exact)}:{s.pk}:{marks[s.pk]}:{language}" for s in studies}
    found = cache.get_many(list(keys.values()))
    checks = {pk: found[key] for pk, key in keys.items() if isinstance(found.get(key), StudyChecks)}
    missing = [s for s in studies if s.pk not in checks]
    if missing:
        data = _Data.load(missing, exact=exact)
        fresh = {study.pk: data.check(study) for study in missing}
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, _CHECKS_CACHE_SECONDS)
        checks.update(fresh)
    return checks


# --- reading everything at once ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coverage:
    covered_seconds: int  # of the study's reporting period
    period_seconds: int
    kwh: Decimal  # all of the stage's metering points over the period

    @property
    def complete(self) -> bool:
        return self.covered_seconds >= self.period_seconds


@dataclass
class _Data:
    materials: list[Material]
    stages_by_id: dict[int, ProcessStage]
    lines: dict[int, list[BomLine]] = field(default_factory=dict)
    legs: dict[int, list[TransportLeg]] = field(default_factory=dict)
    candidates: list[EmissionFactor] = field(default_factory=list)
    study_stages: dict[int, list[StudyStage]] = field(default_factory=dict)
    coverage: dict[tuple[int, int], _Coverage] = field(default_factory=dict)  # (study id, stage id)
    electricity_factors: dict[int, EmissionFactor] = field(default_factory=dict)
    fuels: dict[int, list[FuelEntry]] = field(default_factory=dict)
    wastes: dict[int, list[WasteEntry]] = field(default_factory=dict)
    previous_kwh_per_unit: dict[int, Decimal] = field(default_factory=dict)  # study id -> previous study's value
    previous_names: dict[int, str] = field(default_factory=dict)

    def check(self, study: Study) -> StudyChecks:
        return _check(study, self)

    @classmethod
    def load(cls, studies: list[Study], *, exact: bool) -> _Data:
        ids = [s.pk for s in studies]
        data = cls(materials=list(Material.objects.order_by("no")), stages_by_id={})
        for line in (
            BomLine.objects.filter(study_id__in=ids).select_related("material", "factor").order_by("material__no", "id")
        ):
            data.lines.setdefault(line.study_id, []).append(line)
        for leg in TransportLeg.objects.filter(bom_line__study_id__in=ids).select_related("factor").order_by("id"):
            data.legs.setdefault(leg.bom_line_id, []).append(leg)
        data.candidates = _factor_candidates(studies, data)
        for stage in StudyStage.objects.filter(study_id__in=ids).select_related("stage").order_by("stage__no"):
            data.study_stages.setdefault(stage.study_id, []).append(stage)
            data.stages_by_id[stage.stage_id] = stage.stage
        electricity_ids = {s.electricity_factor_id for s in studies if s.electricity_factor_id}
        data.electricity_factors = EmissionFactor.objects.in_bulk(electricity_ids) if electricity_ids else {}
        for fuel in FuelEntry.objects.filter(study_id__in=ids).select_related("factor").order_by("id"):
            data.fuels.setdefault(fuel.study_id, []).append(fuel)
        for waste in WasteEntry.objects.filter(study_id__in=ids).select_related("factor").order_by("id"):
            data.wastes.setdefault(waste.study_id, []).append(waste)
        organizations = {s.organization_id: s.organization for s in studies if Study.organization.is_cached(s)}
        if missing := {s.organization_id for s in studies} - organizations.keys():
            organizations.update(Organization.objects.in_bulk(missing))
        data.coverage = _stage_coverage(studies, data.study_stages, organizations, exact=exact)
        _previous_electricity(studies, data)
        return data


def _factor_candidates(studies: list[Study], data: _Data) -> list[EmissionFactor]:
    """Every factor that may value a material of these studies: the studies' library datasets' and the
    organizations' own (the candidates of factors_for_materials, for all studies in one query)."""
    material_ids = {m.pk for m in data.materials}
    datasets = {s.factor_dataset_id for s in studies}
    organizations = {s.organization_id for s in studies}
    return list(
        EmissionFactor.objects.filter(material_id__in=material_ids)
        .filter(Q(dataset_id__in=datasets) | Q(dataset__organization_id__in=organizations))
        .select_related("dataset")
        .order_by("-dataset_id", "code")
    )


def _resolution(study: Study, candidates: Iterable[EmissionFactor]) -> tuple[dict[int, EmissionFactor], dict]:
    """(resolved factor by material id, library factor by material id) for one study.

    The same precedence as apps.factors.selectors.factors_for_materials: the organization's own factor
    (newest dataset, then lowest code) before the study's library dataset's; the study's dataset counts
    as the library even when the organization owns it.
    """
    own: dict[int, EmissionFactor] = {}
    library: dict[int, EmissionFactor] = {}
    for factor in candidates:
        if factor.dataset_id == study.factor_dataset_id:
            library.setdefault(factor.material_id, factor)  # type: ignore[arg-type]
        elif factor.dataset.organization_id == study.organization_id:
            own.setdefault(factor.material_id, factor)  # type: ignore[arg-type]
    return {m: own.get(m) or library[m] for m in own.keys() | library.keys()}, library


def _batch_markers(organization_ids: set[int]) -> dict[int, str]:
    """Changes whenever readings of the organization are added (every insertion is a new batch) or a batch
    is deleted: the part of the coverage cache key that keeps it current."""
    rows = (
        ReadingBatch.objects.filter(organization_id__in=organization_ids)
        .order_by()
        .values("organization_id")
        .annotate(last=Max("id"), n=Count("id"))
    )
    markers = {row["organization_id"]: f"{row['last']}.{row['n']}" for row in rows}
    return {org: markers.get(org, "0.0") for org in organization_ids}


def _stage_coverage(
    studies: list[Study],
    study_stages: dict[int, list[StudyStage]],
    organizations: dict[int, Organization],
    *,
    exact: bool,
) -> dict[tuple[int, int], _Coverage]:
    """Per (study, stage id): how much of the study's period the stage's metering points cover, and their energy.

    The metering points at the study's site on the stage's catalogue stage count. One study (the overview
    page, the compute button): apps.ledger.selectors.stage_coverage_for_study, the coverage the stages page
    shows (time covered by at least one point, gaps between readings included). Several studies (a
    dashboard): one aggregate query for all of them, each point's readings clipped to the period and the
    points' covered times added up, which is the same whenever a stage's points do not report the same
    time twice (one meter, a replaced meter, manual values for the months a meter missed).

    Both are cached; the key changes with the period, the organization's reading batches (every insertion
    is a new batch) and the site's metering points, their `updated_at` included: a service that deletes
    readings without inserting new ones must touch the point (apps.ledger.manual clearing a manual value).
    """
    periods: dict[int, tuple[datetime, datetime]] = {}
    for study in studies:
        periods[study.pk] = period_bounds(
            study.period_start, study.period_end, organizations[study.organization_id].timezone
        )
    wanted_stages = {stage.stage_id for stages in study_stages.values() for stage in stages}
    if not wanted_stages:
        return {}
    points_by_site_stage: dict[tuple[int, int], list[int]] = defaultdict(list)
    signature: dict[int, list[str]] = defaultdict(list)  # site id -> its points, for the cache key
    point_versions: dict[int, str] = {}
    for point_id, site_id, stage_id, is_manual, updated_at in (
        MeteringPoint.objects.filter(
            organization_id__in={s.organization_id for s in studies}, site_id__in={s.site_id for s in studies}
        )
        .order_by("id")
        .values_list("id", "site_id", "stage_id", "is_manual", "updated_at")
    ):
        points_by_site_stage[(site_id, stage_id)].append(point_id)
        point_versions[point_id] = f"{updated_at.timestamp():.6f}"
        signature[site_id].append(f"{point_id}-{stage_id}-{int(is_manual)}-{point_versions[point_id]}")
    markers = _batch_markers({s.organization_id for s in studies})

    def seconds(moment: datetime) -> str:
        return f"{moment.timestamp():.0f}"

    if exact:
        return _exact_coverage(studies, study_stages, periods, markers, signature)

    keys: dict[tuple[int, datetime, datetime], str] = {}  # (point, start, end) -> cache key
    for study in studies:
        start, end = periods[study.pk]
        for stage in study_stages.get(study.pk, []):
            for point_id in points_by_site_stage.get((study.site_id, stage.stage_id), []):
                marker = markers[study.organization_id]
                keys[(point_id, start, end)] = (
                    f"footprints:point-coverage:{point_id}:{seconds(start)}:{seconds(end)}:{marker}:"
                    f"{point_versions[point_id]}"
                )
    cached = cache.get_many(list(keys.values())) if keys else {}
    sums: dict[tuple[int, datetime, datetime], tuple[int, int]] = {}
    missing = []
    for wanted, key in keys.items():
        if key in cached:
            sums[wanted] = cached[key]
        else:
            missing.append(wanted)
    if missing:
        fresh = _point_sums(missing)
        sums.update(fresh)
        cache.set_many({keys[w]: value for w, value in fresh.items()}, _COVERAGE_CACHE_SECONDS)

    coverage: dict[tuple[int, int], _Coverage] = {}
    for study in studies:
        start, end = periods[study.pk]
        period_seconds = int((end - start).total_seconds())
        for stage in study_stages.get(study.pk, []):
            points = [sums[(p, start, end)] for p in points_by_site_stage.get((study.site_id, stage.stage_id), [])]
            coverage[(study.pk, stage.stage_id)] = _Coverage(
                covered_seconds=min(sum(p[0] for p in points), period_seconds),
                period_seconds=period_seconds,
                kwh=Decimal(sum(p[1] for p in points)) / MILLIWATT_HOURS_PER_KWH,
            )
    return coverage


def _exact_coverage(
    studies: list[Study],
    study_stages: dict[int, list[StudyStage]],
    periods: dict[int, tuple[datetime, datetime]],
    markers: dict[int, str],
    signature: dict[int, list[str]],
) -> dict[tuple[int, int], _Coverage]:
    coverage: dict[tuple[int, int], _Coverage] = {}
    for study in studies:
        start, end = periods[study.pk]
        points = hashlib.sha256(",".join(signature.get(study.site_id, [])).encode()).hexdigest()[:16]
        key = (
            f"footprints:stage-coverage:{study.pk}:{start.timestamp():.0f}:{end.timestamp():.0f}:"
            f"{study.site_id}:{points}:{markers[study.organization_id]}"
        )
        stages: dict[int, tuple[int, int, Decimal]] | None = cache.get(key)
        if stages is None:
            found = stage_coverage_for_study(study=study)
            stages = {pk: (c.covered_seconds, c.period_seconds, c.kwh) for pk, c in found.items()}
            cache.set(key, stages, _COVERAGE_CACHE_SECONDS)
        for stage in study_stages.get(study.pk, []):
            covered, period_seconds, kwh = stages.get(
                stage.stage_id, (0, int((end - start).total_seconds()), Decimal(0))
            )
            coverage[(study.pk, stage.stage_id)] = _Coverage(
                covered_seconds=covered, period_seconds=period_seconds, kwh=kwh
            )
    return coverage


def _point_sums(wanted: list[tuple[int, datetime, datetime]]) -> dict[tuple[int, datetime, datetime], tuple[int, int]]:
    """(covered seconds, mWh) of each point over each period, in one aggregate query.

    One conditional sum per distinct period, grouped by point. Covered time is each reading clipped to the
    period; the energy is that of the readings overlapping the period (whole readings: plausibility only).
    """
    by_period: dict[tuple[datetime, datetime], set[int]] = defaultdict(set)
    for point_id, start, end in wanted:
        by_period[(start, end)].add(point_id)
    periods = list(by_period)
    condition = Q()
    annotations: dict[str, Any] = {}
    for index, (start, end) in enumerate(periods):
        in_period = Q(
            metering_point_id__in=by_period[(start, end)],
            start__gte=start - LONGEST_READING,
            start__lt=end,
            end__gt=start,
        )
        condition |= in_period
        clipped = ExpressionWrapper(
            Least(F("end"), Value(end, output_field=DateTimeField()))
            - Greatest(F("start"), Value(start, output_field=DateTimeField())),
            output_field=DurationField(),
        )
        annotations[f"covered_{index}"] = Sum(
            Case(When(in_period, then=clipped), default=Value(timedelta(0)), output_field=DurationField())
        )
        annotations[f"mwh_{index}"] = Sum(
            Case(When(in_period, then=F("milliwatt_hours")), default=Value(0), output_field=IntegerField())
        )
    rows = ElectricityReading.objects.filter(condition).order_by().values("metering_point_id").annotate(**annotations)
    found = {row["metering_point_id"]: row for row in rows}
    sums: dict[tuple[int, datetime, datetime], tuple[int, int]] = {}
    for point_id, start, end in wanted:
        index = periods.index((start, end))
        row = found.get(point_id) or {}
        covered: timedelta | None = row.get(f"covered_{index}")
        seconds = int(covered.total_seconds()) if covered else 0
        sums[(point_id, start, end)] = (seconds, int(row.get(f"mwh_{index}") or 0))
    return sums


def _units_per_declared_unit(units_produced: Decimal, declared_unit_amount: Decimal) -> Decimal:
    return units_produced / declared_unit_amount if declared_unit_amount else units_produced


def _previous_electricity(studies: list[Study], data: _Data) -> None:
    """The allocated electricity per declared unit of each study's previous period: the same product's latest
    earlier study (by period) that has a result, read from that result's stage lines (newest result)."""
    products = {s.product_id for s in studies}
    rows = list(
        FootprintResult.objects.filter(study__product_id__in=products)
        .order_by("-study__period_start", "-created_at", "-id")
        .values(
            "id",
            "study_id",
            "study__name",
            "study__product_id",
            "study__organization_id",
            "study__period_start",
            "study__units_produced",
            "study__declared_unit_amount",
        )
    )
    chosen: dict[int, dict[str, Any]] = {}
    for study in studies:
        for row in rows:  # newest period first
            if (
                row["study__product_id"] == study.product_id
                and row["study__organization_id"] == study.organization_id
                and row["study_id"] != study.pk
                and row["study__period_start"] < study.period_start
            ):
                chosen[study.pk] = row
                break
    if not chosen:
        return
    breakdowns = dict(
        FootprintResult.objects.filter(id__in={row["id"] for row in chosen.values()}).values_list("id", "breakdown")
    )
    for study_id, row in chosen.items():
        kwh = Decimal(0)
        for line in breakdowns.get(row["id"]) or []:
            if line.get("kind") != "stage":
                continue
            try:
                kwh += Decimal(str(line.get("activity") or 0)) * Decimal(str(line.get("allocation_share") or 1))
            except ArithmeticError:
                continue
        per_unit = _units_per_declared_unit(row["study__units_produced"], row["study__declared_unit_amount"])
        if per_unit > 0:
            data.previous_kwh_per_unit[study_id] = kwh / per_unit
            data.previous_names[study_id] = row["study__name"]


# --- the checks -------------------------------------------------------------------------------------------------


def _name(name_zh: str, name_en: str) -> str:
    """The catalogue name in the active language."""
    return name_zh if (get_language() or "").startswith("zh") and name_zh else name_en


def _material_label(material: Material) -> str:
    return f"{material.no}. {_name(material.name_zh, material.name_en)}"


def _stage_label(stage: ProcessStage) -> str:
    return f"{stage.no}. {_name(stage.name_zh, stage.name_en)}"


def _valuable(unit: str, factor_unit: str, unit_mass_kg: Decimal | None) -> bool:
    """Whether a factor can value a line in `unit` (the engine's material_valuation)."""
    if units.valuation_factor(unit, factor_unit) is not None:
        return True
    return unit_mass_kg is not None and units.valuation_factor("kg", factor_unit) is not None


def _out_of_range(
    factor: EmissionFactor, reference: EmissionFactor | None
) -> tuple[Decimal, Decimal | None, Decimal | None] | None:
    """(value, low, high) when the factor's value lies outside the range of its reference (the library
    factor for the material, else the factor's own range), compared in the reference's unit."""
    ref = reference or factor
    if ref.low is None and ref.high is None:
        return None
    conversion = units.conversion_factor(factor.unit, ref.unit) if factor.unit != ref.unit else Decimal(1)
    if conversion is None:
        return None
    value = factor.value * conversion
    if (ref.low is not None and value < ref.low) or (ref.high is not None and value > ref.high):
        return factor.value, ref.low, ref.high
    return None


def _range_text(bounds: tuple[Decimal | None, Decimal | None]) -> str:
    low, high = bounds
    return f"{'…' if low is None else _plain(low)} – {'…' if high is None else _plain(high)}"


Add = Callable[[str, str, str, str, str], None]


def _line_problems(
    line: BomLine,
    label: str,
    unit: str,
    factor: EmissionFactor | None,
    library_factor: EmissionFactor | None,
    data: _Data,
    add: Add,
) -> bool:
    """The problems of one bill-of-materials line and its transport legs; True if its factor can value it.
    Each links to the field of the line's grid row that fixes it (the inputs' ids are ``line-<id>-<field>``)."""
    row = f"line-{line.pk}"
    anchor = f"{row}-factor"
    ok = True
    if factor is None:
        ok = False
        add(
            "material_missing_factor",
            BLOCKING,
            _("%(material)s: no emission factor. Choose one, or add your own.") % {"material": label},
            "bom",
            anchor,
        )
    elif not _valuable(unit, factor.unit, line.unit_mass_kg):
        ok = False
        needs_mass = units.valuation_factor("kg", factor.unit) is not None and units.is_known(unit)
        message = (
            _("%(material)s: the factor is given per kg but the line is in %(unit)s. Enter the mass of one %(unit)s.")
            if needs_mass
            else _("%(material)s: a factor in %(factor_unit)s cannot value a quantity in %(unit)s.")
        )
        add(
            "unit_mismatch",
            BLOCKING,
            message % {"material": label, "unit": unit, "factor_unit": factor.unit},
            "bom",
            f"{row}-unit_mass_kg" if needs_mass else anchor,
        )
    elif (found := _out_of_range(factor, library_factor)) is not None:
        add(
            "factor_out_of_range",
            WARNING,
            _("%(material)s: the factor %(value)s %(unit)s lies outside the library range %(range)s.")
            % {"material": label, "value": _plain(found[0]), "unit": factor.unit, "range": _range_text(found[1:])},
            "bom",
            anchor,
        )
    if line.loss_rate > LOSS_RATE_WARNING:
        add(
            "loss_rate_high",
            WARNING,
            _("%(material)s: a loss rate of %(rate)s %% is above 10 %%. Check that it is entered as a percentage.")
            % {"material": label, "rate": _plain(line.loss_rate * 100)},
            "bom",
            f"{row}-loss_rate",
        )
    for leg in data.legs.get(line.pk, []):
        if units.valuation_factor("kg", "km", leg.factor.unit) is None:
            add(
                "unit_mismatch",
                BLOCKING,
                _("%(material)s, transport: a factor in %(factor_unit)s cannot value tonne-kilometres.")
                % {"material": label, "factor_unit": leg.factor.unit},
                "bom",
                f"{row}-legs",
            )
        elif (found := _out_of_range(leg.factor, None)) is not None:
            add(
                "factor_out_of_range",
                WARNING,
                _("%(material)s, transport: the factor %(value)s %(unit)s lies outside its range %(range)s.")
                % {
                    "material": label,
                    "value": _plain(found[0]),
                    "unit": leg.factor.unit,
                    "range": _range_text(found[1:]),
                },
                "bom",
                f"{row}-legs",
            )
    return ok


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _check(study: Study, data: _Data) -> StudyChecks:
    problems: list[Problem] = []
    required = Decimal(0)
    present = Decimal(0)

    def add(code: str, severity: str, message: str, section: str, anchor: str) -> None:
        problems.append(Problem(code=code, severity=severity, message=message, section=section, anchor=anchor))

    # Bill of materials
    lines = data.lines.get(study.pk, [])
    resolved, library = _resolution(study, data.candidates)
    lines_by_material: dict[int | None, list[BomLine]] = defaultdict(list)
    for line in lines:
        lines_by_material[line.material_id].append(line)
    for material in data.materials:
        required += 2  # a quantity and a factor
        label = _material_label(material)
        material_lines = lines_by_material.get(material.pk, [])
        if not material_lines:
            add(
                "material_missing_quantity",
                BLOCKING,
                _("%(material)s: no quantity entered. Enter 0 if the product does not use it.") % {"material": label},
                "bom",
                f"material-{material.no}-quantity",
            )
            continue
        present += 1
        factors_ok = True
        for line in material_lines:
            factor = line.factor or resolved.get(material.pk)
            ok = _line_problems(line, label, material.activity_unit, factor, library.get(material.pk), data, add)
            factors_ok = factors_ok and ok
        if factors_ok:
            present += 1
    for line in lines_by_material.get(None, []):  # lines beyond the catalogue
        required += 1
        if _line_problems(line, line.name, line.activity_unit, line.factor, None, data, add):
            present += 1

    # Electricity factor
    required += 1
    static = data.electricity_factors.get(study.electricity_factor_id) if study.electricity_factor_id else None
    if static is None and study.electricity_series_id is None:
        add(
            "electricity_factor_missing",
            BLOCKING,
            _("The study has no electricity factor: choose a grid factor or a factor series."),
            "study",
            "id_electricity_factor",
        )
    elif static is not None and units.conversion_factor(static.unit, units.KGCO2E_PER_KWH) is None:
        add(
            "unit_mismatch",
            BLOCKING,
            _("The electricity factor is in %(factor_unit)s; it must be per kWh.") % {"factor_unit": static.unit},
            "study",
            "id_electricity_factor",
        )
    else:
        present += 1
        if static is not None and (found := _out_of_range(static, None)) is not None:
            add(
                "factor_out_of_range",
                WARNING,
                _("The electricity factor %(value)s %(unit)s lies outside its range %(range)s.")
                % {"value": _plain(found[0]), "unit": static.unit, "range": _range_text(found[1:])},
                "study",
                "id_electricity_factor",
            )

    # Stages
    allocated_kwh = Decimal(0)
    largest: tuple[Decimal, int] | None = None  # (allocated kWh, stage no) of the largest consumer
    gaps = False
    for stage in data.study_stages.get(study.pk, []):
        required += 1
        coverage = data.coverage.get((study.pk, stage.stage_id))
        catalogue = data.stages_by_id[stage.stage_id]
        if coverage is None or coverage.period_seconds <= 0:
            continue
        share = Decimal(coverage.covered_seconds) / Decimal(coverage.period_seconds)
        present += share
        allocated_kwh += coverage.kwh * stage.allocation_share
        if largest is None or coverage.kwh * stage.allocation_share > largest[0]:
            largest = (coverage.kwh * stage.allocation_share, catalogue.no)
        if coverage.complete:
            continue
        gaps = True
        if coverage.covered_seconds == 0:
            message = _("%(stage)s: no electricity entered for the reporting period.") % {
                "stage": _stage_label(catalogue)
            }
        else:
            message = _("%(stage)s: electricity covers only %(share)s %% of the reporting period.") % {
                "stage": _stage_label(catalogue),
                "share": f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_DOWN):f}",  # never "100.0"
            }
        add("stage_electricity_gap", BLOCKING, message, "stages", f"stage-{catalogue.no}-electricity")

    previous = data.previous_kwh_per_unit.get(study.pk)
    per_unit = _units_per_declared_unit(study.units_produced, study.declared_unit_amount)
    if previous and allocated_kwh and per_unit > 0 and not gaps:  # a gap is the problem to fix first
        current = allocated_kwh / per_unit
        deviation = abs(current - previous) / previous
        if deviation > ELECTRICITY_DEVIATION_WARNING:
            add(
                "electricity_far_from_previous",
                WARNING,
                _(
                    "Electricity per declared unit is %(current)s kWh, %(deviation)s %% away from "
                    "%(previous)s kWh in the previous period (%(study)s)."
                )
                % {
                    "current": _short(current),
                    "previous": _short(previous),
                    "deviation": f"{(deviation * 100).quantize(Decimal('1'))}",
                    "study": data.previous_names.get(study.pk, ""),
                },
                "stages",
                f"stage-{largest[1]}-electricity" if largest else "",
            )

    # Fuels and waste
    for kind, entries in (("fuel", data.fuels.get(study.pk, [])), ("waste", data.wastes.get(study.pk, []))):
        for entry in entries:
            label = entry.description or entry.factor.name_en
            anchor = f"{kind}-{entry.pk}"
            if units.valuation_factor(entry.unit, entry.factor.unit) is None:
                add(
                    "unit_mismatch",
                    BLOCKING,
                    _("%(entry)s: a factor in %(factor_unit)s cannot value a quantity in %(unit)s.")
                    % {"entry": label, "factor_unit": entry.factor.unit, "unit": entry.unit},
                    "entries",
                    anchor,
                )
            elif (found := _out_of_range(entry.factor, None)) is not None:
                add(
                    "factor_out_of_range",
                    WARNING,
                    _("%(entry)s: the factor %(value)s %(unit)s lies outside its range %(range)s.")
                    % {
                        "entry": label,
                        "value": _plain(found[0]),
                        "unit": entry.factor.unit,
                        "range": _range_text(found[1:]),
                    },
                    "entries",
                    anchor,
                )

    completeness = (present / required).quantize(Decimal("0.0001")) if required else Decimal(1)
    blocking_first = sorted(problems, key=lambda p: p.severity != BLOCKING)
    return StudyChecks(problems=tuple(blocking_first), completeness=min(completeness, Decimal(1)))


def _short(value: Decimal) -> str:
    """Four significant digits for a message (display only)."""
    return significant(value)


__all__ = ["BLOCKING", "WARNING", "Problem", "StudyChecks", "study_checks", "study_checks_many"]
