"""The bill-of-materials page: the 32 catalogue materials and the lines beyond the catalogue as one
grid, transport legs inline, a pasted column of quantities, and the supplier's own factors.

Saving: the whole grid is one form (works without JavaScript) whose rows are all validated and
written in one transaction, or none; with htmx each row also saves on its own and comes back
re-rendered (with its errors, or its saved values). Every row carries its version, so a save over
someone else's change is refused with the current values shown at the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.accounts.access import Access, Action, require_action
from apps.accounts.requests import require_membership
from apps.accounts.tenancy import StaleEditError, row_version
from apps.catalog.models import Material
from apps.engine import units
from apps.evidence.enums import EvidenceKind
from apps.evidence.services import evidence_add
from apps.exchange.selectors_comments import OpenComment, OpenComments, open_comments_for_study
from apps.factors.models import EmissionFactor
from apps.factors.services import own_factor_create
from apps.footprints.marks import study_input_marks
from apps.inventory.access import study_access
from apps.inventory.models import BomLine, Study, TransportLeg
from apps.inventory.services.bom import (
    BomGridData,
    bom_grid_read,
    bom_line_add_custom,
    bom_line_delete,
    bom_line_set_for_material,
    bom_line_update,
    bom_quantities_paste,
    mass_needed,
    transport_leg_add,
    transport_leg_delete,
    transport_leg_update,
)
from apps.inventory.services.editable import study_is_editable
from apps.web.forms.bom import (
    BomRowForm,
    CustomLineForm,
    FactorChoices,
    OwnFactorForm,
    PasteForm,
    TransportLegForm,
    plain,
)
from apps.web.fragments import cached_fragment

GRID_FORM_ID = "bom-grid"


# --- building the grid ----------------------------------------------------------------------


def _factor_name(factor: EmissionFactor) -> str:
    if (get_language() or "").startswith("zh") and factor.name_zh:
        return factor.name_zh
    return factor.name_en or factor.name_zh


def factor_label(factor: EmissionFactor) -> str:
    dataset = factor.dataset
    return f"{plain(factor.value)} {factor.unit} · {_factor_name(factor)} ({dataset.name} {dataset.version})"


@dataclass
class FactorInfo:
    """A factor as the factor column describes it."""

    factor: EmissionFactor
    value: str
    unit: str
    dataset: str
    source: str
    low: str
    high: str
    own: bool

    @classmethod
    def of(cls, factor: EmissionFactor, study: Study) -> FactorInfo:
        return cls(
            factor=factor,
            value=plain(factor.value),
            unit=factor.unit,
            dataset=f"{factor.dataset.name} {factor.dataset.version}",
            source=factor.source,
            low=plain(factor.low),
            high=plain(factor.high),
            own=factor.dataset_id != study.factor_dataset_id,
        )


@dataclass
class LegRow:
    leg: TransportLeg
    form: TransportLegForm
    stale: str = ""


@dataclass
class GridRow:
    key: str  # "line-12" or "material-20": the prefix of the row's inputs
    order: int  # position among the catalogue rows (for a pasted column), 0 for lines of their own
    material: Material | None
    line: BomLine | None
    form: BomRowForm
    default: FactorInfo | None
    chosen: FactorInfo | None
    unit: str
    mass_shown: bool = False
    stale: str = ""
    attempted: str = ""  # what the user tried to save when the row was stale
    legs: list[LegRow] = field(default_factory=list)  # built by Grid.open_legs, when the legs are shown
    leg_form: TransportLegForm | None = None
    legs_open: bool = False  # shown inline; otherwise fetched when the user opens them (bom_line_legs)
    saved: bool = False
    comments: list[OpenComment] = field(default_factory=list)  # the buyer's, once a version is returned

    @property
    def version(self) -> str:
        return "" if self.line is None else row_version(self.line)

    @property
    def custom(self) -> bool:
        return self.material is None

    @property
    def leg_count(self) -> int:
        return 0 if self.line is None else len(self.line.transport_legs.all())  # prefetched


class Grid:
    """The rows of one study's grid, with the factor choices each row offers."""

    def __init__(self, study: Study, data: BomGridData) -> None:
        self.study, self.data = study, data
        self.material_factors = {f.pk: f for f in data.material_factors}
        self.transport_factors = {f.pk: f for f in data.transport_factors}
        own_label, library_label = _("Own factors"), _("Library")
        by_material: dict[int | None, tuple[list[tuple[int, str]], list[tuple[int, str]]]] = {}
        everything: tuple[list[tuple[int, str]], list[tuple[int, str]]] = ([], [])
        for factor in data.material_factors:
            is_own = factor.dataset_id != study.factor_dataset_id
            option = (factor.pk, factor_label(factor))
            everything[0 if is_own else 1].append(option)
            by_material.setdefault(factor.material_id, ([], []))[0 if is_own else 1].append(option)
        self._labels = (own_label, library_label)
        self._by_material = by_material
        self._everything = everything
        library_id = study.factor_dataset_id
        transport = [(f.pk, factor_label(f), f.dataset_id != library_id) for f in data.transport_factors]
        self.transport_choices = self._grouped(
            [(pk, label) for pk, label, own in transport if own],
            [(pk, label) for pk, label, own in transport if not own],
        )
        self.rows: list[GridRow] = []
        for order, material in enumerate(data.materials, start=1):
            lines = data.lines_by_material.get(material.pk) or [None]  # type: ignore[list-item]
            for line in lines:
                self.rows.append(self._row(material=material, line=line, order=order))
        for line in data.custom_lines:
            self.rows.append(self._row(material=None, line=line, order=0))
        self.by_key = {row.key: row for row in self.rows}

    def _grouped(self, own: list[tuple[int, str]], library: list[tuple[int, str]]) -> FactorChoices:
        choices: FactorChoices = []
        if own:
            choices.append((self._labels[0], own))
        if library:
            choices.append((self._labels[1], library))
        return choices

    def factor_choices(self, material: Material | None, current: EmissionFactor | None) -> FactorChoices:
        own, library = self._everything if material is None else self._by_material.get(material.pk, ([], []))
        if current is not None and all(current.pk != pk for pk, _label in [*own, *library]):
            # A line's own factor that is not offered for its material (chosen elsewhere, imported).
            current_own = current.dataset_id != self.study.factor_dataset_id
            extra = (current.pk, factor_label(current))
            own, library = ([*own, extra], library) if current_own else (own, [*library, extra])
        return self._grouped(own, library)

    def row_form(self, row_material: Material | None, line: BomLine | None, key: str, data: Any = None) -> BomRowForm:
        current = None if line is None else line.factor
        initial = BomRowForm.initial_for(line)
        initial["version"] = "" if line is None else row_version(line)
        return BomRowForm(
            data,
            prefix=key,
            initial=initial,
            factor_choices=self.factor_choices(row_material, current),
            custom=row_material is None,
            has_line=line is not None,
        )

    def leg_form(self, *, prefix: str, leg: TransportLeg | None = None, data: Any = None) -> TransportLegForm:
        initial = TransportLegForm.initial_for(leg) if leg is not None else {}
        if leg is not None:
            initial["version"] = row_version(leg)
        return TransportLegForm(data, prefix=prefix, initial=initial, factor_choices=self.transport_choices)

    def _row(self, *, material: Material | None, line: BomLine | None, order: int) -> GridRow:
        key = f"line-{line.pk}" if line is not None else f"material-{material.no}"  # type: ignore[union-attr]
        default = None if material is None else self.data.defaults.get(material.pk)
        chosen = None if line is None or line.factor is None else line.factor
        row = GridRow(
            key=key,
            order=order,
            material=material,
            line=line,
            form=self.row_form(material, line, key),
            default=None if default is None else FactorInfo.of(default, self.study),
            chosen=None if chosen is None else FactorInfo.of(chosen, self.study),
            unit=material.activity_unit if material is not None else line.activity_unit,  # type: ignore[union-attr]
        )
        self._update_mass_shown(row)
        return row

    def open_legs(self, row: GridRow) -> GridRow:
        """Build the row's transport-leg forms (once) and show them inline. The grid itself renders
        legs only on request: a leg form carries the whole transport factor list, and a grid of 32
        rows with every leg form inline was three quarters of the page."""
        if row.line is not None and not row.legs_open:
            row.legs = [
                LegRow(leg=leg, form=self.leg_form(prefix=f"leg-{leg.pk}", leg=leg))
                for leg in row.line.transport_legs.all()
            ]
            if row.leg_form is None:
                row.leg_form = self.leg_form(prefix=f"leg-new-{row.line.pk}")
        row.legs_open = True
        return row

    def _update_mass_shown(self, row: GridRow) -> None:
        effective = row.chosen.factor if row.chosen else (row.default.factor if row.default else None)
        if row.form.is_bound and row.form.is_valid():
            posted = row.form.cleaned_data.get("factor")
            if posted is not None and posted in self.material_factors:
                effective = self.material_factors[posted]
        needed = effective is not None and units.is_known(row.unit) and mass_needed(row.unit, effective.unit)
        has_value = bool(row.line is not None and row.line.unit_mass_kg is not None)
        posted_mass = row.form.is_bound and bool(row.form.data.get(f"{row.key}-unit_mass_kg"))
        row.mass_shown = needed or has_value or posted_mass or bool(row.form.errors.get("unit_mass_kg"))

    def bind(self, key: str, data: QueryDict) -> GridRow:
        row = self.by_key[key]
        row.form = self.row_form(row.material, row.line, key, data)
        row.form.is_valid()
        self._update_mass_shown(row)
        return row

    def unbind(self, key: str) -> None:
        """Show the stored values again (after a refused edit)."""
        row = self.by_key[key]
        row.form = self.row_form(row.material, row.line, key)
        self._update_mass_shown(row)

    def mark_stale(self, key: str, message: str, attempted: str = "") -> None:
        row = self.by_key.get(key)
        if row is not None:
            row.stale, row.attempted = message, attempted


