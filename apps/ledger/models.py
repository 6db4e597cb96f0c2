"""The energy ledger: electricity per stage (interval readings), fuel combustion and waste.

Electricity readings are plant data, independent of any study: meters keep reporting whatever
is being studied. A study takes the readings of its site's metering points for its stages that
fall in its reporting period. Fuel and waste entries are per study (invoices and manifests of
the reporting period).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.accounts.models import Organization, TenantModel
from apps.catalog.models import ProcessStage
from apps.factors.models import EmissionFactor
from apps.inventory.enums import DataSource
from apps.inventory.models import MASS, QUANTITY, SHARE, Site, Study
from apps.ledger.enums import ReadingSource

MILLIWATT_HOURS_PER_KWH = 1_000_000


class MeteringPoint(TenantModel):
    """An energy meter (or a manual-entry channel) on the equipment of one stage at one site."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="metering_points")
    stage = models.ForeignKey(ProcessStage, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    device_serial = models.CharField(_("device serial number"), max_length=80, blank=True)
    is_manual = models.BooleanField(
        _("manual entry"),
        default=False,
        help_text=_("A channel for values entered by hand (a total for the period or monthly values), not a meter."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["site", "stage__no", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="meteringpoint_unique_org_code"),
            # One manual-entry channel per stage of a site: the stages page writes there.
            models.UniqueConstraint(
                fields=["site", "stage"],
                condition=Q(is_manual=True),
                name="meteringpoint_one_manual_per_site_stage",
                violation_error_message=_("This site already has a manual-entry channel for this stage."),
            ),
        ]
        verbose_name = _("metering point")
        verbose_name_plural = _("metering points")

    def __str__(self) -> str:
        return f"{self.code} ({self.stage.name_en})"


class ReadingBatch(TenantModel):
    """Who brought a set of readings in, when and from where: provenance without a per-row cost."""

    source = models.PositiveSmallIntegerField(_("source"), choices=ReadingSource.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    file_sha256 = models.CharField(_("SHA-256 of the source file"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reading batch")
        verbose_name_plural = _("reading batches")

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk}"


class ElectricityReading(models.Model):
    """Consumption over [start, end), any length from a minute to a month.

    Built for hundreds of millions of rows: energy is an integer in milliwatt-hours (exact on
    every database and summed in SQL without rounding), the source is a small integer, and the
    only index is the unique (metering_point, start) b-tree, which serves the hot range scan.
    The foreign keys deliberately get no index of their own.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", db_index=False)
    metering_point = models.ForeignKey(MeteringPoint, on_delete=models.PROTECT, related_name="readings", db_index=False)
    batch = models.ForeignKey(ReadingBatch, on_delete=models.PROTECT, related_name="readings", db_index=False)
    start = models.DateTimeField(_("interval start"))
    end = models.DateTimeField(_("interval end"))
    milliwatt_hours = models.BigIntegerField(_("energy (mWh)"))
    source = models.PositiveSmallIntegerField(_("source"), choices=ReadingSource.choices)

    class Meta:
        ordering = ["metering_point", "start"]
        constraints = [
            models.UniqueConstraint(fields=["metering_point", "start"], name="reading_unique_point_start"),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="reading_interval_positive",
                violation_error_message=_("The interval must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(milliwatt_hours__gte=0),
                name="reading_energy_nonnegative",
                violation_error_message=_("Energy must not be negative."),
            ),
        ]
        verbose_name = _("electricity reading")
        verbose_name_plural = _("electricity readings")

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} {self.kwh} kWh"

    @property
    def kwh(self) -> Decimal:
        return Decimal(self.milliwatt_hours).scaleb(-6)


class FuelEntry(TenantModel):
    """Fossil fuel burnt in the plant during the study period (Eb), e.g. forklift diesel."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="fuel_entries")
    stage = models.ForeignKey(ProcessStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    factor = models.ForeignKey(EmissionFactor, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit = models.CharField(_("unit"), max_length=16)
    allocation_share = models.DecimalField(_("allocation share"), default=Decimal(1), **SHARE)
    data_source = models.CharField(
        _("data source"), max_length=24, choices=DataSource.choices, default=DataSource.MEASURED_PRIMARY
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["study", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0),
                name="fuelentry_quantity_nonnegative",
                violation_error_message=_("The quantity must not be negative."),
            ),
            models.CheckConstraint(
                condition=Q(allocation_share__gt=0) & Q(allocation_share__lte=1),
                name="fuelentry_share_range",
                violation_error_message=_("The allocation share must be above 0 and at most 1."),
            ),
        ]
        verbose_name = _("fuel entry")
        verbose_name_plural = _("fuel entries")


class WasteEntry(TenantModel):
    """Waste from the plant treated during the study period (Ew)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="waste_entries")
    factor = models.ForeignKey(EmissionFactor, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **MASS)
    unit = models.CharField(_("unit"), max_length=16, default="kg")
    allocation_share = models.DecimalField(_("allocation share"), default=Decimal(1), **SHARE)
    data_source = models.CharField(
        _("data source"), max_length=24, choices=DataSource.choices, default=DataSource.MEASURED_PRIMARY
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["study", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0),
                name="wasteentry_quantity_nonnegative",
                violation_error_message=_("The quantity must not be negative."),
            ),
            models.CheckConstraint(
                condition=Q(allocation_share__gt=0) & Q(allocation_share__lte=1),
                name="wasteentry_share_range",
                violation_error_message=_("The allocation share must be above 0 and at most 1."),
            ),
        ]
        verbose_name = _("waste entry")
        verbose_name_plural = _("waste entries")
