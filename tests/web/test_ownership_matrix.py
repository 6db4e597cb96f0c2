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
from tests.web.world import NOT_OBJECT_URLS, PERSONAL_URLS, SECRET, object_urls, url_argument, web_patterns

TENANT_APPS = {"accounts", "catalog", "factors", "inventory", "ledger", "evidence", "footprints", "exchange"}


def _tenant_row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in TENANT_APPS:
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
@pytest.mark.parametrize("caller_kind", [OrganizationKind.SUPPLIER, OrganizationKind.BUYER, OrganizationKind.VERIFIER])
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
        reverse(name)
        for name, arguments in web_patterns()
        if not arguments and name not in NOT_OBJECT_URLS | PERSONAL_URLS
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


# The exchange (issue "Footprint requests and review"): the parties of the owner's exchange reach only
# what their side may, and a viewer of either side can make no transition.

EXCHANGE_ARGUMENTS = {"relationship_uuid", "request_uuid", "submission_uuid", "grant_uuid", "statement_uuid"}


def _urls_by_kind(world) -> tuple[list[str], list[str]]:
    """(the supplier's workspace URLs, the exchange URLs) among the object URLs."""
    workspace, exchange = [], []
    for name, arguments in web_patterns():
        if name in NOT_OBJECT_URLS or not arguments:
            continue
        url = reverse(name, kwargs={a: url_argument(a, world) for a in arguments})
        (exchange if EXCHANGE_ARGUMENTS & set(arguments) else workspace).append(url)
    return workspace, exchange


@pytest.mark.django_db
@pytest.mark.parametrize("party", ["buyer", "verifier"])
def test_the_buyer_and_the_granted_verifier_never_see_the_live_workspace(owner_world, party):
    client = Client()
    client.force_login(owner_world["exchange"].reviewer if party == "buyer" else owner_world["auditor"])
    workspace, _exchange = _urls_by_kind(owner_world)
    assert len(workspace) >= 10

    failures = []
    for url in workspace:
        response = client.get(url)
        if response.status_code not in (404, 405) or SECRET in response.content.decode(errors="replace"):
            failures.append((url, response.status_code))

    assert failures == []
    # ... while the submitted version itself is theirs to read.
    page = client.get(reverse("web:submission-detail", args=[owner_world["submission"].uuid]))
    assert page.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("party", ["buyer", "supplier", "verifier"])
def test_a_viewer_of_any_party_makes_no_transition(owner_world, party):
    organization = {
        "buyer": owner_world["buyer"],
        "supplier": owner_world["organization"],
        "verifier": owner_world["verifier"],
    }[party]
    viewer = _client_for(organization, role=Role.VIEWER)
    _workspace, exchange_urls = _urls_by_kind(owner_world)
    assert len(exchange_urls) >= 8
    submission = owner_world["submission"]
    state = type(submission).objects.get(pk=submission.pk).state
    before = _tenant_row_counts()

    failures = []
    for url in exchange_urls:
        for action in ("start_review", "return", "accept", "withdraw"):
            response = viewer.post(url, {**_post_data(), "action": action, "comment": "x", "body": "x", "reason": "x"})
            if response.status_code not in (403, 404, 405):
                failures.append((url, action, response.status_code))

    assert failures == []
    assert type(submission).objects.get(pk=submission.pk).state == state
    assert _tenant_row_counts() == before
    transition = viewer.post(reverse("web:submission-transition", args=[submission.uuid]), {"action": "accept"})
    assert transition.status_code == 403


@pytest.mark.django_db
def test_an_ended_relationship_hides_everything_from_both_sides(owner_world):
    from apps.exchange.services import relationship_end
    from tests.exchange.builders import membership_of

    exchange = owner_world["exchange"]
    relationship_end(membership=exchange.manager_membership(), relationship=owner_world["relationship"])
    buyer = Client()
    buyer.force_login(exchange.reviewer)
    supplier = Client()
    supplier.force_login(exchange.supplier_manager)
    assert membership_of(exchange.reviewer, exchange.buyer)

    assert buyer.get(reverse("web:submission-detail", args=[owner_world["submission"].uuid])).status_code == 404
    assert supplier.get(reverse("web:request-detail", args=[owner_world["request"].uuid])).status_code == 404
