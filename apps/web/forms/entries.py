"""Forms of the fuels-and-waste page: one fuel entry, one waste entry.

The factor list shows the factors of the entry's category the study may use (its library dataset
and the organization's own). A factor id posted by hand is looked up among all factors the study
may use, so a waste factor sent for a fuel entry reaches the service and is refused there with the
reason; another organization's factor is not found at all ("not one of the available choices").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.catalog.models import ProcessStage
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor
from apps.inventory.enums import DataSource
from apps.inventory.models import MASS, QUANTITY
from apps.web.forms.stages import clean_percent, percent_field, percent_to_fraction

COMMON_UNITS = ("kg", "t", "L", "m3", "Nm3", "MJ", "GJ", "kWh")


def factor_label(factor: EmissionFactor) -> str:
    name = " / ".join(n for n in (factor.name_zh, factor.name_en) if n) or factor.code
    return f"{name} = {factor.value.normalize():f} {factor.unit} ({factor.dataset.name} {factor.dataset.version})"


class FactorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: EmissionFactor) -> str:
        return factor_label(obj)


class StageField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProcessStage) -> str:
        return f"{obj.no}. {obj.name_zh} / {obj.name_en}"


def _quantity_field(*, max_digits: int, decimal_places: int) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Quantity in the period"),
        max_digits=max_digits,
        decimal_places=decimal_places,
        error_messages={
            "required": _("Enter the quantity used in the reporting period."),
            "invalid": _("Enter the quantity as a number."),
        },
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )


class _EntryForm(forms.Form):
    category: str = ""

    factor = FactorField(
        label=_("Emission factor"),
        queryset=EmissionFactor.objects.none(),
        error_messages={"required": _("Choose a factor.")},
    )
    unit = forms.CharField(
        label=_("Unit"),
        max_length=16,
        initial="kg",
        error_messages={"required": _("Enter the unit of the quantity, for example kg.")},
        widget=forms.TextInput(attrs={"list": "entry-units", "autocomplete": "off", "size": 6}),
    )
    allocation_share = percent_field()
    data_source = forms.ChoiceField(
        label=_("Data source"), choices=DataSource.choices, initial=DataSource.MEASURED_PRIMARY
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    row_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, factors: list[EmissionFactor], factor_queryset: Any, **kwargs: Any) -> None:
        """``factors``: the choices shown (already read); ``factor_queryset``: where a posted id is looked up."""
        super().__init__(*args, **kwargs)
        field = self.fields["factor"]
        assert isinstance(field, FactorField)
        field.queryset = factor_queryset
        # The list drawn is the one read for the page (one query for all forms on it).
        field.widget.choices = [("", "---------")] + [
            (f.pk, factor_label(f)) for f in factors if f.category == self.category
        ]

    def clean_allocation_share(self) -> Decimal | None:
        return clean_percent(self.cleaned_data.get("allocation_share"))

    def clean_quantity(self) -> Decimal | None:
        quantity: Decimal | None = self.cleaned_data.get("quantity")
        if quantity is not None and quantity < 0:
            raise forms.ValidationError(_("The quantity must not be negative."))
        return quantity

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "factor": data["factor"],
            "quantity": data["quantity"],
            "unit": data["unit"],
            "allocation_share": percent_to_fraction(data["allocation_share"]),
            "data_source": data["data_source"],
            "description": data.get("description") or "",
        }


class FuelEntryForm(_EntryForm):
    category = FactorCategory.FUEL

    stage = StageField(
        label=_("Stage"),
        queryset=ProcessStage.objects.order_by("no"),
        required=False,
        empty_label=_("(the whole plant)"),
    )
    quantity = _quantity_field(**QUANTITY)
    field_order = ["stage", "factor", "quantity", "unit", "allocation_share", "data_source", "description"]

    def service_values(self) -> dict[str, Any]:
        return {**super().service_values(), "stage": self.cleaned_data.get("stage")}


class WasteEntryForm(_EntryForm):
    category = FactorCategory.WASTE

    quantity = _quantity_field(**MASS)
    field_order = ["factor", "quantity", "unit", "allocation_share", "data_source", "description"]
