"""Login attempts are rate-limited (django-axes, configured in carbonfoot/settings.py) and logged.

After LOGIN_FAILURE_LIMIT wrong passwords from one address for one username, that pair is answered 429
and even the right password fails, until LOGIN_LOCKOUT_MINUTES pass with no further attempt."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests import factories

LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def person(supplier):
    return factories.make_member(supplier, username="person")


def _login(client, password: str, *, address: str = "203.0.113.7", url: str | None = None):
    return client.post(url or reverse("login"), {"username": "person", "password": password}, REMOTE_ADDR=address)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_configured_limit_and_lockout_are_the_production_defaults():
    assert LIMIT == 5
    cool_off = settings.AXES_COOLOFF_TIME
    assert cool_off == timedelta(minutes=15)


@pytest.mark.django_db
def test_wrong_passwords_lock_the_login_and_then_the_right_one_fails_too(client, person, caplog):
    caplog.set_level(logging.WARNING, logger="axes")
    answers = [_login(client, f"wrong-{n}").status_code for n in range(LIMIT)]

    right = _login(client, factories.PASSWORD)

    assert answers == [200] * (LIMIT - 1) + [429]
    assert right.status_code == 429
    assert not _logged_in(client)
    page = right.content.decode()
    assert "Too many failed logins" in page
    assert "Try again in 15 minutes." in page
    failures = [r.getMessage() for r in caplog.records if r.name.startswith("axes") and "failure" in r.getMessage()]
    assert failures and "person" in failures[0] and "203.0.113.7" in failures[0]
    assert any("Locking out" in r.getMessage() for r in caplog.records if r.name.startswith("axes"))


@pytest.mark.django_db
def test_below_the_limit_the_right_password_logs_in_and_clears_the_count(client, person):
    for n in range(LIMIT - 1):
        assert _login(client, f"wrong-{n}").status_code == 200

    right = _login(client, factories.PASSWORD)

    assert right.status_code == 302
    assert _logged_in(client)
    assert AccessAttempt.objects.filter(username="person").count() == 0


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off_with_no_further_attempt(client, person):
    for n in range(LIMIT):
        _login(client, f"wrong-{n}")
    assert _login(client, factories.PASSWORD).status_code == 429  # and this attempt starts the wait again
    # Time passes: the last attempt is now just over the cool-off ago.
    AccessAttempt.objects.filter(username="person").update(
        attempt_time=AccessAttempt.objects.get(username="person").attempt_time - timedelta(minutes=15, seconds=1)
    )

    right = _login(client, factories.PASSWORD)

    assert right.status_code == 302
    assert _logged_in(client)


@pytest.mark.django_db
def test_the_lockout_is_for_that_address_only(client, person):
    """Counted per username and address together: a guesser cannot lock the person out everywhere."""
    for n in range(LIMIT):
        _login(client, f"wrong-{n}", address="203.0.113.7")

    elsewhere = _login(client, factories.PASSWORD, address="198.51.100.20")

    assert elsewhere.status_code == 302
    assert _logged_in(client)


@pytest.mark.django_db
def test_the_admin_login_is_counted_and_locked_the_same_way(client):
    get_user_model().objects.create_user(username="person", password=factories.PASSWORD, is_staff=True)
    url = reverse("admin:login")
    answers = [_login(client, f"wrong-{n}", url=url).status_code for n in range(LIMIT)]

    right = _login(client, factories.PASSWORD, url=url)

    assert answers == [200] * (LIMIT - 1) + [429]
    assert right.status_code == 429
    assert not _logged_in(client)
