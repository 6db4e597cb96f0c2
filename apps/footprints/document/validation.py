"""Structural validation of a study document against study.schema.json.

Every problem is collected (not just the first) and reported with its JSON path, worded in the
active language: ``$.materials[3].loss_rate: '1.2' is not less than 1``.

Before the schema, two cheap passes refuse what would make it (or anything after it) slow or
crash: ``limit_problems`` counts lines, runs and readings against the configured limits
(apps.footprints.document.limits), and ``safety_problems`` walks the document once, without
recursion, refusing nesting deeper than any study needs, text that no database or UTF-8 file can
hold (NUL, lone surrogates), duplicate keys, NaN or Infinity and integers too long to be numbers
(the last three as marked by the parser, apps.footprints.document.parse).

The readings are the one part checked outside jsonschema: a benchmark study carries close to a
million integers, which jsonschema would check one by one at several microseconds each. They are
swapped for a placeholder while the schema runs and checked in bulk here, with the same rules
(whole numbers >= 0, at least one per run) and the same paths.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match

from apps.footprints.document.canonical import parse_utc
from apps.footprints.document.limits import ImportLimits, import_limits, limit_problems

SCHEMA_PATH = Path(__file__).with_name("study.schema.json")
BIGINT_MAX = 2**63 - 1
# The deepest value of a study is a reading, 8 levels down
# ($.stages[i].metering_points[j].runs[k].milliwatt_hours[n]): twice that is refused.
MAX_DEPTH = 16
# Dates and instants: a computer calendar ends at 9999, and a period's UTC bounds or a run's end
# must stay inside it; no footprint study lies outside these years.
FIRST_YEAR, LAST_YEAR = 1900, 2999
LONGEST_INTEGER_BITS = 333  # about 100 digits: far beyond any integer of the format (at most 19 digits)
REPORTED_PROBLEMS = 100  # a report lists this many problems and counts the rest
Problem = tuple[str, str]


class DocumentError(ValidationError):
    """A study document that cannot be used; ``errors`` lists every (JSON path, message)."""

    def __init__(self, errors: Sequence[Problem]) -> None:
        self.errors = list(errors)
        super().__init__([f"{path}: {message}" for path, message in self.errors])

    def report(self) -> str:
        """What a person reads, in the active language: a header line, then one problem a line."""
        lines = [_("The document was not imported:")]
        lines += [f"{path}: {message}" for path, message in self.errors[:REPORTED_PROBLEMS]]
        more = len(self.errors) - REPORTED_PROBLEMS
        if more > 0:
            lines.append(
                ngettext("… and %(count)s more problem", "… and %(count)s more problems", more) % {"count": more}
            )
        return "\n".join(lines)


class JsonDuplicates(dict[str, Any]):
    """An object of the file in which a key appeared more than once (``repeated``): the parser keeps
    the last value, as JSON readers do, and validation refuses the document."""

    repeated: list[str]


class JsonUnreadable:
    """A value of the file that is no JSON number Python can hold: NaN, Infinity, or an integer too
    long to convert (``text`` as written, ``digits`` for an integer)."""

    def __init__(self, text: str, *, digits: int | None = None) -> None:
        self.text, self.digits = text, digits

    def __repr__(self) -> str:
        return self.text if self.digits is None else f"<{self.digits} digits>"


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


def _is_integer(_checker: object, instance: object) -> bool:
    """An integer is an int: not a bool, and not a float such as 900.0 (which JSON Schema would
    accept, and which would then export as 900, changing the document)."""
    return type(instance) is int


_StudyValidator = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
)


@cache
def _validator() -> Draft202012Validator:
    checker = FormatChecker(formats=[])
    checker.checks("date", raises=ValueError)(_is_date)
    checker.checks("date-time", raises=ValueError)(_is_utc_datetime)
    validator: Draft202012Validator = _StudyValidator(study_schema(), format_checker=checker)
    return validator


def _is_date(instance: object) -> bool:
    if isinstance(instance, str):
        _check_year(date.fromisoformat(instance).year)
    return True


def _is_utc_datetime(instance: object) -> bool:
    if isinstance(instance, str):
        _check_year(parse_utc(instance).year)
    return True


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")


def _year_outside(title: str, value: object) -> bool:
    """A well-formed date or instant whose year lies outside FIRST_YEAR..LAST_YEAR."""
    if not isinstance(value, str):
        return False
    try:
        found = parse_utc(value) if title == "utcDateTime" else date.fromisoformat(value)
    except ValueError:
        return False
    return not FIRST_YEAR <= found.year <= LAST_YEAR


def safety_problems(document: object, *, limit: int = 50) -> list[Problem]:
    """What would make the schema, the database or the canonical bytes fail, found in one walk
    without recursion: nesting deeper than MAX_DEPTH, NUL characters and lone surrogates in text
    (and keys), duplicate keys, NaN, Infinity and integers too long to read. Stops at ``limit``."""
    problems: list[Problem] = []
    stack: list[tuple[object, tuple[str | int, ...]]] = [(document, ())]
    while stack and len(problems) < limit:
        value, path = stack.pop()
        if isinstance(value, dict | list) and len(path) >= MAX_DEPTH:
            problems.append((json_path(path), _("nested more than %(limit)s levels deep") % {"limit": MAX_DEPTH}))
        elif isinstance(value, dict):
            if isinstance(value, JsonDuplicates):
                problems += [
                    (json_path([*path, _printable(key)]), _("this key appears more than once in its object"))
                    for key in value.repeated
                ]
            children: list[tuple[object, tuple[str | int, ...]]] = []
            for key, item in value.items():
                if not isinstance(key, str):
                    problems.append((json_path(path), _("%(key)s is not a text key") % {"key": _show(key)}))
                elif problem := _text_problem(key, key=True):
                    problems.append((json_path([*path, _printable(key)]), problem))
                else:
                    children.append((item, (*path, key)))
            stack += reversed(children)
        elif isinstance(value, list):
            if all(type(item) is int for item in value):
                continue  # the readings: their values are the schema's and _reading_problems' business
            stack += reversed([(item, (*path, i)) for i, item in enumerate(value)])
        elif isinstance(value, str):
            if problem := _text_problem(value):
                problems.append((json_path(path), problem))
        elif isinstance(value, JsonUnreadable):
            if value.digits is None:
                message = _("%(value)s is not a JSON number (JSON has no NaN or Infinity)") % {"value": value.text}
            else:
                message = _("a whole number of %(digits)s digits is too long to be read") % {"digits": value.digits}
            problems.append((json_path(path), message))
        elif type(value) is int and value.bit_length() > LONGEST_INTEGER_BITS:
            message = _("a whole number of %(digits)s digits is too long to be read") % {"digits": _digits(value)}
            problems.append((json_path(path), message))
        elif isinstance(value, float) and math.isnan(value):
            problems.append((json_path(path), _("NaN is not a JSON number (JSON has no NaN or Infinity)")))
        elif isinstance(value, float) and math.isinf(value):
            problems.append((json_path(path), _("the number is too large to be read")))
    return problems


def _digits(value: int) -> int:
    return math.floor(abs(value).bit_length() * math.log10(2)) + 1


def _text_problem(text: str, *, key: bool = False) -> str | None:
    """Why a text (or a key) cannot be stored or written as UTF-8, or None."""
    position = text.find("\x00")
    if position >= 0:
        if key:
            message = _("the key holds a NUL character (U+0000) at character %(position)s, which text cannot hold")
        else:
            message = _("the text holds a NUL character (U+0000) at character %(position)s, which text cannot hold")
        return message % {"position": position + 1}
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        if key:
            message = _(
                "the key holds a lone surrogate (U+%(code)s) at character %(position)s, which is not valid Unicode"
            )
        else:
            message = _(
                "the text holds a lone surrogate (U+%(code)s) at character %(position)s, which is not valid Unicode"
            )
        return message % {"code": f"{ord(text[exc.start]):04X}", "position": exc.start + 1}
    return None


def _printable(key: str) -> str:
    """A key as a path can show it: NUL and lone surrogates escaped."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def schema_problems(document: object) -> list[Problem]:
    skeleton, readings = _without_readings(document)
    problems: list[Problem] = []
    for error in _validator().iter_errors(skeleton):
        problems.extend(_describe(error))
    for parts, values in readings:
        problems.extend(_reading_problems(parts, values))
    return list(dict.fromkeys(problems))  # a bad date fails both its pattern and its format: say it once


