"""Writes to the factor library: an organization's own datasets, factors and factor series.

A supplier's own factors entered on a page live in a dataset the organization owns ("<organization>
supplier data", version 1, created with its first factor: ``own_factor_create``). For a material they
take precedence over the library default (apps.factors.selectors.factors_for_materials), and a
bill-of-materials line or transport leg can name one explicitly. Each factor carries its source
citation (an upstream supplier's EPD or footprint certificate); the evidence file itself is attached
through apps.evidence.

An imported study document brings whole datasets the database lacks (the exporting supplier's own
data, or a library version this database has not loaded), which become the importing
organization's own: ``factor_dataset_create``, ``emission_factor_create`` and
``electricity_series_create`` write them, each row checked like a factor from a page. The shared
library itself (no organization) is loaded from its files (apps.factors.library), not here.

Also here, until they move to apps.factors.selectors: the reads the bill-of-materials forms need
(which factors a study's lines and legs may choose from).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from apps.accounts.models import Organization
from apps.accounts.tenancy import history_user_set, validated_save
from apps.catalog.models import Material
from apps.engine import units
from apps.factors.enums import FactorCategory, GwpBasis
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.series import series_points_bulk_upsert

User = AbstractBaseUser | AnonymousUser | None

OWN_DATASET_VERSION = "1"
OWN_CATEGORIES = (FactorCategory.MATERIAL, FactorCategory.TRANSPORT)
_NAME_LIMIT = 200
_SUFFIX = " supplier data"


def own_dataset_name(organization: Organization) -> str:
    """ "<organization name> supplier data", within the dataset name's 200 characters."""
    return organization.name[: _NAME_LIMIT - len(_SUFFIX)] + _SUFFIX


def own_dataset_get(*, organization: Organization) -> FactorDataset | None:
    return FactorDataset.objects.filter(
        organization=organization, name=own_dataset_name(organization), version=OWN_DATASET_VERSION
    ).first()


def _own_dataset_locked(organization: Organization, user: User) -> FactorDataset:
    """The organization's own dataset, created on first use; locked for the caller's transaction."""
    name = own_dataset_name(organization)
    found = (
        FactorDataset.objects.select_for_update()
        .filter(organization=organization, name=name, version=OWN_DATASET_VERSION)
        .first()
    )
    if found is not None:
        return found
    return factor_dataset_create(
        organization=organization,
        name=name,
        version=OWN_DATASET_VERSION,
        publisher=organization.name,
        gwp_basis=GwpBasis.MIXED,
        is_illustrative=False,
        description=_("Primary factors from the organization's own upstream suppliers, each with its source."),
        user=user,
    )


def _require_own_dataset(organization: Organization, dataset: FactorDataset) -> None:
    """Factors and series are only added to a dataset the organization owns (never the library's)."""
    if dataset.organization_id is None or dataset.organization_id != organization.pk:
        raise ValidationError(
            {"dataset": [_("Select a valid choice. That choice is not one of the available choices.")]}
        )


def factor_unit_problem(unit: str, *, category: str = FactorCategory.MATERIAL) -> str | None:
    """Why a factor in ``unit`` could not value an activity (None if it can), in the user's language.

    A factor is an amount of CO2e per activity unit (kgCO2e/kg, kgCO2e/piece); a transport factor is
    per mass and distance (kgCO2e/(t*km)).
    """
    parsed = units.parse(unit)
    if parsed is None:
        return _("%(unit)s is not a unit we can read; write it like kgCO2e/kg, kgCO2e/piece or kgCO2e/(t*km).") % {
            "unit": unit
        }
    dimensions = dict(parsed.dimensionality)
    per_something = any(exponent < 0 for name, exponent in dimensions.items() if name != "[co2e]")
    if dimensions.get("[co2e]") != 1 or not per_something:
        return _("A factor is an amount of CO2e per activity unit, e.g. kgCO2e/kg or kgCO2e/piece.")
    if category == FactorCategory.TRANSPORT and units.valuation_factor("kg", "km", unit) is None:
        return _("A transport factor is per tonne-kilometre, e.g. kgCO2e/(t*km).")
    return None


