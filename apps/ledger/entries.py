"""Writes of a study's fuel entries (Eb, fossil fuel burnt in the plant) and waste entries (Ew).

Each entry is a plant-level quantity for the reporting period with the factor that values it and
the share of it that belongs to the studied product. The factor must be of the right category
(fuel combustion, waste treatment) and one the study may use: a factor of the study's library
dataset or of a dataset the organization owns. The quantity's unit must convert to the unit the
factor is per (a kgCO2e/kg factor takes kg or t; a kgCO2e/L factor takes L or m3): the engine
checks units this way (apps.engine.units.valuation_factor), and the form refuses what it would
refuse. The engine does not bridge a ledger entry's volume to mass through a density.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from apps.accounts.tenancy import history_user_set, require_row_version, require_same_organization, validated_save
from apps.catalog.models import ProcessStage
from apps.engine import units
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor
from apps.inventory.enums import DataSource
from apps.inventory.models import Study
from apps.inventory.services.editable import study_lock_editable, study_require_editable
from apps.inventory.services.stages import allocation_share_checked
from apps.ledger.models import FuelEntry, WasteEntry

FUEL_FIELDS = ["stage", "factor", "quantity", "unit", "allocation_share", "data_source", "description"]
WASTE_FIELDS = ["factor", "quantity", "unit", "allocation_share", "data_source", "description"]

User = AbstractBaseUser | AnonymousUser | None
Entry = TypeVar("Entry", FuelEntry, WasteEntry)


def factor_denominator(factor_unit: str) -> str:
    """The unit a factor is per, as written: "kgCO2e/kg" -> "kg", "kgCO2e/(t*km)" -> "t*km"."""
    _head, slash, tail = factor_unit.partition("/")
    return tail.strip().removeprefix("(").removesuffix(")") if slash else ""


def ledger_factor_check(*, study: Study, factor: EmissionFactor | None, category: str) -> EmissionFactor:
    """The factor if the study may use it for an entry of ``category``; else a ValidationError on ``factor``."""
    if factor is None:
        raise ValidationError({"factor": [_("Choose a factor.")]})
    require_same_organization(study.organization, factor=factor)
    if factor.organization_id is None and factor.dataset_id != study.factor_dataset_id:
        # A library factor of another dataset: the study's defaults come from its own dataset only.
        raise ValidationError({"factor": [_invalid_choice()]})
    if factor.category != category:
        expected = FactorCategory(category).label
        found = FactorCategory(factor.category).label if factor.category in FactorCategory.values else factor.category
        raise ValidationError(
            {
                "factor": [
                    _(
                        "Choose a factor of the category “%(expected)s”; %(factor)s is a factor of the "
                        "category “%(found)s”."
                    )
                    % {"expected": expected, "factor": factor.code, "found": found}
                ]
            }
        )
    return factor


def ledger_unit_check(*, unit: str, factor: EmissionFactor) -> str:
    """The unit, stripped, if a quantity in it can be valued with the factor; else a ValidationError on ``unit``."""
    unit = (unit or "").strip()
    per = factor_denominator(factor.unit) or factor.unit
    if not unit:
        raise ValidationError({"unit": [_("Enter the unit of the quantity, for example %(unit)s.") % {"unit": per}]})
    if not units.is_known(unit):
        message = _("“%(unit)s” is not a unit carbonfoot knows (for example kg, t, L, m3, Nm3, MJ).")
        raise ValidationError({"unit": [message % {"unit": unit}]})
    if units.valuation_factor(unit, factor.unit) is None:
        raise ValidationError(
            {
                "unit": [
                    _(
                        "A quantity in %(unit)s cannot be valued with a factor in %(factor_unit)s: enter it in %(per)s "
                        "or a unit that converts to it."
                    )
                    % {"unit": unit, "factor_unit": factor.unit, "per": per}
                ]
            }
        )
    return unit


def _invalid_choice() -> str:
    return _("Select a valid choice. That choice is not one of the available choices.")


def _checked(
    *,
    study: Study,
    category: str,
    factor: EmissionFactor | None,
    quantity: Decimal | None,
    unit: str,
    allocation_share: Decimal | None,
    data_source: str,
) -> tuple[EmissionFactor, str]:
    """Every field's problem at once, keyed by field."""
    errors: dict[str, list[str]] = {}
    checked_factor: EmissionFactor | None = None
    checked_unit = unit
    try:
        checked_factor = ledger_factor_check(study=study, factor=factor, category=category)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if checked_factor is not None:
        try:
            checked_unit = ledger_unit_check(unit=unit, factor=checked_factor)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if quantity is None or not isinstance(quantity, Decimal) or not quantity.is_finite():
        errors["quantity"] = [_("Enter the quantity as a number.")]
    elif quantity < 0:
        errors["quantity"] = [_("The quantity must not be negative.")]
    try:
        allocation_share_checked(allocation_share)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if data_source not in DataSource.values:
        errors["data_source"] = [_invalid_choice()]
    if errors:
        raise ValidationError(errors)
    assert checked_factor is not None
    return checked_factor, checked_unit


