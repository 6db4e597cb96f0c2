"""Every workspace URL, requested by someone who must not reach it, gets 404 or 403 and writes nothing.

The URL list is read from the resolver, so a page added later is covered without editing this
file; a URL argument this file cannot fill makes the test fail and name it. Three callers:

- a member of another supplier, asking for the owner's objects: 404 (405 for a method the view
  does not take), and the body names none of the owner's data;
- a member of a buyer organization, with no supply relationship: the same;
- a viewer of the owner, trying to write: 403 (or 405), and no row of any tenant table changes.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Organization
from tests import factories
from tests.web.world import NOT_OBJECT_URLS, SECRET, object_urls, web_patterns


def _tenant_row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in {"accounts", "catalog", "factors", "inventory", "ledger", "evidence", "footprints"}:
            counts[model._meta.label] = model.objects.count()
    return counts


def _client_for(organization: Organization, role: str = Role.MANAGER) -> Client:
    client = Client()
    client.force_login(factories.make_member(organization, role=role))
    return client


def _post_data() -> dict[str, str]:
    # Plausible values for every field name the forms use, so a view that forgot its access check
    # would have something to write.
    return {
        "quantity": "1",
        "loss_rate": "1",
        "name": "x",
        "code": "x",
        "description": "x",
        "total_kwh": "1",
        "allocation_share": "50",
        "distance_km": "1",
        "mass_kg": "1",
        "value": "1",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("caller_kind", [OrganizationKind.SUPPLIER, OrganizationKind.BUYER])
def test_an_outsider_gets_404_on_every_object_url_and_learns_nothing(owner_world, caller_kind):
    outsider = _client_for(factories.make_organization(kind=caller_kind))
    urls = object_urls(owner_world)
    assert len(urls) >= 2
    before = _tenant_row_counts()

    failures = []
    for url in urls:
        for method in ("get", "post"):
            response = getattr(outsider, method)(url, _post_data() if method == "post" else None)
            body = response.content.decode(errors="replace")
            if response.status_code not in (404, 405) or SECRET in body:
                failures.append((method.upper(), url, response.status_code, SECRET in body))

    assert failures == []
    assert _tenant_row_counts() == before


@pytest.mark.django_db
def test_a_viewer_cannot_write_anywhere(owner_world):
    viewer = _client_for(owner_world["organization"], role=Role.VIEWER)
    urls = object_urls(owner_world) + [
        reverse(name) for name, arguments in web_patterns() if not arguments and name not in NOT_OBJECT_URLS
    ]
    before = _tenant_row_counts()

    failures = []
    for url in urls:
        response = viewer.post(url, _post_data())
        if response.status_code not in (403, 405):
            failures.append((url, response.status_code))

    assert failures == []
    assert _tenant_row_counts() == before


@pytest.mark.django_db
def test_a_viewer_may_read_the_study_pages(owner_world):
    viewer = _client_for(owner_world["organization"], role=Role.VIEWER)
    study = owner_world["study"]

    response = viewer.get(reverse("web:study-detail", args=[study.uuid]))

    assert response.status_code == 200
    assert SECRET in response.content.decode()
