"""The smart meter's catalogue: its 32 raw materials and 26 stages (seed 001 tables 1-3).

Shared reference data, owned by no organization, below both the factor library (a factor names
the material it values) and the inventory (a bill-of-materials line names its material).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.catalog.enums import EnergyType, MaterialCategory, StageGroup


class Material(models.Model):
    """A raw material of the catalogue (meter_materials.csv)."""

    no = models.PositiveSmallIntegerField(_("number"), unique=True)
    category = models.CharField(_("category"), max_length=16, choices=MaterialCategory.choices)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    activity_unit = models.CharField(_("activity unit"), max_length=16)  # piece, L or kg
    density_kg_per_l = models.DecimalField(
        _("density (kg/L)"),
        null=True,
        blank=True,
        max_digits=8,
        decimal_places=4,
        help_text=_("Typical density, for liquids bought by volume."),
    )

    class Meta:
        ordering = ["no"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return f"{self.no}. {self.name_zh} / {self.name_en}"


class ProcessStage(models.Model):
    """A manufacturing or support stage of the catalogue (meter_stages.csv)."""

    no = models.PositiveSmallIntegerField(_("number"), unique=True)
    group = models.CharField(_("group"), max_length=16, choices=StageGroup.choices)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    emission_source_zh = models.CharField(_("emission source"), max_length=100)
    energy_type = models.CharField(_("energy type"), max_length=16, choices=EnergyType.choices)
    activity_unit = models.CharField(_("activity unit"), max_length=16)  # kWh

    class Meta:
        ordering = ["no"]
        verbose_name = _("process stage")
        verbose_name_plural = _("process stages")

    def __str__(self) -> str:
        return f"{self.no}. {self.name_zh} / {self.name_en}"
