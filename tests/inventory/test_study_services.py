"""Write services for products, sites and studies, and the copy of a study into the next period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.enums import OrganizationKind
from apps.accounts.tenancy import StaleEditError, row_version
from apps.catalog.models import ProcessStage
from apps.factors.regions import grid_region_choices
from apps.footprints.study_copy import next_period, study_copy, study_copy_proposal
from apps.inventory.enums import StudyStatus
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.inventory.services.studies import (
    product_create,
    product_update,
    site_create,
    site_update,
    study_create,
    study_update,
)
from apps.ledger.models import FuelEntry, WasteEntry
from tests import factories
from tests.inventory.builders import fill_study, make_grid_factor, make_series

FOREIGN = "Select a valid choice. That choice is not one of the available choices."


def _messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


@pytest.fixture
def user(supplier):
    return factories.make_member(supplier)


@pytest.fixture
def grid(library):
    return make_grid_factor(library.dataset, region="East China grid", code="electricity.east.2023")


@pytest.fixture
def product(supplier, user):
    return product_create(organization=supplier, name="Smart meter", model_code="DDZY-1", user=user)


@pytest.fixture
def site(supplier, user, grid):
    return site_create(
        organization=supplier, code="plant-hz", name="Hangzhou plant", grid_region="East China grid", user=user
    )


def _study(organization_, product_, site_, library_, user_, **overrides):
    values = {
        "organization": organization_,
        "product": product_,
        "site": site_,
        "name": "Smart meter 2025",
        "period_start": date(2025, 1, 1),
        "period_end": date(2025, 12, 31),
        "units_produced": Decimal("120000"),
        "factor_dataset": library_.dataset,
        "electricity_factor": library_.grid,
        "user": user_,
    }
    values.update(overrides)
    return study_create(**values)


# --- products -------------------------------------------------------------------------------------


def test_product_create_stores_the_values_and_who(supplier, user):
    product = product_create(
        organization=supplier,
        name=" Three-phase meter ",
        model_code="DTZY-9",
        description="CT-connected",
        mass_kg=Decimal("1.25"),
        user=user,
    )

    stored = Product.objects.get(pk=product.pk)
    assert (stored.organization, stored.name, stored.model_code, stored.description, stored.mass_kg) == (
        supplier,
        "Three-phase meter",
        "DTZY-9",
        "CT-connected",
        Decimal("1.25"),
    )
    assert stored.history.first().history_user == user


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"model_code": "DDZY-1"}, "model_code", "Your organization already has a product with this model code."),
        ({"mass_kg": Decimal("-0.1")}, "mass_kg", "The mass must not be negative."),
        ({"name": "  "}, "name", "Enter the product's name."),
        ({"model_code": ""}, "model_code", "Enter the model code."),
    ],
)
def test_product_create_refuses_bad_values_at_the_field(supplier, user, product, kwargs, field, message):
    values = {"organization": supplier, "name": "Meter", "model_code": "NEW-1", "user": user, **kwargs}

    with pytest.raises(ValidationError) as caught:
        product_create(**values)

    assert _messages(caught.value)[field] == [message]
    assert Product.objects.count() == 1


def test_the_same_model_code_is_free_in_another_organization(other_supplier, product):
    other = product_create(organization=other_supplier, name="Their meter", model_code="DDZY-1", user=None)
    assert other.model_code == "DDZY-1"


def test_a_buyer_keeps_no_products(db):
    buyer = factories.make_organization(kind=OrganizationKind.BUYER)

    with pytest.raises(ValidationError, match="Only a supplier organization"):
        product_create(organization=buyer, name="Meter", model_code="X", user=None)
    assert Product.objects.count() == 0


def test_product_update_saves_with_the_current_version(product, user):
    updated = product_update(
        product=product,
        expected_version=row_version(product),
        user=user,
        name="Smart meter, single phase",
        model_code="DDZY-1A",
        description="revised",
        mass_kg=Decimal("0.65"),
    )

    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.model_code, stored.description, stored.mass_kg) == (
        "Smart meter, single phase",
        "DDZY-1A",
        "revised",
        Decimal("0.65"),
    )
    assert row_version(updated) == row_version(stored)


def test_product_update_over_someone_elses_change_is_refused_with_the_current_values(product, user):
    opened = row_version(product)
    product_update(
        product=product, expected_version=opened, user=user, name="First save", model_code="DDZY-1",
        description="", mass_kg=None,
    )  # fmt: skip

    with pytest.raises(StaleEditError) as caught:
        product_update(
            product=product, expected_version=opened, user=user, name="Second save", model_code="DDZY-2",
            description="", mass_kg=Decimal(1),
        )  # fmt: skip

    assert caught.value.current["name"] == "First save"
    assert caught.value.current["model_code"] == "DDZY-1"
    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.mass_kg) == ("First save", None)


# --- sites and grid regions -----------------------------------------------------------------------


def test_grid_regions_are_the_librarys_electricity_regions_sorted(library, other_supplier):
    make_grid_factor(library.dataset, region="North China grid", code="e.north")
    make_grid_factor(library.dataset, region="East China grid", code="e.east")
    make_grid_factor(library.dataset, region="East China grid", code="e.east.2022")
    make_series(library.dataset, region="Zhejiang node")
    own = factories.make_library(organization=other_supplier)
    make_grid_factor(own.dataset, region="A supplier's private region", code="e.private")
    factories.make_library().pcb.__class__.objects.filter(code="material.pcb").update(region="Not a grid")

    assert grid_region_choices() == ["East China grid", "North China grid", "Zhejiang node"]


def test_site_create_stores_the_values(supplier, user, grid):
    site = site_create(
        organization=supplier, code="plant-nb", name="Ningbo plant", address="1 Harbour Rd",
        grid_region="East China grid", user=user,
    )  # fmt: skip

    stored = Site.objects.get(pk=site.pk)
    assert (stored.organization, stored.code, stored.name, stored.address, stored.grid_region) == (
        supplier,
        "plant-nb",
        "Ningbo plant",
        "1 Harbour Rd",
        "East China grid",
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"grid_region": "Atlantis grid"},
            "grid_region",
            "Choose a grid region for which the factor library holds an electricity factor.",
        ),
        (
            {"grid_region": ""},
            "grid_region",
            "Choose a grid region for which the factor library holds an electricity factor.",
        ),
        ({"code": "plant-hz"}, "code", "Your organization already has a site with this code."),
        ({"name": ""}, "name", "Enter the site's name."),
    ],
)
def test_site_create_refuses_bad_values_at_the_field(supplier, user, site, kwargs, field, message):
    values = {
        "organization": supplier,
        "code": "plant-2",
        "name": "Plant 2",
        "grid_region": "East China grid",
        "user": user,
    }

    with pytest.raises(ValidationError) as caught:
        site_create(**{**values, **kwargs})

    assert _messages(caught.value)[field] == [message]
    assert Site.objects.count() == 1


def test_a_region_only_a_suppliers_own_dataset_names_is_unknown(supplier, user):
    own = factories.make_library(organization=supplier)
    make_grid_factor(own.dataset, region="Our private grid", code="e.own")

    with pytest.raises(ValidationError) as caught:
        site_create(organization=supplier, code="p", name="P", grid_region="Our private grid", user=user)

    assert "grid_region" in _messages(caught.value)
    assert Site.objects.count() == 0


def test_site_update_and_stale_refusal(site, user, library):
    make_grid_factor(library.dataset, region="South China grid", code="e.south")
    opened = row_version(site)
    site_update(
        site=site, expected_version=opened, user=user, code="plant-hz", name="Hangzhou plant 1", address="",
        grid_region="South China grid",
    )  # fmt: skip
    assert Site.objects.get(pk=site.pk).grid_region == "South China grid"

    with pytest.raises(StaleEditError) as caught:
        site_update(
            site=site,
            expected_version=opened,
            user=user,
            code="x",
            name="Other",
            address="",
            grid_region="East China grid",
        )

    assert caught.value.current["name"] == "Hangzhou plant 1"
    assert caught.value.current["grid_region"] == "South China grid"
    assert Site.objects.get(pk=site.pk).code == "plant-hz"


# --- studies --------------------------------------------------------------------------------------


def test_study_create_makes_a_draft_with_all_26_stages(supplier, product, site, library, user):
    study = _study(supplier, product, site, library, user, declared_unit_amount=Decimal(1), description="FY 2025")

    stored = Study.objects.get(pk=study.pk)
    assert stored.status == StudyStatus.DRAFT
    assert stored.created_by == user
    assert (stored.product, stored.site, stored.factor_dataset, stored.electricity_factor) == (
        product,
        site,
        library.dataset,
        library.grid,
    )
    assert (stored.period_start, stored.period_end, stored.units_produced, stored.description) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        Decimal("120000"),
        "FY 2025",
    )
    stages = list(stored.stages.order_by("stage__no"))
    assert [s.stage.no for s in stages] == list(range(1, 27))
    assert {s.allocation_share for s in stages} == {Decimal(1)}
    assert {s.organization_id for s in stages} == {supplier.pk}


def test_study_create_with_a_series_instead_of_a_static_factor(supplier, product, site, library, user):
    series = make_series(library.dataset, region="East China grid")

    study = _study(supplier, product, site, library, user, electricity_factor=None, electricity_series=series)

    assert Study.objects.get(pk=study.pk).electricity_series == series


def _foreign(other_supplier):
    other = factories.make_library(organization=other_supplier)
    study = factories.make_study(other_supplier, other)
    return {
        "product": study.product,
        "site": study.site,
        "factor_dataset": other.dataset,
        "electricity_factor": other.grid,
        "electricity_series": make_series(other.dataset, region="East China grid", code="their.series"),
    }


@pytest.mark.parametrize("field", ["product", "site", "factor_dataset", "electricity_factor", "electricity_series"])
def test_study_create_refuses_another_organizations_rows(supplier, other_supplier, product, site, library, user, field):
    foreign = _foreign(other_supplier)
    before = (Study.objects.count(), StudyStage.objects.count())
    overrides = {field: foreign[field]}
    if field == "electricity_series":
        overrides["electricity_factor"] = None

    with pytest.raises(ValidationError) as caught:
        _study(supplier, product, site, library, user, **overrides)

    assert _messages(caught.value)[field] == [FOREIGN]
    assert (Study.objects.count(), StudyStage.objects.count()) == before


def test_the_organizations_own_dataset_and_grid_factor_are_allowed(supplier, product, site, user):
    own = factories.make_library(organization=supplier)

    study = _study(supplier, product, site, own, user)

    assert (study.factor_dataset, study.electricity_factor) == (own.dataset, own.grid)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"units_produced": Decimal("-5")},
            "units_produced",
            "Units produced in the period must be greater than zero.",
        ),
        ({"units_produced": Decimal(0)}, "units_produced", "Units produced in the period must be greater than zero."),
        (
            {"period_start": date(2025, 6, 1), "period_end": date(2025, 5, 31)},
            "period_end",
            "The reporting period must end on or after the day it starts.",
        ),
        (
            {"declared_unit_amount": Decimal(0)},
            "declared_unit_amount",
            "The declared unit amount must be greater than zero.",
        ),
        ({"name": " "}, "name", "Enter a name for the study."),
    ],
)
def test_study_create_refuses_bad_values_at_the_field(
    supplier, product, site, library, user, overrides, field, message
):
    with pytest.raises(ValidationError) as caught:
        _study(supplier, product, site, library, user, **overrides)

    assert _messages(caught.value)[field] == [message]
    assert Study.objects.count() == 0
    assert StudyStage.objects.count() == 0


def test_study_create_refuses_a_non_electricity_factor_and_both_factor_kinds(supplier, product, site, library, user):
    with pytest.raises(ValidationError) as caught:
        _study(supplier, product, site, library, user, electricity_factor=library.diesel)
    assert _messages(caught.value)["electricity_factor"] == ["Choose an electricity factor (kg CO2e per kWh)."]

    series = make_series(library.dataset, region="East China grid")
    with pytest.raises(ValidationError) as caught:
        _study(supplier, product, site, library, user, electricity_series=series)
    assert _messages(caught.value)["electricity_series"] == [
        "Choose either a static electricity factor or a factor series, not both."
    ]
    assert Study.objects.count() == 0


def test_study_names_are_unique_in_the_organization(supplier, product, site, library, user):
    _study(supplier, product, site, library, user)

    with pytest.raises(ValidationError) as caught:
        _study(supplier, product, site, library, user)

    assert _messages(caught.value)["name"] == ["Your organization already has a study with this name."]
    assert Study.objects.count() == 1


def _update(study, user, version, **overrides):
    values = {
        "study": study,
        "expected_version": version,
        "user": user,
        "name": study.name,
        "period_start": study.period_start,
        "period_end": study.period_end,
        "units_produced": study.units_produced,
        "declared_unit_amount": study.declared_unit_amount,
        "factor_dataset": study.factor_dataset,
        "electricity_factor": study.electricity_factor,
        "electricity_series": study.electricity_series,
        "description": study.description,
    }
    values.update(overrides)
    return study_update(**values)


def test_study_update_changes_the_settings(supplier, product, site, library, user):
    study = _study(supplier, product, site, library, user)
    other_grid = make_grid_factor(library.dataset, region="East China grid", code="e.east.2022", value="0.5856")

    _update(
        study, user, row_version(study), name="Meter FY25", units_produced=Decimal("98500.5"),
        period_end=date(2025, 6, 30), electricity_factor=other_grid, description="half year",
    )  # fmt: skip

    stored = Study.objects.get(pk=study.pk)
    assert (stored.name, stored.units_produced, stored.period_end, stored.electricity_factor, stored.description) == (
        "Meter FY25",
        Decimal("98500.5"),
        date(2025, 6, 30),
        other_grid,
        "half year",
    )


def test_study_update_refuses_bad_values_and_foreign_rows(supplier, other_supplier, product, site, library, user):
    study = _study(supplier, product, site, library, user)
    version = row_version(study)
    foreign = _foreign(other_supplier)

    with pytest.raises(ValidationError) as caught:
        _update(study, user, version, units_produced=Decimal("-1"))
    assert _messages(caught.value)["units_produced"] == ["Units produced in the period must be greater than zero."]
    with pytest.raises(ValidationError) as caught:
        _update(study, user, version, electricity_factor=foreign["electricity_factor"])
    assert _messages(caught.value)["electricity_factor"] == [FOREIGN]

    stored = Study.objects.get(pk=study.pk)
    assert (stored.units_produced, stored.electricity_factor) == (Decimal("120000"), library.grid)


def test_study_update_over_someone_elses_change_is_refused_with_the_current_values(
    supplier, product, site, library, user
):
    study = _study(supplier, product, site, library, user)
    opened = row_version(study)
    _update(study, user, opened, units_produced=Decimal("1000"))

    with pytest.raises(StaleEditError) as caught:
        _update(study, user, opened, units_produced=Decimal("2000"))

    assert caught.value.current["units_produced"] == Decimal("1000")
    assert Study.objects.get(pk=study.pk).units_produced == Decimal("1000")


@pytest.mark.parametrize("status", [StudyStatus.SUBMITTED, StudyStatus.UNDER_REVIEW, StudyStatus.ACCEPTED])
def test_a_submitted_study_cannot_be_edited(supplier, product, site, library, user, status):
    study = _study(supplier, product, site, library, user)
    Study.objects.filter(pk=study.pk).update(status=status)
    study.refresh_from_db()

    with pytest.raises(ValidationError) as caught:
        _update(study, user, row_version(study), units_produced=Decimal("5"))

    assert caught.value.code == "not_editable"
    assert "can no longer be changed" in caught.value.messages[0]
    assert Study.objects.get(pk=study.pk).units_produced == Decimal("120000")


def test_a_returned_study_can_be_edited_again(supplier, product, site, library, user):
    study = _study(supplier, product, site, library, user)
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.RETURNED)
    study.refresh_from_db()

    _update(study, user, row_version(study), units_produced=Decimal("5"))

    assert Study.objects.get(pk=study.pk).units_produced == Decimal("5")


# --- the next period ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ((date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 12, 31))),
        ((date(2023, 1, 1), date(2023, 12, 31)), (date(2024, 1, 1), date(2024, 12, 31))),  # into a leap year
        ((date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 2, 1), date(2025, 2, 28))),
        ((date(2024, 1, 1), date(2024, 1, 31)), (date(2024, 2, 1), date(2024, 2, 29))),
        ((date(2025, 7, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 6, 30))),
        ((date(2025, 1, 10), date(2025, 1, 19)), (date(2025, 1, 20), date(2025, 1, 29))),  # 10 days
    ],
)
def test_next_period_has_the_same_length_right_after(period, expected):
    assert next_period(*period) == expected


def test_the_copy_proposal_names_the_product_and_year_or_marks_a_copy(supplier, product, site, library, user):
    source = _study(supplier, product, site, library, user, name="FY25 meter study")

    proposal = study_copy_proposal(source=source)

    assert (proposal.name, proposal.period_start, proposal.period_end, proposal.units_produced) == (
        "Smart meter 2026",
        date(2026, 1, 1),
        date(2026, 12, 31),
        Decimal("120000"),
    )
    _study(supplier, product, site, library, user, name="Smart meter 2026")
    assert study_copy_proposal(source=source).name == "FY25 meter study (copy)"


# --- copying a study ------------------------------------------------------------------------------


LINE_FIELDS = (
    "material_id",
    "name",
    "activity_unit",
    "quantity",
    "loss_rate",
    "factor_id",
    "data_source",
    "unit_mass_kg",
    "notes",
)
LEG_FIELDS = ("mode", "distance_km", "mass_kg", "factor_id", "data_source")
FUEL_FIELDS = ("stage_id", "factor_id", "quantity", "unit", "allocation_share", "data_source", "description")
WASTE_FIELDS = ("factor_id", "quantity", "unit", "allocation_share", "data_source", "description")


def _values(rows, fields):
    return [tuple(getattr(row, f) for f in fields) for row in rows]


def _snapshot(study):
    return {
        "study": _values(
            [Study.objects.get(pk=study.pk)], ("name", "period_start", "period_end", "units_produced", "status")
        ),
        "lines": _values(BomLine.objects.filter(study=study).order_by("pk"), ("pk", *LINE_FIELDS)),
        "legs": _values(
            TransportLeg.objects.filter(bom_line__study=study).order_by("pk"), ("pk", "bom_line_id", *LEG_FIELDS)
        ),
        "stages": _values(study.stages.order_by("stage__no"), ("pk", "allocation_share", "allocation_note")),
        "fuels": _values(FuelEntry.objects.filter(study=study).order_by("pk"), ("pk", *FUEL_FIELDS)),
        "wastes": _values(WasteEntry.objects.filter(study=study).order_by("pk"), ("pk", *WASTE_FIELDS)),
    }


@pytest.fixture
def filled(supplier, product, site, library, user):
    source = _study(supplier, product, site, library, user, name="Smart meter 2025", description="first year")
    rows = fill_study(source, library)
    Study.objects.filter(pk=source.pk).update(status=StudyStatus.SUBMITTED)  # a submitted study can be copied
    source.refresh_from_db()
    return source, rows


def test_study_copy_is_a_new_draft_with_every_line_leg_allocation_and_entry(filled, user):
    source, rows = filled
    before = _snapshot(source)

    copy = study_copy(
        source=source, name="Smart meter 2026", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
        units_produced=Decimal("131000"), user=user,
    )  # fmt: skip

    copy = Study.objects.get(pk=copy.pk)
    assert copy.pk != source.pk
    assert copy.status == StudyStatus.DRAFT
    assert (copy.product_id, copy.site_id, copy.factor_dataset_id, copy.electricity_factor_id) == (
        source.product_id,
        source.site_id,
        source.factor_dataset_id,
        source.electricity_factor_id,
    )
    assert (copy.name, copy.period_start, copy.period_end, copy.units_produced, copy.description) == (
        "Smart meter 2026",
        date(2026, 1, 1),
        date(2026, 12, 31),
        Decimal("131000"),
        "first year",
    )
    assert copy.created_by == user

    # 3 lines (the custom carton line included) with identical values, in the same order
    new_lines = list(BomLine.objects.filter(study=copy).order_by("pk"))
    assert len(new_lines) == 3
    assert _values(new_lines, LINE_FIELDS) == _values(rows["lines"], LINE_FIELDS)
    assert {line.organization_id for line in new_lines} == {source.organization_id}
    assert _values(new_lines, ("name", "activity_unit", "quantity"))[2] == ("Carton", "kg", Decimal("0.120000"))

    # 2 legs, each under the copy of its own line
    new_legs = list(TransportLeg.objects.filter(bom_line__study=copy).order_by("pk"))
    assert _values(new_legs, LEG_FIELDS) == [
        ("road_heavy", Decimal("920"), Decimal("0.1"), rows["legs"][0].factor_id, "secondary_default"),
        ("rail", Decimal("35.5"), Decimal("0.12"), rows["legs"][1].factor_id, "measured_primary"),
    ]
    assert [leg.bom_line_id for leg in new_legs] == [new_lines[0].pk, new_lines[2].pk]

    # 26 stages; stage 5 keeps its 40 % share and its basis, the others 1
    stages = {s.stage.no: s for s in copy.stages.select_related("stage")}
    assert len(stages) == 26
    assert (stages[5].allocation_share, stages[5].allocation_note) == (Decimal("0.4"), "40 % of the SMT line's hours")
    assert {s.allocation_share for no, s in stages.items() if no != 5} == {Decimal(1)}

    # 2 fuel entries and 1 waste entry, values unchanged
    assert _values(FuelEntry.objects.filter(study=copy).order_by("pk"), FUEL_FIELDS) == [
        (ProcessStage.objects.get(no=5).pk, rows["fuels"][0].factor_id, Decimal("120"), "kg", Decimal("0.25"),
         "measured_primary", "forklift diesel"),
        (None, rows["fuels"][0].factor_id, Decimal("7.5"), "kg", Decimal(1), "measured_primary", ""),
    ]  # fmt: skip
    assert _values(WasteEntry.objects.filter(study=copy), WASTE_FIELDS) == [
        (rows["wastes"][0].factor_id, Decimal("310.5"), "kg", Decimal(1), "measured_primary", "general waste")
    ]

    # the source is untouched
    assert _snapshot(source) == before


def test_copied_lines_carry_history_naming_the_source(filled, user):
    source, _rows = filled

    copy = study_copy(
        source=source, name="Next", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
        units_produced=Decimal(1), user=user,
    )  # fmt: skip

    records = list(BomLine.history.filter(study_id=copy.pk))
    assert len(records) == 3
    assert {r.history_user_id for r in records} == {user.pk}
    assert {r.history_change_reason for r in records} == {"Copied from study Smart meter 2025"}


def test_study_copy_with_bad_values_writes_nothing(filled, user):
    source, _rows = filled
    counts = (Study.objects.count(), BomLine.objects.count(), TransportLeg.objects.count(), FuelEntry.objects.count())

    with pytest.raises(ValidationError) as caught:
        study_copy(
            source=source, name="Smart meter 2025", period_start=date(2026, 1, 1), period_end=date(2025, 12, 31),
            units_produced=Decimal("-3"), user=user,
        )  # fmt: skip

    errors = _messages(caught.value)
    assert errors["name"] == ["Your organization already has a study with this name."]
    assert errors["period_end"] == ["The reporting period must end on or after the day it starts."]
    assert errors["units_produced"] == ["Units produced in the period must be greater than zero."]
    assert (
        Study.objects.count(),
        BomLine.objects.count(),
        TransportLeg.objects.count(),
        FuelEntry.objects.count(),
    ) == counts
