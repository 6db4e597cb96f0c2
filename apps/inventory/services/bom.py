"""Writes to a study's bill of materials: its lines (catalogue materials and lines beyond the
catalogue), a column of quantities pasted in one go, and the transport legs of each line.

Quantities are per declared unit. A loss rate is a fraction in [0, 1) here (the pages show and take
a percentage). A line's own factor is optional for a catalogue material (empty: the supplier's own
factor for the material, else the library default applies) and required for a line beyond the
catalogue. Every factor a line or leg names must come from the study's library dataset or from one
of the organization's own datasets, and be of the right kind (material factors for lines,
transport factors for legs); another organization's factor is refused like a nonexistent one.

Every service refuses to write while the study is submitted, under review or accepted, and edits
made from a page carry the row version the page showed (``expected_version``): a save over
someone else's change raises StaleEditError with the current values.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Prefetch
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.accounts.tenancy import (
    StaleEditError,
    history_user_set,
    require_row_version,
    require_same_organization,
    row_version,
    validated_save,
)
from apps.catalog.models import Material
from apps.engine import units
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor
from apps.factors.selectors import factors_for_materials
from apps.factors.services import factors_choosable
from apps.inventory.enums import DataSource
from apps.inventory.models import QUANTITY, BomLine, Study, TransportLeg
from apps.inventory.services.editable import study_lock_editable, study_require_editable

User = AbstractBaseUser | AnonymousUser | None

LINE_FIELDS = ["quantity", "loss_rate", "factor", "data_source", "unit_mass_kg", "notes"]
CUSTOM_LINE_FIELDS = ["name", "activity_unit", *LINE_FIELDS]
LEG_FIELDS = ["mode", "distance_km", "mass_kg", "factor", "data_source"]
_QUANTITY_PLACES = QUANTITY["decimal_places"]
_QUANTITY_INTEGER_DIGITS = QUANTITY["max_digits"] - QUANTITY["decimal_places"]
_PLAIN_DECIMAL = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")


# --- shared checks --------------------------------------------------------------------------


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _factor_errors(study: Study, factor: EmissionFactor | None, *, category: str) -> list[str]:
    """Why ``factor`` cannot be used on a line (category material) or leg (transport) of the study."""
    if factor is None:
        return []
    try:
        require_same_organization(study.organization, factor=factor)
    except ValidationError as exc:
        return list(exc.message_dict["factor"])
    own = factor.organization_id is not None and factor.organization_id == study.organization_id
    if factor.dataset_id != study.factor_dataset_id and not own:
        # A library factor of another dataset (version) than the study's: not one of the choices.
        return [_("Select a valid choice. That choice is not one of the available choices.")]
    if factor.category != category:
        if category == FactorCategory.TRANSPORT:
            return [_("This is not a transport factor: a transport leg needs a factor per tonne-kilometre.")]
        return [_("This is not a material factor: a bill-of-materials line needs a material factor.")]
    return []


def _quantity_errors(field: str, value: Decimal | None, *, negative: str) -> dict[str, list[str]]:
    if value is None or not isinstance(value, Decimal) or not value.is_finite():
        return {field: [_("Enter a number.")]}
    if value < 0:
        return {field: [negative]}
    return {}


def _line_number_errors(
    *, quantity: Decimal | None, loss_rate: Decimal | None, unit_mass_kg: Decimal | None
) -> dict[str, list[str]]:
    errors = _quantity_errors("quantity", quantity, negative=_("The quantity must not be negative."))
    if loss_rate is None or not isinstance(loss_rate, Decimal) or not loss_rate.is_finite():
        errors["loss_rate"] = [_("Enter a number.")]
    elif not Decimal(0) <= loss_rate < Decimal(1):
        errors["loss_rate"] = [_("The loss rate must be at least 0 and below 100 percent.")]
    if unit_mass_kg is not None and (not unit_mass_kg.is_finite() or unit_mass_kg <= 0):
        errors["unit_mass_kg"] = [
            _("The mass of one unit must be greater than zero (leave it empty when the factor does not need it).")
        ]
    return errors


def mass_needed(activity_unit: str, factor_unit: str) -> bool:
    """A factor per mass (kgCO2e/kg) on a line counted in pieces or litres: the mass of one unit bridges them."""
    return (
        units.valuation_factor(activity_unit, factor_unit) is None
        and units.valuation_factor("kg", factor_unit) is not None
    )


def _valuation_errors(
    activity_unit: str, factor: EmissionFactor | None, unit_mass_kg: Decimal | None
) -> dict[str, list[str]]:
    """A line's own factor must be able to value its quantity, directly or through the mass per unit."""
    if factor is None or not units.is_known(activity_unit):
        return {}
    if units.valuation_factor(activity_unit, factor.unit) is not None:
        return {}
    if units.valuation_factor("kg", factor.unit) is not None:
        if unit_mass_kg is None:
            return {
                "unit_mass_kg": [
                    _("The factor is in %(factor_unit)s: give the mass of one %(unit)s in kg.")
                    % {"factor_unit": factor.unit, "unit": activity_unit}
                ]
            }
        return {}
    return {
        "factor": [
            _("A factor in %(factor_unit)s cannot value a quantity in %(unit)s.")
            % {"factor_unit": factor.unit, "unit": activity_unit}
        ]
    }


