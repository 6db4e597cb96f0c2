"""The fuels-and-waste page: lists, add, edit and delete, each bad value at its field, and who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import Role
from apps.accounts.tenancy import row_version
from apps.catalog.models import ProcessStage
from apps.factors.models import EmissionFactor
from apps.inventory.enums import DataSource, StudyStatus
from apps.inventory.models import Study
from apps.ledger.models import FuelEntry, WasteEntry
from tests import factories


@pytest.fixture
def study(supplier, library) -> Study:
    return factories.make_study(supplier, library, name="Entry study", units_produced="1000")


@pytest.fixture
def fuel(study, library) -> FuelEntry:
    return FuelEntry.objects.create(
        organization=study.organization, study=study, factor=library.diesel, quantity=Decimal(100), unit="kg",
        allocation_share=Decimal("0.5"), description="forklift diesel", stage=ProcessStage.objects.get(no=26),
    )  # fmt: skip


@pytest.fixture
def waste(study, library) -> WasteEntry:
    return WasteEntry.objects.create(
        organization=study.organization, study=study, factor=library.landfill, quantity=Decimal(200), unit="kg",
        description="general waste",
    )  # fmt: skip


def client_for(organization, role: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(factories.make_member(organization, role=role))
    return client


def url(name: str, study: Study, **kwargs) -> str:
    return reverse(f"web:{name}", kwargs={"study_uuid": study.uuid, **kwargs})


def fuel_data(chosen: EmissionFactor, /, **overrides) -> dict[str, str]:
    data = {
        "fuel-stage": "", "fuel-factor": str(chosen.pk), "fuel-quantity": "50", "fuel-unit": "kg",
        "fuel-allocation_share": "100", "fuel-data_source": DataSource.MEASURED_PRIMARY, "fuel-description": "boiler",
    }  # fmt: skip
    return {**data, **{f"fuel-{k}": v for k, v in overrides.items()}}


def waste_data(chosen: EmissionFactor, /, **overrides) -> dict[str, str]:
    data = {
        "waste-factor": str(chosen.pk), "waste-quantity": "10", "waste-unit": "kg", "waste-allocation_share": "100",
        "waste-data_source": DataSource.MEASURED_PRIMARY, "waste-description": "solder dross",
    }  # fmt: skip
    return {**data, **{f"waste-{k}": v for k, v in overrides.items()}}


def field_html(html: str, prefix: str, field: str) -> str:
    """The markup of one field of a form, up to the next field."""
    start = html.index(f'id="field-{prefix}-{field}"')
    end = html.find('<div class="field', start + 10)
    return html[start : end if end != -1 else None]


# --- the page -----------------------------------------------------------------------------------


def test_the_page_lists_entries_with_their_emission_per_unit(member_client, study, fuel, waste):
    response = member_client.get(url("study-entries", study))

    assert response.status_code == 200
    html = response.content.decode()
    assert "forklift diesel" in html and "general waste" in html
    # Diesel: 100 kg × 3.096 × 50 % / 1000 = 0.1548; landfill: 200 kg × 0.009 / 1000 = 0.0018.
    assert ">0.1548<" in html
    assert ">0.0018<" in html
    assert "26. " in html  # the fuel's stage
    assert url("fuel-entry-edit", study, fuel_id=fuel.pk) in html
    assert url("waste-entry-delete", study, waste_id=waste.pk) in html
    # The add forms offer the factors of their own category only.
    fuel_form = html[html.index('action="' + url("fuel-entry-add", study)) :]
    fuel_form = fuel_form[: fuel_form.index("</form>")]
    assert "fuel.diesel" in fuel_form and "waste.landfill" not in fuel_form


def test_the_page_takes_a_fixed_number_of_queries(member_client, study, library, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as few:
        member_client.get(url("study-entries", study))
    for i in range(10):
        FuelEntry.objects.create(organization=study.organization, study=study, factor=library.diesel,
                                 quantity=Decimal(i), unit="kg", stage=ProcessStage.objects.get(no=i + 1))  # fmt: skip
        WasteEntry.objects.create(organization=study.organization, study=study, factor=library.landfill,
                                  quantity=Decimal(i), unit="kg")  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = member_client.get(url("study-entries", study))
    assert response.status_code == 200


# --- add, edit, delete --------------------------------------------------------------------------


def test_a_fuel_entry_is_added(member_client, study, library):
    response = member_client.post(
        url("fuel-entry-add", study), fuel_data(library.diesel, stage=str(ProcessStage.objects.get(no=3).pk),
                                                 quantity="0.25", unit="t", allocation_share="40")
    )  # fmt: skip
    assert response.status_code == 302
    entry = FuelEntry.objects.get()
    assert (entry.quantity, entry.unit, entry.allocation_share, entry.stage.no, entry.description) == (
        Decimal("0.25"),
        "t",
        Decimal("0.4"),
        3,
        "boiler",
    )


def test_a_waste_entry_is_added(member_client, study, library):
    response = member_client.post(url("waste-entry-add", study), waste_data(library.landfill, allocation_share="12.5"))
    assert response.status_code == 302
    entry = WasteEntry.objects.get()
    assert (entry.quantity, entry.unit, entry.allocation_share) == (Decimal(10), "kg", Decimal("0.125"))


def test_an_entry_is_edited_and_deleted(member_client, study, library, fuel):
    page = member_client.get(url("fuel-entry-edit", study, fuel_id=fuel.pk)).content.decode()
    assert 'value="forklift diesel"' in page and 'value="50"' in page  # 0.5 shown as 50 %

    response = member_client.post(
        url("fuel-entry-edit", study, fuel_id=fuel.pk),
        fuel_data(library.diesel, quantity="80", description="forklifts", row_version=row_version(fuel)),
    )
    assert response.status_code == 302
    fuel.refresh_from_db()
    assert (fuel.quantity, fuel.description, fuel.stage, fuel.allocation_share) == (Decimal(80), "forklifts", None, 1)

    response = member_client.post(url("fuel-entry-delete", study, fuel_id=fuel.pk), {"row_version": row_version(fuel)})
    assert response.status_code == 302
    assert FuelEntry.objects.count() == 0


def test_a_waste_entry_is_edited_and_deleted(member_client, study, library, waste):
    response = member_client.post(
        url("waste-entry-edit", study, waste_id=waste.pk),
        waste_data(library.landfill, quantity="2", unit="t", row_version=row_version(waste)),
    )
    assert response.status_code == 302
    waste.refresh_from_db()
    assert (waste.quantity, waste.unit) == (Decimal(2), "t")
    member_client.post(url("waste-entry-delete", study, waste_id=waste.pk), {"row_version": row_version(waste)})
    assert WasteEntry.objects.count() == 0


def test_a_stale_edit_is_refused_with_the_current_values(member_client, study, library, fuel):
    seen = row_version(fuel)
    edit = url("fuel-entry-edit", study, fuel_id=fuel.pk)
    member_client.post(edit, fuel_data(library.diesel, quantity="70", description="first", row_version=seen))

    response = member_client.post(
        edit, fuel_data(library.diesel, quantity="60", description="second", row_version=seen)
    )

    html = response.content.decode()
    assert "Someone else changed this line" in html
    assert 'value="first"' in html and 'value="70' in html  # the stored values are in the form
    fuel.refresh_from_db()
    assert (fuel.quantity, fuel.description) == (Decimal(70), "first")


def test_a_stale_delete_is_refused(member_client, study, library, fuel):
    seen = row_version(fuel)
    member_client.post(url("fuel-entry-edit", study, fuel_id=fuel.pk),
                       fuel_data(library.diesel, quantity="70", row_version=seen))  # fmt: skip
    response = member_client.post(url("fuel-entry-delete", study, fuel_id=fuel.pk), {"row_version": seen}, follow=True)
    assert "so it was not deleted" in response.content.decode()
    assert FuelEntry.objects.count() == 1


# --- bad values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"quantity": "-5"}, "quantity", "The quantity must not be negative."),
        ({"quantity": "abc"}, "quantity", "Enter the quantity as a number."),
        ({"quantity": ""}, "quantity", "Enter the quantity used in the reporting period."),
        (
            {"allocation_share": "0"},
            "allocation_share",
            "The allocation share must be above 0 and at most 100 percent.",
        ),
        (
            {"allocation_share": "150"},
            "allocation_share",
            "The allocation share must be above 0 and at most 100 percent.",
        ),
        ({"allocation_share": "x"}, "allocation_share", "Enter the allocation share as a number of percent"),
        ({"unit": "L"}, "unit", "A quantity in L cannot be valued with a factor in kgCO2e/kg: enter it in kg"),
        ({"unit": "bananas"}, "unit", "“bananas” is not a unit carbonfoot knows"),
        ({"factor": "999999"}, "factor", "Select a valid choice. That choice is not one of the available choices."),
        ({"factor": ""}, "factor", "Choose a factor."),
        ({"stage": "999999"}, "stage", "Select a valid choice."),
        ({"data_source": "rumour"}, "data_source", "Select a valid choice."),
    ],
)
def test_bad_fuel_values_are_shown_at_their_field_and_nothing_is_written(member_client, study, library, overrides,
                                                                          field, message):  # fmt: skip
    response = member_client.post(url("fuel-entry-add", study), fuel_data(library.diesel, **overrides))

    assert response.status_code == 200
    assert message in field_html(response.content.decode(), "fuel", field)
    assert FuelEntry.objects.count() == 0


def test_a_waste_factor_on_a_fuel_entry_is_refused_with_the_reason(member_client, study, library):
    response = member_client.post(
        url("fuel-entry-add", study), fuel_data(library.diesel, factor=str(library.landfill.pk))
    )
    message = "Choose a factor of the category “Fuel combustion”; waste.landfill is a factor of the category"
    assert message in field_html(response.content.decode(), "fuel", "factor")
    assert FuelEntry.objects.count() == 0


def test_a_fuel_factor_on_a_waste_entry_is_refused(member_client, study, library):
    response = member_client.post(
        url("waste-entry-add", study), waste_data(library.landfill, factor=str(library.diesel.pk))
    )
    assert "“Waste treatment”" in field_html(response.content.decode(), "waste", "factor")
    assert WasteEntry.objects.count() == 0


def test_another_organizations_factor_posted_by_hand_is_not_a_choice(member_client, study, library, other_library):
    for name, data in (
        ("fuel-entry-add", fuel_data(library.diesel, factor=str(other_library.diesel.pk))),
        ("waste-entry-add", waste_data(library.landfill, factor=str(other_library.landfill.pk))),
    ):
        response = member_client.post(url(name, study), data)
        html = response.content.decode()
        prefix = name.split("-")[0]
        assert "Select a valid choice. That choice is not one of the available choices." in field_html(
            html, prefix, "factor"
        )
        assert other_library.dataset.version not in html
    assert FuelEntry.objects.count() == WasteEntry.objects.count() == 0


def test_a_bad_edit_keeps_the_stored_entry(member_client, study, library, fuel):
    response = member_client.post(
        url("fuel-entry-edit", study, fuel_id=fuel.pk),
        fuel_data(library.diesel, unit="L", row_version=row_version(fuel)),
    )
    assert "cannot be valued" in field_html(response.content.decode(), "fuel", "unit")
    fuel.refresh_from_db()
    assert (fuel.unit, fuel.quantity) == ("kg", Decimal(100))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"quantity": "-1"}, "quantity", "The quantity must not be negative."),
        ({"quantity": "lots"}, "quantity", "Enter the quantity as a number."),
        ({"quantity": "1.0000000001"}, "quantity", "9 decimal places"),
        ({"unit": "kWh"}, "unit", "cannot be valued with a factor in kgCO2e/kg"),
        ({"allocation_share": "100.5"}, "allocation_share", "above 0 and at most 100 percent"),
    ],
)
def test_bad_waste_values_are_shown_at_their_field(member_client, study, library, overrides, field, message):
    response = member_client.post(url("waste-entry-add", study), waste_data(library.landfill, **overrides))
    assert message in field_html(response.content.decode(), "waste", field)
    assert WasteEntry.objects.count() == 0


def test_a_submitted_study_refuses_new_entries(member_client, study, library, fuel):
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.SUBMITTED)
    html = member_client.get(url("study-entries", study)).content.decode()
    assert url("fuel-entry-add", study) not in html
    response = member_client.post(url("fuel-entry-add", study), fuel_data(library.diesel))
    assert "can no longer be changed" in response.content.decode()
    member_client.post(url("fuel-entry-delete", study, fuel_id=fuel.pk), {"row_version": row_version(fuel)})
    assert FuelEntry.objects.count() == 1


def test_an_entry_of_another_study_is_404(member_client, study, library, supplier):
    other = factories.make_study(supplier, library)
    entry = FuelEntry.objects.create(organization=supplier, study=other, factor=library.diesel, quantity=1, unit="kg")
    assert member_client.get(url("fuel-entry-edit", study, fuel_id=entry.pk)).status_code == 404
    assert member_client.post(url("fuel-entry-delete", study, fuel_id=entry.pk)).status_code == 404
    assert FuelEntry.objects.count() == 1


# --- who may see and do what --------------------------------------------------------------------


def _urls(study: Study, fuel: FuelEntry, waste: WasteEntry, library) -> list[tuple[str, dict]]:
    return [
        (url("study-entries", study), {}),
        (url("fuel-entry-add", study), fuel_data(library.diesel)),
        (url("fuel-entry-edit", study, fuel_id=fuel.pk), fuel_data(library.diesel, row_version=row_version(fuel))),
        (url("fuel-entry-delete", study, fuel_id=fuel.pk), {}),
        (url("waste-entry-add", study), waste_data(library.landfill)),
        (
            url("waste-entry-edit", study, waste_id=waste.pk),
            waste_data(library.landfill, row_version=row_version(waste)),
        ),
        (url("waste-entry-delete", study, waste_id=waste.pk), {}),
    ]


def _unchanged(fuel: FuelEntry, waste: WasteEntry) -> None:
    assert FuelEntry.objects.count() == 1 and WasteEntry.objects.count() == 1
    assert FuelEntry.objects.get().quantity == fuel.quantity and WasteEntry.objects.get().quantity == waste.quantity


def test_another_organization_gets_404_everywhere_and_sees_nothing(study, fuel, waste, library, other_supplier):
    outsider = client_for(other_supplier, Role.MANAGER)
    for address, data in _urls(study, fuel, waste, library):
        for response in (outsider.get(address), outsider.post(address, data)):
            assert response.status_code in (404, 405), address
            body = response.content.decode()
            assert "forklift diesel" not in body and "Entry study" not in body
    _unchanged(fuel, waste)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.VERIFIER])
def test_a_read_only_role_gets_403_on_every_write(study, fuel, waste, library, supplier, role):
    reader = client_for(supplier, role)
    page = reader.get(url("study-entries", study)).content.decode()
    assert "forklift diesel" in page and url("fuel-entry-add", study) not in page
    for address, data in _urls(study, fuel, waste, library):
        expected = 405 if address == url("study-entries", study) else 403
        assert reader.post(address, data).status_code == expected, address
    _unchanged(fuel, waste)
