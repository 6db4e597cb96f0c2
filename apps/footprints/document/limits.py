"""How large a study document the import accepts, checked before any expensive work.

Four limits, each a setting read from the environment (carbonfoot/settings.py) with a default well
above the largest study in use (the benchmark study: 26 stages of a year of 15-minute readings,
911,040 readings in 26 runs, 6.4 MB):

- ``STUDY_IMPORT_MAX_BYTES`` (64 MiB): the file's size, checked before it is read;
- ``STUDY_IMPORT_MAX_LINES`` (10,000): the entries of every list but the readings, in all: materials,
  transport legs, fuels, wastes, factors, datasets, stages and metering points;
- ``STUDY_IMPORT_MAX_RUNS`` (50,000): reading runs, over all metering points;
- ``STUDY_IMPORT_MAX_READINGS`` (5,000,000): readings over all runs, with the values of the
  electricity factor series.

``limit_problems`` only counts list lengths at the places the format defines (it never looks inside
a value), so it runs in microseconds on any parsed document, before the safety walk and the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

Problem = tuple[str, str]


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = 64 * 1024 * 1024
    max_lines: int = 10_000
    max_runs: int = 50_000
    max_readings: int = 5_000_000


def import_limits() -> ImportLimits:
    """The limits in force: the settings, or the defaults where a setting is absent."""
    default = ImportLimits()
    return ImportLimits(
        max_bytes=getattr(settings, "STUDY_IMPORT_MAX_BYTES", default.max_bytes),
        max_lines=getattr(settings, "STUDY_IMPORT_MAX_LINES", default.max_lines),
        max_runs=getattr(settings, "STUDY_IMPORT_MAX_RUNS", default.max_runs),
        max_readings=getattr(settings, "STUDY_IMPORT_MAX_READINGS", default.max_readings),
    )


def size_problem(size: int, limits: ImportLimits) -> Problem | None:
    if size <= limits.max_bytes:
        return None
    return (
        "$",
        _("the file has %(size)s bytes, more than the limit of %(limit)s bytes (setting STUDY_IMPORT_MAX_BYTES)")
        % {"size": f"{size:,}", "limit": f"{limits.max_bytes:,}"},
    )


def _items(value: object, name: str) -> list[Any]:
    found = value.get(name) if isinstance(value, dict) else None
    return found if isinstance(found, list) else []


def limit_problems(document: object, limits: ImportLimits) -> list[Problem]:
    """The counts of the document above the limits, each named with the setting that sets it."""
    materials = _items(document, "materials")
    stages = _items(document, "stages")
    points = [point for stage in stages for point in _items(stage, "metering_points")]
    lines = {
        "$.factor_datasets": len(_items(document, "factor_datasets")),
        "$.factors": len(_items(document, "factors")),
        "$.materials": len(materials),
        "$.materials[*].transport": sum(len(_items(line, "transport")) for line in materials),
        "$.stages": len(stages),
        "$.stages[*].metering_points": len(points),
        "$.fuels": len(_items(document, "fuels")),
        "$.wastes": len(_items(document, "wastes")),
    }
    problems: list[Problem] = []
    total = sum(lines.values())
    if total > limits.max_lines:
        problems.append(
            (
                max(lines, key=lambda path: lines[path]),  # where most of them are
                _(
                    "the document has %(count)s lines (materials, transport legs, fuels, wastes, factors, "
                    "datasets, stages and metering points), more than the limit of %(limit)s "
                    "(setting STUDY_IMPORT_MAX_LINES)"
                )
                % {"count": f"{total:,}", "limit": f"{limits.max_lines:,}"},
            )
        )
    runs = [run for point in points for run in _items(point, "runs")]
    if len(runs) > limits.max_runs:
        problems.append(
            (
                "$.stages[*].metering_points[*].runs",
                _(
                    "the document has %(count)s reading runs, more than the limit of %(limit)s "
                    "(setting STUDY_IMPORT_MAX_RUNS)"
                )
                % {"count": f"{len(runs):,}", "limit": f"{limits.max_runs:,}"},
            )
        )
        return problems  # counting the readings of that many runs is the work the limit spares
    readings = sum(len(_items(run, "milliwatt_hours")) for run in runs)
    electricity = document.get("electricity") if isinstance(document, dict) else None
    values = len(_items(_items_parent(electricity, "series"), "values"))
    if readings + values > limits.max_readings:
        problems.append(
            (
                "$.electricity.series.values" if values > readings else "$.stages[*].metering_points[*].runs",
                _(
                    "the document has %(count)s readings and factor series values, more than the limit of "
                    "%(limit)s (setting STUDY_IMPORT_MAX_READINGS)"
                )
                % {"count": f"{readings + values:,}", "limit": f"{limits.max_readings:,}"},
            )
        )
    return problems


def _items_parent(value: object, name: str) -> object:
    return value.get(name) if isinstance(value, dict) else None
