"""Forms of the workspace: products, sites, studies and the copy of a study into the next period.

The forms parse and check what a person typed; the services (apps.inventory.services.studies,
apps.footprints.study_copy) decide and write. Choice fields offer only what the organization may
link to, so an id of another organization's row posted by hand fails at its field exactly like an
unknown one ("Select a valid choice ...") and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.regions import electricity_factors_visible_to, electricity_series_visible_to, grid_region_choices
from apps.inventory.models import MASS, QUANTITY, Product, Site
from apps.web.templatetags.cf_format import sig4

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError at the form's fields (a field the form lacks: at the top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        for message in messages:
            form.add_error(target, message)


def _chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


class ElectricityFactorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, EmissionFactor)
        name = obj.name_zh if _chinese() and obj.name_zh else obj.name_en
        parts = [name, f"{sig4(obj.value)} {obj.unit}"]
        if obj.region or obj.year:
            parts.append(" ".join(str(p) for p in (obj.region, obj.year) if p))
        parts.append(str(obj.dataset))
        return " · ".join(parts)


class ElectricitySeriesField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, ElectricityFactorSeries)
        return f"{obj.name} · {obj.region} · {obj.unit} · {obj.dataset}"


class PublicIdChoiceField(forms.ModelChoiceField):
    """A product or site chosen by its public id (uuid): sequential ids are never shown, even in a form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uuid")
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Model | None:
        try:
            result: Model | None = super().to_python(value)
        except ValidationError as exc:
            if exc.code == "invalid_choice":
                raise
            # Not even a uuid: the same answer as an unknown one.
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            ) from exc
        return result


class ProductLabelField(PublicIdChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, Product)
        return f"{obj.name} ({obj.model_code})"


class SiteLabelField(PublicIdChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, Site)
        return f"{obj.name} ({obj.grid_region})"


class DatasetField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, FactorDataset)
        owner = _("your own data") if obj.organization_id else _("shared library")
        return f"{obj.name} {obj.version} · {obj.publisher} · {owner}"


class VersionedForm(forms.Form):
    """An edit form carries the version of the row it was rendered from (refuses a stale save)."""

    version = forms.CharField(required=False, widget=forms.HiddenInput)


def _positive(value: Decimal | None, message: StrOrPromise) -> Decimal | None:
    if value is not None and value <= 0:
        raise ValidationError(message, code="not_positive")
    return value


class ProductForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    model_code = forms.CharField(label=_("Model code"), max_length=80)
    mass_kg = forms.DecimalField(
        label=_("Mass per piece (kg)"),
        required=False,
        max_digits=MASS["max_digits"],
        decimal_places=MASS["decimal_places"],
        help_text=_("Optional, in kilograms."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_mass_kg(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("mass_kg")
        if value is not None and value < 0:
            raise ValidationError(_("The mass must not be negative."), code="negative")
        return value


class SiteForm(VersionedForm):
    code = forms.SlugField(
        label=_("Code"), max_length=60, help_text=_("A short name: letters, digits and hyphens, e.g. plant-hz.")
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    grid_region = forms.ChoiceField(
        label=_("Grid region"), help_text=_("The regions for which the factor library holds an electricity factor.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["grid_region"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "---------"), *((region, region) for region in grid_region_choices())]


class _PeriodMixin(forms.Form):
    period_start = forms.DateField(label=_("Reporting period start"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(
        label=_("Reporting period end (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    units_produced = forms.DecimalField(
        label=_("Units produced in the period (pieces)"),
        max_digits=QUANTITY["max_digits"],
        decimal_places=QUANTITY["decimal_places"],
    )

    def clean_units_produced(self) -> Decimal | None:
        return _positive(
            self.cleaned_data.get("units_produced"), _("Units produced in the period must be greater than zero.")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The reporting period must end on or after the day it starts."))
        return cleaned


class _StudySettingsForm(_PeriodMixin):
    """What a study's settings page and its creation share."""

    name = forms.CharField(label=_("Name"), max_length=200)
    declared_unit_amount = forms.DecimalField(
        label=_("Declared unit amount (pieces)"),
        initial=Decimal(1),
        max_digits=QUANTITY["max_digits"],
        decimal_places=QUANTITY["decimal_places"],
        help_text=_("The footprint is stated per this many pieces of the product (usually 1)."),
    )
    factor_dataset = DatasetField(
        label=_("Factor dataset"),
        queryset=FactorDataset.objects.none(),
        help_text=_("The library dataset (and version) whose default factors this study uses."),
    )
    electricity_factor = ElectricityFactorField(
        label=_("Grid electricity factor"),
        queryset=EmissionFactor.objects.none(),
        required=False,
        empty_label=_("No static factor"),
        help_text=_("A static factor for the whole period (kg CO2e per kWh), or choose a series below."),
    )
    electricity_series = ElectricitySeriesField(
        label=_("Grid factor series"),
        queryset=ElectricityFactorSeries.objects.none(),
        required=False,
        empty_label=_("No series"),
        help_text=_("A factor that follows the generation mix over time, instead of a static factor."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = [
        "name",
        "period_start",
        "period_end",
        "units_produced",
        "declared_unit_amount",
        "factor_dataset",
        "electricity_factor",
        "electricity_series",
        "description",
    ]

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self._queryset("factor_dataset", FactorDataset.objects.visible_to(organization).order_by("name", "version"))
        self._queryset("electricity_factor", electricity_factors_visible_to(organization=organization))
        self._queryset("electricity_series", electricity_series_visible_to(organization=organization))

    def _queryset(self, name: str, queryset: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset

    def clean_declared_unit_amount(self) -> Decimal | None:
        return _positive(
            self.cleaned_data.get("declared_unit_amount"), _("The declared unit amount must be greater than zero.")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("electricity_factor") and cleaned.get("electricity_series"):
            self.add_error(
                "electricity_series", _("Choose either a static electricity factor or a factor series, not both.")
            )
        return cleaned


class StudyCreateForm(_StudySettingsForm):
    product = ProductLabelField(label=_("Product"), queryset=Product.objects.none())
    site = SiteLabelField(label=_("Site (plant)"), queryset=Site.objects.none())

    field_order = ["product", "site", *_StudySettingsForm.field_order]

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, organization=organization, **kwargs)
        self._queryset("product", Product.objects.for_organization(organization).order_by("name", "model_code"))
        self._queryset("site", Site.objects.for_organization(organization).order_by("name"))


class StudyEditForm(_StudySettingsForm, VersionedForm):
    pass


class StudyCopyForm(_PeriodMixin):
    name = forms.CharField(label=_("Name of the new study"), max_length=200)

    field_order = ["name", "period_start", "period_end", "units_produced"]
