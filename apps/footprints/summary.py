"""What pages show of a snapshot's canonical inputs, extracted once when the snapshot is made.

A snapshot's canonical document holds a year of readings (megabytes); the pages need a few kilobytes of it: the
factors used (with dataset, GWP basis, citation and range), the study facts the totals are per, and the per-line
inputs a reviewer compares (materials, transport legs, stages with how many runs of readings each meter holds,
fuels, wastes). `snapshot_summary_build` makes that summary from the document; `footprint_store` stores it in
`FootprintResult.summary`, and the reader, the review and the inputs-changed check read it instead of the
document. Pure: no Django, no database.

The `inputs` part keeps the document's own shape (docs/study-format.md) with every run's list of energies
replaced by its length (`readings`), so code written for the document reads it unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUMMARY_VERSION = 1  # stored in each summary: a summary of another version is ignored (read from the document)

_INPUT_LISTS = ("factors", "materials", "fuels", "wastes")


def snapshot_summary_build(document: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of one canonical study document (JSON-native: decimals are strings)."""
    return {
        "version": SUMMARY_VERSION,
        "factors": _factors(document),
        "study": _study_facts(document),
        "inputs": _inputs(document),
    }


def summary_is_current(summary: object) -> bool:
    return isinstance(summary, Mapping) and summary.get("version") == SUMMARY_VERSION


def _factors(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every factor and the electricity series, each with its dataset's GWP basis, in document order."""
    datasets = {d.get("key"): d for d in document.get("factor_datasets") or [] if isinstance(d, Mapping)}

    def entry(item: Mapping[str, Any], value: str | None, name: str) -> dict[str, Any]:
        dataset = datasets.get(item.get("dataset"), {})
        return {
            "key": item.get("key") or "",
            "value": value,
            "unit": item.get("unit") or "",
            "name": name,
            "dataset": item.get("dataset") or "",
            "gwp_basis": dataset.get("gwp_basis") or "",
            "source": item.get("source") or "",
            "low": item.get("low"),
            "high": item.get("high"),
        }

    factors = [
        entry(f, f.get("value"), " / ".join(n for n in (f.get("name_zh"), f.get("name_en")) if n))
        for f in document.get("factors") or []
        if isinstance(f, Mapping)
    ]
    series = (document.get("electricity") or {}).get("series")
    if isinstance(series, Mapping):
        factors.append(entry(series, None, series.get("name") or ""))
    return factors


def _study_facts(document: Mapping[str, Any]) -> dict[str, Any] | None:
    study = document.get("study")
    if not isinstance(study, Mapping):
        return None
    return {
        "declared_unit": study.get("declared_unit"),
        "declared_unit_amount": study.get("declared_unit_amount"),
        "units_produced": study.get("units_produced"),
    }


def _inputs(document: Mapping[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = {name: list(document.get(name) or []) for name in _INPUT_LISTS}
    inputs["stages"] = [_stage(stage) for stage in document.get("stages") or [] if isinstance(stage, Mapping)]
    return inputs


def _stage(stage: Mapping[str, Any]) -> dict[str, Any]:
    light = {key: value for key, value in stage.items() if key != "metering_points"}
    light["metering_points"] = [
        {
            **{key: value for key, value in point.items() if key != "runs"},
            "runs": [_run(run) for run in point.get("runs") or [] if isinstance(run, Mapping)],
        }
        for point in stage.get("metering_points") or []
        if isinstance(point, Mapping)
    ]
    return light


def _run(run: Mapping[str, Any]) -> dict[str, Any]:
    light = {key: value for key, value in run.items() if key != "milliwatt_hours"}
    light["readings"] = len(run.get("milliwatt_hours") or [])
    return light
