"""Errors the engine raises for bad inputs.

Every error has a stable `code` and string `params`, so the platform can word it in Chinese or
English; `str(error)` is an English sentence for logs and the command line. The engine reports
*which* line is wrong (`line` is its key, `label` its human name) and never guesses a fix.
"""

from __future__ import annotations

from typing import Any, ClassVar


class EngineError(Exception):
    code: ClassVar[str] = "engine_error"
    template: ClassVar[str] = "{detail}"

    def __init__(self, **params: object) -> None:
        self.params: dict[str, str] = {name: str(value) for name, value in params.items()}
        super().__init__(self._describe())

    def _describe(self) -> str:
        return self.template.format(**self.params)

    @property
    def message(self) -> str:
        return str(self)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params), "message": self.message}

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only construction breaks Exception's default pickling, which Celery relies on.
        return (_rebuild, (type(self), self.params))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EngineError) and type(other) is type(self) and other.params == self.params

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted(self.params.items()))))


def _rebuild(cls: type[EngineError], params: dict[str, str]) -> EngineError:
    return cls(**params)


class UnitMismatchError(EngineError):
    code = "unit_mismatch"
    template = "{label} ({line}): an activity in {unit} cannot be valued with a factor in {factor_unit}"


class UnknownUnitError(EngineError):
    code = "unknown_unit"
    template = "{label} ({line}): unknown unit {unit!r}"


class MissingFactorError(EngineError):
    code = "missing_factor"
    template = "{label} ({line}): no emission factor"


class InvalidNumberError(EngineError):
    code = "invalid_number"
    template = "{label} ({line}): {field} must be a finite decimal number, got {value}"


class NegativeQuantityError(EngineError):
    code = "negative_quantity"
    template = "{label} ({line}): {field} must not be negative, got {value}"


class NegativeFactorError(EngineError):
    code = "negative_factor"
    template = "{label} ({line}): emission factor {factor} must not be negative, got {value}"


class LossRateOutOfRangeError(EngineError):
    code = "loss_rate_out_of_range"
    template = "{label} ({line}): loss rate must be at least 0 and below 1, got {value}"


class UnitMassNotPositiveError(EngineError):
    code = "unit_mass_not_positive"
    template = "{label} ({line}): mass per unit must be positive, got {value} kg"


class AllocationShareOutOfRangeError(EngineError):
    code = "allocation_share_out_of_range"
    template = "{label} ({line}): allocation share must be above 0 and at most 1, got {value}"


class UnitsProducedNotPositiveError(EngineError):
    code = "units_produced_not_positive"
    template = "units produced in the period must be positive, got {value}"


class ElectricityFactorMissingError(EngineError):
    code = "electricity_factor_missing"
    template = "{stages} stage(s) use electricity but neither a static factor nor a factor series is given"


class ElectricityFactorAmbiguousError(EngineError):
    code = "electricity_factor_ambiguous"
    template = "both a static electricity factor ({factor}) and a factor series ({series}) are given; choose one"


class InvalidSeriesError(EngineError):
    code = "invalid_series"
    template = "factor series {series}: step must be a positive number of seconds, got {value}"


class SeriesGapError(EngineError):
    code = "series_gap"
    template = "factor series {series} has no value from {gap_start} to {gap_end} inside the reporting period"


class NaiveDatetimeError(EngineError):
    code = "naive_datetime"
    template = "{field} must carry a time zone, got {value}"


class InvalidRunError(EngineError):
    """`reason` is step_not_positive, energy_not_integer or negative_energy; `reading` indexes the bad reading."""

    code = "invalid_run"
    template = "{label} ({line}): reading run {run} is invalid: {reason}, got {value}"

    def _describe(self) -> str:
        text = super()._describe()
        return f"{text} at reading {self.params['reading']}" if self.params.get("reading") else text


class PeriodInvalidError(EngineError):
    code = "period_invalid"
    template = "the reporting period must end after it starts, got {start} to {end}"