def _grid_context(study: Study, access: Access[Study], grid: Grid, **extra: Any) -> dict[str, Any]:
    editable = access.can_edit and study_is_editable(study)
    context = {
        "organization": study.organization,
        "study": study,
        "access": access,
        "tab": "bom",
        "grid": grid,
        "rows": grid.rows,
        "editable": editable,
        "grid_form_id": GRID_FORM_ID,
        "custom_form": None,
        "paste_form": None,
        "grid_errors": [],
    }
    context.update(extra)
    if context["custom_form"] is None:
        context["custom_form"] = CustomLineForm(factor_choices=grid.factor_choices(None, None))
    if context["paste_form"] is None:
        context["paste_form"] = PasteForm(materials=grid.data.materials)
    return context


def _with_comments(grid: Grid, comments: OpenComments) -> Grid:
    """Each row with the buyer's comments on its line (apps.exchange.selectors_comments)."""
    for row in grid.rows:
        row.comments = comments.for_row(row.key)
    return grid


def _render_grid(request: HttpRequest, study: Study, access: Access[Study], grid: Grid, **extra: Any) -> HttpResponse:
    _with_comments(grid, open_comments_for_study(study=study))
    return render(request, "web/bom/grid.html", _grid_context(study, access, grid, **extra))


GRID_TEMPLATES = ("web/bom/_grid_body.html", "web/bom/_row.html", "web/bom/_legs.html", "web/bom/_leg_form.html")