def validate_document(document: object, *, limits: ImportLimits | None = None) -> None:
    """Raise DocumentError naming every structural problem of the document: first what the limits
    refuse, then what the safety walk refuses (either stops here), then every schema problem."""
    for check in (lambda: limit_problems(document, limits or import_limits()), lambda: safety_problems(document)):
        problems = check()
        if problems:
            raise DocumentError(problems)
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
            problems.append((path, _("%(value)s is less than the minimum of 0") % {"value": _show(value)}))
        elif value > BIGINT_MAX:
            problems.append((path, _("%(value)s is too large") % {"value": _show(value)}))
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
        "minimum": lambda: _("%(value)s is less than the minimum of %(limit)s")
        % {"value": _show(value), "limit": limit},
        "maximum": lambda: _("%(value)s is more than the maximum of %(limit)s")
        % {"value": _show(value), "limit": limit},
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
    if title in ("utcDateTime", "date") and _year_outside(title, value):
        return _("%(value)s lies outside the years %(first)s to %(last)s") % {
            "value": shown,
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    if title == "utcDateTime":
        return _('%(value)s is not a UTC date and time like "2025-01-01T00:00:00Z"') % {"value": shown}
    if title == "date":
        return _('%(value)s is not a date like "2025-01-31"') % {"value": shown}
    return _("%(value)s does not match %(pattern)s") % {"value": shown, "pattern": pattern}


def _show(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        # str() of an integer beyond Python's digit limit raises: count its digits instead
        return _("a whole number of about %(digits)s digits") % {"digits": _digits(value)}
    if isinstance(value, str):
        text = repr(value)
    elif value is None or isinstance(value, bool):
        text = json.dumps(value)
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
