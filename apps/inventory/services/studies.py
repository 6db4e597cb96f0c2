"""Write services for products, sites and studies (the supplier's master data and its footprint studies).

Every function is keyword-only and validates before it writes (apps.accounts.tenancy): rows it
links must belong to the same organization or to the shared library, ``full_clean`` runs before
``save``, and an edit made from a page carries the row version it was rendered with, so a second
save over someone else's change raises ``StaleEditError`` with the stored values.

Copying a study into the next period involves the ledger (fuel and waste entries), which this
app may not import: it lives in ``apps.footprints.study_copy``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Organization
from apps.accounts.tenancy import history_user_set, require_row_version, require_same_organization, validated_save
from apps.catalog.models import ProcessStage
from apps.factors.enums import FactorCategory
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.regions import grid_region_choices
from apps.inventory.enums import DeclaredUnit, StudyStatus, SystemBoundary
from apps.inventory.models import Product, Site, Study, StudyStage
from apps.inventory.services.editable import study_is_editable
from apps.inventory.services.stages import stage_allocation_errors

# Who makes the change: a page passes request.user; commands and importers pass None.
User = AbstractBaseUser | AnonymousUser | None
# A stage of a study's scope with its allocation share and the basis of that share.
StageAllocation = tuple[ProcessStage, Decimal, str]

PRODUCT_FIELDS = ["name", "model_code", "description", "mass_kg"]
SITE_FIELDS = ["code", "name", "address", "grid_region"]
STUDY_FIELDS = [
    "name",
    "period_start",
    "period_end",
    "units_produced",
    "declared_unit_amount",
    "factor_dataset",
    "electricity_factor",
    "electricity_series",
    "description",
]


def _require_supplier(organization: Organization) -> None:
    if organization.kind != OrganizationKind.SUPPLIER:
        raise ValidationError(
            _("Only a supplier organization keeps products, sites and footprint studies."), code="not_supplier"
        )


# --- products -------------------------------------------------------------------------------------


def _check_product(product: Product) -> None:
    errors: dict[str, list[str]] = {}
    if not product.name.strip():
        errors["name"] = [_("Enter the product's name.")]
    if not product.model_code.strip():
        errors["model_code"] = [_("Enter the model code.")]
    elif (
        Product.objects.for_organization(product.organization)
        .filter(model_code=product.model_code)
        .exclude(pk=product.pk)
        .exists()
    ):
        errors["model_code"] = [_("Your organization already has a product with this model code.")]
    if product.mass_kg is not None and product.mass_kg < 0:
        errors["mass_kg"] = [_("The mass must not be negative.")]
    if errors:
        raise ValidationError(errors)


def product_create(
    *,
    organization: Organization,
    name: str,
    model_code: str,
    description: str = "",
    mass_kg: Decimal | None = None,
    user: User,
) -> Product:
    _require_supplier(organization)
    product = Product(
        organization=organization,
        name=name.strip(),
        model_code=model_code.strip(),
        description=description,
        mass_kg=mass_kg,
    )
    _check_product(product)
    history_user_set(product, user)
    with transaction.atomic():
        validated_save(product)
    return product


def product_update(
    *,
    product: Product,
    expected_version: str | None,
    user: User,
    name: str,
    model_code: str,
    description: str,
    mass_kg: Decimal | None,
) -> Product:
    with transaction.atomic():
        current = Product.objects.select_for_update(of=("self",)).select_related("organization").get(pk=product.pk)
        require_row_version(current, expected_version, fields=PRODUCT_FIELDS)
        current.name = name.strip()
        current.model_code = model_code.strip()
        current.description = description
        current.mass_kg = mass_kg
        _check_product(current)
        history_user_set(current, user)
        validated_save(current)
    return current


# --- sites ----------------------------------------------------------------------------------------


def _check_site(site: Site, extra_grid_regions: Collection[str] = ()) -> None:
    errors: dict[str, list[str]] = {}
    if not site.name.strip():
        errors["name"] = [_("Enter the site's name.")]
    if not site.code.strip():
        errors["code"] = [_("Enter a short code for the site.")]
    elif Site.objects.for_organization(site.organization).filter(code=site.code).exclude(pk=site.pk).exists():
        errors["code"] = [_("Your organization already has a site with this code.")]
    known = bool(site.grid_region) and site.grid_region in extra_grid_regions
    if not known and site.grid_region not in grid_region_choices():
        errors["grid_region"] = [_("Choose a grid region for which the factor library holds an electricity factor.")]
    if errors:
        raise ValidationError(errors)


def site_create(
    *,
    organization: Organization,
    code: str,
    name: str,
    address: str = "",
    grid_region: str,
    extra_grid_regions: Collection[str] = (),
    user: User,
) -> Site:
    """A plant on a grid region the factor library values (the sites page offers those).

    ``extra_grid_regions``: regions valued outside the library, which the page does not offer: an
    imported study document brings the electricity factor or series that values its site's grid,
    and the importer names that factor's region once it has written it.
    """
    _require_supplier(organization)
    site = Site(organization=organization, code=code.strip(), name=name.strip(), address=address.strip())
    site.grid_region = grid_region
    _check_site(site, extra_grid_regions)
    history_user_set(site, user)
    with transaction.atomic():
        validated_save(site)
    return site


def site_update(
    *,
    site: Site,
    expected_version: str | None,
    user: User,
    code: str,
    name: str,
    address: str,
    grid_region: str,
) -> Site:
    with transaction.atomic():
        current = Site.objects.select_for_update(of=("self",)).select_related("organization").get(pk=site.pk)
        require_row_version(current, expected_version, fields=SITE_FIELDS)
        current.code = code.strip()
        current.name = name.strip()
        current.address = address.strip()
        current.grid_region = grid_region
        _check_site(current)
        history_user_set(current, user)
        validated_save(current)
    return current


# --- studies --------------------------------------------------------------------------------------


def _check_study(study: Study) -> None:
    """Field-keyed messages for what the model's check constraints would only report as a whole."""
    errors: dict[str, list[str]] = {}
    if not study.name.strip():
        errors["name"] = [_("Enter a name for the study.")]
    elif Study.objects.for_organization(study.organization).filter(name=study.name).exclude(pk=study.pk).exists():
        errors["name"] = [_("Your organization already has a study with this name.")]
    if study.period_start and study.period_end and study.period_end < study.period_start:
        errors["period_end"] = [_("The reporting period must end on or after the day it starts.")]
    if study.units_produced is not None and study.units_produced <= 0:
        errors["units_produced"] = [_("Units produced in the period must be greater than zero.")]
    if study.declared_unit_amount is not None and study.declared_unit_amount <= 0:
        errors["declared_unit_amount"] = [_("The declared unit amount must be greater than zero.")]
    if study.electricity_factor_id is not None and study.electricity_series_id is not None:
        errors["electricity_series"] = [
            _("Choose either a static electricity factor or a factor series, not both."),
        ]
    factor = study.electricity_factor
    if factor is not None and factor.category != FactorCategory.ELECTRICITY:
        errors["electricity_factor"] = [_("Choose an electricity factor (kg CO2e per kWh).")]
    if errors:
        raise ValidationError(errors)


