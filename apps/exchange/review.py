"""Reading submitted versions for review: the buyer's inbox, the automatic flags of a version, and what changed
between two versions. Pure reads (selectors); nothing here writes.

Everything a version shows is read from its result snapshot (``submission.result``: the totals and breakdown it
stores, and the canonical study document it holds), never from the live study, which the supplier may go on
editing after a return. What the flags and the diff need from the canonical document is extracted once per
snapshot and cached by digest (`snapshot_inputs`): a snapshot never changes, and a page never decompresses a
year of readings twice.

Numbers stay exact Decimals here; rounding is for display only (templates, and the flags' messages, which are
text people read: four significant digits with their units).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Context, Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import Organization
from apps.exchange.enums import RelationshipStatus, SubmissionState
from apps.exchange.models import OPEN_SUBMISSION_STATES, Submission
from apps.footprints.display import display_unit, significant, to_decimal
from apps.footprints.document.to_engine import material_keys
from apps.footprints.models import FootprintResult
from apps.footprints.reader import ResultView, localized_label, result_read, snapshot_inputs_document
from apps.inventory.enums import TransportMode

REVIEW_VERSION = 1  # part of the cache key of the extracted inputs: bump when their shape changes

LOSS_RATE_LIMIT = Decimal("0.10")  # a loss rate above this on a material line is flagged
ELECTRICITY_CHANGE_LIMIT = Decimal("0.25")  # electricity per declared unit further than this from the last accepted

# Differences of stored decimals, exact: far more digits than any stored number holds.
_EXACT = Context(prec=200)
_ZERO = Decimal(0)
_MANUAL_SOURCE = "manual"


# --- the inbox ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    """A submitted version waiting for the buyer's review."""

    uuid: UUID
    supplier: str
    product: str  # the request's product label (description and model code)
    product_type: str
    period_start: date
    period_end: date
    version: int
    state: str
    submitted_at: datetime
    due_date: date

    @property
    def state_label(self) -> str:
        return str(SubmissionState(self.state).label)


def review_inbox(*, organization: Organization) -> list[InboxRow]:
    """The buyer's versions waiting (submitted or under review), from suppliers it still has an active
    relationship with: by the request's due date, then supplier. One query, however many rows."""
    rows = (
        Submission.objects.filter(
            request__organization=organization,
            request__relationship__status=RelationshipStatus.ACTIVE,
            state__in=OPEN_SUBMISSION_STATES,
        )
        .select_related("organization", "request")
        .only(
            "uuid",
            "version",
            "state",
            "created_at",
            "organization__name",
            "request__product_code",
            "request__product_description",
            "request__product_type",
            "request__period_start",
            "request__period_end",
            "request__due_date",
        )
        .order_by("request__due_date", "organization__name", "request__id", "version")
    )
    return [
        InboxRow(
            uuid=row.uuid,
            supplier=row.organization.name,
            product=row.request.product_label,
            product_type=row.request.product_type,
            period_start=row.request.period_start,
            period_end=row.request.period_end,
            version=row.version,
            state=row.state,
            submitted_at=row.created_at,
            due_date=row.request.due_date,
        )
        for row in rows
    ]


# --- what a snapshot's canonical document holds, per line ----------------------------------------------------------

# How a field is read: a number (with its unit), a share (shown as a percentage) or a text.
NUMBER, SHARE, TEXT = "number", "share", "text"

FIELD_LABELS: dict[str, Promise] = {
    "quantity": gettext_lazy("Quantity"),
    "loss_rate": gettext_lazy("Loss rate"),
    "factor": gettext_lazy("Factor"),
    "factor_value": gettext_lazy("Factor value"),
    "unit_mass_kg": gettext_lazy("Mass per unit"),
    "mode": gettext_lazy("Mode"),
    "distance_km": gettext_lazy("Distance"),
    "mass_kg": gettext_lazy("Transported mass"),
    "allocation_share": gettext_lazy("Allocation share"),
    "electricity": gettext_lazy("Electricity in the period"),
}


