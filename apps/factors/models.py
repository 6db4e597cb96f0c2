"""The emission-factor library.

A dataset with no organization is the shared library (illustrative defaults, official grid
factors); a dataset owned by a supplier holds its primary factors from its own upstream
suppliers, which take precedence over the library for that supplier (see services.factor_resolve).
"""

from __future__ import annotations

from typing import TypedDict

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.accounts.models import Organization
from apps.factors.enums import FactorCategory, GwpBasis


class DecimalDigits(TypedDict):
    """The precision of a DecimalField, typed so that ``DecimalField(**digits)`` type-checks."""

    max_digits: int
    decimal_places: int


# Decimal columns keep at most 15 significant digits: SQLite stores decimals as doubles, and
# 15 digits is what survives that round trip exactly, so both databases give identical inputs.
FACTOR_DIGITS: DecimalDigits = {"max_digits": 15, "decimal_places": 9}


class FactorDatasetQuerySet(models.QuerySet):
    def visible_to(self, organization: Organization) -> FactorDatasetQuerySet:
        return self.filter(Q(organization__isnull=True) | Q(organization=organization))


class FactorDataset(models.Model):
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="factor_datasets",
        help_text=_("Empty for the shared library; a supplier for its own (primary) factors."),
    )
    name = models.CharField(_("name"), max_length=200)
    version = models.CharField(_("version"), max_length=40)
    publisher = models.CharField(_("publisher"), max_length=200)
    gwp_basis = models.CharField(_("GWP basis"), max_length=8, choices=GwpBasis.choices)
    gwp_horizon_years = models.PositiveSmallIntegerField(_("GWP horizon (years)"), default=100)
    is_illustrative = models.BooleanField(
        _("illustrative default"),
        default=False,
        help_text=_("Researched defaults, not audited LCI data: replace with supplier, CPCD or ecoinvent data."),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FactorDatasetQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name", "version"], name="factordataset_unique_owner_name_version"
            ),
            models.UniqueConstraint(
                fields=["name", "version"],
                condition=Q(organization__isnull=True),
                name="factordataset_unique_library_name_version",
            ),
        ]
        verbose_name = _("factor dataset")
        verbose_name_plural = _("factor datasets")

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class EmissionFactor(models.Model):
    dataset = models.ForeignKey(FactorDataset, on_delete=models.PROTECT, related_name="factors")
    # Copied from the dataset so tenant scoping is one indexed filter.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="emission_factors"
    )
    code = models.CharField(_("code"), max_length=80, help_text=_("Stable key within the dataset, e.g. material.pcb."))
    category = models.CharField(_("category"), max_length=16, choices=FactorCategory.choices)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    name_en = models.CharField(_("English name"), max_length=200)
    value = models.DecimalField(_("value"), **FACTOR_DIGITS)
    unit = models.CharField(_("unit"), max_length=40, help_text=_("e.g. kgCO2e/piece, kgCO2e/(t*km), kgCO2e/kWh"))
    low = models.DecimalField(_("low"), null=True, blank=True, **FACTOR_DIGITS)
    high = models.DecimalField(_("high"), null=True, blank=True, **FACTOR_DIGITS)
    region = models.CharField(_("region"), max_length=80, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.TextField(_("source citation"))
    notes = models.TextField(_("notes"), blank=True)
    material = models.ForeignKey(
        "catalog.Material", null=True, blank=True, on_delete=models.PROTECT, related_name="factors"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["dataset", "category", "code"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "code"], name="emissionfactor_unique_dataset_code"),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="emissionfactor_value_nonnegative",
                violation_error_message=_("An emission factor must not be negative."),
            ),
        ]
        verbose_name = _("emission factor")
        verbose_name_plural = _("emission factors")

    def __str__(self) -> str:
        return f"{self.name_en} = {self.value} {self.unit}"


class ElectricityFactorSeries(models.Model):
    """A grid factor that changes over time (hourly from the generation mix, or a node factor)."""

    dataset = models.ForeignKey(FactorDataset, on_delete=models.PROTECT, related_name="series")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="electricity_series"
    )
    code = models.CharField(_("code"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("grid region or node"), max_length=120)
    unit = models.CharField(_("unit"), max_length=40, default="kgCO2e/kWh")
    resolution_seconds = models.PositiveIntegerField(_("resolution (seconds)"), default=3600)
    source = models.TextField(_("source citation"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["dataset", "code"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "code"], name="electricityseries_unique_dataset_code"),
            models.CheckConstraint(
                condition=Q(resolution_seconds__gt=0),
                name="electricityseries_resolution_positive",
                violation_error_message=_("The resolution must be a positive number of seconds."),
            ),
        ]
        verbose_name = _("electricity factor series")
        verbose_name_plural = _("electricity factor series")

    def __str__(self) -> str:
        return f"{self.name} ({self.region})"


class ElectricityFactorPoint(models.Model):
    """One interval of a series: [start, start + resolution) in UTC."""

    series = models.ForeignKey(ElectricityFactorSeries, on_delete=models.CASCADE, related_name="points")
    start = models.DateTimeField(_("interval start"))
    value = models.DecimalField(_("value"), **FACTOR_DIGITS)

    class Meta:
        ordering = ["series", "start"]
        constraints = [
            models.UniqueConstraint(fields=["series", "start"], name="electricitypoint_unique_series_start"),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="electricitypoint_value_nonnegative",
                violation_error_message=_("An electricity factor must not be negative."),
            ),
        ]
        verbose_name = _("electricity factor point")
        verbose_name_plural = _("electricity factor points")

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}Z {self.value}"
