"""The supplier workspace: the dashboard, products, sites and studies (create, edit, copy into the next period).

Who may do what (apps.accounts.access): products and sites are the organization's master data, so
creating and changing them takes Action.MANAGE (a supplier's manager); studies take Action.EDIT
(manager or editor). Everyone in the organization may read the dashboard. A buyer organization keeps
no products, sites or studies: every write here is refused to it (403). An object of another
organization is a 404, looked up through the access helpers of apps.inventory.access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.accounts.access import Action, membership_actions, require_action
from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Membership
from apps.accounts.requests import request_membership, require_membership
from apps.accounts.tenancy import StaleEditError, row_version
from apps.exchange.enums import RelationshipStatus, RequestStatus
from apps.exchange.selectors import (
    accepted_recently,
    relationships_for,
    requests_for_buyer,
    requests_for_supplier,
    submissions_waiting_count,
)
from apps.footprints.checks import StudyChecks, study_checks_many
from apps.footprints.enums import ComputationStatus
from apps.footprints.marks import study_input_marks
from apps.footprints.selectors import studies_inputs_changed
from apps.footprints.study_copy import study_copy, study_copy_proposal
from apps.inventory.access import product_access, site_access, study_access
from apps.inventory.enums import StudyStatus
from apps.inventory.models import Product, Site, Study, TransportLeg
from apps.inventory.services.editable import study_is_editable
from apps.inventory.services.studies import (
    product_create,
    product_update,
    site_create,
    site_update,
    study_create,
    study_update,
)
from apps.ledger.models import FuelEntry, WasteEntry
from apps.web import presentation
from apps.web.forms.workspace import (
    ProductForm,
    SiteForm,
    StudyCopyForm,
    StudyCreateForm,
    StudyEditForm,
    apply_service_errors,
)
from apps.web.selectors import StudyStatus as StudyState
from apps.web.selectors import study_statuses_for_organization

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- permissions ----------------------------------------------------------------------------------


def _require_supplier(membership: Membership) -> None:
    if membership.organization.kind != OrganizationKind.SUPPLIER:
        raise PermissionDenied(_("Only a supplier organization keeps products, sites and footprint studies."))


def _organization_writer(request: HttpRequest, action: Action) -> Membership:
    """For pages that create something in the active organization: the role must allow ``action``."""
    membership = require_membership(request)
    require_action(membership, action)
    _require_supplier(membership)
    return membership


# --- the dashboard ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    study: Study
    message: str
    kind: str  # "blocking" | "failed" | "changed" | "returned"
    url: str = ""  # where to fix it (the field of the first blocking problem), else the study's overview


# The page each problem section of apps.footprints.checks is fixed on.
_SECTION_URLS = {
    "bom": "web:study-bom",
    "stages": "web:study-stages",
    "entries": "web:study-entries",
    "study": "web:study-edit",
}


def _problem_url(study: Study, section: str, anchor: str) -> str:
    try:
        url = reverse(_SECTION_URLS.get(section, "web:study-detail"), args=[study.uuid])
    except NoReverseMatch:
        url = reverse("web:study-detail", args=[study.uuid])
    return f"{url}#{anchor}" if anchor else url


@dataclass
class StudyRow:
    state: StudyState
    checks: StudyChecks | None
    inputs_changed: bool
    attention: list[Attention] = field(default_factory=list)

    @property
    def study(self) -> Study:
        return self.state.study


@dataclass
class ProductGroup:
    product: Product
    rows: list[StudyRow] = field(default_factory=list)


def _attention(row: StudyRow) -> list[Attention]:
    study, state, checks = row.study, row.state, row.checks
    items: list[Attention] = []
    if study.status == StudyStatus.RETURNED:
        items.append(Attention(study, _("Returned for changes."), "returned"))
    if study_is_editable(study) and checks is not None and checks.blocking:
        count, first = len(checks.blocking), checks.blocking[0]
        text = ngettext(
            "%(count)d blocking problem, e.g. %(first)s",
            "%(count)d blocking problems, e.g. %(first)s",
            count,
        ) % {"count": count, "first": first.message}
        items.append(Attention(study, text, "blocking", _problem_url(study, first.section, first.anchor)))
    if state.computation is not None and state.computation.status == ComputationStatus.FAILED:
        items.append(
            Attention(
                study,
                _("The latest computation failed: %(error)s") % {"error": state.computation.error_display()},
                "failed",
            )
        )
    if row.inputs_changed:
        items.append(Attention(study, _("The inputs changed after the latest result: compute again."), "changed"))
    return items


def _dashboard_groups(
    products: list[Product], states: list[StudyState], checks: dict[int, StudyChecks], changed: dict[int, bool]
) -> list[ProductGroup]:
    groups = {product.pk: ProductGroup(product) for product in products}
    for state in states:
        study = state.study
        row = StudyRow(state=state, checks=checks.get(study.pk), inputs_changed=changed.get(study.pk, False))
        row.attention = _attention(row)
        groups.setdefault(study.product_id, ProductGroup(study.product)).rows.append(row)
    return list(groups.values())


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    if membership is None:
        # A staff account with no organization lands here after logging in: say why the page is empty.
        return render(request, "web/workspace/dashboard.html", {"organization": None})
    organization = membership.organization
    if organization.kind == OrganizationKind.BUYER:
        return _buyer_dashboard(request, membership)
    actions = membership_actions(membership)
    is_supplier = organization.kind == OrganizationKind.SUPPLIER
    states = study_statuses_for_organization(organization=organization)
    studies = [state.study for state in states]
    marks = study_input_marks(studies=studies)  # one query, shared by the checks and the changed flags
    checks = study_checks_many(studies=studies, marks=marks)
    # Only a study that can still change is told to compute again.
    editable = [study for study in studies if study_is_editable(study)]
    latest = {
        state.study.pk: (
            state.computation.pk if state.computation else None,
            state.computation.status if state.computation else "",
            state.result.pk if state.result else None,
        )
        for state in states
    }
    changed = studies_inputs_changed(studies=editable, marks=marks, latest=latest)
    products = list(Product.objects.for_organization(organization).order_by("name", "model_code"))
    sites = list(Site.objects.for_organization(organization).order_by("name"))
    groups = _dashboard_groups(products, states, checks, changed)
    context = {
        "organization": organization,
        "is_supplier": is_supplier,
        "can_edit": is_supplier and Action.EDIT in actions,
        "can_manage": is_supplier and Action.MANAGE in actions,
        "groups": groups,
        "attention": [item for group in groups for row in group.rows for item in row.attention],
        "sites": sites,
        "study_count": len(states),
    }
    zone = presentation.organization_timezone(organization)
    if is_supplier:
        # What buyers ask for comes first: open requests (overdue ones marked) and proposals to answer.
        today = timezone.localdate(timezone=zone)
        context["open_requests"] = requests_for_supplier(
            organization=organization, status=RequestStatus.OPEN, today=today
        )
        context["proposals"] = relationships_for(organization=organization, status=RelationshipStatus.PENDING)
    with timezone.override(zone):
        return render(request, "web/workspace/dashboard.html", context)


def _buyer_dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A buyer keeps no studies: its dashboard is its open requests, what waits for its review and the
    footprints it accepted lately."""
    organization = membership.organization
    zone = presentation.organization_timezone(organization)
    context = {
        "organization": organization,
        "is_supplier": False,
        "is_buyer": True,
        "can_request": Action.REVIEW in membership_actions(membership),
        "open_requests": requests_for_buyer(
            organization=organization, status=RequestStatus.OPEN, today=timezone.localdate(timezone=zone)
        ),
        "waiting_count": submissions_waiting_count(organization=organization),
        "accepted": accepted_recently(organization=organization),
    }
    with timezone.override(zone):
        return render(request, "web/workspace/dashboard.html", context)


