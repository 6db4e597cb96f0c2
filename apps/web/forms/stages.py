"""Forms of the stages page: a stage's allocation, and its electricity entered by hand.

Shares are typed as percentages (50 = 50 %) and handed to the services as fractions. The forms
parse and check what a person typed; the services decide (and say at the field) what may be stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from apps.ledger.manual import MONTHS, manual_kwh_checked

PERCENT_PLACES = 4  # 12.3456 % is 0.123456: the six decimal places a share is stored with


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: at its field when the form has one, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def stale_form(form: forms.BaseForm, current: Mapping[str, Any], message: str) -> forms.BaseForm:
    """The same form bound to the values stored now (``current``, by field name), with ``message`` on top:
    what a stale edit shows, so the next save starts from what is really there."""
    data = QueryDict(mutable=True)
    for name, value in current.items():
        data[form.add_prefix(name)] = "" if value is None else str(value)
    form.data, form.is_bound = data, True
    form.full_clean()  # validated again, against the stored values
    form.add_error(None, message)
    return form


def percent_field(*, initial: Decimal | None = Decimal(100)) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Allocation share (%)"),
        initial=initial,
        max_digits=3 + PERCENT_PLACES,
        decimal_places=PERCENT_PLACES,
        error_messages={
            "required": _("Enter the allocation share in percent (100 when all of it belongs to this product)."),
            "invalid": _("Enter the allocation share as a number of percent, for example 50."),
            "max_decimal_places": _("Enter the allocation share with at most 4 decimal places."),
            "max_digits": _("The allocation share must be above 0 and at most 100 percent."),
            "max_whole_digits": _("The allocation share must be above 0 and at most 100 percent."),
        },
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "max": "100", "inputmode": "decimal"}),
    )


def percent_to_fraction(value: Decimal) -> Decimal:
    return value / 100


def fraction_to_percent(value: Decimal) -> Decimal:
    """0.5 -> 50, 1 -> 100, 0.123456 -> 12.3456, without an exponent or trailing zeros."""
    percent = (value * 100).normalize()
    return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent


def clean_percent(value: Decimal | None) -> Decimal | None:
    if value is not None and not Decimal(0) < value <= Decimal(100):
        raise ValidationError(_("The allocation share must be above 0 and at most 100 percent."))
    return value


class StageAllocationForm(forms.Form):
    allocation_share = percent_field()
    allocation_note = forms.CharField(
        label=_("Allocation basis"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. share of production hours")}),
    )
    row_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_allocation_share(self) -> Decimal | None:
        return clean_percent(self.cleaned_data.get("allocation_share"))

    @property
    def share_fraction(self) -> Decimal:
        return percent_to_fraction(self.cleaned_data["allocation_share"])


class ValuesInput(forms.Widget):
    """Several inputs of one name (the twelve months): the template draws them, this reads them back."""

    def value_from_datadict(self, data: Any, files: MultiValueDict, name: str) -> list[str]:
        if hasattr(data, "getlist"):
            return list(data.getlist(name))
        value = data.get(name)
        return list(value) if isinstance(value, list | tuple) else ([] if value is None else [value])


class ElectricityForm(forms.Form):
    TOTAL = "total"
    MONTHLY = "monthly"

    mode = forms.ChoiceField(
        label=_("Entered as"),
        choices=[(TOTAL, _("A total for the period")), (MONTHLY, _("Twelve monthly values"))],
        initial=TOTAL,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a total for the period or twelve monthly values.")},
    )
    total_kwh = forms.CharField(label=_("Total for the period (kWh)"), required=False, max_length=40)
    monthly_kwh = forms.Field(label=_("Monthly values (kWh)"), required=False, widget=ValuesInput)

    def __init__(self, *args: Any, months: list[date] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.months = months

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        mode = data.get("mode")
        data["total"] = None
        data["monthly"] = None
        if mode == self.TOTAL:
            text = (data.get("total_kwh") or "").strip()
            if not text:
                self.add_error("total_kwh", _("Enter the electricity of the period in kWh."))
            else:
                data["total"] = self._number("total_kwh", text)
        elif mode == self.MONTHLY:
            values = [str(v).strip() for v in data.get("monthly_kwh") or []]
            if len(values) != MONTHS:
                message = _("Enter exactly 12 monthly values; %(count)s were given.") % {"count": len(values)}
                self.add_error("monthly_kwh", message)
            elif self.months is None:
                self.add_error(
                    "monthly_kwh",
                    _(
                        "Twelve monthly values need a reporting period of exactly twelve calendar months; "
                        "enter a total for the period instead."
                    ),
                )
            else:
                problems: list[str] = []
                numbers: list[Decimal] = []
                for month, text in zip(self.months, values, strict=True):
                    if not text:
                        problems.append(
                            _("%(month)s: enter a value (0 if nothing was used).") % {"month": f"{month:%Y-%m}"}
                        )
                        continue
                    try:
                        numbers.append(self._parse(text))
                    except ValidationError as exc:
                        problems.append(f"{month:%Y-%m}: {exc.messages[0]}")
                if problems:
                    self.add_error("monthly_kwh", problems)
                else:
                    data["monthly"] = numbers
        return data

    def _number(self, field: str, text: str) -> Decimal | None:
        try:
            return self._parse(text)
        except ValidationError as exc:
            self.add_error(field, exc.messages)
            return None

    @staticmethod
    def _parse(text: str) -> Decimal:
        """A kWh value as typed (spaces between digit groups allowed), checked as the service checks it."""
        cleaned = "".join(text.split())
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            raise ValidationError(_("“%(value)s” is not a number of kWh.") % {"value": text}) from None
        manual_kwh_checked(number)
        return number

    def month_values(self) -> list[tuple[date, str]]:
        """(month, value typed or stored) for the twelve inputs."""
        if not self.months:
            return []
        if self.is_bound:
            typed = list(self.data.getlist("monthly_kwh")) if hasattr(self.data, "getlist") else []
        else:
            typed = [f"{v.normalize():f}" for v in self.initial.get("monthly_kwh") or []]
        typed = (typed + [""] * MONTHS)[:MONTHS]
        return list(zip(self.months, typed, strict=True))
