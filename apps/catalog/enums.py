from django.db import models
from django.utils.translation import gettext_lazy as _


class MaterialCategory(models.TextChoices):
    DIRECT = "direct", _("Direct material")
    INDIRECT = "indirect", _("Indirect material")
    CONSUMABLE = "consumable", _("Production-line consumable")


class StageGroup(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Product manufacturing")
    SUPPORT = "support", _("Production support")


class EnergyType(models.TextChoices):
    ELECTRICITY = "electricity", _("Electricity")
    FUEL = "fuel", _("Fuel")
