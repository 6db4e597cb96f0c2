"""Structural validation of a study document against study.schema.json.

Every problem is collected (not just the first) and reported with its JSON path, worded in the
active language: ``$.materials[3].loss_rate: '1.2' is not less than 1``.

The readings are the one part checked outside jsonschema: a benchmark study carries close to a
million integers, which jsonschema would check one by one at several microseconds each. They are
swapped for a placeholder while the schema runs and checked in bulk here, with the same rules
(whole numbers >= 0, at least one per run) and the same paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match

from apps.footprints.document.canonical import parse_utc

SCHEMA_PATH = Path(__file__).with_name("study.schema.json")
BIGINT_MAX = 2**63 - 1
Problem = tuple[str, str]


class DocumentError(ValidationError):
    """A study document that cannot be used; ``errors`` lists every (JSON path, message)."""

    def __init__(self, errors: Sequence[Problem]) -> None:
        self.errors = list(errors)
        super().__init__([f"{path}: {message}" for path, message in self.errors])


def json_path(parts: Iterable[str | int]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


@cache
def study_schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@cache
def _validator() -> Draft202012Validator:
    checker = FormatChecker(formats=["date"])
    checker.checks("date-time", raises=ValueError)(_is_utc_datetime)
    return Draft202012Validator(study_schema(), format_checker=checker)


def _is_utc_datetime(instance: object) -> bool:
    if isinstance(instance, str):
        parse_utc(instance)
    return True


def schema_problems(document: object) -> list[Problem]:
    skeleton, readings = _without_readings(document)
    problems: list[Problem] = []
    for error in _validator().iter_errors(skeleton):
        problems.extend(_describe(error))
    for parts, values in readings:
        problems.extend(_reading_problems(parts, values))
    return list(dict.fromkeys(problems))  # a bad date fails both its pattern and its format: say it once


def validate_document(document: object) -> None:
    """Raise DocumentError naming every structural problem of the document."""
    problems = schema_problems(document)
    if problems:
        raise DocumentError(problems)


def _without_readings(document: object) -> tuple[object, list[tuple[list[str | int], list[Any]]]]:
    """A shallow copy of the document whose reading lists hold one placeholder, and those lists."""
    readings: list[tuple[list[str | int], list[Any]]] = []
    if not isinstance(document, dict) or not isinstance(document.get("stages"), list):
        return document, readings
    stages = []
    for s, stage in enumerate(document["stages"]):
        if isinstance(stage, dict) and isinstance(stage.get("metering_points"), list):
            points = []
            for p, point in enumerate(stage["metering_points"]):
                if isinstance(point, dict) and isinstance(point.get("runs"), list):
                    runs = []
                    for r, run in enumerate(point["runs"]):
                        values = run.get("milliwatt_hours") if isinstance(run, dict) else None
                        if isinstance(values, list) and values:
                            path: list[str | int] = ["stages", s, "metering_points", p, "runs", r, "milliwatt_hours"]
                            readings.append((path, values))
                            run = {**run, "milliwatt_hours": [0]}
                        runs.append(run)
                    point = {**point, "runs": runs}
                points.append(point)
            stage = {**stage, "metering_points": points}
        stages.append(stage)
    return {**document, "stages": stages}, readings


def _reading_problems(parts: list[str | int], values: list[Any]) -> list[Problem]:
    if all(type(v) is int for v in values) and min(values) >= 0 and max(values) <= BIGINT_MAX:
        return []
    problems = []
    for i, value in enumerate(values):
        path = json_path([*parts, i])
        if type(value) is not int:
            problems.append((path, _("%(value)s is not a whole number of milliwatt-hours") % {"value": _show(value)}))
        elif value < 0:
            problems.append((path, _("%(value)s is less than the minimum of 0") % {"value": value}))
        elif value > BIGINT_MAX:
            problems.append((path, _("%(value)s is too large") % {"value": value}))
        if len(problems) >= 20:  # a broken file would otherwise list a million lines
            break
    return problems


def _describe(error: SchemaError) -> list[Problem]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = best_match([error])
        if deepest is not error:
            return _describe(deepest)
    path = json_path(error.absolute_path)
    # types-jsonschema widens these with Unset (and calls `validator` a Validator): on an error from
    # iter_errors they are the keyword's name, its value in the schema, the instance and the subschema.
    value: Any = error.instance
    kind = cast(str, error.validator)
    limit: Any = error.validator_value
    schema = cast(Mapping[str, Any], error.schema)
    if kind == "required":
        return [
            (json_path([*error.absolute_path, name]), _("this field is required"))
            for name in limit
            if isinstance(value, dict) and name not in value
        ]
    if kind == "additionalProperties":
        known = set(schema.get("properties", {}))
        return [(json_path([*error.absolute_path, name]), _("unknown field")) for name in value if name not in known]
    if kind == "pattern" or kind == "format":
        return [(path, _value_message(schema.get("title", ""), value, limit))]
    messages = {
        "type": lambda: _type_message(schema.get("title", ""), value, limit),
        "enum": lambda: _("%(value)s is not one of %(choices)s") % {"value": _show(value), "choices": _show(limit)},
        "const": lambda: _("%(value)s is not %(expected)s") % {"value": _show(value), "expected": _show(limit)},
        "minimum": lambda: _("%(value)s is less than the minimum of %(limit)s") % {"value": value, "limit": limit},
        "maximum": lambda: _("%(value)s is more than the maximum of %(limit)s") % {"value": value, "limit": limit},
        "minLength": lambda: _("must not be empty"),
        "minItems": lambda: _("must hold at least %(limit)s item(s)") % {"limit": limit},
        "oneOf": lambda: _('must be null, {"static_factor": KEY} or {"series": {...}}'),
    }
    describe = messages.get(kind)
    return [(path, describe() if describe else error.message)]


def _type_message(title: str, value: object, expected: object) -> str:
    if title in _RANGES and isinstance(value, int | float) and not isinstance(value, bool):
        return _('%(value)s is a number: write decimals as strings, e.g. "%(value)s"') % {"value": value}
    return _("%(value)s is not of type %(type)s") % {"value": _show(value), "type": _show(expected)}


# title of a decimal kind -> (lowest allowed, lowest is allowed, highest allowed, highest is allowed)
_RANGES: dict[str, tuple[Decimal, bool, Decimal | None, bool]] = {
    "decimal": (Decimal(0), True, None, False),
    "positiveDecimal": (Decimal(0), False, None, False),
    "lossRate": (Decimal(0), True, Decimal(1), False),
    "share": (Decimal(0), False, Decimal(1), True),
}


def _value_message(title: str, value: object, pattern: object) -> str:
    shown = _show(value)
    if title in _RANGES:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        low, low_ok, high, high_ok = _RANGES[title]
        if number is not None and number.is_finite():
            if number < low or (number == low and not low_ok):
                if low_ok:
                    return _("%(value)s is less than %(limit)s") % {"value": shown, "limit": low}
                return _("%(value)s is not greater than %(limit)s") % {"value": shown, "limit": low}
            if high is not None and (number > high or (number == high and not high_ok)):
                if high_ok:
                    return _("%(value)s is greater than %(limit)s") % {"value": shown, "limit": high}
                return _("%(value)s is not less than %(limit)s") % {"value": shown, "limit": high}
        return _('%(value)s is not a decimal number written as a string like "0.88"') % {"value": shown}
    if title == "utcDateTime":
        return _('%(value)s is not a UTC date and time like "2025-01-01T00:00:00Z"') % {"value": shown}
    if title == "date":
        return _('%(value)s is not a date like "2025-01-31"') % {"value": shown}
    return _("%(value)s does not match %(pattern)s") % {"value": shown, "pattern": pattern}


def _show(value: object) -> str:
    if isinstance(value, str):
        text = repr(value)
    elif value is None or isinstance(value, bool):
        text = json.dumps(value)
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