# --- products ---------------------------------------------------------------------------------------


def _stale(form: Any, error: StaleEditError, *, version: str) -> list[tuple[str, Any]]:
    """Keep what the person typed, say what is stored now (by field label), and let the next save go through."""
    data: QueryDict = form.data.copy()
    data["version"] = version
    form.data = data
    form.add_error(None, error.messages[0])
    return [
        (form.fields[name].label if name in form.fields else name, _shown(value))
        for name, value in error.current.items()
    ]


def _shown(value: Any) -> Any:
    if value is None:
        return ""
    return _plain(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True)
class _MasterData:
    """How a page creates and edits one kind of the organization's master data through its services."""

    name: str  # the template's name for the row ("product", "site")
    form: type[ProductForm] | type[SiteForm]
    fields: tuple[str, ...]  # the form's fields the services take, besides the version
    create: Callable[..., Product | Site]
    update: Callable[..., Product | Site]
    created: StrOrPromise
    saved: StrOrPromise

    @property
    def template(self) -> str:
        return f"web/workspace/{self.name}_form.html"


_PRODUCTS = _MasterData(
    name="product",
    form=ProductForm,
    fields=("name", "model_code", "description", "mass_kg"),
    create=product_create,
    update=product_update,
    created=gettext_lazy("Product %(name)s created."),
    saved=gettext_lazy("Product %(name)s saved."),
)
_SITES = _MasterData(
    name="site",
    form=SiteForm,
    fields=("code", "name", "address", "grid_region"),
    create=site_create,
    update=site_update,
    created=gettext_lazy("Site %(name)s created."),
    saved=gettext_lazy("Site %(name)s saved."),
)


