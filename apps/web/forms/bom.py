"""Forms of the bill-of-materials page: a grid row, a line beyond the catalogue, a pasted column,
a transport leg, and a supplier's own factor.

Numbers are typed or pasted as plain decimals (full-width digits accepted, no thousands
separators); loss rates are entered as percentages and cleaned to fractions. A factor is posted as
its id and must be one of the choices the page offered; the services check it again.
Nothing here writes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.factors.models import FACTOR_DIGITS
from apps.inventory.enums import DataSource, TransportMode
from apps.inventory.models import MASS, QUANTITY
from apps.inventory.services.bom import QuantityTextError, number_text_parse

FactorChoices = list[tuple[Any, Any]]  # (id, label) or (group label, [(id, label), ...]), as Django's choices


class PlainDecimalField(forms.DecimalField):
    """A decimal as people type or paste it: spaces ignored, full-width digits accepted; a comma is
    refused (1,234 reads as a thousand in one country and as one point two in another)."""

    default_error_messages = {"invalid": _("Enter a number.")}

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return number_text_parse(str(value))
        except QuantityTextError as exc:
            if exc.code == "comma":
                raise ValidationError(
                    _("Use a point for decimals and no thousands separators (1234.5, not 1,234.5)."), code="comma"
                ) from exc
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class QuantityField(PlainDecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", QUANTITY["max_digits"])
        kwargs.setdefault("decimal_places", QUANTITY["decimal_places"])
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.error_messages["min_value"] = _("The quantity must not be negative.")


class PercentField(PlainDecimalField):
    """A loss rate in percent (2 = 2 %), cleaned to a fraction (0.02)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", None)  # the range check below says what is wrong with 100 or 250
        kwargs.setdefault("decimal_places", 4)  # a fraction with 6 places
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Decimal:
        percent = super().clean(value)
        if percent is None:
            return Decimal(0)
        if not Decimal(0) <= percent < Decimal(100):
            raise ValidationError(_("The loss rate must be at least 0 and below 100 percent."), code="loss_range")
        return percent / Decimal(100)


class MassField(PlainDecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MASS["max_digits"])
        kwargs.setdefault("decimal_places", MASS["decimal_places"])
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Decimal | None:
        mass = super().clean(value)
        if mass is not None and mass <= 0:
            raise ValidationError(
                _("The mass of one unit must be greater than zero (leave it empty when the factor does not need it)."),
                code="mass_positive",
            )
        return mass