def _render_grid_cached(request: HttpRequest, study: Study, access: Access[Study]) -> HttpResponse:
    """The grid as stored, from the fragment cache: it is rebuilt only when the study's input mark changes.

    The mark is read before the grid: an edit committed in between makes the stored HTML newer than its
    key, never older, and the next request's mark misses the cache. The buyer's comments shown at the
    rows are named in the key too (their signature), so a comment never waits behind older HTML."""
    editable = access.can_edit and study_is_editable(study)
    mark = study_input_marks(studies=[study])[study.pk]
    comments = open_comments_for_study(study=study)

    def render_body(extra: dict[str, Any]) -> str:
        grid = _with_comments(Grid(study, bom_grid_read(study=study)), comments)
        return render_to_string("web/bom/_grid_body.html", {**_grid_context(study, access, grid), **extra})

    body = cached_fragment(
        request,
        key=("bom-grid", study.pk, mark, comments.signature, int(editable), int(access.can_edit)),
        templates=GRID_TEMPLATES,
        render=render_body,
    )
    context = {"organization": study.organization, "study": study, "access": access, "tab": "bom", "grid_body": body}
    return render(request, "web/bom/grid.html", context)


def _render_row(request: HttpRequest, study: Study, access: Access[Study], row: GridRow | None) -> HttpResponse:
    if row is None:
        return HttpResponse("")
    row.comments = open_comments_for_study(study=study).for_row(row.key)
    editable = access.can_edit and study_is_editable(study)
    html = render_to_string(
        "web/bom/_row.html",
        {"row": row, "study": study, "editable": editable, "grid_form_id": GRID_FORM_ID},
        request=request,
    )
    return HttpResponse(html)


