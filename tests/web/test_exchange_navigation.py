"""The header: links by the kind of the active organization, the unread notifications, and the language
switch that also stores the choice for the emails."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Membership, UserProfile
from apps.exchange.models import Notification
from apps.exchange.services import notifications_mark_read, relationship_propose
from tests import factories
from tests.exchange.builders import membership_of


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _nav(client: Client) -> str:
    html = client.get(reverse("web:study-list")).content.decode()
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # a page another part of the issue adds
        return None


def test_a_buyer_sees_suppliers_requests_and_the_review_pages(db):
    nav = _nav(_client(factories.make_member(factories.make_organization(kind=OrganizationKind.BUYER))))

    assert f'href="{reverse("web:supplier-list")}">Suppliers<' in nav
    assert f'href="{reverse("web:request-list")}">Requests<' in nav
    for name, label in (("web:review-inbox", "Review inbox"), ("web:comparison", "Comparison")):
        url = _url_or_none(name)
        assert (f'href="{url}">{label}<' in nav) if url else (label not in nav)
    assert ">Studies<" not in nav and ">Buyers<" not in nav


def test_a_supplier_sees_studies_requests_and_buyers(supplier):
    nav = _nav(_client(factories.make_member(supplier)))

    assert f'href="{reverse("web:study-list")}">Studies<' in nav
    assert f'href="{reverse("web:request-list")}">Requests<' in nav
    assert f'href="{reverse("web:supplier-list")}">Buyers<' in nav
    assert ">Suppliers<" not in nav and "Review inbox" not in nav


def test_a_verifier_sees_verification(db):
    nav = _nav(_client(factories.make_member(factories.make_organization(kind=OrganizationKind.VERIFIER))))

    url = _url_or_none("web:verifier-home")
    assert (f'href="{url}">Verification<' in nav) if url else ("Verification" not in nav)
    assert ">Requests<" not in nav and ">Studies<" not in nav


def test_the_header_counts_the_users_unread_notifications_in_one_query(supplier):
    manager = factories.make_member(supplier, role=Role.MANAGER)
    client = _client(manager)
    for _ in range(3):
        buyer = factories.make_organization(kind=OrganizationKind.BUYER)
        reviewer = factories.make_member(buyer, role=Role.REVIEWER)
        relationship_propose(membership=membership_of(reviewer, buyer), supplier_identifier=supplier.slug)
    assert Notification.objects.filter(recipient=manager).count() == 3

    with CaptureQueriesContext(connection) as queries:
        nav = _nav(client)
    counted = [q["sql"] for q in queries if "exchange_notification" in q["sql"]]
    assert len(counted) == 1
    assert '<span class="unread-count" title="Unread">3</span>' in nav

    notifications_mark_read(user_id=manager.pk, ids=list(Notification.objects.values_list("pk", flat=True)[:2]))
    assert '<span class="unread-count" title="Unread">1</span>' in _nav(client)
    notifications_mark_read(user_id=manager.pk)
    assert "unread-count" not in _nav(client)


def test_another_users_notifications_are_not_counted(supplier):
    buyer = factories.make_organization(kind=OrganizationKind.BUYER)
    reviewer = factories.make_member(buyer, role=Role.REVIEWER)
    factories.make_member(supplier, role=Role.MANAGER)
    relationship_propose(membership=membership_of(reviewer, buyer), supplier_identifier=supplier.slug)
    editor = factories.make_member(supplier, role=Role.EDITOR)  # a proposal is for the managers only

    assert Notification.objects.count() == 1
    assert "unread-count" not in _nav(_client(editor))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_language_switch_sets_the_pages_and_the_emails_language(supplier, language):
    user = factories.make_member(supplier)
    client = _client(user)
    header = _nav(client)
    assert f'action="{reverse("web:language-set")}"' in header

    response = client.post(reverse("web:language-set"), {"language": language, "next": reverse("web:request-list")})

    assert response.status_code == 302 and response["Location"] == reverse("web:request-list")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    assert UserProfile.objects.get(user=user).language == language


def test_an_unknown_language_changes_nothing(supplier):
    user = factories.make_member(supplier)
    client = _client(user)

    response = client.post(reverse("web:language-set"), {"language": "xx"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert not UserProfile.objects.filter(user=user).exists()


def test_an_anonymous_visitor_switches_the_pages_language_only(db):
    client = Client()

    response = client.post(reverse("web:language-set"), {"language": "en", "next": reverse("login")})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert UserProfile.objects.count() == 0
    assert client.get(reverse("web:language-set")).status_code == 405


def test_the_header_counts_the_active_organizations_notifications_like_the_list(supplier, other_supplier):
    consultant = factories.make_member(supplier, role=Role.MANAGER)
    Membership.objects.create(user=consultant, organization=other_supplier, role=Role.MANAGER)
    for organization in (supplier, other_supplier, other_supplier):
        buyer = factories.make_organization(kind=OrganizationKind.BUYER)
        reviewer = factories.make_member(buyer, role=Role.REVIEWER)
        relationship_propose(membership=membership_of(reviewer, buyer), supplier_identifier=organization.slug)
    client = _client(consultant)

    assert '<span class="unread-count" title="Unread">1</span>' in _nav(client)  # the first membership is active
    client.post(reverse("web:organization-switch"), {"organization": other_supplier.pk, "next": "/"})
    assert '<span class="unread-count" title="Unread">2</span>' in _nav(client)