def _locked(model: type[Entry], study: Study, entry: Entry, expected_version: str | None, fields: list[str]) -> Entry:
    row = model.objects.select_for_update().filter(study=study, pk=entry.pk).first()
    if row is None:
        raise model.DoesNotExist("No such entry in this study")
    require_row_version(row, expected_version, fields=fields)
    return row


def _save(row: models.Model, user: User, **values: Any) -> None:
    for name, value in values.items():
        setattr(row, name, value)
    if isinstance(user, AbstractBaseUser):
        history_user_set(row, user)
    validated_save(row)


def _stage_checked(stage: ProcessStage | None) -> ProcessStage | None:
    if stage is not None and not isinstance(stage, ProcessStage):
        raise ValidationError({"stage": [_invalid_choice()]})
    return stage


# --- fuel ---------------------------------------------------------------------------------------


def fuel_entry_add(
    *,
    study: Study,
    factor: EmissionFactor | None,
    quantity: Decimal,
    unit: str,
    allocation_share: Decimal = Decimal(1),
    stage: ProcessStage | None = None,
    data_source: str = DataSource.MEASURED_PRIMARY,
    description: str = "",
    user: User,
) -> FuelEntry:
    study_require_editable(study)
    factor, unit = _checked(
        study=study, category=FactorCategory.FUEL, factor=factor, quantity=quantity, unit=unit,
        allocation_share=allocation_share, data_source=data_source,
    )  # fmt: skip
    with transaction.atomic():
        study_lock_editable(study)
        row = FuelEntry(organization=study.organization, study=study)
        _save(
            row, user, stage=_stage_checked(stage), factor=factor, quantity=quantity, unit=unit,
            allocation_share=allocation_share, data_source=data_source, description=description.strip(),
        )  # fmt: skip
    return row


def fuel_entry_update(
    *,
    study: Study,
    entry: FuelEntry,
    factor: EmissionFactor | None,
    quantity: Decimal,
    unit: str,
    allocation_share: Decimal,
    stage: ProcessStage | None,
    data_source: str,
    description: str,
    expected_version: str | None,
    user: User,
) -> FuelEntry:
    study_require_editable(study)
    factor, unit = _checked(
        study=study, category=FactorCategory.FUEL, factor=factor, quantity=quantity, unit=unit,
        allocation_share=allocation_share, data_source=data_source,
    )  # fmt: skip
    with transaction.atomic():
        study_lock_editable(study)
        row = _locked(FuelEntry, study, entry, expected_version, FUEL_FIELDS)
        _save(
            row, user, stage=_stage_checked(stage), factor=factor, quantity=quantity, unit=unit,
            allocation_share=allocation_share, data_source=data_source, description=description.strip(),
        )  # fmt: skip
    return row


def fuel_entry_delete(*, study: Study, entry: FuelEntry, expected_version: str | None = None, user: User) -> None:
    study_require_editable(study)
    with transaction.atomic():
        study_lock_editable(study)
        row = _locked(FuelEntry, study, entry, expected_version, FUEL_FIELDS)
        if isinstance(user, AbstractBaseUser):
            history_user_set(row, user)
        row.delete()


# --- waste --------------------------------------------------------------------------------------


def waste_entry_add(
    *,
    study: Study,
    factor: EmissionFactor | None,
    quantity: Decimal,
    unit: str = "kg",
    allocation_share: Decimal = Decimal(1),
    data_source: str = DataSource.MEASURED_PRIMARY,
    description: str = "",
    user: User,
) -> WasteEntry:
    study_require_editable(study)
    factor, unit = _checked(
        study=study, category=FactorCategory.WASTE, factor=factor, quantity=quantity, unit=unit,
        allocation_share=allocation_share, data_source=data_source,
    )  # fmt: skip
    with transaction.atomic():
        study_lock_editable(study)
        row = WasteEntry(organization=study.organization, study=study)
        _save(
            row, user, factor=factor, quantity=quantity, unit=unit, allocation_share=allocation_share,
            data_source=data_source, description=description.strip(),
        )  # fmt: skip
    return row


def waste_entry_update(
    *,
    study: Study,
    entry: WasteEntry,
    factor: EmissionFactor | None,
    quantity: Decimal,
    unit: str,
    allocation_share: Decimal,
    data_source: str,
    description: str,
    expected_version: str | None,
    user: User,
) -> WasteEntry:
    study_require_editable(study)
    factor, unit = _checked(
        study=study, category=FactorCategory.WASTE, factor=factor, quantity=quantity, unit=unit,
        allocation_share=allocation_share, data_source=data_source,
    )  # fmt: skip
    with transaction.atomic():
        study_lock_editable(study)
        row = _locked(WasteEntry, study, entry, expected_version, WASTE_FIELDS)
        _save(
            row, user, factor=factor, quantity=quantity, unit=unit, allocation_share=allocation_share,
            data_source=data_source, description=description.strip(),
        )  # fmt: skip
    return row


def waste_entry_delete(*, study: Study, entry: WasteEntry, expected_version: str | None = None, user: User) -> None:
    study_require_editable(study)
    with transaction.atomic():
        study_lock_editable(study)
        row = _locked(WasteEntry, study, entry, expected_version, WASTE_FIELDS)
        if isinstance(user, AbstractBaseUser):
            history_user_set(row, user)
        row.delete()
