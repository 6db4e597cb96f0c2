"""The admin app with carbonfoot's site (apps.accounts.admin_site), listed in INSTALLED_APPS in place of
``django.contrib.admin``: ``admin.site`` and every ``@admin.register`` then use that site."""

from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    default_site = "apps.accounts.admin_site.PlatformAdminSite"
