from django.db import models
from django.utils.translation import gettext_lazy as _


class FactorCategory(models.TextChoices):
    MATERIAL = "material", _("Material")
    TRANSPORT = "transport", _("Transport")
    FUEL = "fuel", _("Fuel combustion")
    ELECTRICITY = "electricity", _("Electricity")
    WASTE = "waste", _("Waste treatment")


class GwpBasis(models.TextChoices):
    AR5 = "AR5", _("IPCC AR5")
    AR6 = "AR6", _("IPCC AR6")
    MIXED = "mixed", _("Mixed (see each source)")