@dataclass(frozen=True)
class InputField:
    name: str
    value: Decimal | str | None
    unit: str = ""
    style: str = NUMBER

    @property
    def label(self) -> Promise | str:
        return FIELD_LABELS.get(self.name, self.name)


@dataclass(frozen=True)
class LineInputs:
    """One line of the snapshot's inputs: a material, a transport leg, a stage, a fuel or a waste."""

    kind: str  # "material", "transport", "stage", "fuel", "waste"
    key: str  # the breakdown key: "material/20", "material/20/transport/1", "stage/4", "fuel/1"
    label: str  # bilingual as the breakdown stores it (reader.localized_label shows it)
    fields: tuple[InputField, ...]
    loss_rate: Decimal | None = None  # materials
    readings: int = 0  # stages: runs of readings in the period, all channels
    metered_readings: int = 0  # stages: runs from a meter (not a manual-entry channel, not typed in)

    def value(self, name: str) -> Decimal | str | None:
        return next((f.value for f in self.fields if f.name == name), None)

    @property
    def display_label(self) -> str:
        return localized_label(self.label)


@dataclass(frozen=True)
class SnapshotInputs:
    lines: tuple[LineInputs, ...]

    def by_key(self) -> dict[str, LineInputs]:
        return {line.key: line for line in self.lines}


def snapshot_inputs(*, result: FootprintResult) -> SnapshotInputs:
    """The per-line inputs of a snapshot, from the summary stored with it (else its canonical document), once per
    digest, then cached."""
    key = f"exchange:review-inputs:{REVIEW_VERSION}:{result.digest}:{result.method_version}"
    found: Any = cache.get(key)
    if isinstance(found, SnapshotInputs):
        return found
    inputs = snapshot_inputs_from(document=snapshot_inputs_document(result=result), breakdown=result.breakdown or [])
    cache.set(key, inputs, None)
    return inputs


