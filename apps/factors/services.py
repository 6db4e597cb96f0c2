"""Writes to the factor library: a supplier's own (primary) factors.

A supplier's own factors live in a dataset the organization owns ("<organization> supplier data",
version 1, created with its first factor). For a material they take precedence over the library
default (apps.factors.selectors.factors_for_materials), and a bill-of-materials line or transport
leg can name one explicitly. Each factor carries its source citation (an upstream supplier's EPD
or footprint certificate); the evidence file itself is attached through apps.evidence.

Also here, until they move to apps.factors.selectors: the reads the bill-of-materials forms need
(which factors a study's lines and legs may choose from).
"""

from __future__ import annotations

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
from apps.factors.models import EmissionFactor, FactorDataset

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
    dataset = FactorDataset(
        organization=organization,
        name=name,
        version=OWN_DATASET_VERSION,
        publisher=organization.name,
        gwp_basis=GwpBasis.MIXED,
        is_illustrative=False,
        description=_("Primary factors from the organization's own upstream suppliers, each with its source."),
    )
    history_user_set(dataset, user)
    validated_save(dataset)
    return dataset


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
    errors = _number_errors(value, low, high)
    if category not in OWN_CATEGORIES:
        errors["category"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if not name_zh and not name_en:
        errors["name_zh"] = [_("Give the factor a name, in Chinese or English.")]
    if not unit:
        errors["unit"] = [_("Give the factor's unit, e.g. kgCO2e/kg.")]
    elif problem := factor_unit_problem(unit, category=category):
        errors["unit"] = [problem]
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
        factor = EmissionFactor(
            dataset=dataset,
            organization=organization,
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
        )
        history_user_set(factor, user)
        validated_save(factor)
    return factor


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
