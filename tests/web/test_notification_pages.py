"""The in-app list of notifications: the signed-in user's, of the active organization, newest first, 50 a
page, unread marked; marking one or all read, and never someone else's."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Membership
from apps.exchange.enums import EventKind
from apps.exchange.events import event_record
from apps.exchange.models import Notification
from apps.exchange.services import comment_add, request_create
from apps.exchange.workflow import submission_transition
from tests import factories
from tests.exchange.builders import Exchange, build_exchange

pytestmark = pytest.mark.django_db

LIST = "web:notification-list"
READ = "web:notification-read"


@pytest.fixture
def ex(supplier, library) -> Exchange:
    return build_exchange(supplier, library)


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _items(html: str) -> list[str]:
    return re.findall(r'<li class="notification (unread|read) notification-(\w+)" id="notification-(\d+)">', html)


def _more_requests(ex: Exchange, n: int) -> None:
    for i in range(n):
        request_create(
            membership=ex.reviewer_membership(), relationship=ex.relationship, product_type="Meter",
            product_code=f"M-{i}", period_start=date(2025, 1, 1), period_end=date(2025, 1, 31),
            due_date=date(2025, 3, 1), today=date(2025, 2, 1),
        )  # fmt: skip


def test_the_list_shows_the_users_notifications_newest_first_with_the_unread_marked(ex):
    submission = ex.submit()
    comment_add(membership=ex.reviewer_membership(), submission=submission, body="Check it.", line_key="stage/4")
    submission_transition(
        membership=ex.reviewer_membership(), submission=submission, name="return", comment="See stage 4."
    )
    proposal = Notification.objects.get(recipient=ex.supplier_manager, event__kind=EventKind.RELATIONSHIP_PROPOSED)
    proposal.read_at = proposal.created_at
    proposal.save(update_fields=["read_at"])

    html = _client(ex.supplier_manager).get(reverse(LIST)).content.decode()

    assert [(state, kind) for state, kind, _id in _items(html)] == [
        ("unread", "returned"),
        ("unread", "review_started"),
        ("unread", "request_created"),
        ("read", "relationship_proposed"),
    ]
    product = ex.request.product_label
    returned = html[html.index('notification-returned"') :]
    returned = returned[: returned.index("</li>")]
    assert f'<a href="{reverse("web:submission-detail", args=[submission.uuid])}">' in returned
    assert f"{ex.buyer.name} returned version 1 of {product} for changes" in returned
    assert ex.reviewer.username in returned and "See stage 4." in returned
    assert '<span class="unread-mark">Unread</span>' in returned
    assert "3 unread" in html
    # The buyer's own list is the buyer's: the submission, not the supplier's events.
    buyer_html = _client(ex.reviewer).get(reverse(LIST)).content.decode()
    assert [kind for _state, kind, _id in _items(buyer_html)] == ["submitted", "relationship_accepted"]


def test_the_list_is_paged_fifty_at_a_time_and_filters_the_unread(ex):
    _more_requests(ex, 54)  # with the first request and the relationship: 56 notifications
    client = _client(ex.supplier_editor)  # the editor was not told of the relationship: 55

    first = client.get(reverse(LIST)).content.decode()
    second = client.get(reverse(LIST), {"page": 2}).content.decode()

    assert len(_items(first)) == 50 and len(_items(second)) == 5
    assert "Page 1 of 2" in first and 'rel="next"' in first
    codes = re.findall(r"requests the carbon footprint of (M-\d+|DDZY-\d+)", first + second)
    assert codes[:3] == ["M-53", "M-52", "M-51"] and len(codes) == 55

    ids = [int(i) for _s, _k, i in _items(first)[:10]]
    client.post(reverse(READ), {"id": ids[0]})
    unread_only = client.get(reverse(LIST), {"unread": "1"}).content.decode()
    assert len(_items(unread_only)) == 50 and f'id="notification-{ids[0]}"' not in unread_only
    assert all(state == "unread" for state, _k, _i in _items(unread_only))


def test_marking_one_read_and_then_all(ex):
    _more_requests(ex, 2)
    client = _client(ex.supplier_editor)
    mine = list(Notification.objects.filter(recipient=ex.supplier_editor).order_by("id"))
    assert len(mine) == 3

    response = client.post(reverse(READ), {"id": mine[0].pk, "next": reverse(LIST) + "?page=1"})
    assert response.status_code == 302 and response["Location"] == reverse(LIST) + "?page=1"
    assert [n.read_at is not None for n in Notification.objects.filter(pk__in=[n.pk for n in mine]).order_by("id")] == [
        True,
        False,
        False,
    ]

    response = client.post(reverse(READ), {"next": "https://elsewhere.example/"})
    assert response["Location"] == reverse(LIST)  # never off the site
    assert not Notification.objects.filter(recipient=ex.supplier_editor, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=ex.supplier_manager, read_at__isnull=True).count() == 4


def test_someone_elses_notification_is_a_404_and_stays_unread(ex):
    theirs = Notification.objects.get(recipient=ex.supplier_manager, event__kind=EventKind.REQUEST_CREATED)
    client = _client(ex.supplier_editor)

    assert client.post(reverse(READ), {"id": theirs.pk}).status_code == 404
    assert client.post(reverse(READ), {"id": "not-a-number"}).status_code == 404
    assert client.post(reverse(READ), {"id": 987654}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_only_the_active_organizations_notifications_are_listed_and_marked(ex, library):
    """A consultant who manages two suppliers: each list is that supplier's; the other's wait, counted."""
    second_supplier = factories.make_organization()
    Membership.objects.create(user=ex.supplier_manager, organization=second_supplier, role=Role.MANAGER)
    other = build_exchange(second_supplier, library)  # he hears of its relationship and its request there
    event_record(
        kind=EventKind.REQUEST_DECLINED, organization=other.buyer, actor=other.reviewer,
        recipients={ex.supplier_manager.pk: second_supplier}, request=other.request,
    )  # fmt: skip
    client = _client(ex.supplier_manager)
    client.post(reverse("web:organization-switch"), {"organization": ex.supplier.pk})

    html = client.get(reverse(LIST)).content.decode()
    assert other.request.product_label not in html
    assert [kind for _s, kind, _i in _items(html)] == ["request_created", "relationship_proposed"]
    assert "3 unread notifications wait in your other organizations" in html
    client.post(reverse(READ))
    assert Notification.objects.filter(recipient=ex.supplier_manager, read_at__isnull=True).count() == 3

    client.post(reverse("web:organization-switch"), {"organization": second_supplier.pk})
    html = client.get(reverse(LIST)).content.decode()
    assert other.request.product_label in html and "other organizations" not in html
    assert [kind for _s, kind, _i in _items(html)] == ["request_declined", "request_created", "relationship_proposed"]


def test_the_pages_need_a_signed_in_member_and_read_takes_a_post(ex):
    anonymous = Client()
    assert anonymous.get(reverse(LIST)).status_code == 302
    assert anonymous.post(reverse(READ)).status_code == 302
    assert _client(ex.supplier_editor).get(reverse(READ)).status_code == 405
    verifier_org = factories.make_organization(kind=OrganizationKind.VERIFIER)
    html = _client(factories.make_member(verifier_org, role=Role.VERIFIER)).get(reverse(LIST)).content.decode()
    assert "No notifications yet." in html


def test_the_list_reads_in_a_fixed_number_of_queries(ex, django_assert_max_num_queries):
    client = _client(ex.supplier_editor)
    client.get(reverse(LIST))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(LIST))
    queries = len(few.captured_queries)
    _more_requests(ex, 30)
    submission = ex.submit()
    submission_transition(membership=ex.reviewer_membership(), submission=submission, name="accept")
    with django_assert_max_num_queries(queries):
        response = client.get(reverse(LIST))
    assert len(_items(response.content.decode())) == 32  # the request, 30 more, the acceptance