def _master_data_page(
    request: HttpRequest, kind: _MasterData, *, membership: Membership, row: Product | Site | None
) -> HttpResponse:
    """The create page (``row`` None) or the edit page of a product or site. The caller has checked access:
    a new row is the active organization's, an edited one came from its access helper."""
    initial: dict[str, Any] | None = None
    if row is not None:
        initial = {name: _initial(getattr(row, name)) for name in kind.fields}
        initial["version"] = row_version(row)
    form = kind.form(request.POST or None, initial=initial)
    current: list[tuple[str, Any]] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {name: data[name] for name in kind.fields}
        try:
            if row is None:
                saved = kind.create(organization=membership.organization, user=request.user, **values)
            else:
                saved = kind.update(**{kind.name: row}, expected_version=data["version"], user=request.user, **values)
        except StaleEditError as exc:
            assert row is not None  # only an edit can be stale
            row.refresh_from_db()
            current = _stale(form, exc, version=row_version(row))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            message = kind.created if row is None else kind.saved
            messages.success(request, str(message) % {"name": saved.name})
            return HttpResponseRedirect(reverse("web:study-list"))
    context: dict[str, Any] = {"form": form, kind.name: row}
    if row is not None:
        context["current"] = current
    return render(request, kind.template, context)


def _initial(value: Any) -> Any:
    """A stored value as the form shows it: decimals as a person types them, nothing as nothing."""
    return _plain(value) if isinstance(value, Decimal) else value


@login_required
def product_create_view(request: HttpRequest) -> HttpResponse:
    membership = _organization_writer(request, Action.MANAGE)
    return _master_data_page(request, _PRODUCTS, membership=membership, row=None)


@login_required
def product_edit_view(request: HttpRequest, product_uuid: UUID) -> HttpResponse:
    access = product_access(membership=require_membership(request), product_uuid=product_uuid)
    product = access.require(Action.MANAGE)
    _require_supplier(access.membership)
    return _master_data_page(request, _PRODUCTS, membership=access.membership, row=product)


# --- sites ------------------------------------------------------------------------------------------


@login_required
def site_create_view(request: HttpRequest) -> HttpResponse:
    membership = _organization_writer(request, Action.MANAGE)
    return _master_data_page(request, _SITES, membership=membership, row=None)


@login_required
def site_edit_view(request: HttpRequest, site_uuid: UUID) -> HttpResponse:
    access = site_access(membership=require_membership(request), site_uuid=site_uuid)
    site = access.require(Action.MANAGE)
    _require_supplier(access.membership)
    return _master_data_page(request, _SITES, membership=access.membership, row=site)


# --- studies ----------------------------------------------------------------------------------------


