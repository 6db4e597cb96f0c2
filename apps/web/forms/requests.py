"""Forms of the exchange pages: proposing a supplier, a footprint request, answering or declining one.

They parse what a person typed; the services (apps.exchange.services, apps.exchange.workflow) decide and
write, and their refusals are shown at these forms' fields (apps.web.forms.workspace.apply_service_errors).
Choice fields take public ids and offer only the caller's own rows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from apps.exchange.enums import RelationshipStatus
from apps.exchange.models import SupplyRelationship
from apps.exchange.selectors import SubmittableStudy
from apps.inventory.enums import DeclaredUnit
from apps.inventory.models import Study
from apps.web.forms.workspace import PublicIdChoiceField


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class RelationshipProposeForm(forms.Form):
    supplier = forms.CharField(
        label=_("Supplier's short name or unified social credit code"),
        max_length=60,
        help_text=_("Ask the supplier for it: suppliers are not listed."),
    )
    note = forms.CharField(label=_("Note to the supplier"), max_length=300, required=False)


class RelationshipField(PublicIdChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, SupplyRelationship)
        return obj.supplier.name


class RequestCreateForm(forms.Form):
    """``relationships``: every relationship the buyer proposed (what may be posted; the service refuses one
    that is not active, in its own words); the select offers the active ones only."""

    supplier = RelationshipField(label=_("Supplier"), queryset=SupplyRelationship.objects.none())
    product_type = forms.CharField(
        label=_("Product type"),
        max_length=120,
        help_text=_("What the comparison groups by, e.g. “single-phase smart meter”."),
        widget=forms.TextInput(attrs={"list": "product-types"}),
    )
    product_code = forms.CharField(label=_("Supplier's model code"), max_length=80, required=False)
    product_description = forms.CharField(label=_("Product description"), max_length=300, required=False)
    period_start = forms.DateField(label=_("Reporting period start"), widget=_date_input())
    period_end = forms.DateField(label=_("Reporting period end (inclusive)"), widget=_date_input())
    declared_unit = forms.ChoiceField(
        label=_("Declared unit"), choices=DeclaredUnit.choices, initial=DeclaredUnit.PIECE
    )
    due_date = forms.DateField(label=_("Due date"), widget=_date_input())
    message = forms.CharField(label=_("Message to the supplier"), required=False, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args: Any, relationships: QuerySet[SupplyRelationship], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supplier"]
        assert isinstance(field, RelationshipField)
        field.queryset = relationships
        active = [r for r in relationships if r.status == RelationshipStatus.ACTIVE]
        field.widget.choices = [("", "---------"), *((str(r.uuid), r.supplier.name) for r in active)]

    def clean_supplier(self) -> SupplyRelationship:
        relationship: SupplyRelationship = self.cleaned_data["supplier"]
        if relationship.status == RelationshipStatus.ENDED:
            raise forms.ValidationError(
                _("Your supply relationship with %(supplier)s has ended."),
                code="relationship_ended",
                params={"supplier": relationship.supplier.name},
            )
        return relationship

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The reporting period must end on or after the day it starts."))
        if not cleaned.get("product_code") and not cleaned.get("product_description") and "product_code" in cleaned:
            self.add_error("product_code", _("Name the product: the supplier's model code or a description."))
        return cleaned


class StudyChoiceField(PublicIdChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, Study)
        return f"{obj.name} · {obj.product.model_code} · {obj.site.name}"


class SubmitForm(forms.Form):
    """``studies``: the supplier's studies that match the request (any may be posted: the workflow decides);
    ``rows``: the same with whether each is ready, so the select can say why one cannot be sent now."""

    study = StudyChoiceField(label=_("Study"), queryset=Study.objects.none())
    note = forms.CharField(label=_("Note to the buyer"), required=False, widget=forms.Textarea({"rows": 3}))

    def __init__(
        self, *args: Any, studies: QuerySet[Study], rows: list[SubmittableStudy] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["study"]
        assert isinstance(field, StudyChoiceField)
        field.queryset = studies
        if rows is not None:
            field.widget = _StudySelect(rows=rows)
            field.widget.choices = [
                ("", "---------"),
                *((str(row.study.uuid), field.label_from_instance(row.study)) for row in rows),
            ]


class _StudySelect(forms.Select):
    """A study that cannot be submitted now is offered disabled, with what stands in the way."""

    def __init__(self, *, rows: list[SubmittableStudy]) -> None:
        super().__init__()
        self.rows = {str(row.study.uuid): row for row in rows}

    def create_option(
        self,
        name: str,
        value: Any,
        label: int | str,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        row = self.rows.get(str(value))
        if row is not None and not row.ready:
            option["attrs"]["disabled"] = True
            option["label"] = f"{label} ({' '.join(row.reasons)})"
        return option


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you decline"),
        required=False,  # the service says it is needed, in its words
        widget=forms.Textarea({"rows": 3}),
        help_text=_("The buyer reads it."),
    )