def study_create(
    *,
    organization: Organization,
    product: Product,
    site: Site,
    name: str,
    period_start: date,
    period_end: date,
    units_produced: Decimal,
    declared_unit_amount: Decimal = Decimal(1),
    factor_dataset: FactorDataset,
    electricity_factor: EmissionFactor | None = None,
    electricity_series: ElectricityFactorSeries | None = None,
    description: str = "",
    declared_unit: str = DeclaredUnit.PIECE,
    system_boundary: str = SystemBoundary.CRADLE_TO_GATE,
    stages: Sequence[StageAllocation] | None = None,
    user: User,
) -> Study:
    """A draft study, ready for its inventory, with all 26 catalogue stages at allocation share 1.

    ``stages``: exactly these stages instead, each with its allocation share and basis (an imported
    study document lists its own, possibly a few of the 26); each is checked like an allocation
    entered on the stages page, and a problem is a ValidationError on ``stages`` naming the stage.
    """
    _require_supplier(organization)
    # A product or site is tenant data: it must be the organization's own (never the library's).
    errors: dict[str, list[str]] = {}
    for field, row in (("product", product), ("site", site)):
        if row.organization_id != organization.pk:
            errors[field] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if errors:
        raise ValidationError(errors)
    require_same_organization(
        organization,
        factor_dataset=factor_dataset,
        electricity_factor=electricity_factor,
        electricity_series=electricity_series,
    )
    study = Study(
        organization=organization,
        product=product,
        site=site,
        name=name.strip(),
        period_start=period_start,
        period_end=period_end,
        units_produced=units_produced,
        declared_unit_amount=declared_unit_amount,
        factor_dataset=factor_dataset,
        electricity_factor=electricity_factor,
        electricity_series=electricity_series,
        description=description,
        declared_unit=declared_unit,
        system_boundary=system_boundary,
        status=StudyStatus.DRAFT,
    )
    study.created_by_id = user.pk if user is not None and user.is_authenticated else None
    _check_study(study)
    rows = None if stages is None else _stage_rows(study, stages)
    history_user_set(study, user)
    with transaction.atomic():
        validated_save(study)
        if rows is None:
            StudyStage.objects.bulk_create(
                [
                    StudyStage(organization=organization, study=study, stage=stage, allocation_share=Decimal(1))
                    for stage in ProcessStage.objects.order_by("no")
                ]
            )
        else:
            for stage_row in rows:
                stage_row.study = study
            history_user = user if isinstance(user, AbstractBaseUser) and user.is_authenticated else None
            bulk_create_with_history(rows, StudyStage, default_user=history_user)
    return study


