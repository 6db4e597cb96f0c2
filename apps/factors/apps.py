from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactorsConfig(AppConfig):
    name = "apps.factors"
    verbose_name = _("Emission factors")