def _grid_url(study: Study, anchor: str = "") -> str:
    url = reverse("web:study-bom", args=[study.uuid])
    return f"{url}#{anchor}" if anchor else url


def _apply_errors(form: Form, error: ValidationError) -> None:
    """A service's field-keyed errors at the form's fields (others above the form)."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


# --- saving rows ----------------------------------------------------------------------------


def _row_changed(row: GridRow) -> bool:
    data, line = row.form.cleaned_data, row.line
    if line is None:
        return data.get("quantity") is not None
    compared = [
        (data["quantity"], line.quantity),
        (data["loss_rate"], line.loss_rate),
        (data["unit_mass_kg"], line.unit_mass_kg),
        (data["factor"], line.factor_id),
        (data["data_source"], line.data_source),
        ((data["notes"] or "").strip(), line.notes),
    ]
    if row.custom:
        compared += [(data["name"].strip(), line.name), (data["activity_unit"].strip(), line.activity_unit)]
    return any(new != old for new, old in compared)


def _save_row(grid: Grid, row: GridRow, user: Any) -> None:
    """Write one valid, changed row through its service (raises ValidationError / StaleEditError)."""
    data = row.form.cleaned_data
    factor = None if data["factor"] is None else grid.material_factors.get(data["factor"])
    values = {
        "quantity": data["quantity"],
        "loss_rate": data["loss_rate"],
        "factor": factor,
        "data_source": data["data_source"],
        "unit_mass_kg": data["unit_mass_kg"],
        "notes": data["notes"],
        "user": user,
    }
    if row.line is None:
        assert row.material is not None
        bom_line_set_for_material(study=grid.study, material=row.material, expected_version="", **values)
    else:
        extra = {"name": data["name"], "activity_unit": data["activity_unit"]} if row.custom else {}
        try:
            bom_line_update(study=grid.study, line=row.line, expected_version=data["version"] or "", **values, **extra)
        except BomLine.DoesNotExist as exc:
            raise ValidationError(_("A line was deleted by someone else after you opened the page.")) from exc


def _stale_message() -> str:
    return str(StaleEditError(current={}).messages[0])


def _attempted(row: GridRow) -> str:
    quantity = row.form.data.get(f"{row.key}-quantity", "")
    return str(quantity).strip()


def _posted_keys(request: HttpRequest) -> list[str]:
    return [key for key in request.POST.getlist("rows") if key]


def _stale_key(grid: Grid, key: str) -> str:
    """The row that now stands where a posted row was: a material's new line, or the same key."""
    if key in grid.by_key or not key.startswith("material-"):
        return key
    no = key.removeprefix("material-")
    for row in grid.rows:
        if row.material is not None and str(row.material.no) == no:
            return row.key
    return key


class _StudyLockedError(Exception):
    def __init__(self, study: Study) -> None:
        super().__init__(study.pk)
        self.study = study


def _study_for_edit(request: HttpRequest, study_uuid: UUID) -> tuple[Study, Access[Study]]:
    """The study for a write: 404 if foreign, 403 for a role that may not edit; a study that is no
    longer a draft (or returned) sends the user back to the grid, which says why."""
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    if not study_is_editable(study):
        raise _StudyLockedError(study)
    return study, access