def _stage_rows(study: Study, stages: Sequence[StageAllocation]) -> list[StudyStage]:
    """The study's stages, every one validated before any is written (no query per stage: the study
    is new and the stages are catalogue rows, so only their values and repeats need checking)."""
    problems: list[str] = []
    rows: list[StudyStage] = []
    seen: set[int] = set()
    for stage, share, note in stages:
        note = (note or "").strip()
        row = StudyStage(organization=study.organization, stage=stage, allocation_share=share, allocation_note=note)
        errors = stage_allocation_errors(allocation_share=share, allocation_note=note)
        if not errors:
            try:
                row.full_clean(
                    exclude=["organization", "study", "stage"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                errors = exc.message_dict
        if stage.pk in seen:
            errors = {**errors, "stage": [_("The stage is listed more than once.")]}
        seen.add(stage.pk)
        problems += [
            _("Stage %(no)s: %(problem)s") % {"no": stage.no, "problem": message}
            for messages in errors.values()
            for message in messages
        ]
        rows.append(row)
    if problems:
        raise ValidationError({"stages": problems})
    return rows


def study_update(
    *,
    study: Study,
    expected_version: str | None,
    user: User,
    name: str,
    period_start: date,
    period_end: date,
    units_produced: Decimal,
    declared_unit_amount: Decimal,
    factor_dataset: FactorDataset,
    electricity_factor: EmissionFactor | None,
    electricity_series: ElectricityFactorSeries | None,
    description: str,
) -> Study:
    """Change a draft (or returned) study's settings; its product and site stay as created."""
    with transaction.atomic():
        current = Study.objects.select_for_update(of=("self",)).select_related("organization").get(pk=study.pk)
        if not study_is_editable(current):
            raise ValidationError(
                _("This study has been submitted (status: %(status)s) and can no longer be changed."),
                code="not_editable",
                params={"status": current.get_status_display()},
            )
        require_row_version(current, expected_version, fields=STUDY_FIELDS)
        require_same_organization(
            current.organization,
            factor_dataset=factor_dataset,
            electricity_factor=electricity_factor,
            electricity_series=electricity_series,
        )
        current.name = name.strip()
        current.period_start = period_start
        current.period_end = period_end
        current.units_produced = units_produced
        current.declared_unit_amount = declared_unit_amount
        current.factor_dataset = factor_dataset
        current.electricity_factor = electricity_factor
        current.electricity_series = electricity_series
        current.description = description
        _check_study(current)
        history_user_set(current, user)
        validated_save(current)
    return current
