"""The admin is for platform operators: a member of a supplier, buyer or verifier organization cannot use it,
whatever staff status or permissions it was given (apps/accounts/admin_site.py)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, reverse

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Membership, Organization
from tests import factories

# Open to anyone: the login page itself and the logout (which only ends a session).
NOT_GUARDED = {"login", "logout"}


def _named_patterns(patterns, prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _named_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((pattern.name, prefix + str(pattern.pattern)))
    return found


def _every_admin_url() -> list[str]:
    """Every named URL of the admin site, filled with the ids of real rows (so a page that leaked would have
    something to show): lists, add, change, delete, history and one historical version, import and export,
    the app indexes, autocomplete, view-on-site, password change, jsi18n."""
    models_by_prefix = {f"{model._meta.app_label}_{model._meta.model_name}_": model for model in admin.site._registry}
    organization = Organization.objects.order_by("pk").first()
    assert organization is not None
    urls: list[str] = []
    for name, route in _named_patterns(admin.site.get_urls()):
        if name in NOT_GUARDED:
            continue
        if name == "app_list":
            urls += [reverse("admin:app_list", args=[label]) for label in ("accounts", "exchange", "auth")]
            continue
        if name == "autocomplete":
            query = "app_label=accounts&model_name=membership&field_name=organization&term=Org"
            urls.append(f"{reverse('admin:autocomplete')}?{query}")
            continue
        if name == "view_on_site":
            content_type = ContentType.objects.get_for_model(Organization)
            urls.append(reverse("admin:view_on_site", args=[content_type.pk, organization.pk]))
            continue
        model = next((m for prefix, m in models_by_prefix.items() if name.startswith(prefix)), None)
        if model is None:
            urls.append(reverse(f"admin:{name}"))  # index, jsi18n, password_change(_done)
            continue
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"no {model._meta.label} row to ask the admin for"
        if name.endswith("_simple_history"):
            version = obj.history.order_by("pk").first()
            urls.append(reverse(f"admin:{name}", args=[obj.pk, version.pk]))
        elif "object_id" in route or "<id>" in route:  # <id>: the user admin's password change
            urls.append(reverse(f"admin:{name}", args=[obj.pk]))
        else:
            urls.append(reverse(f"admin:{name}"))
    return urls


def _refused(response) -> bool:
    """The admin answers a user it does not admit with a redirect to its login page."""
    return response.status_code == 302 and urlsplit(response["Location"]).path == reverse("admin:login")


@pytest.fixture
def member_superuser(supplier):
    """The strongest case: a superuser with staff status who is also a member of a supplier."""
    user = factories.make_member(supplier, role=Role.MANAGER)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.mark.django_db
def test_a_member_of_an_organization_is_refused_on_every_admin_url(client, every_exchange_row, member_superuser):
    urls = _every_admin_url()
    client.force_login(member_superuser)

    answered = {url: client.get(url) for url in urls}

    assert len(urls) > 200  # every model's pages: the walk found the site, not a handful of URLs
    assert [url for url, response in answered.items() if not _refused(response)] == []
    assert any("/autocomplete/" in url for url in urls)
    assert any(re.search(r"/history/\d+/$", url) for url in urls)


@pytest.mark.django_db
def test_the_same_user_without_a_membership_is_admitted(client, every_exchange_row, member_superuser):
    """The control: the refusal above is the membership's doing, not an admin that refuses everyone."""
    Membership.objects.filter(user=member_superuser).delete()
    client.force_login(member_superuser)

    index = client.get(reverse("admin:index"))
    changelist = client.get(reverse("admin:accounts_organization_changelist"))
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "accounts", "model_name": "membership", "field_name": "organization", "term": ""},
    )

    assert index.status_code == 200
    assert changelist.status_code == 200
    assert autocomplete.status_code == 200
    assert len(autocomplete.json()["results"]) == Organization.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [OrganizationKind.SUPPLIER, OrganizationKind.BUYER, OrganizationKind.VERIFIER])
def test_a_member_with_staff_status_and_change_permission_cannot_edit(client, kind):
    own = factories.make_organization(kind=kind)
    other = factories.make_organization(name="Someone else")
    user = factories.make_member(own, role=Role.MANAGER)
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)

    response = client.post(
        reverse("admin:accounts_organization_change", args=[other.pk]),
        {"name": "Renamed by a tenant", "slug": other.slug, "kind": other.kind, "timezone": "Asia/Shanghai"},
    )

    assert _refused(response)
    other.refresh_from_db()
    assert other.name == "Someone else"


@pytest.mark.django_db
def test_the_admin_login_refuses_a_member_and_says_why(client, supplier):
    user = factories.make_member(supplier, role=Role.MANAGER)
    user.is_staff = True
    user.save()

    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": factories.PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors.as_data()[0].code == "organization_member"
    assert "The administration is for platform operators only" in errors[0]
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_admin_login_admits_a_platform_operator(client):
    operator = get_user_model().objects.create_user(username="operator", password=factories.PASSWORD, is_staff=True)

    response = client.post(reverse("admin:login"), {"username": operator.username, "password": factories.PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)
