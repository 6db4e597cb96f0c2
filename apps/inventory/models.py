"""Products, footprint studies and their bill of materials.

The catalogues they refer to (Material, ProcessStage) live in apps.catalog; every row here
belongs to one organization (TenantModel).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.accounts.models import TenantModel
from apps.catalog.models import Material, ProcessStage
from apps.factors.models import DecimalDigits, ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.inventory.enums import (
    DataSource,
    DeclaredUnit,
    StudyStatus,
    SystemBoundary,
    TransportMode,
)

# At most 15 significant digits, so SQLite and PostgreSQL hold the same exact value.
QUANTITY: DecimalDigits = {"max_digits": 15, "decimal_places": 6}
SHARE: DecimalDigits = {"max_digits": 7, "decimal_places": 6}
MASS: DecimalDigits = {"max_digits": 15, "decimal_places": 9}


class Product(TenantModel):
    # The identifier in URLs and the API: sequential ids are never shown.
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    model_code = models.CharField(_("model code"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    mass_kg = models.DecimalField(
        _("mass per piece (kg)"), null=True, blank=True, validators=[MinValueValidator(Decimal(0))], **MASS
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "model_code"], name="product_unique_org_model"),
        ]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.name} ({self.model_code})"


class Site(TenantModel):
    """A plant. Its grid region decides which electricity factor applies."""

    # The identifier in URLs and the API: sequential ids are never shown.
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    grid_region = models.CharField(_("grid region"), max_length=120, help_text=_("e.g. East China grid"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="site_unique_org_code")]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class Study(TenantModel):
    """A product carbon footprint study for one reporting period."""

    # The identifier in URLs and the API: sequential ids are never shown.
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="studies")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="studies")
    name = models.CharField(_("name"), max_length=200)
    declared_unit = models.CharField(
        _("declared unit"), max_length=16, choices=DeclaredUnit.choices, default=DeclaredUnit.PIECE
    )
    declared_unit_amount = models.DecimalField(_("declared unit amount"), default=Decimal(1), **QUANTITY)
    period_start = models.DateField(_("reporting period start"))
    period_end = models.DateField(_("reporting period end (inclusive)"))
    units_produced = models.DecimalField(
        _("units produced in the period"), validators=[MinValueValidator(Decimal("0.000001"))], **QUANTITY
    )
    system_boundary = models.CharField(
        _("system boundary"), max_length=24, choices=SystemBoundary.choices, default=SystemBoundary.CRADLE_TO_GATE
    )
    status = models.CharField(_("status"), max_length=16, choices=StudyStatus.choices, default=StudyStatus.DRAFT)
    factor_dataset = models.ForeignKey(
        FactorDataset,
        on_delete=models.PROTECT,
        related_name="studies",
        help_text=_("The library dataset (and version) whose defaults this study uses."),
    )
    electricity_factor = models.ForeignKey(
        EmissionFactor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A static grid factor for the period, or ..."),
    )
    electricity_series = models.ForeignKey(
        ElectricityFactorSeries,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("... a time series that follows the generation mix."),
    )
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="study_period_ordered",
                violation_error_message=_("The reporting period must end on or after the day it starts."),
            ),
            models.CheckConstraint(
                condition=Q(units_produced__gt=0),
                name="study_units_positive",
                violation_error_message=_("Units produced in the period must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(electricity_factor__isnull=True) | Q(electricity_series__isnull=True),
                name="study_one_electricity_factor",
                violation_error_message=_("Choose either a static electricity factor or a factor series, not both."),
            ),
            models.UniqueConstraint(fields=["organization", "name"], name="study_unique_org_name"),
        ]
        verbose_name = _("footprint study")
        verbose_name_plural = _("footprint studies")

    def __str__(self) -> str:
        return self.name


class StudyStage(TenantModel):
    """A stage in a study's scope, with the share of its energy that belongs to this product."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="stages")
    stage = models.ForeignKey(ProcessStage, on_delete=models.PROTECT, related_name="+")
    allocation_share = models.DecimalField(_("allocation share"), default=Decimal(1), **SHARE)
    allocation_note = models.CharField(_("allocation basis"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["study", "stage__no"]
        constraints = [
            models.UniqueConstraint(fields=["study", "stage"], name="studystage_unique_study_stage"),
            models.CheckConstraint(
                condition=Q(allocation_share__gt=0) & Q(allocation_share__lte=1),
                name="studystage_share_range",
                violation_error_message=_("The allocation share must be above 0 and at most 1."),
            ),
        ]
        verbose_name = _("study stage")
        verbose_name_plural = _("study stages")

    def __str__(self) -> str:
        return f"{self.study}: {self.stage}"


class BomLine(TenantModel):
    """One line of a study's bill of materials, per declared unit.

    Either a catalogue material (its name and activity unit come from the catalogue), or a line
    beyond the catalogue (packaging, a second PCB) with its own name and activity unit; such a
    line has no default factor to fall back on, so it names its factor itself.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="bom_lines")
    material = models.ForeignKey(
        Material,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for a line beyond the catalogue, which then gives its own name and unit."),
    )
    name = models.CharField(
        _("name"), max_length=200, blank=True, help_text=_("Only for a line beyond the catalogue, e.g. carton.")
    )
    activity_unit = models.CharField(
        _("activity unit"),
        max_length=16,
        blank=True,
        help_text=_("Only for a line beyond the catalogue: kg, piece, L ..."),
    )
    quantity = models.DecimalField(_("net quantity per declared unit"), **QUANTITY)
    loss_rate = models.DecimalField(_("loss (scrap) rate"), default=Decimal(0), **SHARE)
    factor = models.ForeignKey(
        EmissionFactor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty to use the supplier's own factor for the material, else the library default."),
    )
    data_source = models.CharField(
        _("data source"), max_length=24, choices=DataSource.choices, default=DataSource.SECONDARY_DEFAULT
    )
    unit_mass_kg = models.DecimalField(
        _("mass of one activity unit (kg)"),
        null=True,
        blank=True,
        **MASS,
        help_text=_("Mass per piece, or density in kg/L: lets a per-kg factor value a piece or a litre."),
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        # Catalogue lines by material number, then the lines beyond the catalogue in the order entered
        # (NULLS LAST spelled out: SQLite and PostgreSQL disagree on where NULL sorts).
        ordering = ["study", models.F("material__no").asc(nulls_last=True), "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0),
                name="bomline_quantity_nonnegative",
                violation_error_message=_("The quantity must not be negative."),
            ),
            models.CheckConstraint(
                condition=Q(loss_rate__gte=0) & Q(loss_rate__lt=1),
                name="bomline_loss_range",
                violation_error_message=_(
                    "The loss rate must be at least 0 and below 1 (0.02 means a 2-percent loss)."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(material__isnull=False) & Q(name="") & Q(activity_unit=""))
                | (Q(material__isnull=True) & ~Q(name="") & ~Q(activity_unit="")),
                name="bomline_material_or_custom",
                violation_error_message=_(
                    "A line is either a catalogue material, or a line of its own with a name and an activity unit."
                ),
            ),
        ]
        verbose_name = _("bill-of-materials line")
        verbose_name_plural = _("bill-of-materials lines")

    def __str__(self) -> str:
        if self.material_id is None:
            return f"{self.name} × {self.quantity} {self.activity_unit}"
        return f"{self.material} × {self.quantity}"

    @property
    def is_custom(self) -> bool:
        """A line beyond the catalogue."""
        return self.material_id is None

    @property
    def unit(self) -> str:
        """The activity unit the quantity is counted in."""
        return self.activity_unit if self.material is None else self.material.activity_unit

    def clean(self) -> None:
        super().clean()
        if self.material_id is None and self.factor_id is None:
            raise ValidationError(
                {"factor": _("A line beyond the catalogue has no default factor: choose its factor.")},
                code="custom_line_factor_required",
            )


class TransportLeg(TenantModel):
    """Inbound transport of a material to the plant, per declared unit."""

    bom_line = models.ForeignKey(BomLine, on_delete=models.CASCADE, related_name="transport_legs")
    mode = models.CharField(_("mode"), max_length=16, choices=TransportMode.choices)
    distance_km = models.DecimalField(_("distance (km)"), **QUANTITY)
    mass_kg = models.DecimalField(_("transported mass per declared unit (kg)"), **MASS)
    factor = models.ForeignKey(EmissionFactor, on_delete=models.PROTECT, related_name="+")
    data_source = models.CharField(
        _("data source"), max_length=24, choices=DataSource.choices, default=DataSource.SECONDARY_DEFAULT
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["bom_line", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(distance_km__gte=0),
                name="transportleg_distance_nonnegative",
                violation_error_message=_("The distance must not be negative."),
            ),
            models.CheckConstraint(
                condition=Q(mass_kg__gte=0),
                name="transportleg_mass_nonnegative",
                violation_error_message=_("The transported mass must not be negative."),
            ),
        ]
        verbose_name = _("transport leg")
        verbose_name_plural = _("transport legs")
