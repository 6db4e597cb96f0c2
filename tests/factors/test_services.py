"""Write services for an organization's own factor datasets, factors and factor series (what an
imported study document brings): each row validated, tenant-checked, all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.catalog.models import Material
from apps.factors.enums import FactorCategory, GwpBasis
from apps.factors.models import ElectricityFactorPoint, ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.series import SeriesValidationError
from apps.factors.services import electricity_series_create, emission_factor_create, factor_dataset_create
from tests import factories

FOREIGN = "Select a valid choice. That choice is not one of the available choices."
HOUR = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def user(supplier):
    return factories.make_member(supplier)


@pytest.fixture
def own(supplier, user) -> FactorDataset:
    return factor_dataset_create(
        organization=supplier, name="Upstream EPDs", version="2025.1", publisher="our suppliers",
        gwp_basis=GwpBasis.AR6, description="EPDs of PCB suppliers", user=user,
    )  # fmt: skip


def _factor(organization, dataset, user, **changes) -> EmissionFactor:
    values = {
        "organization": organization, "dataset": dataset, "code": "material.pcb", "category": FactorCategory.MATERIAL,
        "name_en": "PCB", "value": Decimal("0.7125"), "unit": "kgCO2e/piece", "low": Decimal("0.70"),
        "high": Decimal("0.75"), "source": "EPD 2024-001", "material": Material.objects.get(no=20), "user": user,
    }  # fmt: skip
    values.update(changes)
    return emission_factor_create(**values)


def test_a_dataset_is_the_organizations_own_with_its_values_as_given(supplier, user, own):
    stored = FactorDataset.objects.get(pk=own.pk)

    assert (stored.organization, stored.name, stored.version, stored.publisher, stored.gwp_basis) == (
        supplier,
        "Upstream EPDs",
        "2025.1",
        "our suppliers",
        "AR6",
    )
    assert (stored.gwp_horizon_years, stored.is_illustrative) == (100, False)
    assert stored.history.get().history_user == user


def test_a_dataset_name_and_version_are_unique_in_the_organization(supplier, other_supplier, user, own):
    with pytest.raises(ValidationError) as caught:
        factor_dataset_create(
            organization=supplier, name="Upstream EPDs", version="2025.1", publisher="x", gwp_basis="AR6", user=user
        )

    assert "__all__" in caught.value.message_dict  # the (organization, name, version) constraint
    assert FactorDataset.objects.filter(organization=supplier).count() == 1
    factor_dataset_create(
        organization=other_supplier, name="Upstream EPDs", version="2025.1", publisher="x", gwp_basis="AR6", user=None
    )


def test_a_dataset_with_an_unknown_gwp_basis_is_refused(supplier, user):
    with pytest.raises(ValidationError) as caught:
        factor_dataset_create(
            organization=supplier, name="EPDs", version="1", publisher="x", gwp_basis="AR7", user=user
        )

    assert caught.value.message_dict == {"gwp_basis": ["Value 'AR7' is not a valid choice."]}
    assert not FactorDataset.objects.exists()


def test_a_factor_is_stored_in_the_own_dataset_with_every_value(supplier, user, own):
    factor = _factor(
        supplier, own, user, region=" CN ", year=2024, valid_from=date(2024, 1, 1), valid_to=date(2026, 12, 31),
        notes="cradle-to-gate",
    )  # fmt: skip

    stored = EmissionFactor.objects.get(pk=factor.pk)
    assert (stored.dataset, stored.organization, stored.code, stored.value, stored.low, stored.high) == (
        own,
        supplier,
        "material.pcb",
        Decimal("0.7125"),
        Decimal("0.70"),
        Decimal("0.75"),
    )
    assert (stored.region, stored.year, stored.valid_from, stored.valid_to) == (
        " CN ",  # as given: an imported document's factor must export back unchanged
        2024,
        date(2024, 1, 1),
        date(2026, 12, 31),
    )
    assert stored.history.get().history_user == user


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value": Decimal("-1"), "low": None}, "value", "An emission factor must not be negative."),
        ({"low": Decimal("0.8")}, "low", "The low end of the range must not be above the value."),
        ({"high": Decimal("0.7")}, "high", "The high end of the range must not be below the value."),
        ({"unit": "kg"}, "unit", "A factor is an amount of CO2e per activity unit, e.g. kgCO2e/kg or kgCO2e/piece."),
        ({"category": FactorCategory.TRANSPORT, "material": None, "unit": "kgCO2e/kg"}, "unit",
         "A transport factor is per tonne-kilometre, e.g. kgCO2e/(t*km)."),
        ({"valid_from": date(2025, 1, 1), "valid_to": date(2024, 12, 31)}, "valid_to",
         "The factor's validity must not end before it begins."),
        ({"source": ""}, "source", "This field cannot be blank."),
        ({"category": "magic"}, "category", "Value 'magic' is not a valid choice."),
    ],
)  # fmt: skip
def test_a_bad_factor_is_refused_at_its_field(supplier, user, own, changes, field, message):
    with pytest.raises(ValidationError) as caught:
        _factor(supplier, own, user, **changes)

    assert caught.value.message_dict.get(field) == [message], caught.value.message_dict
    assert not EmissionFactor.objects.exists()


def test_a_factor_goes_only_into_a_dataset_of_the_organizations_own(supplier, other_supplier, user, own, library):
    for dataset in (library.dataset, factories.make_library(organization=other_supplier).dataset):
        with pytest.raises(ValidationError) as caught:
            _factor(supplier, dataset, user, code="material.pcb.new")
        assert caught.value.message_dict == {"dataset": [FOREIGN]}
    _factor(supplier, own, user)
    with pytest.raises(ValidationError) as caught:
        _factor(supplier, own, user)  # the same code again

    assert "__all__" in caught.value.message_dict
    assert EmissionFactor.objects.filter(code__startswith="material.pcb").count() == 3  # two libraries' and ours


def _series(organization, dataset, user, points, **changes) -> ElectricityFactorSeries:
    values = {
        "organization": organization, "dataset": dataset, "code": "grid.zj.hourly", "name": "Zhejiang node hourly",
        "region": "Zhejiang node", "source": "dispatch data", "points": points, "user": user,
    }  # fmt: skip
    values.update(changes)
    return electricity_series_create(**values)


def test_a_series_is_stored_with_its_points(supplier, user, own):
    points = [(HOUR + timedelta(hours=h), Decimal("0.5") + Decimal(h) / 100) for h in range(3)]

    series = _series(supplier, own, user, points)

    assert (series.organization, series.unit, series.resolution_seconds) == (supplier, "kgCO2e/kWh", 3600)
    stored = list(series.points.order_by("start").values_list("start", "value"))
    assert stored == [(HOUR, Decimal("0.5")), (HOUR + timedelta(hours=1), Decimal("0.51")),
                      (HOUR + timedelta(hours=2), Decimal("0.52"))]  # fmt: skip
    assert series.history.get().history_user == user


def test_a_series_with_a_bad_point_or_field_writes_nothing(supplier, other_supplier, user, own):
    with pytest.raises(SeriesValidationError) as caught:
        _series(supplier, own, user, [(HOUR, "0.5"), (HOUR + timedelta(minutes=30), "0.6")])
    assert caught.value.messages == [
        "Point 2: 2025-01-01 00:30+00:00 is not on the series grid (every 3600 s from 2025-01-01 00:00+00:00)"
    ]
    with pytest.raises(ValidationError) as caught:
        _series(supplier, own, user, [(HOUR, "0.5")], unit="kgCO2e")
    assert list(caught.value.message_dict) == ["unit"]
    with pytest.raises(ValidationError) as caught:
        _series(supplier, factories.make_library(organization=other_supplier).dataset, user, [(HOUR, "0.5")])
    assert caught.value.message_dict == {"dataset": [FOREIGN]}

    assert not ElectricityFactorSeries.objects.exists()
    assert not ElectricityFactorPoint.objects.exists()