@login_required
def study_create_view(request: HttpRequest) -> HttpResponse:
    membership = _organization_writer(request, Action.EDIT)
    organization = membership.organization
    initial: dict[str, Any] = {}
    product_uuid = request.GET.get("product", "")
    if product_uuid:
        product = Product.objects.for_organization(organization).filter(uuid__iexact=product_uuid).first()
        if product is not None:
            initial["product"] = product
    form = StudyCreateForm(request.POST or None, organization=organization, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            study = study_create(
                organization=organization,
                product=data["product"],
                site=data["site"],
                name=data["name"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                units_produced=data["units_produced"],
                declared_unit_amount=data["declared_unit_amount"],
                factor_dataset=data["factor_dataset"],
                electricity_factor=data["electricity_factor"],
                electricity_series=data["electricity_series"],
                description=data["description"],
                user=request.user,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Study %(name)s created.") % {"name": study.name})
            return HttpResponseRedirect(reverse("web:study-detail", args=[study.uuid]))
    has_master_data = Product.objects.for_organization(organization).exists() and (
        Site.objects.for_organization(organization).exists()
    )
    context = {
        "form": form,
        "has_master_data": has_master_data,
        "can_manage": Action.MANAGE in membership_actions(membership),
    }
    return render(request, "web/workspace/study_form.html", context)


def _plain(value: Decimal) -> str:
    """A stored decimal as a person would type it: 1000.000000 -> 1000."""
    return f"{value.normalize():f}"


def _study_initial(study: Study) -> dict[str, Any]:
    return {
        "name": study.name,
        "period_start": study.period_start,
        "period_end": study.period_end,
        "units_produced": _plain(study.units_produced),
        "declared_unit_amount": _plain(study.declared_unit_amount),
        "factor_dataset": study.factor_dataset_id,
        "electricity_factor": study.electricity_factor_id,
        "electricity_series": study.electricity_series_id,
        "description": study.description,
        "version": row_version(study),
    }


@login_required
def study_edit_view(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    study = access.require(Action.EDIT)
    _require_supplier(access.membership)
    form = StudyEditForm(request.POST or None, organization=study.organization, initial=_study_initial(study))
    current: list[tuple[str, Any]] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            study = study_update(
                study=study,
                expected_version=data["version"],
                user=request.user,
                name=data["name"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                units_produced=data["units_produced"],
                declared_unit_amount=data["declared_unit_amount"],
                factor_dataset=data["factor_dataset"],
                electricity_factor=data["electricity_factor"],
                electricity_series=data["electricity_series"],
                description=data["description"],
            )
        except StaleEditError as exc:
            study.refresh_from_db()
            current = _stale(form, exc, version=row_version(study))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Study settings saved."))
            return HttpResponseRedirect(reverse("web:study-edit", args=[study.uuid]))
    context = {
        "study": study,
        "access": access,
        "tab": "edit",
        "form": form,
        "current": current,
        "editable": study_is_editable(study),
    }
    return render(request, "web/workspace/study_edit.html", context)


@login_required
def study_copy_view(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    access = study_access(membership=require_membership(request), study_uuid=study_uuid)
    source = access.require(Action.EDIT)
    _require_supplier(access.membership)
    proposal = study_copy_proposal(source=source)
    initial = {
        "name": proposal.name,
        "period_start": proposal.period_start,
        "period_end": proposal.period_end,
        "units_produced": _plain(proposal.units_produced),
    }
    form = StudyCopyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            study = study_copy(
                source=source,
                name=data["name"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                units_produced=data["units_produced"],
                user=request.user,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Study %(name)s started from %(source)s: check the quantities and enter the new period's data.")
                % {"name": study.name, "source": source.name},
            )
            return HttpResponseRedirect(reverse("web:study-detail", args=[study.uuid]))
    counts = {
        "lines": source.bom_lines.count(),
        "legs": TransportLeg.objects.filter(bom_line__study=source).count(),
        "fuels": FuelEntry.objects.filter(study=source).count(),
        "wastes": WasteEntry.objects.filter(study=source).count(),
    }
    context = {"source": source, "form": form, "counts": counts}
    return render(request, "web/workspace/study_copy.html", context)


urlpatterns = [
    path("products/new/", product_create_view, name="product-create"),
    path("products/<uuid:product_uuid>/edit/", product_edit_view, name="product-edit"),
    path("sites/new/", site_create_view, name="site-create"),
    path("sites/<uuid:site_uuid>/edit/", site_edit_view, name="site-edit"),
    path("studies/new/", study_create_view, name="study-create"),
    path("studies/<uuid:study_uuid>/edit/", study_edit_view, name="study-edit"),
    path("studies/<uuid:study_uuid>/copy/", study_copy_view, name="study-copy"),
]