def snapshot_inputs_from(*, document: Mapping[str, Any], breakdown: Sequence[Mapping[str, Any]]) -> SnapshotInputs:
    """The per-line inputs of a canonical study document (docs/study-format.md). A stage's electricity is the
    energy the engine counted in the period: the activity of its line in the same snapshot's breakdown."""
    rows = {row.get("key"): row for row in breakdown if isinstance(row, Mapping)}
    factors = {f["key"]: f for f in document.get("factors") or [] if isinstance(f, Mapping) and "key" in f}

    def label(key: str, fallback: str) -> str:
        row = rows.get(key)
        return str(row.get("label") or fallback) if row is not None else fallback

    def factor_fields(factor_key: str | None) -> tuple[InputField, InputField]:
        factor = factors.get(factor_key or "") or {}
        code = factor.get("code") or (factor_key.rsplit("/", 1)[-1] if factor_key else None)
        return (
            InputField("factor", code, style=TEXT),
            InputField("factor_value", to_decimal(factor.get("value")), factor.get("unit") or ""),
        )

    lines: list[LineInputs] = []
    materials = [m for m in document.get("materials") or [] if isinstance(m, Mapping)]
    for key, material in zip(material_keys(materials), materials, strict=True):  # type: ignore[arg-type]
        no = material.get("material_no")
        names = " / ".join(n for n in (material.get("name_zh"), material.get("name_en")) if n)
        loss_rate = to_decimal(material.get("loss_rate"))
        lines.append(
            LineInputs(
                kind="material",
                key=key,
                label=label(key, f"{no}. {names}" if no is not None else names),
                fields=(
                    InputField("quantity", to_decimal(material.get("quantity")), material.get("unit") or ""),
                    InputField("loss_rate", loss_rate, style=SHARE),
                    *factor_fields(material.get("factor")),
                    InputField("unit_mass_kg", to_decimal(material.get("unit_mass_kg")), "kg"),
                ),
                loss_rate=loss_rate,
            )
        )
        for i, leg in enumerate(material.get("transport") or [], start=1):
            leg_key = f"{key}/transport/{i}"
            lines.append(
                LineInputs(
                    kind="transport",
                    key=leg_key,
                    label=label(leg_key, leg_key),
                    fields=(
                        InputField("mode", leg.get("mode"), style=TEXT),
                        InputField("distance_km", to_decimal(leg.get("distance_km")), "km"),
                        InputField("mass_kg", to_decimal(leg.get("mass_kg")), "kg"),
                        *factor_fields(leg.get("factor")),
                    ),
                )
            )
    for stage in document.get("stages") or []:
        key = f"stage/{stage.get('stage_no')}"
        row = rows.get(key) or {}
        readings = metered = 0
        for point in stage.get("metering_points") or []:
            for run in point.get("runs") or []:
                readings += 1
                if not point.get("is_manual") and run.get("source") != _MANUAL_SOURCE:
                    metered += 1
        names = " / ".join(n for n in (stage.get("name_zh"), stage.get("name_en")) if n)
        lines.append(
            LineInputs(
                kind="stage",
                key=key,
                label=label(key, f"{stage.get('stage_no')}. {names}"),
                fields=(
                    InputField("allocation_share", to_decimal(stage.get("allocation_share")), style=SHARE),
                    InputField("electricity", to_decimal(row.get("activity")), row.get("activity_unit") or "kWh"),
                ),
                readings=readings,
                metered_readings=metered,
            )
        )
    for kind, entries in (("fuel", document.get("fuels") or []), ("waste", document.get("wastes") or [])):
        for i, entry in enumerate(entries, start=1):
            key = f"{kind}/{i}"
            lines.append(
                LineInputs(
                    kind=kind,
                    key=key,
                    label=label(key, entry.get("description") or entry.get("factor") or key),
                    fields=(
                        InputField("quantity", to_decimal(entry.get("quantity")), entry.get("unit") or ""),
                        InputField("allocation_share", to_decimal(entry.get("allocation_share")), style=SHARE),
                        *factor_fields(entry.get("factor")),
                    ),
                )
            )
    return SnapshotInputs(lines=tuple(lines))


# --- flags ---------------------------------------------------------------------------------------------------------


class FlagKind(StrEnum):
    FACTOR_OUT_OF_RANGE = "factor_out_of_range"
    LOSS_RATE_HIGH = "loss_rate_high"
    STAGE_NOT_METERED = "stage_not_metered"
    ELECTRICITY_CHANGED = "electricity_changed"


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at. ``line_key`` is the breakdown key ("" for the whole version)."""

    kind: str
    line_key: str
    message: str

    @property
    def anchor(self) -> str:
        return line_anchor(self.line_key) if self.line_key else ""


def line_anchor(key: str) -> str:
    """The HTML id of a line on the version's page: "material/20" -> "line-material-20"."""
    return "line-" + key.replace("/", "-")


def _sig(value: Decimal) -> str:
    return significant(value)


def _range_text(low: Decimal | None, high: Decimal | None) -> str:
    return f"{'…' if low is None else _sig(low)} – {'…' if high is None else _sig(high)}"


def factor_flags(*, view: ResultView) -> list[Flag]:
    """Every line valued with a factor whose value lies outside the range (low, high) the snapshot carries."""
    outside = {
        factor.key: factor
        for factor in view.factors
        if factor.value is not None
        and (
            (factor.low is not None and factor.value < factor.low)
            or (factor.high is not None and factor.value > factor.high)
        )
    }
    flags = []
    for line in view.lines:
        factor = outside.get(line.factor_key)
        if factor is None or factor.value is None:
            continue
        flags.append(
            Flag(
                FlagKind.FACTOR_OUT_OF_RANGE,
                line.key,
                _("%(line)s: the factor %(code)s is %(value)s %(unit)s, outside its range %(range)s.")
                % {
                    "line": line.display_label,
                    "code": factor.code,
                    "value": _sig(factor.value),
                    "unit": display_unit(factor.unit),
                    "range": _range_text(factor.low, factor.high),
                },
            )
        )
    return flags


