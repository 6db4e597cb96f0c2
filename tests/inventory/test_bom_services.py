"""The bill-of-materials services: lines, lines beyond the catalogue, a pasted column, transport
legs and the supplier's own factors. Expected values are worked out by hand in each test."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation

from apps.accounts.tenancy import StaleEditError, row_version
from apps.catalog.models import Material
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor, FactorDataset
from apps.factors.selectors import factor_for_material
from apps.factors.services import own_factor_create
from apps.inventory.enums import DataSource, StudyStatus, TransportMode
from apps.inventory.models import BomLine, TransportLeg
from apps.inventory.services.bom import (
    bom_line_add_custom,
    bom_line_delete,
    bom_line_set_for_material,
    bom_line_update,
    bom_quantities_paste,
    quantity_parse,
    transport_leg_add,
    transport_leg_delete,
    transport_leg_update,
)
from tests import factories


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def user(supplier):
    return factories.make_member(supplier)


@pytest.fixture
def other_library(other_supplier):
    return factories.make_library(organization=other_supplier)


@pytest.fixture
def study(supplier, library):
    return factories.make_study(supplier, library)


def material(no: int) -> Material:
    return Material.objects.get(no=no)


def pcb_line(study, user, **values) -> BomLine:
    return bom_line_set_for_material(
        study=study, material=material(20), quantity=values.pop("quantity", Decimal(1)), user=user, **values
    )


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- lines ----------------------------------------------------------------------------------


def test_set_for_material_creates_the_line_the_first_time(study, user, library):
    line = bom_line_set_for_material(
        study=study, material=material(28), quantity=Decimal("0.004"), loss_rate=Decimal("0.05"),
        factor=library.solder_bar, data_source=DataSource.SUPPLIER_SPECIFIC, unit_mass_kg=None, notes=" bar ",
        user=user,
    )  # fmt: skip

    stored = BomLine.objects.get(pk=line.pk)
    assert (stored.material.no, stored.quantity, stored.loss_rate) == (28, Decimal("0.004"), Decimal("0.05"))
    assert stored.factor == library.solder_bar and stored.notes == "bar"
    assert stored.organization == study.organization
    assert stored.history.first().history_user == user


def test_set_for_material_refuses_when_someone_added_the_line_meanwhile(study, user):
    pcb_line(study, user, quantity=Decimal(2))

    with pytest.raises(StaleEditError) as excinfo:
        pcb_line(study, user, quantity=Decimal(3))  # the page showed material 20 without a line

    assert excinfo.value.current["quantity"] == Decimal(2)
    assert list(BomLine.objects.filter(study=study).values_list("quantity", flat=True)) == [Decimal(2)]


def test_update_changes_the_line_and_a_stale_version_is_refused(study, user, supplier):
    line = pcb_line(study, user)
    page_version = row_version(line)
    other = factories.make_member(supplier)

    bom_line_update(
        study=study, line=line, quantity=Decimal("1.5"), loss_rate=Decimal("0.02"), factor=None,
        data_source=DataSource.SECONDARY_DEFAULT, unit_mass_kg=None, notes="A", expected_version=page_version,
        user=user,
    )  # fmt: skip
    with pytest.raises(StaleEditError) as excinfo:
        bom_line_update(
            study=study, line=line, quantity=Decimal(9), loss_rate=Decimal(0), factor=None,
            data_source=DataSource.SECONDARY_DEFAULT, unit_mass_kg=None, notes="B", expected_version=page_version,
            user=other,
        )  # fmt: skip

    assert excinfo.value.current["quantity"] == Decimal("1.5")
    stored = BomLine.objects.get(pk=line.pk)
    assert (stored.quantity, stored.loss_rate, stored.notes) == (Decimal("1.5"), Decimal("0.02"), "A")


def _update(study, line, user, **changes):
    values = {
        "quantity": Decimal(1), "loss_rate": Decimal(0), "factor": None, "data_source": DataSource.SECONDARY_DEFAULT,
        "unit_mass_kg": None, "notes": "", "expected_version": None,
    }  # fmt: skip
    values.update(changes)
    return bom_line_update(study=study, line=line, user=user, **values)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quantity": Decimal(-1)}, "quantity", "The quantity must not be negative."),
        ({"loss_rate": Decimal(1)}, "loss_rate", "The loss rate must be at least 0 and below 100 percent."),
        ({"loss_rate": Decimal("-0.01")}, "loss_rate", "The loss rate must be at least 0 and below 100 percent."),
        ({"unit_mass_kg": Decimal(0)}, "unit_mass_kg",
         "The mass of one unit must be greater than zero (leave it empty when the factor does not need it)."),
        ({"data_source": "guess"}, "data_source", "Value 'guess' is not a valid choice."),
    ],
)  # fmt: skip
def test_update_bad_values_name_their_field_and_write_nothing(study, user, changes, field, message):
    line = pcb_line(study, user, quantity=Decimal(2))

    with pytest.raises(ValidationError) as excinfo:
        _update(study, line, user, **changes)

    assert errors_of(excinfo).get(field) == [message], errors_of(excinfo)
    stored = BomLine.objects.get(pk=line.pk)
    assert (stored.quantity, stored.loss_rate, stored.data_source) == (Decimal(2), 0, DataSource.SECONDARY_DEFAULT)


def test_a_foreign_organizations_factor_is_refused_like_a_nonexistent_one(study, user, other_library):
    line = pcb_line(study, user)

    with pytest.raises(ValidationError) as excinfo:
        _update(study, line, user, factor=other_library.pcb)

    assert errors_of(excinfo)["factor"] == ["Select a valid choice. That choice is not one of the available choices."]
    assert BomLine.objects.get(pk=line.pk).factor is None


def test_a_library_factor_of_another_dataset_version_is_refused(study, user):
    newer = factories.make_library()  # another library version the study does not use
    line = pcb_line(study, user)

    with pytest.raises(ValidationError) as excinfo:
        _update(study, line, user, factor=newer.pcb)

    assert errors_of(excinfo)["factor"] == ["Select a valid choice. That choice is not one of the available choices."]


def test_a_transport_factor_on_a_material_line_is_refused(study, user, library):
    line = pcb_line(study, user)

    with pytest.raises(ValidationError) as excinfo:
        _update(study, line, user, factor=library.truck)

    assert errors_of(excinfo)["factor"] == [
        "This is not a material factor: a bill-of-materials line needs a material factor."
    ]
    assert BomLine.objects.get(pk=line.pk).factor is None


def test_a_per_kg_factor_on_a_piece_needs_the_mass_of_one_piece(study, user, library):
    line = pcb_line(study, user)  # material 20 is counted in pieces; solder bar is 14 kgCO2e/kg

    with pytest.raises(ValidationError) as excinfo:
        _update(study, line, user, factor=library.solder_bar)
    _update(study, line, user, factor=library.solder_bar, unit_mass_kg=Decimal("0.012"))

    assert errors_of(excinfo)["unit_mass_kg"] == ["The factor is in kgCO2e/kg: give the mass of one piece in kg."]
    stored = BomLine.objects.get(pk=line.pk)
    assert (stored.factor, stored.unit_mass_kg) == (library.solder_bar, Decimal("0.012"))


def test_the_own_factor_of_the_organization_may_be_named(study, user, supplier):
    own = own_factor_create(
        organization=supplier, material=material(20), name_zh="PCB（供应商）", name_en="PCB (supplier EPD)",
        value=Decimal("0.7125"), unit="kgCO2e/piece", source="EPD 2024-001", user=user,
    )  # fmt: skip
    line = pcb_line(study, user)

    _update(study, line, user, factor=own)

    assert BomLine.objects.get(pk=line.pk).factor == own


@pytest.mark.parametrize("status", [StudyStatus.SUBMITTED, StudyStatus.UNDER_REVIEW, StudyStatus.ACCEPTED])
def test_a_study_that_is_no_longer_a_draft_cannot_change(study, user, status):
    line = pcb_line(study, user)
    study.status = status
    study.save()

    with pytest.raises(ValidationError) as excinfo:
        _update(study, line, user, quantity=Decimal(5))
    with pytest.raises(ValidationError):
        bom_quantities_paste(study=study, values=["3"], start_material_no=1, user=user)

    assert "can no longer be changed" in errors_of(excinfo)[NON_FIELD_ERRORS][0]
    assert BomLine.objects.get(pk=line.pk).quantity == 1
    assert BomLine.objects.filter(study=study).count() == 1


def test_a_returned_study_can_change(study, user):
    line = pcb_line(study, user)
    study.status = StudyStatus.RETURNED
    study.save()

    _update(study, line, user, quantity=Decimal(5))

    assert BomLine.objects.get(pk=line.pk).quantity == 5


def test_delete_removes_the_line_and_its_legs(study, user, library):
    line = pcb_line(study, user)
    transport_leg_add(
        line=line, mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(10), mass_kg=Decimal(1), factor=library.truck,
        user=user,
    )  # fmt: skip

    bom_line_delete(study=study, line=line, user=user)

    assert not BomLine.objects.filter(study=study).exists()
    assert not TransportLeg.objects.filter(bom_line_id=line.pk).exists()


# --- lines beyond the catalogue -------------------------------------------------------------


def test_a_custom_line_has_its_name_unit_and_factor(study, user, supplier):
    carton = own_factor_create(
        organization=supplier, name_zh="瓦楞纸箱", name_en="corrugated carton", value=Decimal("1.2"), unit="kgCO2e/kg",
        source="supplier declaration 2025", user=user,
    )  # fmt: skip

    line = bom_line_add_custom(
        study=study, name=" carton ", activity_unit="kg", quantity=Decimal("0.05"), loss_rate=Decimal("0.02"),
        factor=carton, user=user,
    )  # fmt: skip

    stored = BomLine.objects.get(pk=line.pk)
    assert (stored.material, stored.name, stored.activity_unit, stored.factor) == (None, "carton", "kg", carton)
    assert stored.is_custom and stored.unit == "kg"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"factor": None}, "factor", "A line beyond the catalogue has no default factor: choose its factor."),
        ({"name": "  "}, "name", "Give the line a name, e.g. carton."),
        ({"activity_unit": "bananas"}, "activity_unit",
         "bananas is not a unit we can read; use for example kg, g, piece, L, m or m2."),
        ({"activity_unit": "piece"}, "unit_mass_kg", "The factor is in kgCO2e/kg: give the mass of one piece in kg."),
        ({"quantity": Decimal("-0.05")}, "quantity", "The quantity must not be negative."),
    ],
)  # fmt: skip
def test_custom_line_bad_values_are_refused(study, user, library, values, field, message):
    arguments = {
        "name": "carton", "activity_unit": "kg", "quantity": Decimal("0.05"), "loss_rate": Decimal(0),
        "factor": library.solder_bar,
    }  # fmt: skip
    arguments.update(values)

    with pytest.raises(ValidationError) as excinfo:
        bom_line_add_custom(study=study, user=user, **arguments)

    assert errors_of(excinfo).get(field) == [message], errors_of(excinfo)
    assert not BomLine.objects.filter(study=study).exists()


def test_the_model_itself_refuses_a_custom_line_without_a_factor(study):
    line = BomLine(organization=study.organization, study=study, name="carton", activity_unit="kg", quantity=1)

    with pytest.raises(ValidationError) as excinfo:
        line.full_clean()

    assert excinfo.value.message_dict["factor"] == [
        "A line beyond the catalogue has no default factor: choose its factor."
    ]


def test_the_model_refuses_a_line_that_is_neither_a_material_nor_named(study, library):
    line = BomLine(organization=study.organization, study=study, quantity=1, factor=library.solder_bar)

    with pytest.raises(ValidationError) as excinfo:
        line.full_clean()

    assert excinfo.value.message_dict[NON_FIELD_ERRORS] == [
        "A line is either a catalogue material, or a line of its own with a name and an activity unit."
    ]


# --- a pasted column ------------------------------------------------------------------------


def test_paste_fills_rows_from_the_start_and_blank_lines_leave_rows_unchanged(study, user):
    bom_line_set_for_material(study=study, material=material(3), quantity=Decimal(7), user=user)
    bom_line_set_for_material(study=study, material=material(4), quantity=Decimal(8), user=user)

    outcome = bom_quantities_paste(
        study=study, values=["1", "", "０．５", " 2\t", "8", ""], start_material_no=2, user=user
    )

    quantities = dict(BomLine.objects.filter(study=study).values_list("material__no", "quantity"))
    # material 2 <- 1 (new); 3 blank (stays 7); 4 <- 0.5 (full-width, was 8); 5 <- 2 (new); 6 <- 8 (new)
    assert quantities == {2: Decimal(1), 3: Decimal(7), 4: Decimal("0.5"), 5: Decimal(2), 6: Decimal(8)}
    assert (outcome.created, outcome.updated, outcome.unchanged) == (3, 1, 1)


def test_paste_with_bad_rows_writes_nothing_and_names_every_bad_row(study, user):
    bom_line_set_for_material(study=study, material=material(2), quantity=Decimal(7), user=user)

    with pytest.raises(ValidationError) as excinfo:
        bom_quantities_paste(
            study=study, values=["1", "abc", "1,234.5", "-1", "0.0000001", "3"], start_material_no=1, user=user
        )

    names = {no: Material.objects.get(no=no).name_en for no in (2, 3, 4, 5)}
    assert errors_of(excinfo)["values"] == [
        f"Material 2 ({names[2]}): 'abc': not a number.",
        f"Material 3 ({names[3]}): '1,234.5': use a point for decimals and no thousands separators "
        "(a comma is ambiguous: 1,234 or 1.234?).",
        f"Material 4 ({names[4]}): '-1': a quantity must not be negative.",
        f"Material 5 ({names[5]}): '0.0000001': more than 6 decimal places.",
    ]
    assert dict(BomLine.objects.filter(study=study).values_list("material__no", "quantity")) == {2: Decimal(7)}


def test_paste_beyond_the_last_material_is_refused(study, user):
    with pytest.raises(ValidationError) as excinfo:
        bom_quantities_paste(study=study, values=["1", "2", "3"], start_material_no=31, user=user)

    assert errors_of(excinfo)["values"] == ["1 more values than there are rows below material 32, starting with '3'."]
    assert not BomLine.objects.filter(study=study).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", Decimal(1)), (" 12.50 ", Decimal("12.50")), ("１２３．４", Decimal("123.4")), (".5", Decimal("0.5")),
     ("", None), ("\u3000", None), ("0", Decimal(0))],
)  # fmt: skip
def test_quantity_parse_accepts_plain_and_full_width_decimals(text, expected):
    assert quantity_parse(text) == expected


@pytest.mark.parametrize("text", ["1,5", "1e3", "abc", "-2", "1.2.3", "1 234,5", "1234567890"])
def test_quantity_parse_refuses_ambiguous_or_bad_text(text):
    with pytest.raises(ValueError):
        quantity_parse(text)


# --- transport legs -------------------------------------------------------------------------


def test_transport_leg_add_update_and_delete(study, user, library, supplier):
    line = pcb_line(study, user)
    leg = transport_leg_add(
        line=line, mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(1200), mass_kg=Decimal("0.25"),
        factor=library.truck, data_source=DataSource.SECONDARY_DEFAULT, user=user,
    )  # fmt: skip
    version = row_version(leg)

    transport_leg_update(
        leg=leg, mode=TransportMode.RAIL, distance_km=Decimal(800), mass_kg=Decimal("0.25"), factor=library.truck,
        data_source=DataSource.SUPPLIER_SPECIFIC, expected_version=version, user=user,
    )  # fmt: skip
    with pytest.raises(StaleEditError):
        transport_leg_update(
            leg=leg, mode=TransportMode.AIR, distance_km=Decimal(1), mass_kg=Decimal(1), factor=library.truck,
            data_source=DataSource.SECONDARY_DEFAULT, expected_version=version, user=factories.make_member(supplier),
        )  # fmt: skip

    stored = TransportLeg.objects.get(pk=leg.pk)
    assert (stored.mode, stored.distance_km, stored.data_source) == (
        TransportMode.RAIL,
        Decimal(800),
        DataSource.SUPPLIER_SPECIFIC,
    )
    transport_leg_delete(leg=stored, user=user)
    assert not TransportLeg.objects.filter(pk=leg.pk).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"distance_km": Decimal(-1)}, "distance_km", "The distance must not be negative."),
        ({"mass_kg": Decimal("-0.1")}, "mass_kg", "The transported mass must not be negative."),
        ({"factor": None}, "factor", "Choose the transport factor."),
        ({"mode": "teleport"}, "mode", "Value 'teleport' is not a valid choice."),
    ],
)
def test_transport_leg_bad_values_are_refused(study, user, library, changes, field, message):
    line = pcb_line(study, user)
    values = {"mode": TransportMode.ROAD_HEAVY, "distance_km": Decimal(10), "mass_kg": Decimal(1)}
    values["factor"] = library.truck
    values.update(changes)

    with pytest.raises(ValidationError) as excinfo:
        transport_leg_add(line=line, user=user, **values)

    assert errors_of(excinfo).get(field) == [message], errors_of(excinfo)
    assert not TransportLeg.objects.exists()


def test_a_material_factor_on_a_transport_leg_is_refused(study, user, library, other_library):
    line = pcb_line(study, user)

    for factor, message in (
        (library.pcb, "This is not a transport factor: a transport leg needs a factor per tonne-kilometre."),
        (other_library.truck, "Select a valid choice. That choice is not one of the available choices."),
    ):
        with pytest.raises(ValidationError) as excinfo:
            transport_leg_add(
                line=line, mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(1), mass_kg=Decimal(1), factor=factor,
                user=user,
            )  # fmt: skip
        assert errors_of(excinfo)["factor"] == [message]
    assert not TransportLeg.objects.exists()


# --- own factors ----------------------------------------------------------------------------


def _own(supplier, user, **changes):
    values = {
        "organization": supplier, "material": material(20), "name_zh": "印制电路板", "name_en": "PCB",
        "value": Decimal("0.7125"), "unit": "kgCO2e/piece", "low": Decimal("0.70"), "high": Decimal("0.75"),
        "source": "EPD 2024-001 of our PCB supplier", "user": user,
    }  # fmt: skip
    values.update(changes)
    return own_factor_create(**values)


def test_own_factor_goes_into_the_organizations_own_dataset_and_becomes_the_default(supplier, user, study):
    first = _own(supplier, user)
    second = _own(supplier, user, value=Decimal("0.72"), low=None, high=None)

    dataset = FactorDataset.objects.get(organization=supplier)
    assert (dataset.name, dataset.version) == (f"{supplier.name} supplier data", "1")
    assert first.dataset == second.dataset == dataset
    assert (first.code, second.code) == ("own.material.20.1", "own.material.20.2")
    assert (first.category, first.organization, first.value) == (FactorCategory.MATERIAL, supplier, Decimal("0.7125"))
    # The organization's own factor now applies to material 20 instead of the library's 0.88.
    assert factor_for_material(organization=supplier, material=material(20), dataset=study.factor_dataset) == first


NOT_PER_UNIT = "A factor is an amount of CO2e per activity unit, e.g. kgCO2e/kg or kgCO2e/piece."


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"unit": "kg"}, "unit", NOT_PER_UNIT),
        ({"unit": "kgCO2e"}, "unit", NOT_PER_UNIT),
        ({"unit": "kgCO2e/bananas"}, "unit",
         "kgCO2e/bananas is not a unit we can read; write it like kgCO2e/kg, kgCO2e/piece or kgCO2e/(t*km)."),
        ({"unit": "kgCO2e/km"}, "unit", None),  # per kilometre of cable: a valid material factor unit
        ({"value": Decimal("-0.1"), "low": None}, "value", "An emission factor must not be negative."),
        ({"low": Decimal("0.8")}, "low", "The low end of the range must not be above the value."),
        ({"high": Decimal("0.5"), "low": None}, "high", "The high end of the range must not be below the value."),
        ({"source": "  "}, "source",
         "Cite the source of this factor: the upstream supplier's EPD or footprint certificate, a database."),
        ({"name_zh": "", "name_en": ""}, "name_zh", "Give the factor a name, in Chinese or English."),
        ({"value": Decimal("0.1234567891"), "low": None, "high": None}, "value",
         "Ensure that there are no more than 9 decimal places."),
    ],
)  # fmt: skip
def test_own_factor_bad_values_are_refused_at_their_field(supplier, user, changes, field, message):
    if message is None:
        assert _own(supplier, user, **changes).unit == changes["unit"]
        return
    with pytest.raises(ValidationError) as excinfo:
        _own(supplier, user, **changes)

    assert errors_of(excinfo).get(field) == [message], errors_of(excinfo)
    assert not EmissionFactor.objects.filter(organization=supplier).exists()


def test_own_transport_factor_must_be_per_tonne_kilometre(supplier, user):
    with pytest.raises(ValidationError) as excinfo:
        _own(supplier, user, material=None, category=FactorCategory.TRANSPORT, unit="kgCO2e/kg", low=None, high=None)
    factor = _own(
        supplier, user, material=None, category=FactorCategory.TRANSPORT, unit="kgCO2e/(t*km)", low=None, high=None
    )

    assert errors_of(excinfo)["unit"] == ["A transport factor is per tonne-kilometre, e.g. kgCO2e/(t*km)."]
    assert (factor.code, factor.category) == ("own.transport.other.1", FactorCategory.TRANSPORT)