class FactorChoiceField(forms.TypedChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("empty_value", None)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


def _percent_text(fraction: Decimal) -> str:
    return plain(fraction * 100)


def plain(value: Decimal | None) -> str:
    """A stored decimal as an input shows it: 1.000000 -> "1", 0.020000 -> "0.02", None -> ""."""
    if value is None:
        return ""
    if value.is_zero():
        return "0"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class HandRenderedMixin:
    """What a hand-written template needs to render a form's inputs quickly (the grid has hundreds)."""

    @property
    def values(self) -> dict[str, str]:
        """Each field's value as its input shows it: what was posted, else the initial value."""
        form: Any = self
        shown: dict[str, str] = {}
        for name, field_ in form.fields.items():
            if form.is_bound:
                value = form.data.get(form.add_prefix(name), "")
            else:
                value = form.initial.get(name, field_.initial)
            shown[name] = "" if value is None else str(value)
        return shown

    @property
    def factor_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The factor choices as (group, [(id, label)]), without the empty first choice."""
        form: Any = self
        groups = []
        for value, label in form.fields["factor"].choices[1:]:
            if isinstance(label, list | tuple):
                groups.append((str(value), [(str(pk), str(text)) for pk, text in label]))
            else:
                groups.append(("", [(str(value), str(label))]))
        return groups

    @property
    def factor_empty_label(self) -> str:
        form: Any = self
        return str(form.fields["factor"].choices[0][1])


class BomRowForm(HandRenderedMixin, forms.Form):
    """One row of the grid: a catalogue material (with or without its line) or a line of its own."""

    quantity = QuantityField(label=_("Quantity per declared unit"))
    loss_rate = PercentField(label=_("Loss rate (%)"))
    unit_mass_kg = MassField(label=_("Mass per unit (kg)"))
    factor = FactorChoiceField(label=_("Factor"))
    data_source = forms.ChoiceField(label=_("Data source"), choices=DataSource.choices, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        factor_choices: FactorChoices,
        custom: bool = False,
        has_line: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.custom, self.has_line = custom, has_line
        self.fields["factor"].choices = [("", _("Default")), *factor_choices]  # type: ignore[attr-defined]
        if custom:
            self.fields["name"] = forms.CharField(label=_("Name"), max_length=200)
            self.fields["activity_unit"] = forms.CharField(label=_("Activity unit"), max_length=16)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.has_line and "quantity" in data and data["quantity"] is None:
            self.add_error("quantity", _("Enter a quantity (0 if the material is not used), or delete the line."))
        if not self.has_line and data.get("quantity") is None:
            filled = [f for f in ("unit_mass_kg", "factor") if data.get(f) is not None] or (
                ["notes"] if data.get("notes") else []
            )
            if filled or (data.get("loss_rate") or 0) > 0:
                self.add_error("quantity", _("Enter the quantity to add this material to the bill of materials."))
        if self.custom and "factor" in data and data["factor"] is None:
            self.add_error("factor", _("A line beyond the catalogue has no default factor: choose its factor."))
        if not data.get("data_source"):
            data["data_source"] = DataSource.SECONDARY_DEFAULT
        return data

    @staticmethod
    def initial_for(line: Any) -> dict[str, Any]:
        """The values a stored line shows in the row (strings as the inputs hold them)."""
        if line is None:
            return {"data_source": DataSource.SECONDARY_DEFAULT, "version": ""}
        initial = {
            "quantity": plain(line.quantity),
            "loss_rate": _percent_text(line.loss_rate),
            "unit_mass_kg": plain(line.unit_mass_kg),
            "factor": "" if line.factor_id is None else str(line.factor_id),
            "data_source": line.data_source,
            "notes": line.notes,
        }
        if line.material_id is None:
            initial.update(name=line.name, activity_unit=line.activity_unit)
        return initial


class CustomLineForm(forms.Form):
    """A line beyond the catalogue: packaging, a second PCB."""

    name = forms.CharField(label=_("Name"), max_length=200)
    activity_unit = forms.CharField(label=_("Activity unit"), max_length=16, initial="kg")
    quantity = QuantityField(label=_("Quantity per declared unit"), required=True)
    loss_rate = PercentField(label=_("Loss rate (%)"))
    unit_mass_kg = MassField(label=_("Mass per unit (kg)"))
    factor = FactorChoiceField(label=_("Factor"), required=True)
    data_source = forms.ChoiceField(
        label=_("Data source"), choices=DataSource.choices, initial=DataSource.SECONDARY_DEFAULT
    )
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def __init__(self, *args: Any, factor_choices: FactorChoices, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "custom")
        super().__init__(*args, **kwargs)
        self.fields["factor"].choices = [("", "—"), *factor_choices]  # type: ignore[attr-defined]
        self.fields["factor"].error_messages["required"] = _(
            "A line beyond the catalogue has no default factor: choose its factor."
        )
        self.fields["quantity"].error_messages["required"] = _("Enter the quantity per declared unit.")


class PasteForm(forms.Form):
    """A column of numbers copied from a spreadsheet, pasted from a chosen row down."""

    values = forms.CharField(
        label=_("Quantities, one per line"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 18}),
        error_messages={"required": _("Paste at least one number.")},
        strip=False,
    )
    start = forms.TypedChoiceField(label=_("Starting at material"), coerce=int)

    def __init__(self, *args: Any, materials: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "paste")
        super().__init__(*args, **kwargs)
        self.fields["start"].choices = [(m.no, f"{m.no}. {m.name_zh} / {m.name_en}") for m in materials]  # type: ignore[attr-defined]

    def lines(self) -> list[str]:
        return str(self.cleaned_data["values"]).splitlines()


class TransportLegForm(HandRenderedMixin, forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=TransportMode.choices)
    distance_km = PlainDecimalField(
        label=_("Distance (km)"),
        min_value=Decimal(0),
        max_digits=QUANTITY["max_digits"],
        decimal_places=QUANTITY["decimal_places"],
        error_messages={"min_value": _("The distance must not be negative."), "required": _("Enter the distance.")},
    )
    mass_kg = PlainDecimalField(
        label=_("Mass per declared unit (kg)"),
        min_value=Decimal(0),
        max_digits=MASS["max_digits"],
        decimal_places=MASS["decimal_places"],
        error_messages={
            "min_value": _("The transported mass must not be negative."),
            "required": _("Enter the transported mass."),
        },
    )
    factor = FactorChoiceField(
        label=_("Transport factor"), required=True, error_messages={"required": _("Choose the transport factor.")}
    )
    data_source = forms.ChoiceField(
        label=_("Data source"), choices=DataSource.choices, initial=DataSource.SECONDARY_DEFAULT
    )
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, factor_choices: FactorChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["factor"].choices = [("", "—"), *factor_choices]  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(leg: Any) -> dict[str, Any]:
        return {
            "mode": leg.mode,
            "distance_km": plain(leg.distance_km),
            "mass_kg": plain(leg.mass_kg),
            "factor": str(leg.factor_id),
            "data_source": leg.data_source,
        }


class OwnFactorForm(forms.Form):
    """A factor from the supplier's own data (an upstream supplier's EPD or footprint certificate)."""

    material = forms.TypedChoiceField(label=_("Material"), coerce=int, empty_value=None, required=False)
    name_zh = forms.CharField(label=_("Chinese name"), max_length=200, required=False)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    value = PlainDecimalField(
        label=_("Value"), max_digits=FACTOR_DIGITS["max_digits"], decimal_places=FACTOR_DIGITS["decimal_places"]
    )
    unit = forms.CharField(
        label=_("Unit"), max_length=40, initial="kgCO2e/kg", help_text=_("e.g. kgCO2e/kg, kgCO2e/piece")
    )
    low = PlainDecimalField(
        label=_("Range: low"),
        required=False,
        max_digits=FACTOR_DIGITS["max_digits"],
        decimal_places=FACTOR_DIGITS["decimal_places"],
    )
    high = PlainDecimalField(
        label=_("Range: high"),
        required=False,
        max_digits=FACTOR_DIGITS["max_digits"],
        decimal_places=FACTOR_DIGITS["decimal_places"],
    )
    source = forms.CharField(
        label=_("Source citation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Who published the value, and where: the upstream supplier's EPD number, a certificate, a study."),
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    # --- EVIDENCE (apps.evidence) ------------------------------------------------------------
    # With a study to file it under (evidence files belong to a study), the form also takes the
    # factor's evidence (the EPD or certificate): a FileField "evidence" that the view passes to
    # apps.evidence.services.evidence_add, which checks its size and type.
    # -----------------------------------------------------------------------------------------

    def __init__(self, *args: Any, materials: list[Any], with_evidence: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_evidence:
            self.fields["evidence"] = forms.FileField(
                label=_("Evidence file"),
                required=False,
                help_text=_("The EPD or footprint certificate the value comes from (PDF, image or spreadsheet)."),
            )
        self.fields["material"].choices = [("", _("None (choose it on a line)"))] + [  # type: ignore[attr-defined]
            (m.no, f"{m.no}. {m.name_zh} / {m.name_en} ({m.activity_unit})") for m in materials
        ]
        self.fields["value"].error_messages["required"] = _("Enter the factor's value.")