def _locked(queryset: models.QuerySet[Any]) -> Any:
    """The first row (lowest id) locked for the transaction: only this table's row, and no ordering
    join (PostgreSQL refuses FOR UPDATE on the nullable side of the join to the material)."""
    return queryset.select_for_update(of=("self",)).order_by("pk").first()


def _custom_texts(name: str, activity_unit: str) -> tuple[str, str, dict[str, list[str]]]:
    name, activity_unit = (name or "").strip(), (activity_unit or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the line a name, e.g. carton.")]
    if not activity_unit:
        errors["activity_unit"] = [_("Give the unit the quantity is counted in, e.g. kg or piece.")]
    elif not units.is_known(activity_unit):
        errors["activity_unit"] = [
            _("%(unit)s is not a unit we can read; use for example kg, g, piece, L, m or m2.") % {"unit": activity_unit}
        ]
    return name, activity_unit, errors


# --- lines ----------------------------------------------------------------------------------


def bom_line_update(
    *,
    study: Study,
    line: BomLine,
    quantity: Decimal,
    loss_rate: Decimal,
    factor: EmissionFactor | None,
    data_source: str,
    unit_mass_kg: Decimal | None,
    notes: str,
    expected_version: str | None,
    user: User,
    name: str | None = None,
    activity_unit: str | None = None,
) -> BomLine:
    """Change a line of the study. ``name`` and ``activity_unit`` apply to a line beyond the catalogue
    (None keeps them). ``expected_version``: the row version the page showed (None: no check)."""
    study_require_editable(study)
    if line.study_id != study.pk:
        raise BomLine.DoesNotExist("No such line in this study")
    errors = _line_number_errors(quantity=quantity, loss_rate=loss_rate, unit_mass_kg=unit_mass_kg)
    if factor_errors := _factor_errors(study, factor, category=FactorCategory.MATERIAL):
        errors["factor"] = factor_errors
    custom = line.material_id is None
    if custom:
        name, activity_unit, text_errors = _custom_texts(
            line.name if name is None else name, line.activity_unit if activity_unit is None else activity_unit
        )
        errors.update(text_errors)
        if factor is None:
            errors.setdefault("factor", [_("A line beyond the catalogue has no default factor: choose its factor.")])
    _raise(errors)
    with transaction.atomic():
        study_lock_editable(study)
        row = _locked(BomLine.objects.filter(study=study, pk=line.pk))
        if row is None:
            raise BomLine.DoesNotExist("No such line in this study")
        require_row_version(row, expected_version, fields=CUSTOM_LINE_FIELDS if custom else LINE_FIELDS)
        unit = activity_unit if custom else row.material.activity_unit
        _raise(_valuation_errors(str(unit), factor, unit_mass_kg))
        if custom:
            row.name, row.activity_unit = str(name), str(activity_unit)
        row.quantity, row.loss_rate, row.factor = quantity, loss_rate, factor
        row.data_source, row.unit_mass_kg, row.notes = data_source, unit_mass_kg, (notes or "").strip()
        history_user_set(row, user)
        validated_save(row)
    return row


def bom_line_set_for_material(
    *,
    study: Study,
    material: Material,
    quantity: Decimal,
    loss_rate: Decimal = Decimal(0),
    factor: EmissionFactor | None = None,
    data_source: str = DataSource.SECONDARY_DEFAULT,
    unit_mass_kg: Decimal | None = None,
    notes: str = "",
    expected_version: str | None = "",
    user: User,
    add_line: bool = False,
) -> BomLine:
    """The line of a catalogue material: created the first time a quantity is entered.

    ``expected_version=""`` (the default) says the page showed the material without a line: if
    someone has added one since, the save is refused with its values (StaleEditError). None updates
    the material's (first) line whatever it holds; a version token updates it if unchanged.
    ``add_line=True`` always adds a line after the material's existing ones (``expected_version``
    is then not used): a study document may list several lines of one material, which the grid,
    editing one line per material, does not.
    """
    study_require_editable(study)
    errors = _line_number_errors(quantity=quantity, loss_rate=loss_rate, unit_mass_kg=unit_mass_kg)
    if factor_errors := _factor_errors(study, factor, category=FactorCategory.MATERIAL):
        errors["factor"] = factor_errors
    _raise(errors)
    _raise(_valuation_errors(material.activity_unit, factor, unit_mass_kg))
    with transaction.atomic():
        study_lock_editable(study)
        row = None if add_line else _locked(BomLine.objects.filter(study=study, material=material))
        if row is None:
            row = BomLine(organization=study.organization, study=study, material=material)
        elif expected_version == "":
            raise StaleEditError(current={field: getattr(row, field) for field in LINE_FIELDS})
        else:
            require_row_version(row, expected_version, fields=LINE_FIELDS)
        row.quantity, row.loss_rate, row.factor = quantity, loss_rate, factor
        row.data_source, row.unit_mass_kg, row.notes = data_source, unit_mass_kg, (notes or "").strip()
        history_user_set(row, user)
        validated_save(row)
    return row


def bom_line_add_custom(
    *,
    study: Study,
    name: str,
    activity_unit: str,
    quantity: Decimal,
    loss_rate: Decimal,
    factor: EmissionFactor | None,
    data_source: str = DataSource.SECONDARY_DEFAULT,
    unit_mass_kg: Decimal | None = None,
    notes: str = "",
    user: User,
) -> BomLine:
    """A line beyond the catalogue (packaging, a second PCB): its own name, unit and factor."""
    study_require_editable(study)
    name, activity_unit, errors = _custom_texts(name, activity_unit)
    errors.update(_line_number_errors(quantity=quantity, loss_rate=loss_rate, unit_mass_kg=unit_mass_kg))
    if factor is None:
        errors["factor"] = [_("A line beyond the catalogue has no default factor: choose its factor.")]
    elif factor_errors := _factor_errors(study, factor, category=FactorCategory.MATERIAL):
        errors["factor"] = factor_errors
    _raise(errors)
    _raise(_valuation_errors(activity_unit, factor, unit_mass_kg))
    with transaction.atomic():
        study_lock_editable(study)
        row = BomLine(
            organization=study.organization,
            study=study,
            material=None,
            name=name,
            activity_unit=activity_unit,
            quantity=quantity,
            loss_rate=loss_rate,
            factor=factor,
            data_source=data_source,
            unit_mass_kg=unit_mass_kg,
            notes=(notes or "").strip(),
        )
        history_user_set(row, user)
        validated_save(row)
    return row


def bom_line_delete(*, study: Study, line: BomLine, user: User, expected_version: str | None = None) -> None:
    """Remove a line and its transport legs."""
    study_require_editable(study)
    with transaction.atomic():
        study_lock_editable(study)
        row = _locked(BomLine.objects.filter(study=study, pk=line.pk))
        if row is None:
            raise BomLine.DoesNotExist("No such line in this study")
        require_row_version(row, expected_version, fields=CUSTOM_LINE_FIELDS if row.is_custom else LINE_FIELDS)
        for leg in row.transport_legs.all():
            history_user_set(leg, user)
            leg.delete()
        history_user_set(row, user)
        row.delete()


# --- a pasted column of quantities ----------------------------------------------------------


class QuantityTextError(ValueError):
    """Why a text is not a quantity; ``str(error)`` is the translated reason."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.code = code


_FULL_WIDTH = {ord("．"): ".", ord("，"): ",", ord("－"): "-", ord("＋"): "+"}


def number_text_parse(text: str) -> Decimal | None:
    """A number typed or pasted, as a plain decimal: full-width digits and point accepted, spaces
    ignored, an optional minus; None for a blank. A comma is refused: in "1,234" it may separate
    thousands (Excel in English or Chinese) or decimals (Excel in German or French), and a wrong
    guess is a thousand times off. Raises QuantityTextError (``code`` "comma" or "invalid")."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", text or "").translate(_FULL_WIDTH) if not ch.isspace())
    if not cleaned:
        return None
    if "," in cleaned:
        raise QuantityTextError(
            _("use a point for decimals and no thousands separators (a comma is ambiguous: 1,234 or 1.234?)"),
            "comma",
        )
    digits = cleaned[1:] if cleaned.startswith("-") else cleaned
    if not _PLAIN_DECIMAL.match(digits):
        raise QuantityTextError(_("not a number"), "invalid")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only plain decimals
        raise QuantityTextError(_("not a number"), "invalid") from exc