def inputs_flags(*, inputs: SnapshotInputs) -> list[Flag]:
    """Loss rates above 10 % on material lines, and stages whose electricity no meter recorded."""
    flags = []
    for line in inputs.lines:
        if line.kind == "material" and line.loss_rate is not None and line.loss_rate > LOSS_RATE_LIMIT:
            flags.append(
                Flag(
                    FlagKind.LOSS_RATE_HIGH,
                    line.key,
                    _("%(line)s: a loss rate of %(rate)s %% is above 10 %%.")
                    % {"line": line.display_label, "rate": _sig(line.loss_rate * 100)},
                )
            )
    for line in inputs.lines:
        if line.kind != "stage" or line.metered_readings:
            continue
        kwh = line.value("electricity")
        if line.readings:
            message = _("%(stage)s: no metered data; its electricity (%(kwh)s kWh) was entered by hand.") % {
                "stage": line.display_label,
                "kwh": _sig(kwh) if isinstance(kwh, Decimal) else "—",
            }
        else:
            message = _("%(stage)s: no metered data; the stage has no readings in the reporting period.") % {
                "stage": line.display_label
            }
        flags.append(Flag(FlagKind.STAGE_NOT_METERED, line.key, message))
    return flags


def previous_accepted(*, submission: Submission) -> Submission | None:
    """The supplier's latest version accepted by the same buyer for the same product (the request's model code,
    or the study's product) submitted before this one."""
    footprint_request = submission.request
    same_product = Q(study__product_id=submission.study.product_id)
    if footprint_request.product_code:
        same_product |= Q(request__product_code=footprint_request.product_code)
    return (
        Submission.objects.filter(
            same_product,
            organization_id=submission.organization_id,
            request__organization_id=footprint_request.organization_id,
            state=SubmissionState.ACCEPTED,
            created_at__lt=submission.created_at,
        )
        .exclude(pk=submission.pk)
        .select_related("request", "result")
        .defer("result__canonical_inputs_gz")
        .order_by("-created_at", "-id")
        .first()
    )


def electricity_flag(*, submission: Submission, view: ResultView) -> Flag | None:
    """Electricity per declared unit more than 25 % away from the supplier's previous accepted version."""
    previous = previous_accepted(submission=submission)
    if previous is None:
        return None
    before = result_read(result=previous.result).electricity_per_declared_unit.value
    now = view.electricity_per_declared_unit.value
    if not before:
        return None
    change = _EXACT.divide(_EXACT.subtract(now, before), before)
    if abs(change) <= ELECTRICITY_CHANGE_LIMIT:
        return None
    template = (
        _(
            "Electricity per declared unit is %(current)s kWh, %(change)s %% more than the %(previous)s kWh of "
            "accepted version %(version)s (%(period)s)."
        )
        if change > 0
        else _(
            "Electricity per declared unit is %(current)s kWh, %(change)s %% less than the %(previous)s kWh of "
            "accepted version %(version)s (%(period)s)."
        )
    )
    return Flag(
        FlagKind.ELECTRICITY_CHANGED,
        "",
        template
        % {
            "current": _sig(now),
            "previous": _sig(before),
            "change": _sig(abs(change) * 100),
            "version": previous.version,
            "period": f"{previous.request.period_start.isoformat()} – {previous.request.period_end.isoformat()}",
        },
    )


def submission_flags(*, submission: Submission) -> list[Flag]:
    """The automatic flags of a version, read from its snapshot only: factors outside their range, loss rates
    above 10 %, stages without metered data, and electricity per declared unit far from the last accepted."""
    result = submission.result
    view = result_read(result=result)
    flags = factor_flags(view=view) + inputs_flags(inputs=snapshot_inputs(result=result))
    electricity = electricity_flag(submission=submission, view=view)
    if electricity is not None:
        flags.append(electricity)
    return flags


