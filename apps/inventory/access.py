"""Access helpers for products, sites and studies: the object with what the member may do.

The one way a request reaches these rows (see apps.accounts.access). A public id of another
organization raises ``Http404`` exactly as an unknown one does, so nothing tells them apart.
"""

from __future__ import annotations

from uuid import UUID

from django.http import Http404

from apps.accounts.access import Access, membership_actions
from apps.accounts.models import Membership
from apps.inventory.models import Product, Site, Study


def study_access(*, membership: Membership, study_uuid: UUID) -> Access[Study]:
    study = (
        Study.objects.for_organization(membership.organization)
        .select_related("organization", "product", "site", "factor_dataset")
        .filter(uuid=study_uuid)
        .first()
    )
    if study is None:
        raise Http404("No such study")
    return Access(obj=study, membership=membership, actions=membership_actions(membership))


def product_access(*, membership: Membership, product_uuid: UUID) -> Access[Product]:
    product = Product.objects.for_organization(membership.organization).filter(uuid=product_uuid).first()
    if product is None:
        raise Http404("No such product")
    return Access(obj=product, membership=membership, actions=membership_actions(membership))


def site_access(*, membership: Membership, site_uuid: UUID) -> Access[Site]:
    site = Site.objects.for_organization(membership.organization).filter(uuid=site_uuid).first()
    if site is None:
        raise Http404("No such site")
    return Access(obj=site, membership=membership, actions=membership_actions(membership))