def quantity_parse(text: str) -> Decimal | None:
    """A quantity (see ``number_text_parse``): not negative, and within the database's digits."""
    value = number_text_parse(text)
    if value is None:
        return None
    if value < 0:
        raise QuantityTextError(_("a quantity must not be negative"), "negative")
    if value.is_zero():
        return Decimal(0)
    places = max(0, -int(value.normalize().as_tuple().exponent))
    if places > _QUANTITY_PLACES:
        raise QuantityTextError(_("more than %(places)s decimal places") % {"places": _QUANTITY_PLACES}, "places")
    if value.adjusted() + 1 > _QUANTITY_INTEGER_DIGITS:
        reason = _("more than %(digits)s digits before the point") % {"digits": _QUANTITY_INTEGER_DIGITS}
        raise QuantityTextError(reason, "digits")
    return value


def material_name(material: Material) -> str:
    """The material's name in the active language."""
    return material.name_zh if (get_language() or "").startswith("zh") else material.name_en


@dataclass(frozen=True)
class PasteOutcome:
    created: int  # lines created for materials that had none
    updated: int  # lines whose quantity changed
    unchanged: int  # blank values, or the quantity the line already had


def bom_quantities_paste(*, study: Study, values: list[str], start_material_no: int, user: User) -> PasteOutcome:
    """A column of quantities copied from a spreadsheet: one value per catalogue material in number
    order from ``start_material_no``; a blank leaves its material unchanged. All or nothing: one bad
    value raises a ValidationError on ``values`` naming every bad row, and nothing is written."""
    study_require_editable(study)
    materials = list(Material.objects.order_by("no"))
    start = next((i for i, material in enumerate(materials) if material.no == start_material_no), None)
    if start is None:
        raise ValidationError({"start_material_no": [_("Choose the row where the pasted column starts.")]})
    # Trailing blank lines (a spreadsheet copy ends with a line break) are not values.
    while values and not (values[-1] or "").strip():
        values = values[:-1]
    if not values:
        raise ValidationError({"values": [_("Paste at least one number.")]})
    problems: list[str] = []
    parsed: list[tuple[Material, Decimal]] = []
    for offset, text in enumerate(values):
        if start + offset >= len(materials):
            extra = len(values) - offset
            problems.append(
                _("%(count)s more values than there are rows below material %(no)s, starting with %(value)r.")
                % {"count": extra, "no": materials[-1].no, "value": text.strip()}
            )
            break
        material = materials[start + offset]
        try:
            quantity = quantity_parse(text)
        except QuantityTextError as exc:
            problems.append(
                _("Material %(no)s (%(name)s): %(value)r: %(reason)s.")
                % {"no": material.no, "name": material_name(material), "value": text.strip(), "reason": str(exc)}
            )
            continue
        if quantity is not None:
            parsed.append((material, quantity))
    if problems:
        raise ValidationError({"values": problems})
    created = updated = 0
    with transaction.atomic():
        study_lock_editable(study)
        existing: dict[int, BomLine] = {}
        for line in (
            BomLine.objects.select_for_update(of=("self",))
            .filter(study=study, material_id__in=[m.pk for m, _q in parsed])
            .order_by("-id")
        ):
            existing[line.material_id] = line  # the first (lowest id) line wins
        for material, quantity in parsed:
            row = existing.get(material.pk)
            if row is None:
                row = BomLine(organization=study.organization, study=study, material=material, quantity=quantity)
                created += 1
            elif row.quantity == quantity:
                continue
            else:
                row.quantity = quantity
                updated += 1
            history_user_set(row, user)
            validated_save(row)
    return PasteOutcome(created=created, updated=updated, unchanged=len(values) - created - updated)


