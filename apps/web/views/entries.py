"""The fuels-and-waste page: a study's fuel entries (Eb) and waste entries (Ew), added, edited and deleted.

An entry is looked up within its study (another study's entry id is a 404). Edits carry the row
version the page was drawn with: a save over someone else's change is refused and the form comes
back with the values stored now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts.access import Access, Action
from apps.accounts.requests import require_membership
from apps.accounts.tenancy import StaleEditError, row_version
from apps.engine import units
from apps.exchange.selectors_comments import OpenComment, OpenComments, open_comments_for_study
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor
from apps.inventory.access import study_access
from apps.inventory.models import Study
from apps.inventory.services.editable import study_is_editable
from apps.ledger import entries as services
from apps.ledger.models import FuelEntry, WasteEntry
from apps.ledger.selectors import (
    fuel_entries_for_study,
    ledger_factor_queryset,
    ledger_factors_for_study,
    waste_entries_for_study,
)
from apps.web import presentation
from apps.web.forms.entries import COMMON_UNITS, FuelEntryForm, WasteEntryForm
from apps.web.forms.stages import add_service_errors, fraction_to_percent, stale_form

Entry = FuelEntry | WasteEntry


@dataclass(frozen=True)
class _Kind:
    key: str  # "fuel" | "waste": the URL segment and form prefix
    model: type[models.Model]
    form: type[FuelEntryForm] | type[WasteEntryForm]
    add: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    entries: Callable[..., Any]


FUEL = _Kind("fuel", FuelEntry, FuelEntryForm, services.fuel_entry_add, services.fuel_entry_update,
             services.fuel_entry_delete, lambda study: study.fuel_entries)  # fmt: skip
WASTE = _Kind("waste", WasteEntry, WasteEntryForm, services.waste_entry_add, services.waste_entry_update,
              services.waste_entry_delete, lambda study: study.waste_entries)  # fmt: skip


@dataclass(frozen=True)
class EntryRow:
    entry: Entry
    share_percent: Decimal
    per_unit: Decimal | None  # kg CO2e per declared unit after allocation
    version: str
    comments: tuple[OpenComment, ...] = ()  # the buyer's, once a version is returned


def _editable(access: Access[Study]) -> bool:
    return access.can_edit and study_is_editable(access.obj)


def _per_unit(study: Study, entry: Entry) -> Decimal | None:
    """kg CO2e per declared unit, as the engine values an entry: quantity × factor × unit conversion × share / units."""
    factor = units.valuation_factor(entry.unit, entry.factor.unit)
    if factor is None:
        return None
    declared_units = study.units_produced / study.declared_unit_amount
    return entry.quantity * entry.factor.value * factor * entry.allocation_share / declared_units


def _rows(study: Study, entries: Sequence[Entry], kind: str, comments: OpenComments) -> list[EntryRow]:
    return [
        EntryRow(
            entry=entry,
            share_percent=fraction_to_percent(entry.allocation_share),
            per_unit=_per_unit(study, entry),
            version=row_version(entry),
            comments=tuple(comments.for_row(f"{kind}-{entry.pk}")),
        )
        for entry in entries
    ]


def _form(
    kind: _Kind, study: Study, factors: list[EmissionFactor], data: Any = None, initial: dict | None = None
) -> FuelEntryForm | WasteEntryForm:
    return kind.form(
        data, initial=initial, prefix=kind.key, factors=factors, factor_queryset=ledger_factor_queryset(study=study)
    )


def _factors(study: Study) -> list[EmissionFactor]:
    return ledger_factors_for_study(study=study, categories=[FactorCategory.FUEL, FactorCategory.WASTE])


def _initial(kind: _Kind, entry: Entry) -> dict[str, Any]:
    initial = {
        "factor": entry.factor_id,
        "quantity": entry.quantity,
        "unit": entry.unit,
        "allocation_share": fraction_to_percent(entry.allocation_share),
        "data_source": entry.data_source,
        "description": entry.description,
        "row_version": row_version(entry),
    }
    if isinstance(entry, FuelEntry):
        initial["stage"] = entry.stage_id
    return initial


def _entry_or_404(kind: _Kind, study: Study, entry_id: int) -> Entry:
    queryset = kind.entries(study).select_related("factor__dataset")
    if kind is FUEL:
        queryset = queryset.select_related("stage")
    entry = queryset.filter(pk=entry_id).first()
    if entry is None:
        raise Http404("No such entry in this study")
    return entry


def _render(
    request: HttpRequest, template: str, access: Access[Study], context: dict, status: int = 200
) -> HttpResponse:
    with timezone.override(presentation.organization_timezone(access.obj.organization)):
        return render(
            request,
            template,
            {"study": access.obj, "access": access, "tab": "entries", "editable": _editable(access),
             "units": COMMON_UNITS, **context},
            status=status,
        )  # fmt: skip


def _render_list(
    request: HttpRequest, access: Access[Study], *, fuel_form: Any = None, waste_form: Any = None, status: int = 200
) -> HttpResponse:
    study = access.obj
    factors = _factors(study) if _editable(access) else []
    comments = open_comments_for_study(study=study)
    context = {
        "fuel_rows": _rows(study, fuel_entries_for_study(study=study), FUEL.key, comments),
        "waste_rows": _rows(study, waste_entries_for_study(study=study), WASTE.key, comments),
        "fuel_form": fuel_form or (_form(FUEL, study, factors) if _editable(access) else None),
        "waste_form": waste_form or (_form(WASTE, study, factors) if _editable(access) else None),
        "declared_unit": study.get_declared_unit_display(),
    }
    return _render(request, "web/entries/list.html", access, context, status=status)


def _entries_url(study: Study, anchor: str = "") -> str:
    url = reverse("web:study-entries", kwargs={"study_uuid": study.uuid})
    return f"{url}#{anchor}" if anchor else url


@login_required
@require_safe
def study_entries(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    return _render_list(request, access)


def _add(request: HttpRequest, study_uuid: UUID, kind: _Kind) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    factors = _factors(study)
    form = _form(kind, study, factors, data=request.POST)
    if form.is_valid():
        try:
            kind.add(study=study, user=request.user, **form.service_values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Entry added."))
            return HttpResponseRedirect(_entries_url(study, f"{kind.key}-entries"))
    if kind is FUEL:
        return _render_list(request, access, fuel_form=form)
    return _render_list(request, access, waste_form=form)


def _edit(request: HttpRequest, study_uuid: UUID, entry_id: int, kind: _Kind) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.obj
    entry = _entry_or_404(kind, study, entry_id)
    factors = _factors(study)
    form = _form(kind, study, factors, initial=_initial(kind, entry))
    if request.method == "POST":
        access.require(Action.EDIT)
        form = _form(kind, study, factors, data=request.POST, initial=_initial(kind, entry))
        if form.is_valid():
            try:
                kind.update(
                    study=study,
                    entry=entry,
                    expected_version=form.cleaned_data["row_version"] or None,
                    user=request.user,
                    **form.service_values(),
                )
            except StaleEditError as exc:
                entry = _entry_or_404(kind, study, entry_id)
                stale_form(form, _initial(kind, entry), exc.messages[0])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Entry saved."))
                return HttpResponseRedirect(_entries_url(study, f"{kind.key}-{entry.pk}"))
    row = _rows(study, [entry], kind.key, open_comments_for_study(study=study))[0]
    context = {"kind": kind.key, "entry": entry, "form": form, "row": row}
    return _render(request, "web/entries/edit.html", access, context)


def _delete(request: HttpRequest, study_uuid: UUID, entry_id: int, kind: _Kind) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    entry = _entry_or_404(kind, study, entry_id)
    try:
        kind.delete(
            study=study, entry=entry, expected_version=request.POST.get("row_version") or None, user=request.user
        )
    except StaleEditError:
        messages.error(
            request,
            _(
                "Someone else changed this entry after you opened the page, so it was not deleted. "
                "Check it and try again."
            ),
        )
        return HttpResponseRedirect(_entries_url(study, f"{kind.key}-{entry.pk}"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(_entries_url(study))
    messages.success(request, _("Entry deleted."))
    return HttpResponseRedirect(_entries_url(study, f"{kind.key}-entries"))


@login_required
@require_POST
def fuel_entry_add(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    return _add(request, study_uuid, FUEL)


@login_required
@require_http_methods(["GET", "POST"])
def fuel_entry_edit(request: HttpRequest, study_uuid: UUID, fuel_id: int) -> HttpResponse:
    return _edit(request, study_uuid, fuel_id, FUEL)


@login_required
@require_POST
def fuel_entry_delete(request: HttpRequest, study_uuid: UUID, fuel_id: int) -> HttpResponse:
    return _delete(request, study_uuid, fuel_id, FUEL)


@login_required
@require_POST
def waste_entry_add(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    return _add(request, study_uuid, WASTE)


@login_required
@require_http_methods(["GET", "POST"])
def waste_entry_edit(request: HttpRequest, study_uuid: UUID, waste_id: int) -> HttpResponse:
    return _edit(request, study_uuid, waste_id, WASTE)


@login_required
@require_POST
def waste_entry_delete(request: HttpRequest, study_uuid: UUID, waste_id: int) -> HttpResponse:
    return _delete(request, study_uuid, waste_id, WASTE)


urlpatterns = [
    path("studies/<uuid:study_uuid>/entries/", study_entries, name="study-entries"),
    path("studies/<uuid:study_uuid>/entries/fuel/add/", fuel_entry_add, name="fuel-entry-add"),
    path("studies/<uuid:study_uuid>/entries/fuel/<int:fuel_id>/", fuel_entry_edit, name="fuel-entry-edit"),
    path("studies/<uuid:study_uuid>/entries/fuel/<int:fuel_id>/delete/", fuel_entry_delete, name="fuel-entry-delete"),
    path("studies/<uuid:study_uuid>/entries/waste/add/", waste_entry_add, name="waste-entry-add"),
    path("studies/<uuid:study_uuid>/entries/waste/<int:waste_id>/", waste_entry_edit, name="waste-entry-edit"),
    path(
        "studies/<uuid:study_uuid>/entries/waste/<int:waste_id>/delete/", waste_entry_delete, name="waste-entry-delete"
    ),
]