def _number_errors(value: Decimal | None, low: Decimal | None, high: Decimal | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, number in (("value", value), ("low", low), ("high", high)):
        if number is None:
            continue
        if not isinstance(number, Decimal) or not number.is_finite():
            errors[field] = [_("Enter a number.")]
        elif number < 0:
            errors[field] = [_("An emission factor must not be negative.")]
    if value is None:
        errors["value"] = [_("Enter the factor's value.")]
    if errors or value is None:
        return errors
    if low is not None and low > value:
        errors["low"] = [_("The low end of the range must not be above the value.")]
    if high is not None and high < value:
        errors["high"] = [_("The high end of the range must not be below the value.")]
    return errors


def _factor_errors(
    *, value: Decimal | None, low: Decimal | None, high: Decimal | None, unit: str, category: str
) -> dict[str, list[str]]:
    """What every factor must be, however it is entered: a value that is not negative and lies in its
    range, in CO2e per activity unit (per tonne-kilometre for transport). An empty unit is the
    caller's to word."""
    errors = _number_errors(value, low, high)
    if unit and (problem := factor_unit_problem(unit, category=category)):
        errors["unit"] = [problem]
    return errors


def own_factor_create(
    *,
    organization: Organization,
    material: Material | None = None,
    name_zh: str,
    name_en: str,
    value: Decimal,
    unit: str,
    low: Decimal | None = None,
    high: Decimal | None = None,
    source: str,
    notes: str = "",
    user: User,
    category: str = FactorCategory.MATERIAL,
) -> EmissionFactor:
    """A factor from the supplier's own data, in its own dataset (created with the first factor).

    ``material``: the catalogue material it values, which then uses it by default; None for a
    factor chosen explicitly on a line (a line beyond the catalogue). Raises ValidationError keyed
    by field for a unit that is not CO2e per activity unit, a negative value, a value outside its
    range, a missing name or source citation.
    """
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    unit, source, notes = (unit or "").strip(), (source or "").strip(), (notes or "").strip()
    errors = _factor_errors(value=value, low=low, high=high, unit=unit, category=category)
    if category not in OWN_CATEGORIES:
        errors["category"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if not name_zh and not name_en:
        errors["name_zh"] = [_("Give the factor a name, in Chinese or English.")]
    if not unit:
        errors["unit"] = [_("Give the factor's unit, e.g. kgCO2e/kg.")]
    if not source:
        errors["source"] = [
            _("Cite the source of this factor: the upstream supplier's EPD or footprint certificate, a database.")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        dataset = _own_dataset_locked(organization, user)
        prefix = f"own.{category}.{material.no if material is not None else 'other'}."
        taken = set(dataset.factors.filter(code__startswith=prefix).values_list("code", flat=True))
        n = len(taken) + 1
        while f"{prefix}{n}" in taken:
            n += 1
        return emission_factor_create(
            organization=organization,
            dataset=dataset,
            code=f"{prefix}{n}",
            category=category,
            name_zh=name_zh,
            name_en=name_en or name_zh,  # the model needs one; a Chinese-only name stands for both
            value=value,
            unit=unit,
            low=low,
            high=high,
            source=source,
            notes=notes,
            material=material,
            user=user,
        )


def factor_dataset_create(
    *,
    organization: Organization,
    name: str,
    version: str,
    publisher: str,
    gwp_basis: str,
    gwp_horizon_years: int = 100,
    is_illustrative: bool = False,
    description: str = "",
    user: User,
) -> FactorDataset:
    """A dataset of the organization's own (its name and version unique there); raises
    ValidationError keyed by field. Values are stored as given: an imported document's must come
    back unchanged."""
    dataset = FactorDataset(
        organization=organization,
        name=name,
        version=version,
        publisher=publisher,
        gwp_basis=gwp_basis,
        gwp_horizon_years=gwp_horizon_years,
        is_illustrative=is_illustrative,
        description=description,
    )
    history_user_set(dataset, user)
    with transaction.atomic():
        validated_save(dataset)
    return dataset


def emission_factor_create(
    *,
    organization: Organization,
    dataset: FactorDataset,
    code: str,
    category: str,
    name_zh: str = "",
    name_en: str,
    value: Decimal,
    unit: str,
    low: Decimal | None = None,
    high: Decimal | None = None,
    region: str = "",
    year: int | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    source: str,
    notes: str = "",
    material: Material | None = None,
    user: User,
) -> EmissionFactor:
    """A factor in one of the organization's own datasets, of any category.

    Raises ValidationError keyed by field for a dataset that is not the organization's own, a
    negative value or one outside its range, a unit that is not CO2e per activity unit, a validity
    that ends before it begins, or what the model refuses (a code the dataset already holds, a
    missing name or source). Values are stored as given (``own_factor_create`` tidies a form's).
    """
    _require_own_dataset(organization, dataset)
    errors = _factor_errors(value=value, low=low, high=high, unit=unit, category=category)
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = [_("The factor's validity must not end before it begins.")]
    if errors:
        raise ValidationError(errors)
    factor = EmissionFactor(
        dataset=dataset,
        organization=organization,
        code=code,
        category=category,
        name_zh=name_zh,
        name_en=name_en,
        value=value,
        unit=unit,
        low=low,
        high=high,
        region=region,
        year=year,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        notes=notes,
        material=material,
    )
    history_user_set(factor, user)
    with transaction.atomic():
        validated_save(factor)
    return factor


def electricity_series_create(
    *,
    organization: Organization,
    dataset: FactorDataset,
    code: str,
    name: str,
    region: str,
    unit: str = "kgCO2e/kWh",
    resolution_seconds: int = 3600,
    source: str,
    points: Sequence[tuple[datetime, Decimal | str]],
    user: User,
) -> ElectricityFactorSeries:
    """A time-varying grid factor in one of the organization's own datasets, with its points.

    All or nothing: a bad field raises ValidationError keyed by field, a bad point
    ``SeriesValidationError`` (apps.factors.series) naming every rejected point, and then neither
    the series nor any point is written.
    """
    _require_own_dataset(organization, dataset)
    if problem := factor_unit_problem(unit, category=FactorCategory.ELECTRICITY):
        raise ValidationError({"unit": [problem]})
    series = ElectricityFactorSeries(
        dataset=dataset,
        organization=organization,
        code=code,
        name=name,
        region=region,
        unit=unit,
        resolution_seconds=resolution_seconds,
        source=source,
    )
    history_user_set(series, user)
    with transaction.atomic():
        validated_save(series)
        series_points_bulk_upsert(series=series, points=points)
    return series


# --- reads for the bill-of-materials forms --------------------------------------------------


def factors_choosable(*, organization: Organization, dataset: FactorDataset, category: str) -> list[EmissionFactor]:
    """The factors of ``category`` a study of ``organization`` on library ``dataset`` may name
    explicitly: the library dataset's and the organization's own (one query, own first)."""
    return list(
        EmissionFactor.objects.filter(category=category)
        .filter(Q(dataset=dataset) | Q(dataset__organization=organization))
        .select_related("dataset", "material")
        .order_by(F("material__no").asc(nulls_last=True), "dataset__name", "dataset__version", "code")
    )