# --- transport legs -------------------------------------------------------------------------


def _leg_errors(
    study: Study, *, distance_km: Decimal, mass_kg: Decimal, factor: EmissionFactor | None
) -> dict[str, list[str]]:
    errors = _quantity_errors("distance_km", distance_km, negative=_("The distance must not be negative."))
    errors.update(_quantity_errors("mass_kg", mass_kg, negative=_("The transported mass must not be negative.")))
    if factor is None:
        errors["factor"] = [_("Choose the transport factor.")]
    elif factor_errors := _factor_errors(study, factor, category=FactorCategory.TRANSPORT):
        errors["factor"] = factor_errors
    elif units.valuation_factor("kg", "km", factor.unit) is None:
        errors["factor"] = [
            _("A factor in %(unit)s cannot value tonne-kilometres; choose a factor per t*km.") % {"unit": factor.unit}
        ]
    return errors


def transport_leg_add(
    *,
    line: BomLine,
    mode: str,
    distance_km: Decimal,
    mass_kg: Decimal,
    factor: EmissionFactor | None,
    data_source: str = DataSource.SECONDARY_DEFAULT,
    user: User,
) -> TransportLeg:
    """Inbound transport of a line's material: mode, distance and mass per declared unit."""
    study = line.study
    study_require_editable(study)
    _raise(_leg_errors(study, distance_km=distance_km, mass_kg=mass_kg, factor=factor))
    with transaction.atomic():
        study_lock_editable(study)
        if not BomLine.objects.filter(study=study, pk=line.pk).exists():
            raise BomLine.DoesNotExist("No such line in this study")
        leg = TransportLeg(
            organization=study.organization,
            bom_line=line,
            mode=mode,
            distance_km=distance_km,
            mass_kg=mass_kg,
            factor=factor,
            data_source=data_source,
        )
        history_user_set(leg, user)
        validated_save(leg)
    return leg