def _post_only(view: Any) -> Any:
    """For the write-only URLs: an outsider gets 404 whatever the method (the study is looked up
    first), a member who GETs gets 405."""

    @wraps(view)
    def wrapped(request: HttpRequest, study_uuid: UUID, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            study_access(membership=require_membership(request), study_uuid=study_uuid)
            return HttpResponseNotAllowed(["POST"])
        try:
            response: HttpResponse = view(request, study_uuid, **kwargs)
        except _StudyLockedError as locked:
            messages.error(
                request,
                _("This study is %(status)s: its data can no longer be changed.")
                % {"status": locked.study.get_status_display()},
            )
            response = HttpResponseRedirect(_grid_url(locked.study))
            if request.htmx:  # type: ignore[attr-defined]
                response = HttpResponse("")
                response["HX-Redirect"] = _grid_url(locked.study)
        return response

    return login_required(wrapped)


# --- views ----------------------------------------------------------------------------------


@login_required
def study_bom(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """GET: the grid. POST: save every row of the grid, all or nothing."""
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.obj
    if request.method != "POST":
        if "legs" not in request.GET:
            return _render_grid_cached(request, study, access)
        grid = Grid(study, bom_grid_read(study=study))
        opened = grid.by_key.get(f"line-{request.GET.get('legs', '')}")
        if opened is not None:  # the link inside a closed legs section, followed without JavaScript
            grid.open_legs(opened)
        return _render_grid(request, study, access, grid)
    access.require(Action.EDIT)
    if not study_is_editable(study):
        messages.error(
            request,
            _("This study is %(status)s: its data can no longer be changed.") % {"status": study.get_status_display()},
        )
        return HttpResponseRedirect(_grid_url(study))
    grid = Grid(study, bom_grid_read(study=study))
    grid_errors: list[str] = []
    rows: list[GridRow] = []
    for key in _posted_keys(request):
        if key in grid.by_key:
            rows.append(grid.bind(key, request.POST))
        elif key.startswith("line-"):
            grid_errors.append(_("A line was deleted by someone else after you opened the page."))
        elif request.POST.get(f"{key}-quantity", "").strip():
            grid.mark_stale(_stale_key(grid, key), _stale_message(), request.POST.get(f"{key}-quantity", ""))
            grid_errors.append(_stale_message())
    invalid = [row for row in rows if not row.form.is_valid()]
    if invalid or grid_errors:
        grid_errors.insert(0, _("Nothing was saved: correct the marked cells and save again."))
        return _render_grid(request, study, access, grid, grid_errors=grid_errors)
    changed = [row for row in rows if _row_changed(row)]
    stale: list[tuple[GridRow, str]] = []
    failed = False
    with transaction.atomic():
        for row in changed:
            try:
                _save_row(grid, row, request.user)
            except StaleEditError:
                stale.append((row, _attempted(row)))
                failed = True
            except ValidationError as exc:
                _apply_errors(row.form, exc)
                failed = True
        if failed:
            transaction.set_rollback(True)
    if failed:
        # Rolled back: the grid read above is what is stored. A stale row shows the stored values.
        for row, attempt in stale:
            grid.unbind(row.key)
            grid.mark_stale(row.key, _stale_message(), attempt)
        errors = [_("Nothing was saved: correct the marked cells and save again.")]
        if stale:
            errors.append(_stale_message())
        return _render_grid(request, study, access, grid, grid_errors=errors)
    if changed:
        messages.success(request, _("Saved: %(count)s lines changed.") % {"count": len(changed)})
    else:
        messages.info(request, _("Nothing to save: no line was changed."))
    return HttpResponseRedirect(_grid_url(study))


@login_required
@require_GET
def bom_line_legs(request: HttpRequest, study_uuid: UUID, line_id: int) -> HttpResponse:
    """A line's transport legs, fetched when the user opens them in the grid (htmx); without
    JavaScript, the grid with that line's legs open."""
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.obj
    grid = Grid(study, bom_grid_read(study=study))
    row = grid.by_key.get(f"line-{line_id}")
    if row is None:
        raise Http404("No such line")
    if not request.htmx:  # type: ignore[attr-defined]
        return HttpResponseRedirect(f"{_grid_url(study)}?legs={line_id}#line-{line_id}")
    editable = access.can_edit and study_is_editable(study)
    context = {"row": grid.open_legs(row), "study": study, "editable": editable}
    return render(request, "web/bom/_legs.html", context)


@_post_only
def bom_row_save(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """One row of the grid (htmx): saved and returned re-rendered, with its errors or saved values."""
    study, access = _study_for_edit(request, study_uuid)
    key = request.POST.get("row", "")
    grid = Grid(study, bom_grid_read(study=study))
    if key not in grid.by_key:
        target = _stale_key(grid, key)
        if target == key:
            raise Http404("No such row")
        grid.mark_stale(target, _stale_message(), request.POST.get(f"{key}-quantity", ""))
        return _row_response(request, study, access, grid, grid.by_key[target])
    row = grid.bind(key, request.POST)
    if not row.form.is_valid():
        return _row_response(request, study, access, grid, row)
    if not _row_changed(row):
        row.saved = True
        return _row_response(request, study, access, grid, row)
    try:
        with transaction.atomic():
            _save_row(grid, row, request.user)
    except StaleEditError:
        # The grid was read after the other save: it holds the stored values.
        grid.unbind(key)
        grid.mark_stale(key, _stale_message(), _attempted(row))
        return _row_response(request, study, access, grid, row)
    except ValidationError as exc:
        _apply_errors(row.form, exc)
        return _row_response(request, study, access, grid, row)
    fresh = Grid(study, bom_grid_read(study=study))
    saved = fresh.by_key.get(_stale_key(fresh, key))
    if saved is not None:
        saved.saved = True
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(_grid_url(study, saved.key if saved else ""))
    return _render_row(request, study, access, saved)


def _row_response(
    request: HttpRequest, study: Study, access: Access[Study], grid: Grid, row: GridRow | None
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _render_row(request, study, access, row)
    return _render_grid(request, study, access, grid)


@_post_only
def bom_line_remove(request: HttpRequest, study_uuid: UUID, line_id: int) -> HttpResponse:
    study, access = _study_for_edit(request, study_uuid)
    line = study.bom_lines.filter(pk=line_id).first()
    if line is None:
        raise Http404("No such line")
    try:
        bom_line_delete(study=study, line=line, user=request.user, expected_version=request.POST.get("version") or None)
    except StaleEditError:
        grid = Grid(study, bom_grid_read(study=study))
        grid.mark_stale(f"line-{line.pk}", _stale_message())
        return _row_response(request, study, access, grid, grid.by_key.get(f"line-{line.pk}"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(_grid_url(study))
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, _("The line was deleted."))
        return HttpResponseRedirect(_grid_url(study))
    if line.material_id is None:
        return HttpResponse("")
    grid = Grid(study, bom_grid_read(study=study))
    assert line.material is not None
    return _render_row(request, study, access, grid.by_key.get(_stale_key(grid, f"material-{line.material.no}")))


@_post_only
def bom_custom_add(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study, access = _study_for_edit(request, study_uuid)
    grid = Grid(study, bom_grid_read(study=study))
    form = CustomLineForm(request.POST, factor_choices=grid.factor_choices(None, None))
    if form.is_valid():
        data = form.cleaned_data
        try:
            line = bom_line_add_custom(
                study=study,
                name=data["name"],
                activity_unit=data["activity_unit"],
                quantity=data["quantity"],
                loss_rate=data["loss_rate"],
                factor=grid.material_factors.get(data["factor"]),
                data_source=data["data_source"],
                unit_mass_kg=data["unit_mass_kg"],
                notes=data["notes"],
                user=request.user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Added %(name)s.") % {"name": line.name})
            return HttpResponseRedirect(_grid_url(study, f"line-{line.pk}"))
    return _render_grid(request, study, access, grid, custom_form=form, custom_open=True)


@_post_only
def bom_paste(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """A column of quantities copied from a spreadsheet, written from the chosen row down."""
    study, access = _study_for_edit(request, study_uuid)
    grid = Grid(study, bom_grid_read(study=study))
    form = PasteForm(request.POST, materials=grid.data.materials)
    if form.is_valid():
        try:
            outcome = bom_quantities_paste(
                study=study, values=form.lines(), start_material_no=form.cleaned_data["start"], user=request.user
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                target = {"start_material_no": "start", "values": "values"}.get(name)
                form.add_error(target, errors)
        else:
            messages.success(
                request,
                _("Pasted: %(created)s lines added, %(updated)s changed, %(unchanged)s left as they were.")
                % {"created": outcome.created, "updated": outcome.updated, "unchanged": outcome.unchanged},
            )
            return HttpResponseRedirect(_grid_url(study))
    return _render_grid(request, study, access, grid, paste_form=form)


def _leg_values(grid: Grid, form: TransportLegForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "mode": data["mode"],
        "distance_km": data["distance_km"],
        "mass_kg": data["mass_kg"],
        "factor": grid.transport_factors.get(data["factor"]),
        "data_source": data["data_source"],
    }


def _leg_response(
    request: HttpRequest, study: Study, access: Access[Study], grid: Grid, line_id: int, *, saved: bool
) -> HttpResponse:
    row = grid.by_key.get(f"line-{line_id}")
    if row is not None:
        grid.open_legs(row)
    if saved and not request.htmx:  # type: ignore[attr-defined]
        return HttpResponseRedirect(_grid_url(study, f"line-{line_id}"))
    return _row_response(request, study, access, grid, row)


@_post_only
def transport_leg_create(request: HttpRequest, study_uuid: UUID, line_id: int) -> HttpResponse:
    study, access = _study_for_edit(request, study_uuid)
    line = study.bom_lines.select_related("study").filter(pk=line_id).first()
    if line is None:
        raise Http404("No such line")
    grid = Grid(study, bom_grid_read(study=study))
    prefix = f"leg-new-{line.pk}"
    form = grid.leg_form(prefix=prefix, data=request.POST)
    if form.is_valid():
        try:
            transport_leg_add(line=line, **_leg_values(grid, form), user=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Transport leg added."))
            return _leg_response(request, study, access, Grid(study, bom_grid_read(study=study)), line.pk, saved=True)
    row = grid.by_key.get(f"line-{line.pk}")
    if row is not None:
        row.leg_form = form
        grid.open_legs(row)
    return _leg_response(request, study, access, grid, line.pk, saved=False)


def _leg_in_study(study: Study, leg_id: int) -> TransportLeg:
    leg = TransportLeg.objects.select_related("bom_line__study").filter(bom_line__study=study, pk=leg_id).first()
    if leg is None:
        raise Http404("No such transport leg")
    return leg


@_post_only
def transport_leg_edit(request: HttpRequest, study_uuid: UUID, leg_id: int) -> HttpResponse:
    study, access = _study_for_edit(request, study_uuid)
    leg = _leg_in_study(study, leg_id)
    grid = Grid(study, bom_grid_read(study=study))
    form = grid.leg_form(prefix=f"leg-{leg.pk}", leg=leg, data=request.POST)
    stale = ""
    if form.is_valid():
        try:
            transport_leg_update(
                leg=leg,
                **_leg_values(grid, form),
                expected_version=form.cleaned_data["version"] or "",
                user=request.user,
            )
        except StaleEditError:
            stale = _stale_message()
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Transport leg saved."))
            return _leg_response(
                request, study, access, Grid(study, bom_grid_read(study=study)), leg.bom_line_id, saved=True
            )
    row = grid.by_key.get(f"line-{leg.bom_line_id}")
    if row is not None:
        for leg_row in grid.open_legs(row).legs:
            if leg_row.leg.pk == leg.pk:
                if stale:
                    leg_row.stale = stale  # the current values stay in the (unbound) form
                else:
                    leg_row.form = form
    return _leg_response(request, study, access, grid, leg.bom_line_id, saved=False)


@_post_only
def transport_leg_remove(request: HttpRequest, study_uuid: UUID, leg_id: int) -> HttpResponse:
    study, access = _study_for_edit(request, study_uuid)
    leg = _leg_in_study(study, leg_id)
    version = request.POST.get(f"leg-{leg.pk}-version") or request.POST.get("version") or None
    try:
        transport_leg_delete(leg=leg, user=request.user, expected_version=version)
    except StaleEditError:
        grid = Grid(study, bom_grid_read(study=study))
        row = grid.by_key.get(f"line-{leg.bom_line_id}")
        for leg_row in grid.open_legs(row).legs if row else []:
            if leg_row.leg.pk == leg.pk:
                leg_row.stale = _stale_message()
        return _leg_response(request, study, access, grid, leg.bom_line_id, saved=False)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(_grid_url(study))
    messages.success(request, _("Transport leg deleted."))
    return _leg_response(request, study, access, Grid(study, bom_grid_read(study=study)), leg.bom_line_id, saved=True)


def _evidence_study(request: HttpRequest, membership: Any) -> Study | None:
    """The study an own factor's evidence file is filed under (``study`` in the query or form):
    one the member may edit, still a draft or returned; a foreign one is a 404."""
    raw = request.POST.get("study") or request.GET.get("study") or ""
    if not raw:
        return None
    try:
        study_uuid = UUID(raw)
    except ValueError as exc:
        raise Http404("No such study") from exc
    access = study_access(membership=membership, study_uuid=study_uuid)
    study = access.obj
    return study if access.can_edit and study_is_editable(study) else None


@login_required
def factor_create(request: HttpRequest) -> HttpResponse:
    """A factor from the supplier's own data, in the organization's own dataset; with its evidence
    file when the page was opened from a study."""
    membership = require_membership(request)
    require_action(membership, Action.EDIT)
    materials = list(Material.objects.order_by("no"))
    by_no = {m.no: m for m in materials}
    evidence_study = _evidence_study(request, membership)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        form = OwnFactorForm(request.POST, request.FILES, materials=materials, with_evidence=evidence_study is not None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():  # the factor and its evidence file, or neither
                    factor = own_factor_create(
                        organization=membership.organization,
                        material=by_no.get(data["material"]) if data["material"] else None,
                        name_zh=data["name_zh"],
                        name_en=data["name_en"],
                        value=data["value"],
                        unit=data["unit"],
                        low=data["low"],
                        high=data["high"],
                        source=data["source"],
                        notes=data["notes"],
                        user=request.user,
                    )
                    if evidence_study is not None and data.get("evidence"):
                        _evidence_attach(evidence_study, data["evidence"], factor, request.user)
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "file" in exc.error_dict:
                    form.add_error("evidence", exc.error_dict.pop("file"))
                if not hasattr(exc, "error_dict") or exc.error_dict:
                    _apply_errors(form, exc)
            else:
                messages.success(request, _("Own factor saved: %(factor)s.") % {"factor": factor_label(factor)})
                return HttpResponseRedirect(next_url or reverse("web:study-list"))
    else:
        material_no = request.GET.get("material", "")
        initial: dict[str, Any] = {}
        if material_no.isdigit() and int(material_no) in by_no:
            material = by_no[int(material_no)]
            initial = {"material": material.no, "name_zh": material.name_zh, "name_en": material.name_en}
            initial["unit"] = f"kgCO2e/{material.activity_unit}"
        form = OwnFactorForm(initial=initial, materials=materials, with_evidence=evidence_study is not None)
    return render(
        request,
        "web/bom/factor_form.html",
        {
            "form": form,
            "next_url": next_url,
            "organization": membership.organization,
            "evidence_study": evidence_study,
        },
    )


def _evidence_attach(study: Study, upload: Any, factor: EmissionFactor, user: Any) -> None:
    evidence_add(
        study=study,
        upload=upload,
        kind=EvidenceKind.UPSTREAM_CERTIFICATE,
        description=factor.name_en,
        target=factor,
        user=user,
    )


urlpatterns = [
    path("studies/<uuid:study_uuid>/bom/", study_bom, name="study-bom"),
    path("studies/<uuid:study_uuid>/bom/row/", bom_row_save, name="bom-row-save"),
    path("studies/<uuid:study_uuid>/bom/paste/", bom_paste, name="bom-paste"),
    path("studies/<uuid:study_uuid>/bom/custom/", bom_custom_add, name="bom-custom-add"),
    path("studies/<uuid:study_uuid>/bom/lines/<int:line_id>/delete/", bom_line_remove, name="bom-line-delete"),
    path("studies/<uuid:study_uuid>/bom/lines/<int:line_id>/legs/", bom_line_legs, name="bom-line-legs"),
    path(
        "studies/<uuid:study_uuid>/bom/lines/<int:line_id>/transport/", transport_leg_create, name="transport-leg-add"
    ),
    path("studies/<uuid:study_uuid>/bom/transport/<int:leg_id>/", transport_leg_edit, name="transport-leg-update"),
    path(
        "studies/<uuid:study_uuid>/bom/transport/<int:leg_id>/delete/",
        transport_leg_remove,
        name="transport-leg-delete",
    ),
    path("factors/new/", factor_create, name="factor-create"),
]
