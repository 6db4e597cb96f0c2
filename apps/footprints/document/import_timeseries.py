"""Import checks of a document's time series: the electricity factor series and the metering points'
reading runs. Part of ``importer.plan_import``; nothing here writes.

A metering point the organization already has is reused when it is the same meter (same site,
stage, name, serial). Its stored readings in the reporting period must then be exactly the file's
(nothing is inserted) or absent (the file's are inserted); anything else is refused, because the
imported study would not be the one in the file.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _

from apps.factors.models import ElectricityFactorPoint, ElectricityFactorSeries
from apps.factors.series import series_points_for_period
from apps.footprints.document.canonical import decimal_text, factor_key, parse_utc, utc_text
from apps.footprints.document.export import SOURCE_NAMES
from apps.footprints.document.import_plan import Document, ImportPlan, Path
from apps.footprints.document.validation import json_path
from apps.ledger.models import MeteringPoint
from apps.ledger.selectors import reading_runs_for_points

SOURCE_VALUES = {name: value for value, name in SOURCE_NAMES.items()}


def check_series(plan: ImportPlan) -> None:
    series = (plan.document["electricity"] or {}).get("series")
    if series is None:
        return
    path: Path = ["electricity", "series"]
    if series["key"] != factor_key(series["dataset"], series["code"]):
        plan.fail(
            [*path, "key"],
            _("the key of this series must be %(key)r"),
            key=factor_key(series["dataset"], series["code"]),
        )
    if series["dataset"] not in plan.datasets:
        plan.fail([*path, "dataset"], _("dataset %(key)r is not listed in $.factor_datasets"), key=series["dataset"])
        return
    plan.check_values(path, ElectricityFactorSeries, series, ["code", "name", "region", "unit"])
    for i, value in enumerate(series["values"]):
        if value is not None:
            plan.check_value([*path, "values", i], ElectricityFactorPoint, "value", value)
    start, step, values = parse_utc(series["start"]), timedelta(seconds=series["resolution_seconds"]), series["values"]
    if all(value is None for value in values):
        plan.fail([*path, "values"], _("the series has no value in the reporting period"))
    elif plan.period is not None:
        first, end = plan.period
        if not start <= first < start + step or len(values) != -((start - end) // step):
            plan.fail(
                [*path, "start"],
                _(
                    "the values must start on the last interval beginning at or before the "
                    "period start (%(first)s) and end with the interval holding its end"
                ),
                first=utc_text(first),
            )
    dataset = plan.datasets[series["dataset"]]
    if dataset is None:
        return
    plan.series = ElectricityFactorSeries.objects.filter(dataset=dataset, code=series["code"]).first()
    if plan.series is None:
        if dataset.organization_id is None:
            plan.fail(
                [*path, "code"],
                _("the library dataset %(dataset)s has no series %(code)r"),
                dataset=series["dataset"],
                code=series["code"],
            )
        return
    for name in ("name", "region", "unit", "resolution_seconds", "source"):
        if getattr(plan.series, name) != series[name]:
            plan.fail(
                [*path, name],
                _("series %(key)s in the file has %(field)s %(file)r, this database has %(stored)r"),
                key=series["key"],
                field=name,
                file=series[name],
                stored=getattr(plan.series, name),
            )
    if plan.period is not None:
        _compare_series_values(plan, path, series, start, values)


def _compare_series_values(plan: ImportPlan, path: Path, series: Document, start: datetime, values: list[Any]) -> None:
    assert plan.series is not None and plan.period is not None  # checked by check_series
    stored_start, stored_values = series_points_for_period(series=plan.series, start=plan.period[0], end=plan.period[1])
    stored = [None if value is None else decimal_text(value) for value in stored_values]
    given = [None if value is None else decimal_text(Decimal(value)) for value in values]
    if stored_start != start:
        plan.fail(
            [*path, "start"],
            _("series %(key)s starts at %(stored)s in this database"),
            key=series["key"],
            stored=utc_text(stored_start),
        )
    elif stored != given:
        i = next((i for i, pair in enumerate(zip(stored, given, strict=False)) if pair[0] != pair[1]), len(stored))
        plan.fail(
            [*path, "values", i],
            _("series %(key)s in the file has %(file)s here, this database has %(stored)s"),
            key=series["key"],
            file=given[i] if i < len(given) else "-",
            stored=stored[i] if i < len(stored) else "-",
        )


def check_metering(plan: ImportPlan, *, now: datetime) -> None:
    located: dict[str, tuple[Path, int, Document]] = {}  # code -> (path, stage number, point record)
    stage_index: dict[int, int] = {}
    for i, stage in enumerate(plan.document["stages"]):
        stage_index.setdefault(stage["stage_no"], i)
        for j, point in enumerate(stage["metering_points"]):
            path: Path = ["stages", i, "metering_points", j]
            if point["code"] in located:
                plan.fail(
                    [*path, "code"],
                    _("metering point %(code)s is listed twice (first at %(first)s)"),
                    code=point["code"],
                    first=json_path(located[point["code"]][0]),
                )
                continue
            located[point["code"]] = (path, stage["stage_no"], point)
    _resolve_points(plan, located, stage_index)
    if plan.period is not None:
        spans = {code: _check_runs(plan, path, point, now) for code, (path, _no, point) in located.items()}
        _check_stored_readings(plan, located, spans)


def _resolve_points(
    plan: ImportPlan, located: dict[str, tuple[Path, int, Document]], stage_index: dict[int, int]
) -> None:
    stored = MeteringPoint.objects.filter(organization=plan.organization, code__in=list(located)).select_related(
        "site", "stage"
    )
    found_by_code = {point.code: point for point in stored}
    for code, (path, stage_no, record) in located.items():
        found = found_by_code.get(code)
        plan.points[code] = found
        if found is None:
            plan.check_values(path, MeteringPoint, record, ["code", "name", "device_serial"])
        elif plan.site is None or found.site_id != plan.site.pk:
            plan.fail(
                [*path, "code"],
                _("metering point %(code)s belongs to another site (%(site)s)"),
                code=code,
                site=found.site.code,
            )
        elif found.stage.no != stage_no:
            plan.fail(
                [*path, "code"],
                _("metering point %(code)s measures stage %(no)s in this organization"),
                code=code,
                no=found.stage.no,
            )
        elif found.is_manual != bool(record.get("is_manual", False)):
            plan.fail(
                [*path, "is_manual"],
                _("metering point %(code)s is a meter here and a manual-entry channel in the file, or the reverse"),
                code=code,
            )
        else:
            for name in ("name", "device_serial"):
                if getattr(found, name) != record[name]:
                    plan.fail(
                        [*path, name],
                        _("metering point %(code)s has %(field)s %(stored)r here, the file has %(file)r"),
                        code=code,
                        field=name,
                        stored=getattr(found, name),
                        file=record[name],
                    )
    if plan.site is None:
        return
    unlisted = (
        MeteringPoint.objects.filter(site=plan.site, stage__no__in=list(stage_index))
        .exclude(code__in=list(located))
        .select_related("stage")
    )
    for point in unlisted:
        plan.fail(
            ["stages", stage_index[point.stage.no], "metering_points"],
            _("site %(site)s also has metering point %(code)s for this stage, which the file does not list"),
            site=plan.site.code,
            code=point.code,
        )


def _check_runs(plan: ImportPlan, path: Path, point: Document, now: datetime) -> list[tuple[datetime, datetime]]:
    assert plan.period is not None
    spans: list[tuple[datetime, datetime, Path]] = []
    for k, run in enumerate(point["runs"]):
        run_path: Path = [*path, "runs", k]
        first = parse_utc(run["start"])
        try:
            last = first + timedelta(seconds=run["step_seconds"] * len(run["milliwatt_hours"]))
        except OverflowError:
            plan.fail(run_path, _("the run ends after the year 9999, in the future"))
            continue
        if first.microsecond:
            plan.fail([*run_path, "start"], _("readings start on a whole second"))
        if last > now:
            plan.fail(run_path, _("the run ends at %(end)s, in the future"), end=utc_text(last))
        if last <= plan.period[0] or first >= plan.period[1]:
            plan.fail(run_path, _("the run lies outside the reporting period"))
        spans.append((first, last, run_path))
    spans.sort(key=lambda span: span[0])
    for before, after in pairwise(spans):
        if after[0] < before[1]:
            plan.fail(after[2], _("this run overlaps the run at %(other)s"), other=json_path(before[2]))
    return [(first, last) for first, last, _path in spans]


def _check_stored_readings(
    plan: ImportPlan, located: dict[str, tuple[Path, int, Document]], spans: dict[str, list[tuple[datetime, datetime]]]
) -> None:
    assert plan.period is not None
    reused = {code: point for code, point in plan.points.items() if point is not None}
    if not reused:
        return
    ids = [point.pk for point in reused.values()]
    in_period = reading_runs_for_points(
        organization=plan.organization, point_ids=ids, start=plan.period[0], end=plan.period[1]
    )
    empty: list[str] = []
    for code, point in reused.items():
        path, _no, record = located[code]
        given = [
            (parse_utc(r["start"]), r["step_seconds"], SOURCE_VALUES[r["source"]], r["milliwatt_hours"])
            for r in record["runs"]
        ]
        stored = [(r.start, r.step_seconds, r.source, r.milliwatt_hours) for r in in_period.get(point.pk, [])]
        if stored == given:
            plan.readings_present.add(code)
        elif stored:
            plan.fail(
                [*path, "runs"],
                _("metering point %(code)s already holds readings in the reporting period that differ from the file's"),
                code=code,
            )
        elif spans[code]:
            empty.append(code)
    if not empty:  # the file's runs may reach outside the period, where stored readings could overlap them
        return
    low = min(spans[code][0][0] for code in empty)
    high = max(end for code in empty for _start, end in spans[code])
    around = reading_runs_for_points(
        organization=plan.organization, point_ids=[reused[c].pk for c in empty], start=low, end=high
    )
    for code in empty:
        stored_spans = [(run.start, run.end) for run in around.get(reused[code].pk, [])]
        if any(a < d and c < b for a, b in spans[code] for c, d in stored_spans):
            plan.fail(
                [*located[code][0], "runs"],
                _("the runs of metering point %(code)s overlap readings it already holds"),
                code=code,
            )