def transport_leg_update(
    *,
    leg: TransportLeg,
    mode: str,
    distance_km: Decimal,
    mass_kg: Decimal,
    factor: EmissionFactor | None,
    data_source: str,
    expected_version: str | None,
    user: User,
) -> TransportLeg:
    study = leg.bom_line.study
    study_require_editable(study)
    _raise(_leg_errors(study, distance_km=distance_km, mass_kg=mass_kg, factor=factor))
    with transaction.atomic():
        study_lock_editable(study)
        row = _locked(TransportLeg.objects.filter(bom_line__study=study, pk=leg.pk))
        if row is None:
            raise TransportLeg.DoesNotExist("No such transport leg in this study")
        require_row_version(row, expected_version, fields=LEG_FIELDS)
        row.mode, row.distance_km, row.mass_kg = mode, distance_km, mass_kg
        row.factor, row.data_source = factor, data_source
        history_user_set(row, user)
        validated_save(row)
    return row


def transport_leg_delete(*, leg: TransportLeg, user: User, expected_version: str | None = None) -> None:
    study = leg.bom_line.study
    study_require_editable(study)
    with transaction.atomic():
        study_lock_editable(study)
        row = _locked(TransportLeg.objects.filter(bom_line__study=study, pk=leg.pk))
        if row is None:
            raise TransportLeg.DoesNotExist("No such transport leg in this study")
        require_row_version(row, expected_version, fields=LEG_FIELDS)
        history_user_set(row, user)
        row.delete()


def line_version(line: BomLine | None) -> str:
    """The version token of a grid row: "" for a material that has no line yet."""
    return "" if line is None else row_version(line)


def current_values(error: StaleEditError) -> dict[str, Any]:
    """What a refused edit found stored (for showing it at the row)."""
    return dict(error.current)


# --- what the grid page reads (a constant number of queries, however many lines) -------------


@dataclass(frozen=True)
class BomGridData:
    materials: list[Material]  # the catalogue, by number
    lines_by_material: dict[int, list[BomLine]]  # material id -> its lines, in the order entered
    custom_lines: list[BomLine]  # lines beyond the catalogue, in the order entered
    defaults: dict[int, EmissionFactor]  # material id -> the factor that applies without a line's own
    material_factors: list[EmissionFactor]  # what a line may name: the study's library and own factors
    transport_factors: list[EmissionFactor]


def bom_grid_read(*, study: Study) -> BomGridData:
    """Everything the bill-of-materials grid shows, for a study reached through ``study_access``."""
    materials = list(Material.objects.order_by("no"))
    legs = Prefetch("transport_legs", queryset=TransportLeg.objects.select_related("factor__dataset").order_by("id"))
    lines = list(
        BomLine.objects.filter(study=study)
        .select_related("factor__dataset")
        .prefetch_related(legs)
        .order_by(F("material__no").asc(nulls_last=True), "id")
    )
    by_material: dict[int, list[BomLine]] = {}
    custom: list[BomLine] = []
    by_id = {material.pk: material for material in materials}
    for line in lines:
        if line.material_id is None:
            custom.append(line)
        else:
            line.material = by_id[line.material_id]  # the catalogue row already read: no query per line
            by_material.setdefault(line.material_id, []).append(line)
    return BomGridData(
        materials=materials,
        lines_by_material=by_material,
        custom_lines=custom,
        defaults=factors_for_materials(
            organization=study.organization, material_ids=list(by_id), dataset=study.factor_dataset
        ),
        material_factors=factors_choosable(
            organization=study.organization, dataset=study.factor_dataset, category=FactorCategory.MATERIAL
        ),
        transport_factors=factors_choosable(
            organization=study.organization, dataset=study.factor_dataset, category=FactorCategory.TRANSPORT
        ),
    )