# --- what changed between two versions ---------------------------------------------------------------------------


ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: Decimal | str | None
    new: Decimal | str | None
    old_unit: str = ""
    new_unit: str = ""
    style: str = NUMBER

    @property
    def label(self) -> Promise | str:
        return FIELD_LABELS.get(self.name, self.name)

    @property
    def is_share(self) -> bool:
        return self.style == SHARE

    @property
    def is_text(self) -> bool:
        return self.style == TEXT

    @property
    def old_text(self) -> str:
        return _text_value(self.name, self.old)

    @property
    def new_text(self) -> str:
        return _text_value(self.name, self.new)


def _tidy(value: Decimal) -> Decimal:
    """The same number without trailing zeros and never in exponent notation: 1.76000 -> 1.76, 1200 -> 1200."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=_EXACT)
    return value.normalize(_EXACT)


def _text_value(name: str, value: Decimal | str | None) -> str:
    if value is None:
        return "—"
    if name == "mode" and isinstance(value, str) and value in TransportMode.values:
        return str(TransportMode(value).label)
    return str(value)


@dataclass(frozen=True)
class InputChange:
    """One input line that differs: its changed fields (an added line: every field, old empty)."""

    key: str
    kind: str
    label: str
    status: str  # ADDED, REMOVED, CHANGED
    changes: tuple[FieldChange, ...]

    @property
    def display_label(self) -> str:
        return localized_label(self.label)

    @property
    def anchor(self) -> str:
        return line_anchor(self.key)


@dataclass(frozen=True)
class AmountChange:
    """A total or a breakdown line's emission, kg CO2e per declared unit, in both versions."""

    key: str
    label: Promise | str
    old: Decimal | None
    new: Decimal | None

    @property
    def difference(self) -> Decimal:
        """new − old, exact (a missing side counts as zero), without trailing zeros."""
        return _tidy(
            _EXACT.subtract(self.new if self.new is not None else _ZERO, self.old if self.old is not None else _ZERO)
        )

    @property
    def status(self) -> str:
        if self.old is None:
            return ADDED
        if self.new is None:
            return REMOVED
        return CHANGED

    @property
    def changed(self) -> bool:
        return self.old is None or self.new is None or self.old != self.new

    @property
    def display_label(self) -> str:
        return localized_label(str(self.label))

    @property
    def anchor(self) -> str:
        return line_anchor(self.key)


@dataclass(frozen=True)
class SubmissionDiff:
    old_version: int
    new_version: int
    inputs: tuple[InputChange, ...]  # the lines whose inputs differ, in the new version's order, removed ones last
    totals: tuple[AmountChange, ...]  # E, Em, Ep, Eb, Edl, Ew: always all six
    lines: tuple[AmountChange, ...]  # the breakdown lines whose emission differs (added and removed ones too)
    inputs_by_key: dict[str, InputChange] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return not self.inputs and not self.lines and not any(t.changed for t in self.totals)


# The totals a diff compares, as FootprintResult.totals keys.
DIFF_TOTALS: tuple[tuple[str, Promise], ...] = (
    ("e", gettext_lazy("E: product carbon footprint")),
    ("em", gettext_lazy("Em: raw-material acquisition")),
    ("ep", gettext_lazy("Ep: manufacturing")),
    ("eb", gettext_lazy("Eb: fuel combustion")),
    ("edl", gettext_lazy("Edl: purchased electricity")),
    ("ew", gettext_lazy("Ew: waste treatment")),
)


def _same(a: Decimal | str | None, b: Decimal | str | None) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b  # numerically: "1" and "1.0" are the same quantity
    return a == b


