"""The stages page: the 26 catalogue stages with their allocation and their electricity in the period.

Each row shows a stage's allocation share (in percent) and basis, where its electricity comes from
(meters, entered by hand, both, none), the kWh in the reporting period, the kWh per declared unit
after allocation, the share of the period the readings cover and the gaps (local time). A stage's
allocation is saved in its row (htmx swaps the row; without JavaScript the form posts and the page
comes back); its electricity can be entered by hand on the stage's own page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts.access import Access, Action
from apps.accounts.requests import require_membership
from apps.accounts.tenancy import StaleEditError, row_version
from apps.catalog.models import ProcessStage
from apps.exchange.selectors_comments import OpenComment, open_comments_for_study
from apps.inventory.access import study_access
from apps.inventory.models import Study, StudyStage
from apps.inventory.services.editable import study_is_editable
from apps.inventory.services.stages import study_stage_include, study_stage_update
from apps.ledger.manual import stage_electricity_manual_set, study_months
from apps.ledger.selectors import (
    ElectricitySource,
    StageCoverage,
    manual_entry_for_stage,
    metered_readings_exist,
    stage_coverage_for_study,
    study_period_bounds,
)
from apps.web import presentation
from apps.web.forms.stages import (
    ElectricityForm,
    StageAllocationForm,
    add_service_errors,
    fraction_to_percent,
    stale_form,
)

GAPS_SHOWN = 200  # a row lists at most this many gaps, then says how many more there are

SOURCE_LABELS = {
    ElectricitySource.METERED: gettext_lazy("Meters"),
    ElectricitySource.MANUAL: gettext_lazy("Entered by hand"),
    ElectricitySource.MIXED: gettext_lazy("Meters and by hand"),
    ElectricitySource.NONE: gettext_lazy("None"),
}


@dataclass
class StageRow:
    stage: ProcessStage
    study_stage: StudyStage | None
    coverage: StageCoverage
    kwh_per_unit: Decimal | None
    form: StageAllocationForm | None
    saved: bool = False
    comments: list[OpenComment] = field(default_factory=list)  # the buyer's, once a version is returned

    @property
    def share_percent(self) -> Decimal | None:
        return None if self.study_stage is None else fraction_to_percent(self.study_stage.allocation_share)

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.coverage.source])

    @property
    def gaps_shown(self) -> list:
        return self.coverage.gaps[:GAPS_SHOWN]

    @property
    def gaps_more(self) -> int:
        return max(0, len(self.coverage.gaps) - GAPS_SHOWN)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))  # set by django-htmx's middleware


def _editable(access: Access[Study]) -> bool:
    return access.can_edit and study_is_editable(access.obj)


def _prefix(stage: ProcessStage) -> str:
    return f"s{stage.no}"


def _allocation_form(study_stage: StudyStage, stage: ProcessStage) -> StageAllocationForm:
    return StageAllocationForm(
        prefix=_prefix(stage),
        initial={
            "allocation_share": fraction_to_percent(study_stage.allocation_share),
            "allocation_note": study_stage.allocation_note,
            "row_version": row_version(study_stage),
        },
    )


def _per_unit(study: Study, study_stage: StudyStage | None, kwh: Decimal) -> Decimal | None:
    """kWh per declared unit after allocation, as the engine divides: kWh × share / (units / declared amount)."""
    if study_stage is None:
        return None
    units = study.units_produced / study.declared_unit_amount
    return kwh * study_stage.allocation_share / units


def _rows(
    access: Access[Study], *, forms: dict[int, StageAllocationForm] | None = None, only: ProcessStage | None = None
) -> list[StageRow]:
    study = access.obj
    editable = _editable(access)
    coverage = stage_coverage_for_study(study=study)
    included = {row.stage_id: row for row in study.stages.all()}
    stages = [only] if only is not None else list(ProcessStage.objects.order_by("no"))
    comments = open_comments_for_study(study=study)
    rows = []
    for stage in stages:
        study_stage = included.get(stage.pk)
        # A form posted back (with its errors) is shown even when the study can no longer be edited.
        form = (forms or {}).get(stage.pk)
        if form is None and editable and study_stage is not None:
            form = _allocation_form(study_stage, stage)
        rows.append(
            StageRow(
                stage=stage,
                study_stage=study_stage,
                coverage=coverage[stage.pk],
                kwh_per_unit=_per_unit(study, study_stage, coverage[stage.pk].kwh),
                form=form,
                comments=comments.for_row(f"stage-{stage.no}"),
            )
        )
    return rows


def _context(access: Access[Study], rows: list[StageRow]) -> dict:
    study = access.obj
    start, end = study_period_bounds(study=study)
    return {
        "study": study,
        "access": access,
        "tab": "stages",
        "rows": rows,
        "editable": _editable(access),
        "period_start": start,
        "period_end": end,
        "declared_unit": study.get_declared_unit_display(),
    }


def _render_page(request: HttpRequest, access: Access[Study], rows: list[StageRow], status: int = 200) -> HttpResponse:
    with timezone.override(presentation.organization_timezone(access.obj.organization)):
        return render(request, "web/stages/list.html", _context(access, rows), status=status)


def _render_row(request: HttpRequest, access: Access[Study], row: StageRow) -> HttpResponse:
    context = {**_context(access, [row]), "row": row}
    with timezone.override(presentation.organization_timezone(access.obj.organization)):
        return render(request, "web/stages/_row.html", context)


def _stage_or_404(stage_no: int) -> ProcessStage:
    stage = ProcessStage.objects.filter(no=stage_no).first()
    if stage is None:
        raise Http404("No such stage")
    return stage


def _stages_url(study: Study, stage: ProcessStage | None = None) -> str:
    url = reverse("web:study-stages", kwargs={"study_uuid": study.uuid})
    return f"{url}#stage-{stage.no}" if stage is not None else url


@login_required
@require_safe
def study_stages(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    return _render_page(request, access, _rows(access))


@login_required
@require_POST
def study_stage_save(request: HttpRequest, study_uuid: UUID, stage_no: int) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    stage = _stage_or_404(stage_no)
    study_stage = study.stages.filter(stage=stage).first()
    if study_stage is None:
        raise Http404("Stage not in this study")
    form = StageAllocationForm(request.POST, prefix=_prefix(stage))
    if form.is_valid():
        try:
            study_stage_update(
                study=study,
                study_stage=study_stage,
                allocation_share=form.share_fraction,
                allocation_note=form.cleaned_data["allocation_note"],
                expected_version=form.cleaned_data["row_version"] or None,
                user=request.user,
            )
        except StaleEditError as exc:
            study_stage.refresh_from_db()
            stale_form(form, _allocation_form(study_stage, stage).initial, exc.messages[0])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if _is_htmx(request):
                row = _rows(access, only=stage)[0]
                row.saved = True
                return _render_row(request, access, row)
            messages.success(request, _("Stage %(no)s saved.") % {"no": stage.no})
            return HttpResponseRedirect(_stages_url(study, stage))
    if _is_htmx(request):
        return _render_row(request, access, _rows(access, forms={stage.pk: form}, only=stage)[0])
    return _render_page(request, access, _rows(access, forms={stage.pk: form}))


@login_required
@require_POST
def study_stage_add(request: HttpRequest, study_uuid: UUID, stage_no: int) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    stage = _stage_or_404(stage_no)
    try:
        study_stage_include(study=study, stage=stage, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if _is_htmx(request):
            return _render_row(request, access, _rows(access, only=stage)[0])
        messages.success(request, _("Stage %(no)s is now part of the study.") % {"no": stage.no})
    return HttpResponseRedirect(_stages_url(study, stage))


@login_required
@require_http_methods(["GET", "POST"])
def stage_electricity(request: HttpRequest, study_uuid: UUID, stage_no: int) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.obj
    stage = _stage_or_404(stage_no)
    months = study_months(study)
    if request.method == "POST":
        access.require(Action.EDIT)
        clear = request.POST.get("action") == "clear"
        form = ElectricityForm(request.POST, months=months)
        if clear or form.is_valid():
            values = {"total_kwh": None, "monthly_kwh": None}
            if not clear:
                values = {"total_kwh": form.cleaned_data["total"], "monthly_kwh": form.cleaned_data["monthly"]}
            try:
                stage_electricity_manual_set(study=study, stage=stage, user=request.user, **values)
            except ValidationError as exc:
                if clear:
                    form = ElectricityForm(months=months)
                add_service_errors(form, exc)
            else:
                if clear:
                    messages.success(
                        request, _("The electricity entered by hand for stage %(no)s was removed.") % {"no": stage.no}
                    )
                else:
                    messages.success(request, _("Electricity of stage %(no)s saved.") % {"no": stage.no})
                return HttpResponseRedirect(_stages_url(study, stage))
    else:
        form = None
    entry = manual_entry_for_stage(study=study, stage=stage)
    if form is None:
        initial: dict = {"mode": ElectricityForm.TOTAL}
        if entry.monthly_kwh is not None:
            initial = {"mode": ElectricityForm.MONTHLY, "monthly_kwh": entry.monthly_kwh}
        elif entry.total_kwh is not None:
            initial["total_kwh"] = f"{entry.total_kwh.normalize():f}"
        form = ElectricityForm(initial=initial, months=months)
    start, end = study_period_bounds(study=study)
    coverage = stage_coverage_for_study(study=study)[stage.pk]
    study_stage = study.stages.filter(stage=stage).first()
    context = {
        "study": study,
        "access": access,
        "tab": "stages",
        "stage": stage,
        "study_stage": study_stage,
        "coverage": coverage,
        "metered": metered_readings_exist(site=study.site, stage=stage, start=start, end=end),
        "entry": entry,
        "form": form,
        "month_values": form.month_values(),
        "months": months,
        "editable": _editable(access),
        "source_label": SOURCE_LABELS[coverage.source],
        "gaps_shown": coverage.gaps[:GAPS_SHOWN],
        "gaps_more": max(0, len(coverage.gaps) - GAPS_SHOWN),
        "kwh_per_unit": _per_unit(study, study_stage, coverage.kwh),
        "declared_unit": study.get_declared_unit_display(),
    }
    with timezone.override(presentation.organization_timezone(study.organization)):
        return render(request, "web/stages/electricity.html", context)


urlpatterns = [
    path("studies/<uuid:study_uuid>/stages/", study_stages, name="study-stages"),
    path("studies/<uuid:study_uuid>/stages/<int:stage_no>/", study_stage_save, name="study-stage-update"),
    path("studies/<uuid:study_uuid>/stages/<int:stage_no>/include/", study_stage_add, name="study-stage-include"),
    path("studies/<uuid:study_uuid>/stages/<int:stage_no>/electricity/", stage_electricity, name="stage-electricity"),
]
