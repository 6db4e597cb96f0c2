"""The Content-Security-Policy under the suite's settings (DEBUG on at start-up, as `make test` runs), and
Django's password validators."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests import factories


@pytest.mark.django_db
def test_every_site_page_gets_the_strict_policy_and_the_test_client_is_not_redirected(client, supplier):
    client.force_login(factories.make_member(supplier))

    page = client.get(reverse("web:study-list"))

    assert page.status_code == 200  # no redirect to https under the suite's settings
    csp = page["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe" not in csp


@pytest.mark.django_db
def test_the_pages_have_no_inline_script_or_style_the_policy_would_block(client, supplier):
    client.force_login(factories.make_member(supplier))
    html = client.get(reverse("web:study-list")).content.decode()

    assert "<style" not in html
    assert " style=" not in html
    assert " hx-on" not in html
    # Every <script> has a src under /static.
    scripts = html.split("<script")[1:]
    assert scripts and all(' src="/static/' in tag.split(">", 1)[0] for tag in scripts)


@pytest.mark.django_db
def test_the_admin_allows_inline_styles_but_never_inline_scripts(admin_client):
    csp = admin_client.get(reverse("admin:index"))["Content-Security-Policy"]

    assert "style-src 'self' 'unsafe-inline';" in csp
    assert "script-src 'self';" in csp


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "password_too_short"),
        ("password123", "password_too_common"),
        ("83920174659", "password_entirely_numeric"),
        ("operator-jane", "password_too_similar"),
    ],
)
@pytest.mark.django_db
def test_password_validators_reject_weak_passwords(password, code):
    user = get_user_model()(username="operator-jane", email="jane@example.com")

    with pytest.raises(ValidationError) as raised:
        validate_password(password, user=user)

    assert code in {error.code for error in raised.value.error_list}


@pytest.mark.django_db
def test_the_admin_refuses_to_create_a_user_with_a_weak_password(admin_client):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": "newcomer", "usable_password": "true", "password1": "password123", "password2": "password123"},
    )

    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not get_user_model().objects.filter(username="newcomer").exists()


@pytest.mark.django_db
def test_a_strong_password_passes():
    validate_password("correct horse battery staple 42")