def _field_changes(old: LineInputs | None, new: LineInputs | None) -> tuple[FieldChange, ...]:
    old_fields = {f.name: f for f in old.fields} if old is not None else {}
    new_fields = {f.name: f for f in new.fields} if new is not None else {}
    names = list(new_fields) + [name for name in old_fields if name not in new_fields]
    changes = []
    for name in names:
        before, after = old_fields.get(name), new_fields.get(name)
        old_value = before.value if before is not None else None
        new_value = after.value if after is not None else None
        old_unit = before.unit if before is not None else ""
        new_unit = after.unit if after is not None else ""
        if old is not None and new is not None and _same(old_value, new_value) and old_unit == new_unit:
            continue
        if old_value is None and new_value is None:
            continue
        style = (after or before).style  # type: ignore[union-attr]
        changes.append(FieldChange(name, old_value, new_value, old_unit, new_unit, style))
    return tuple(changes)


def inputs_diff(*, old: SnapshotInputs, new: SnapshotInputs) -> tuple[InputChange, ...]:
    old_lines, new_lines = old.by_key(), new.by_key()
    changes = []
    for line in new.lines:
        before = old_lines.get(line.key)
        fields = _field_changes(before, line)
        if before is None:
            changes.append(InputChange(line.key, line.kind, line.label, ADDED, fields))
        elif fields:
            changes.append(InputChange(line.key, line.kind, line.label, CHANGED, fields))
    for line in old.lines:
        if line.key not in new_lines:
            changes.append(InputChange(line.key, line.kind, line.label, REMOVED, _field_changes(line, None)))
    return tuple(changes)


def _totals(result: FootprintResult) -> Mapping[str, Any]:
    totals = result.totals
    return totals if isinstance(totals, Mapping) else {}


def _emissions(result: FootprintResult) -> dict[str, tuple[str, Decimal]]:
    """key -> (label, emission) of every breakdown line, in the breakdown's order."""
    found: dict[str, tuple[str, Decimal]] = {}
    for row in result.breakdown or []:
        if isinstance(row, Mapping) and row.get("key"):
            found[row["key"]] = (str(row.get("label") or row["key"]), to_decimal(row.get("emission")) or _ZERO)
    return found


def results_diff(
    *, old: FootprintResult, new: FootprintResult
) -> tuple[tuple[AmountChange, ...], tuple[AmountChange, ...]]:
    """(the six totals, the breakdown lines whose emission differs)."""
    old_totals, new_totals = _totals(old), _totals(new)
    totals = tuple(
        AmountChange(key, label, to_decimal(old_totals.get(key)), to_decimal(new_totals.get(key)))
        for key, label in DIFF_TOTALS
    )
    before, after = _emissions(old), _emissions(new)
    lines = [
        AmountChange(key, label, before[key][1] if key in before else None, emission)
        for key, (label, emission) in after.items()
    ]
    lines += [AmountChange(key, label, emission, None) for key, (label, emission) in before.items() if key not in after]
    return totals, tuple(line for line in lines if line.changed)


def submission_diff(*, old: Submission, new: Submission) -> SubmissionDiff:
    """What changed from version ``old`` to version ``new`` (usually ``new.preceding``): the inputs line by line
    (quantities, loss rates, factors and their values, unit masses, stage allocation and electricity, fuels and
    wastes; lines added or removed) and the results per total and per breakdown line, from the two snapshots."""
    inputs = inputs_diff(old=snapshot_inputs(result=old.result), new=snapshot_inputs(result=new.result))
    totals, lines = results_diff(old=old.result, new=new.result)
    return SubmissionDiff(
        old_version=old.version,
        new_version=new.version,
        inputs=inputs,
        totals=totals,
        lines=lines,
        inputs_by_key={change.key: change for change in inputs},
    )


def flags_by_line(flags: Iterable[Flag]) -> dict[str, list[Flag]]:
    grouped: dict[str, list[Flag]] = {}
    for flag in flags:
        grouped.setdefault(flag.line_key, []).append(flag)
    return grouped
