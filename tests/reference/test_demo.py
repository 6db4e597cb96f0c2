"""The demo loader (apps/demo/demo.py), with two days of readings instead of a year."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.accounts.enums import Role
from apps.accounts.models import Membership, Organization
from apps.catalog.models import Material
from apps.demo import data as demo_data
from apps.demo.demo import demo_load
from apps.demo.profiles import grid_hourly_values, hourly_points, stage_energies
from apps.factors.models import ElectricityFactorPoint
from apps.factors.selectors import factors_for_materials
from apps.footprints.models import FootprintComputation
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.models import ElectricityReading, FuelEntry, MeteringPoint, WasteEntry

DAYS = 2


@pytest.fixture
def demo(db):
    return demo_load(days=DAYS)


def test_demo_load_builds_the_study_with_its_counts(demo):
    study = demo.study

    assert demo.created
    assert study.period_start.isoformat() == "2025-01-01" and study.period_end.isoformat() == "2025-12-31"
    assert study.units_produced == Decimal("1200000")
    assert BomLine.objects.filter(study=study).count() == 32
    assert TransportLeg.objects.filter(bom_line__study=study).exists()
    assert StudyStage.objects.filter(study=study).count() == 26
    assert StudyStage.objects.filter(study=study, allocation_share__lt=1).count() == 3
    assert MeteringPoint.objects.filter(site=study.site).count() == 26
    assert ElectricityReading.objects.filter(metering_point__site=study.site).count() == demo.readings == 26 * DAYS * 96
    assert FuelEntry.objects.filter(study=study).count() == 2
    assert WasteEntry.objects.filter(study=study).count() == 3
    assert FootprintComputation.objects.filter(pk=demo.computation_id, study=study).exists()


def test_demo_load_creates_users_with_their_roles(demo):
    users = get_user_model().objects

    assert users.get(username="admin").is_superuser
    roles = {
        (m.user.username, m.organization.slug): m.role
        for m in Membership.objects.select_related("user", "organization")
    }
    assert roles == {
        ("supplier-manager", "demo-meter-co"): Role.MANAGER,
        ("supplier-editor", "demo-meter-co"): Role.EDITOR,
        ("verifier", "demo-meter-co"): Role.VERIFIER,
        ("buyer-reviewer", "demo-grid-co"): Role.REVIEWER,
        ("supplier2-manager", "demo-instrument-works"): Role.MANAGER,
        ("consultant", "demo-meter-co"): Role.EDITOR,
        ("consultant", "demo-instrument-works"): Role.EDITOR,
    }
    assert users.get(username="verifier").check_password("carbonfoot-demo")
    assert users.filter(username__in=[row.username for row in demo.logins]).values("password").distinct().count() == 1
    assert [row.username for row in demo.logins] == [login.username for login in demo_data.LOGINS]


def test_demo_load_is_idempotent(demo):
    readings = ElectricityReading.objects.count()

    again = demo_load(days=DAYS)

    assert not again.created
    assert len(again.logins) == len(demo_data.LOGINS)
    assert Organization.objects.count() == 3
    assert ElectricityReading.objects.count() == readings
    assert BomLine.objects.count() == 32 + 16


def test_demo_supplier_factors_take_precedence(demo):
    study = demo.study
    materials = Material.objects.in_bulk(field_name="no")

    resolved = factors_for_materials(
        organization=study.organization, material_ids=[m.pk for m in materials.values()], dataset=study.factor_dataset
    )

    own = {no for no, material in materials.items() if resolved[material.pk].dataset.organization_id}
    assert own == {9, 20, 25}
    assert len(resolved) == 32


def test_demo_hourly_series_covers_2025_with_the_annual_mean(demo):
    series = demo.study.electricity_series
    points = ElectricityFactorPoint.objects.filter(series=series).order_by("start")

    assert series.resolution_seconds == 3600
    assert "ILLUSTRATIVE" in series.source
    assert points.count() == 8760
    assert points.first().start == datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert points.last().start == datetime(2025, 12, 31, 15, tzinfo=UTC)


def test_demo_grid_values_average_exactly_the_annual_factor():
    values = grid_hourly_values()

    assert len(values) == 8760
    assert sum(values) == Decimal("0.5500") * 8760
    assert all(value == value.quantize(Decimal("0.0001")) for value in values)
    assert Decimal("0.40") < min(values) and max(values) < Decimal("0.70")
    assert hourly_points(values)[0][0] == datetime(2024, 12, 31, 16, tzinfo=UTC)


def test_stage_energies_shorter_span_is_a_prefix_of_the_year():
    year = stage_energies(profile="oven", kwh_per_year=Decimal(144000), stage_no=5)

    assert stage_energies(profile="oven", kwh_per_year=Decimal(144000), stage_no=5, days=DAYS) == year[: DAYS * 96]
    assert len(year) == 365 * 96
    assert abs(sum(year) / 1_000_000 - 144000) < 144000 * 0.005


def test_stage_energies_stop_for_the_spring_festival():
    year = stage_energies(profile="line", kwh_per_year=Decimal(100000), stage_no=4)
    day = 96
    working_tuesday = sum(year[6 * day : 7 * day])  # 7 Jan 2025
    festival_day = sum(year[28 * day : 29 * day])  # 29 Jan 2025

    assert festival_day < working_tuesday * 0.1


def test_load_demo_command_prints_the_logins(db, capsys):
    call_command("load_demo", days=1, no_compute=True)
    call_command("load_demo")

    out = capsys.readouterr().out
    assert "26 stages, 2,496 readings" in out
    assert "The demo is already loaded." in out
    assert len(re.findall(r"^buyer-reviewer +carbonfoot-demo +reviewer ", out, flags=re.M)) == 2
    assert "http://127.0.0.1:8000/" in out


def test_demo_second_supplier_has_a_half_filled_study_that_cannot_be_computed_yet(demo):
    from apps.footprints.checks import study_checks

    study = Study.objects.get(organization__slug="demo-instrument-works")

    assert study.status == "draft"
    assert BomLine.objects.filter(study=study).count() == 16
    assert StudyStage.objects.filter(study=study).count() == 26
    manual = ElectricityReading.objects.filter(metering_point__site=study.site)
    assert manual.count() == 6  # one total per stage for the year
    assert sum(manual.values_list("milliwatt_hours", flat=True)) == (1800 + 4200 + 5000 + 21000 + 39000 + 1500) * 10**6
    checks = study_checks(study=study)
    assert not checks.can_compute
    codes = {problem.code for problem in checks.blocking}
    assert "material_missing_quantity" in codes
    assert "stage_electricity_gap" in codes or "stage_electricity_missing" in codes
