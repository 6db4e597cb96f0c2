"""Supply relationships: a buyer's suppliers (and proposing one), a supplier's buyers (accepting, ending).

Thin: the list is read with apps.exchange.selectors.relationships_for, one relationship is reached through
apps.exchange.access.relationship_access (another organization's is a 404), and every change is made by a
service of apps.exchange.services, whose refusals are shown at the form's field.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.access import Action, membership_actions
from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Membership
from apps.accounts.requests import require_membership
from apps.exchange.access import relationship_access
from apps.exchange.selectors import relationships_for
from apps.exchange.services import relationship_accept, relationship_end, relationship_propose
from apps.web import presentation
from apps.web.forms.requests import RelationshipProposeForm
from apps.web.forms.workspace import apply_service_errors


def _can_propose(membership: Membership) -> bool:
    return membership.organization.kind == OrganizationKind.BUYER and Action.REVIEW in membership_actions(membership)


def _render(
    request: HttpRequest,
    membership: Membership,
    form: RelationshipProposeForm | None,
    *,
    errors: list[str] | None = None,
) -> HttpResponse:
    organization = membership.organization
    is_buyer = organization.kind == OrganizationKind.BUYER
    if form is None and _can_propose(membership):
        form = RelationshipProposeForm()
    context: dict[str, Any] = {
        "organization": organization,
        "is_buyer": is_buyer,
        "is_supplier": organization.kind == OrganizationKind.SUPPLIER,
        "rows": relationships_for(organization=organization),
        "form": form,
        "can_manage": Action.MANAGE in membership_actions(membership),
        "can_request": _can_propose(membership),  # the same roles send footprint requests
        "errors": errors or [],
    }
    with timezone.override(presentation.organization_timezone(organization)):
        return render(request, "web/relationships/list.html", context)


@login_required
@require_GET
def supplier_list(request: HttpRequest) -> HttpResponse:
    """A buyer's suppliers with the form that proposes one; a supplier's buyers with Accept and End."""
    return _render(request, require_membership(request), None)


@login_required
@require_POST
def relationship_propose_view(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    if not _can_propose(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    form = RelationshipProposeForm(request.POST)
    if form.is_valid():
        try:
            relationship = relationship_propose(
                membership=membership, supplier_identifier=form.cleaned_data["supplier"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Proposed to %(supplier)s. The relationship is active once their manager accepts it.")
                % {"supplier": relationship.supplier.name},
            )
            return HttpResponseRedirect(reverse("web:supplier-list"))
    return _render(request, membership, form)


def _change(request: HttpRequest, relationship_uuid: UUID, *, accept: bool) -> HttpResponse:
    access = relationship_access(membership=require_membership(request), relationship_uuid=relationship_uuid)
    access.require(Action.MANAGE)
    relationship = access.obj
    try:
        if accept:
            relationship_accept(membership=access.membership, relationship=relationship)
        else:
            relationship_end(membership=access.membership, relationship=relationship)
    except ValidationError as exc:
        return _render(request, access.membership, None, errors=list(exc.messages))
    other = relationship.organization if access.is_supplier else relationship.supplier
    if accept:
        messages.success(request, _("You now supply %(buyer)s.") % {"buyer": other.name})
    else:
        messages.success(request, _("The relationship with %(name)s has ended.") % {"name": other.name})
    return HttpResponseRedirect(reverse("web:supplier-list"))


@login_required
@require_POST
def relationship_accept_view(request: HttpRequest, relationship_uuid: UUID) -> HttpResponse:
    return _change(request, relationship_uuid, accept=True)


@login_required
@require_POST
def relationship_end_view(request: HttpRequest, relationship_uuid: UUID) -> HttpResponse:
    return _change(request, relationship_uuid, accept=False)


urlpatterns = [
    path("suppliers/", supplier_list, name="supplier-list"),
    path("suppliers/propose/", relationship_propose_view, name="relationship-propose"),
    path("suppliers/<uuid:relationship_uuid>/accept/", relationship_accept_view, name="relationship-accept"),
    path("suppliers/<uuid:relationship_uuid>/end/", relationship_end_view, name="relationship-end"),
]
