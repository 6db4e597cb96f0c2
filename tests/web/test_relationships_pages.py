"""Supply relationships through the pages: a buyer proposes a supplier, the supplier's manager accepts or
ends it; bad inputs fail at the field and write nothing; another organization's relationship is a 404 and
a role that may not act gets a 403."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Organization
from apps.exchange.enums import EventKind, RelationshipStatus
from apps.exchange.models import ExchangeEvent, Notification, SupplyRelationship
from tests import factories

NOT_FOUND = "No supplier with this short name or unified social credit code is registered."


def _client(organization: Organization, role: str = Role.MANAGER) -> tuple[Client, object]:
    user = factories.make_member(organization, role=role)
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client, user


@pytest.fixture
def buyer(db) -> Organization:
    return factories.make_organization(kind=OrganizationKind.BUYER, name="State Grid Test Buyer")


@pytest.fixture
def reviewer(buyer) -> Client:
    return _client(buyer, Role.REVIEWER)[0]


@pytest.fixture
def supplier_manager(supplier) -> Client:
    return _client(supplier, Role.MANAGER)[0]


def _propose(client: Client, identifier: str, note: str = ""):
    return client.post(reverse("web:relationship-propose"), {"supplier": identifier, "note": note})


def _rows() -> list[tuple[int, int, str]]:
    return list(SupplyRelationship.objects.values_list("organization_id", "supplier_id", "status"))


def test_propose_accept_and_end_through_the_pages(buyer, reviewer, supplier, supplier_manager):
    Organization.objects.filter(pk=supplier.pk).update(credit_code="91330100MA2ABCDE1X")

    response = _propose(reviewer, "91330100ma2abcde1x", "For the 2025 tender")

    assert response.status_code == 302 and response["Location"] == reverse("web:supplier-list")
    relationship = SupplyRelationship.objects.get()
    assert (relationship.organization, relationship.supplier, relationship.status) == (
        buyer,
        supplier,
        RelationshipStatus.PENDING,
    )
    assert relationship.note == "For the 2025 tender"
    buyer_page = reviewer.get(reverse("web:supplier-list")).content.decode()
    assert supplier.name in buyer_page and "Waiting for the supplier" in buyer_page

    supplier_page = supplier_manager.get(reverse("web:supplier-list")).content.decode()
    accept_url = reverse("web:relationship-accept", args=[relationship.uuid])
    assert buyer.name in supplier_page and "For the 2025 tender" in supplier_page
    assert accept_url in supplier_page

    response = supplier_manager.post(accept_url)

    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.ACTIVE and relationship.accepted_at is not None
    assert accept_url not in supplier_manager.get(reverse("web:supplier-list")).content.decode()
    assert "Active" in reviewer.get(reverse("web:supplier-list")).content.decode()

    response = supplier_manager.post(reverse("web:relationship-end", args=[relationship.uuid]))

    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.ENDED
    kinds = list(ExchangeEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.RELATIONSHIP_PROPOSED, EventKind.RELATIONSHIP_ACCEPTED, EventKind.RELATIONSHIP_ENDED]


def test_a_buyer_may_propose_again_after_a_relationship_ended(buyer, reviewer, supplier, supplier_manager):
    _propose(reviewer, supplier.slug)
    relationship = SupplyRelationship.objects.get()
    supplier_manager.post(reverse("web:relationship-end", args=[relationship.uuid]))

    response = _propose(reviewer, supplier.slug.upper())

    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.PENDING
    assert SupplyRelationship.objects.count() == 1


@pytest.mark.parametrize("identifier", ["no-such-supplier", "", "   "])
def test_an_unknown_supplier_is_an_error_at_the_field_and_writes_nothing(buyer, reviewer, supplier, identifier):
    response = _propose(reviewer, identifier)

    assert response.status_code == 200
    errors = response.context["form"].errors
    expected = NOT_FOUND if identifier.strip() else "This field is required."
    assert errors == {"supplier": [expected]}
    assert 'id="field-supplier"' in response.content.decode()
    assert _rows() == [] and ExchangeEvent.objects.count() == 0


def test_a_buyer_or_verifier_cannot_be_proposed_as_a_supplier(buyer, reviewer):
    other_buyer = factories.make_organization(kind=OrganizationKind.BUYER)
    verifier = factories.make_organization(kind=OrganizationKind.VERIFIER)

    for organization in (other_buyer, verifier, buyer):
        response = _propose(reviewer, organization.slug)
        assert response.context["form"].errors == {"supplier": [NOT_FOUND]}
    assert _rows() == []


@pytest.mark.parametrize("accepted", [False, True])
def test_a_duplicate_proposal_is_an_error_at_the_field(buyer, reviewer, supplier, supplier_manager, accepted):
    _propose(reviewer, supplier.slug)
    if accepted:
        supplier_manager.post(reverse("web:relationship-accept", args=[SupplyRelationship.objects.get().uuid]))
    before = (_rows(), ExchangeEvent.objects.count())

    response = _propose(reviewer, supplier.slug, "again")

    status = "Active" if accepted else "Waiting for the supplier"
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "supplier": [f"{supplier.name} is already one of your suppliers ({status})."]
    }
    assert (_rows(), ExchangeEvent.objects.count()) == before
    assert SupplyRelationship.objects.get().note == ""


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (OrganizationKind.BUYER, Role.VIEWER),
        (OrganizationKind.BUYER, Role.EDITOR),
        (OrganizationKind.SUPPLIER, Role.MANAGER),
        (OrganizationKind.VERIFIER, Role.MANAGER),
    ],
)
def test_only_a_buyers_reviewer_or_manager_may_propose(db, supplier, kind, role):
    client, _user = _client(factories.make_organization(kind=kind), role)

    page = client.get(reverse("web:supplier-list"))
    response = _propose(client, supplier.slug)

    assert page.status_code == 200 and reverse("web:relationship-propose") not in page.content.decode()
    assert response.status_code == 403
    assert _rows() == []


def test_a_buyers_manager_sees_the_propose_form_and_may_end(buyer, supplier, supplier_manager):
    manager, _user = _client(buyer, Role.MANAGER)
    _propose(manager, supplier.slug)
    relationship = SupplyRelationship.objects.get()
    page = manager.get(reverse("web:supplier-list")).content.decode()
    assert reverse("web:relationship-propose") in page
    assert reverse("web:relationship-end", args=[relationship.uuid]) in page
    assert reverse("web:relationship-accept", args=[relationship.uuid]) not in page

    assert manager.post(reverse("web:relationship-accept", args=[relationship.uuid])).status_code == 403
    assert manager.post(reverse("web:relationship-end", args=[relationship.uuid])).status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.ENDED


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER, Role.VERIFIER])
def test_only_the_suppliers_manager_may_accept_or_end(buyer, reviewer, supplier, role):
    _propose(reviewer, supplier.slug)
    relationship = SupplyRelationship.objects.get()
    client, _user = _client(supplier, role)

    page = client.get(reverse("web:supplier-list")).content.decode()

    assert buyer.name in page
    assert reverse("web:relationship-accept", args=[relationship.uuid]) not in page
    for name in ("web:relationship-accept", "web:relationship-end"):
        assert client.post(reverse(name, args=[relationship.uuid])).status_code == 403
    assert _rows() == [(buyer.pk, supplier.pk, RelationshipStatus.PENDING)]


def test_a_buyers_reviewer_may_not_end_a_relationship(buyer, reviewer, supplier):
    _propose(reviewer, supplier.slug)
    relationship = SupplyRelationship.objects.get()

    assert reviewer.post(reverse("web:relationship-end", args=[relationship.uuid])).status_code == 403
    assert _rows() == [(buyer.pk, supplier.pk, RelationshipStatus.PENDING)]


def test_another_organizations_relationship_is_404_and_unchanged(buyer, reviewer, supplier, other_supplier):
    _propose(reviewer, supplier.slug)
    relationship = SupplyRelationship.objects.get()
    outsider, _user = _client(other_supplier, Role.MANAGER)
    other_buyer, _user = _client(factories.make_organization(kind=OrganizationKind.BUYER), Role.MANAGER)

    for client in (outsider, other_buyer):
        for name in ("web:relationship-accept", "web:relationship-end"):
            assert client.post(reverse(name, args=[relationship.uuid])).status_code == 404
            assert client.post(reverse(name, args=[uuid4()])).status_code == 404
        page = client.get(reverse("web:supplier-list")).content.decode()
        assert buyer.name not in page and supplier.name not in page
    assert _rows() == [(buyer.pk, supplier.pk, RelationshipStatus.PENDING)]


def test_accepting_twice_or_ending_twice_says_why(buyer, reviewer, supplier, supplier_manager):
    _propose(reviewer, supplier.slug)
    relationship = SupplyRelationship.objects.get()
    supplier_manager.post(reverse("web:relationship-accept", args=[relationship.uuid]))

    again = supplier_manager.post(reverse("web:relationship-accept", args=[relationship.uuid]))
    supplier_manager.post(reverse("web:relationship-end", args=[relationship.uuid]))
    ended = supplier_manager.post(reverse("web:relationship-end", args=[relationship.uuid]))

    assert again.status_code == 200
    assert "This relationship is not waiting for your answer." in again.content.decode()
    assert ended.status_code == 200
    assert "This relationship has already ended." in ended.content.decode()
    assert ExchangeEvent.objects.filter(kind=EventKind.RELATIONSHIP_ENDED).count() == 1


def test_the_suppliers_managers_hear_of_a_proposal(buyer, reviewer, supplier, supplier_manager):
    _propose(reviewer, supplier.slug)

    notifications = Notification.objects.filter(event__kind=EventKind.RELATIONSHIP_PROPOSED)
    assert [n.organization_id for n in notifications] == [supplier.pk]
