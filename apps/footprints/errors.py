"""Engine errors worded for people, in the active language (Chinese or English).

The engine stays free of Django: it raises errors with a stable code and string params. This
module holds the translatable sentence for each code; unknown codes fall back to the engine's
English text.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.engine import EngineError

MESSAGES: dict[str, Promise] = {
    "unit_mismatch": _(
        "%(label)s (%(line)s): an activity in %(unit)s cannot be valued with a factor in %(factor_unit)s. "
        "Give the mass of one unit, or choose a factor in a matching unit."
    ),
    "unknown_unit": _("%(label)s (%(line)s): unknown unit “%(unit)s”."),
    "missing_factor": _("%(label)s (%(line)s): no emission factor. Choose one, or add one to your factor library."),
    "invalid_number": _("%(label)s (%(line)s): %(field)s must be a number, got “%(value)s”."),
    "negative_quantity": _("%(label)s (%(line)s): %(field)s must not be negative, got %(value)s."),
    "negative_factor": _("%(label)s (%(line)s): emission factor %(factor)s must not be negative, got %(value)s."),
    "loss_rate_out_of_range": _("%(label)s (%(line)s): the loss rate must be at least 0 and below 1, got %(value)s."),
    "unit_mass_not_positive": _("%(label)s (%(line)s): the mass of one unit must be positive, got %(value)s kg."),
    "allocation_share_out_of_range": _(
        "%(label)s (%(line)s): the allocation share must be above 0 and at most 1, got %(value)s."
    ),
    "units_produced_not_positive": _("Units produced in the period must be positive, got %(value)s."),
    "electricity_factor_missing": _(
        "%(stages)s stage(s) use electricity, but the study has neither a static grid factor nor a factor series."
    ),
    "electricity_factor_ambiguous": _(
        "The study has both a static electricity factor (%(factor)s) and a factor series (%(series)s); choose one."
    ),
    "invalid_series": _("Factor series %(series)s: the step must be a positive number of seconds, got %(value)s."),
    "series_gap": _(
        "Electricity factor series %(series)s has no value from %(gap_start)s to %(gap_end)s, "
        "inside the reporting period."
    ),
    "naive_datetime": _("%(field)s must carry a time zone, got %(value)s."),
    "invalid_run": _("%(label)s (%(line)s): reading %(reading)s of run %(run)s is invalid: %(reason)s (%(value)s)."),
    "period_invalid": _("The reporting period must end after it starts, got %(start)s to %(end)s."),
    "document_build": _("The study's inputs cannot be put together: %(detail)s"),
    "incomplete_study": _(
        "The study has nothing to compute yet: no bill of materials, no electricity readings, no fuel and no "
        "waste. Enter its inputs first."
    ),
    "time_limit": _("The computation exceeded its time limit."),
    "internal_error": _("The computation failed unexpectedly; the operators have the details."),
    "interrupted": _(
        "The computation was interrupted (its worker stopped) and could not be finished; request it again."
    ),
    "not_started": _("No worker started the computation in time; request it again."),
    "queue_unavailable": _("The computation could not be queued: the task queue is unreachable. Try again later."),
}


# The engine names fields and reasons in English words or codes; these are the ones it uses.
WORDS: dict[str, Promise] = {
    "quantity": _("quantity"),
    "unit mass": _("mass of one unit"),
    "distance": _("distance"),
    "mass": _("transported mass"),
    "allocation share": _("allocation share"),
    "factor value": _("factor value"),
    "loss rate": _("loss rate"),
    "step_not_positive": _("the interval length must be positive"),
    "energy_not_integer": _("energy must be a whole number of mWh"),
    "negative_energy": _("energy must not be negative"),
}


def error_message(code: str, params: Mapping[str, str], *, fallback: str = "") -> str:
    template = MESSAGES.get(code)
    if template is None:
        return fallback or code
    worded = {name: str(WORDS[value]) if value in WORDS else value for name, value in params.items()}
    worded.setdefault("reading", "")
    try:
        return str(template) % worded  # str() translates into the active language
    except (KeyError, ValueError, TypeError):
        return fallback or code


def engine_error_message(error: EngineError) -> str:
    return error_message(error.code, error.params, fallback=str(error))
