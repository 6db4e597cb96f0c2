"""The admin is for platform operators: a member of any organization (supplier, buyer, verifier) cannot use it.

The admin has no tenant scoping (its lists, edit pages, history and autocomplete show every organization's
rows), so the rule is enforced on the whole site rather than admin by admin: ``has_permission`` guards every
view the site wraps (``admin_view``), and the login form refuses such an account with a message saying why.
Staff status alone is not enough; an operator is a staff user with no ``Membership``.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Membership

_MEMBER_ATTR = "_carbonfoot_is_organization_member"


def is_organization_member(user: object) -> bool:
    """Whether the user belongs to any organization (one query, for a signed-in user only)."""
    pk = getattr(user, "pk", None)
    return pk is not None and Membership.objects.filter(user_id=pk).exists()


def _request_user_is_member(request: HttpRequest) -> bool:
    # has_permission runs several times for one admin page (the view, the sidebar, the app list).
    cached = getattr(request, _MEMBER_ATTR, None)
    if cached is None:
        cached = is_organization_member(request.user)
        setattr(request, _MEMBER_ATTR, cached)
    return bool(cached)


class PlatformAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "organization_member": _(
            "This account belongs to an organization. The administration is for platform operators only: "
            "use the site instead."
        ),
    }

    def confirm_login_allowed(self, user: object) -> None:
        super().confirm_login_allowed(user)  # type: ignore[arg-type]
        if is_organization_member(user):
            raise ValidationError(self.error_messages["organization_member"], code="organization_member")


class PlatformAdminSite(admin.AdminSite):
    login_form = PlatformAdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not _request_user_is_member(request)
