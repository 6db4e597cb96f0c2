from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = _("Organizations and members")

    def ready(self) -> None:
        from apps.accounts import checks  # noqa: F401 (registers the deployment checks)
