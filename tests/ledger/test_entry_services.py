"""Fuel and waste entry services: factor category and visibility, units through the engine, stale edits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.tenancy import StaleEditError, row_version
from apps.catalog.models import ProcessStage
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor
from apps.footprints.services import footprint_evaluate
from apps.inventory.enums import DataSource, StudyStatus
from apps.ledger.entries import (
    factor_denominator,
    fuel_entry_add,
    fuel_entry_delete,
    fuel_entry_update,
    waste_entry_add,
    waste_entry_delete,
    waste_entry_update,
)
from apps.ledger.models import FuelEntry, WasteEntry
from tests import factories


@pytest.fixture
def study(supplier, library):
    return factories.make_study(supplier, library, units_produced="1000")


def own_factor(organization, *, code: str, category: str, value: str, unit: str) -> EmissionFactor:
    dataset = factories.make_library(organization=organization).dataset
    return EmissionFactor.objects.create(
        dataset=dataset, organization=organization, code=code, category=category, name_en=code,
        value=Decimal(value), unit=unit, source="own invoice",
    )  # fmt: skip


def add_fuel(study, library, **overrides):
    values = {"factor": library.diesel, "quantity": Decimal(100), "unit": "kg", "allocation_share": Decimal("0.5")}
    return fuel_entry_add(study=study, user=None, **{**values, **overrides})


def test_a_fuel_entry_is_added_and_computed(study, library):
    """100 kg diesel × 3.096 kgCO2e/kg × 50 % / 1000 units = 0.1548 kg CO2e per unit."""
    entry = add_fuel(study, library, stage=ProcessStage.objects.get(no=26), description=" forklifts ")

    entry.refresh_from_db()
    assert (entry.quantity, entry.unit, entry.allocation_share, entry.description) == (
        Decimal(100),
        "kg",
        Decimal("0.5"),
        "forklifts",
    )
    assert entry.stage.no == 26
    assert footprint_evaluate(study=study).result.totals.eb == Decimal("0.1548")


def test_tonnes_convert_to_a_per_kg_factor(study, library):
    """0.1 t = 100 kg: the same 0.3096 kg CO2e per unit at 100 %."""
    add_fuel(study, library, quantity=Decimal("0.1"), unit="t", allocation_share=Decimal(1))
    assert footprint_evaluate(study=study).result.totals.eb == Decimal("0.3096")


def test_a_waste_entry_is_added_updated_and_deleted(study, library):
    """200 kg × 0.009 kgCO2e/kg / 1000 = 0.0018; then 2 t at 25 %: 2000 × 0.009 × 0.25 / 1000 = 0.0045."""
    entry = waste_entry_add(study=study, factor=library.landfill, quantity=Decimal(200), user=None)
    assert entry.unit == "kg" and entry.data_source == DataSource.MEASURED_PRIMARY
    assert footprint_evaluate(study=study).result.totals.ew == Decimal("0.0018")

    waste_entry_update(
        study=study, entry=entry, factor=library.landfill, quantity=Decimal(2), unit="t",
        allocation_share=Decimal("0.25"), data_source=DataSource.SUPPLIER_SPECIFIC, description="skip",
        expected_version=row_version(entry), user=None,
    )  # fmt: skip
    assert footprint_evaluate(study=study).result.totals.ew == Decimal("0.0045")

    waste_entry_delete(study=study, entry=entry, expected_version=row_version(WasteEntry.objects.get()), user=None)
    assert WasteEntry.objects.count() == 0


def test_the_organizations_own_factor_may_be_used(study, supplier):
    own = own_factor(supplier, code="fuel.lpg", category=FactorCategory.FUEL, value="3.0", unit="kgCO2e/kg")
    entry = fuel_entry_add(study=study, factor=own, quantity=Decimal(1), unit="kg", user=None)
    assert entry.factor == own


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"quantity": Decimal(-1)}, "quantity", "The quantity must not be negative."),
        ({"quantity": None}, "quantity", "Enter the quantity as a number."),
        ({"quantity": Decimal("1.0000001")}, "quantity", "6 decimal places"),
        ({"allocation_share": Decimal(0)}, "allocation_share", "above 0 and at most 100 percent"),
        ({"allocation_share": Decimal("1.5")}, "allocation_share", "above 0 and at most 100 percent"),
        ({"unit": "L"}, "unit", "A quantity in L cannot be valued with a factor in kgCO2e/kg: enter it in kg"),
        ({"unit": "kWh"}, "unit", "cannot be valued with a factor in kgCO2e/kg"),
        ({"unit": "bananas"}, "unit", "“bananas” is not a unit carbonfoot knows"),
        ({"unit": ""}, "unit", "Enter the unit of the quantity, for example kg."),
        ({"data_source": "hearsay"}, "data_source", "Select a valid choice."),
        ({"factor": None}, "factor", "Choose a factor."),
    ],
)
def test_bad_fuel_values_are_refused_at_their_field(study, library, overrides, field, words):
    with pytest.raises(ValidationError) as caught:
        add_fuel(study, library, **overrides)
    assert words in " ".join(caught.value.message_dict[field])
    assert FuelEntry.objects.count() == 0


def test_a_waste_factor_is_refused_for_fuel_and_a_fuel_factor_for_waste(study, library):
    with pytest.raises(ValidationError) as caught:
        add_fuel(study, library, factor=library.landfill)
    assert caught.value.message_dict["factor"] == [
        "Choose a factor of the category “Fuel combustion”; waste.landfill is a factor of the category "
        "“Waste treatment”."
    ]
    with pytest.raises(ValidationError) as caught:
        waste_entry_add(study=study, factor=library.diesel, quantity=Decimal(1), user=None)
    assert "“Waste treatment”" in caught.value.message_dict["factor"][0]
    assert FuelEntry.objects.count() == WasteEntry.objects.count() == 0


def test_another_organizations_factor_is_not_a_choice(study, library, other_supplier):
    foreign = own_factor(other_supplier, code="fuel.secret", category=FactorCategory.FUEL, value="1", unit="kgCO2e/kg")
    with pytest.raises(ValidationError) as caught:
        add_fuel(study, library, factor=foreign)
    assert caught.value.message_dict["factor"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert FuelEntry.objects.count() == 0


def test_a_library_factor_of_another_dataset_is_not_a_choice(study):
    other_library = factories.make_library()
    with pytest.raises(ValidationError) as caught:
        fuel_entry_add(study=study, factor=other_library.diesel, quantity=Decimal(1), unit="kg", user=None)
    assert "not one of the available choices" in caught.value.message_dict["factor"][0]


def test_a_stale_update_is_refused_with_the_current_values(study, library):
    entry = add_fuel(study, library)
    seen = row_version(entry)
    fuel_entry_update(
        study=study, entry=entry, factor=library.diesel, quantity=Decimal(80), unit="kg",
        allocation_share=Decimal(1), stage=None, data_source=DataSource.MEASURED_PRIMARY, description="first",
        expected_version=seen, user=None,
    )  # fmt: skip

    with pytest.raises(StaleEditError) as caught:
        fuel_entry_update(
            study=study, entry=entry, factor=library.diesel, quantity=Decimal(60), unit="kg",
            allocation_share=Decimal(1), stage=None, data_source=DataSource.MEASURED_PRIMARY, description="second",
            expected_version=seen, user=None,
        )  # fmt: skip

    assert caught.value.current["quantity"] == Decimal(80)
    assert caught.value.current["description"] == "first"
    assert FuelEntry.objects.get().quantity == Decimal(80)
    with pytest.raises(StaleEditError):
        fuel_entry_delete(study=study, entry=entry, expected_version=seen, user=None)
    assert FuelEntry.objects.count() == 1


def test_an_entry_of_another_study_cannot_be_changed_through_this_one(study, library, supplier):
    other = factories.make_study(supplier, library)
    entry = add_fuel(other, library)
    with pytest.raises(FuelEntry.DoesNotExist):
        fuel_entry_delete(study=study, entry=entry, user=None)
    assert FuelEntry.objects.count() == 1


@pytest.mark.parametrize("status", [StudyStatus.SUBMITTED, StudyStatus.UNDER_REVIEW, StudyStatus.ACCEPTED])
def test_a_study_that_is_not_editable_refuses_entries(study, library, status):
    entry = add_fuel(study, library)
    study.status = status
    study.save()
    with pytest.raises(ValidationError) as caught:
        add_fuel(study, library)
    assert "can no longer be changed" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        fuel_entry_delete(study=study, entry=entry, user=None)
    with pytest.raises(ValidationError):
        waste_entry_add(study=study, factor=library.landfill, quantity=Decimal(1), user=None)
    assert FuelEntry.objects.count() == 1


def test_a_status_changed_under_the_page_is_seen_under_lock(study, library):
    """The caller's copy says draft; the stored row says submitted: the locked re-read refuses."""
    from apps.inventory.models import Study

    Study.objects.filter(pk=study.pk).update(status=StudyStatus.SUBMITTED)
    with pytest.raises(ValidationError) as caught:
        add_fuel(study, library)
    assert "can no longer be changed" in caught.value.messages[0]
    assert FuelEntry.objects.count() == 0


def test_factor_denominator():
    assert factor_denominator("kgCO2e/kg") == "kg"
    assert factor_denominator("kgCO2e/(t*km)") == "t*km"
    assert factor_denominator("kgCO2e") == ""
