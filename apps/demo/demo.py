"""Load the demo: a meter supplier, a grid buyer, their users, and a complete 2025 study of the
single-phase smart meter with a year of 15-minute stage readings and an hourly grid factor.

Everything is written in one transaction, so a failed load leaves nothing behind; a second run
finds the demo supplier and only reports the logins. Tables live in data, time series in
profiles; this module only writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Membership, Organization
from apps.catalog.models import Material, ProcessStage
from apps.demo import data
from apps.demo.profiles import (
    DAYS_IN_YEAR,
    SLOT_SECONDS,
    YEAR_START,
    grid_hourly_values,
    hourly_points,
    stage_energies,
)
from apps.factors.library import dataset_parse, dataset_store, library_load_all
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.series import series_points_bulk_upsert
from apps.footprints.services import footprint_request
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.inventory.services.bom import bom_line_set_for_material
from apps.inventory.services.studies import product_create, site_create, study_create
from apps.ledger.enums import ReadingSource
from apps.ledger.manual import stage_electricity_manual_set
from apps.ledger.models import FuelEntry, WasteEntry
from apps.ledger.services import metering_point_create, readings_insert_run


@dataclass(frozen=True)
class LoginRow:
    username: str
    organization: str
    role: str
    password: str


@dataclass(frozen=True)
class DemoOutcome:
    created: bool
    logins: list[LoginRow]
    study: Study | None = None
    readings: int = 0
    plant_kwh: Decimal = Decimal(0)  # metered, before allocation
    kwh_per_meter: Decimal = Decimal(0)  # allocated to the study's product, per declared unit
    seconds: float = 0.0
    computation_id: int | None = None


def demo_load(*, days: int = DAYS_IN_YEAR, request_computation: bool = True) -> DemoOutcome:
    """Create the demo unless its supplier exists. `days` shortens the readings (tests)."""
    started = time.perf_counter()
    if Organization.objects.filter(slug=data.SUPPLIER["slug"]).exists():
        return DemoOutcome(created=False, logins=_login_rows())
    with transaction.atomic():
        library_load_all()
        supplier = Organization.objects.create(kind=OrganizationKind.SUPPLIER, **data.SUPPLIER)
        buyer = Organization.objects.create(kind=OrganizationKind.BUYER, **data.BUYER)
        supplier2 = Organization.objects.create(kind=OrganizationKind.SUPPLIER, **data.SUPPLIER2)
        users = _users({"supplier": supplier, "buyer": buyer, "supplier2": supplier2})
        dataset_store(dataset_parse(data.SUPPLIER_FACTORS, origin="demo supplier factors"), organization=supplier)
        study = _study(supplier, users["supplier-manager"])
        defaults = {f.code: f for f in EmissionFactor.objects.filter(dataset=study.factor_dataset)}
        _bill_of_materials(study, defaults)
        readings, plant_mwh, allocated_mwh = _stages_and_readings(study, days, users["supplier-editor"])
        _ledger(study, defaults)
        _second_supplier(users["supplier2-manager"])
        computation_id = None
        if request_computation:
            computation_id = footprint_request(study=study, requested_by=users["supplier-manager"]).pk
    kwh = Decimal(allocated_mwh).scaleb(-6)
    return DemoOutcome(
        created=True,
        logins=_login_rows(),
        study=study,
        readings=readings,
        plant_kwh=Decimal(plant_mwh).scaleb(-6),
        kwh_per_meter=(kwh / study.units_produced).quantize(Decimal("0.0001")),
        seconds=time.perf_counter() - started,
        computation_id=computation_id,
    )


def _login_rows() -> list[LoginRow]:
    existing = set(
        get_user_model()
        .objects.filter(username__in=[login.username for login in data.LOGINS])
        .values_list("username", flat=True)
    )
    names = {
        "supplier": data.SUPPLIER["name"],
        "supplier2": data.SUPPLIER2["name"],
        "buyer": data.BUYER["name"],
        "": "(superuser)",
    }
    return [
        LoginRow(login.username, names[login.organization], login.role or "superuser", data.PASSWORD)
        for login in data.LOGINS
        if login.username in existing
    ]


def _users(organizations: dict[str, Organization]) -> dict[str, User]:
    model = get_user_model()
    hashed = make_password(data.PASSWORD)  # once: each hash costs most of a second by design
    users: dict[str, User] = {}
    for login in data.LOGINS:
        user = model.objects.filter(username=login.username).first()
        if user is None:
            superuser = not login.organization
            user = model(username=login.username, first_name=login.full_name, password=hashed)
            user.is_staff = user.is_superuser = superuser
            user.save()
        if login.organization:
            Membership.objects.create(user=user, organization=organizations[login.organization], role=login.role)
        users[login.username] = user
    return users


def _grid_series() -> ElectricityFactorSeries:
    """The shared illustrative hourly series (kept if an earlier demo load created it)."""
    head = data.GRID_DATASET
    dataset, _ = FactorDataset.objects.get_or_create(
        organization=None,
        name=head["name"],
        version=head["version"],
        defaults={k: v for k, v in head.items() if k not in ("name", "version")},
    )
    series, created = ElectricityFactorSeries.objects.get_or_create(
        dataset=dataset,
        code=data.GRID_SERIES["code"],
        defaults={k: v for k, v in data.GRID_SERIES.items() if k != "code"},
    )
    if created or not series.points.exists():
        series_points_bulk_upsert(series=series, points=hourly_points(grid_hourly_values()))
    return series


def _study(supplier: Organization, manager: User) -> Study:
    name, version = data.DEFAULTS_DATASET
    defaults = FactorDataset.objects.get(organization=None, name=name, version=version)
    product = Product.objects.create(
        organization=supplier, **{**data.PRODUCT, "mass_kg": Decimal(data.PRODUCT["mass_kg"])}
    )
    site = Site.objects.create(organization=supplier, **data.SITE)
    return Study.objects.create(
        organization=supplier,
        product=product,
        site=site,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        factor_dataset=defaults,
        electricity_series=_grid_series(),
        created_by=manager,
        name=data.STUDY["name"],
        description=data.STUDY["description"],
        units_produced=Decimal(data.STUDY["units_produced"]),
    )


def _bill_of_materials(study: Study, factors: dict[str, EmissionFactor]) -> None:
    materials = Material.objects.in_bulk(field_name="no")
    org = study.organization
    for row in data.BOM:
        # No factor named: the supplier's own factor for the material wins, else the library default.
        line = BomLine.objects.create(
            organization=org,
            study=study,
            material=materials[row.material_no],
            quantity=Decimal(row.quantity),
            loss_rate=Decimal(row.loss_rate),
            unit_mass_kg=Decimal(row.unit_mass_kg),
            data_source=row.data_source,
            notes=row.notes,
        )
        for code, km in row.legs:
            TransportLeg.objects.create(
                organization=org,
                bom_line=line,
                mode=_mode(code),
                distance_km=Decimal(km),
                mass_kg=Decimal(row.unit_mass_kg) * Decimal(row.quantity),
                factor=factors[code],
                data_source=row.data_source,
            )


def _mode(factor_code: str) -> str:
    return factor_code.split(".")[1]  # transport.<mode>[.wtw], named like TransportMode


def _stages_and_readings(study: Study, days: int, editor: User) -> tuple[int, int, int]:
    """Stages, one metering point each, and their readings: (count, plant mWh, allocated mWh)."""
    stages = ProcessStage.objects.in_bulk(field_name="no")
    org = study.organization
    count = plant = allocated = 0
    for row in data.STAGES:
        stage = stages[row.no]
        share = Decimal(row.allocation_share)
        StudyStage.objects.create(
            organization=org, study=study, stage=stage, allocation_share=share, allocation_note=row.allocation_note
        )
        point = metering_point_create(
            organization=org,
            site=study.site,
            stage=stage,
            code=f"em-{row.no:02d}",
            name=f"{stage.name_zh} / {stage.name_en}",
            device_serial=f"DEMO-EM-{row.no:04d}",
        )
        kwh_year = Decimal(row.kwh_per_meter) * study.units_produced / share  # metered includes other lines
        energies = stage_energies(profile=row.profile, kwh_per_year=kwh_year, stage_no=row.no, days=days)
        readings_insert_run(
            organization=org,
            metering_point=point,
            start=YEAR_START,
            step_seconds=SLOT_SECONDS,
            milliwatt_hours=energies,
            source=ReadingSource.METER,
            created_by=editor,
            description="Demo: synthetic 15-minute readings (seeded model, apps/demo/profiles.py)",
        )
        count += len(energies)
        plant += sum(energies)
        allocated += int(sum(energies) * share)
    return count, plant, allocated


def _ledger(study: Study, factors: dict[str, EmissionFactor]) -> None:
    stages = ProcessStage.objects.in_bulk(field_name="no")
    common = {"organization": study.organization, "study": study}
    for row in data.FUELS:
        FuelEntry.objects.create(
            **common,
            stage=stages.get(row.stage_no),
            factor=factors[row.factor_code],
            quantity=Decimal(row.quantity),
            unit=row.unit,
            allocation_share=Decimal(row.allocation_share),
            description=row.description,
        )
    for row in data.WASTES:
        WasteEntry.objects.create(
            **common,
            factor=factors[row.factor_code],
            quantity=Decimal(row.quantity),
            unit=row.unit,
            allocation_share=Decimal(row.allocation_share),
            description=row.description,
        )


def _second_supplier(manager: User) -> Study:
    """The second supplier's study, half filled in through the same services the pages use."""
    supplier = Organization.objects.get(slug=data.SUPPLIER2["slug"])
    product = product_create(
        organization=supplier,
        name=data.PRODUCT2["name"],
        model_code=data.PRODUCT2["model_code"],
        description=data.PRODUCT2["description"],
        mass_kg=Decimal(data.PRODUCT2["mass_kg"]),
        user=manager,
    )
    site = site_create(organization=supplier, user=manager, **data.SITE2)
    name, version = data.DEFAULTS_DATASET
    grid_dataset, grid_version, grid_code = data.GRID_FACTOR2
    study = study_create(
        organization=supplier,
        product=product,
        site=site,
        name=data.STUDY2["name"],
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        units_produced=Decimal(data.STUDY2["units_produced"]),
        factor_dataset=FactorDataset.objects.get(organization=None, name=name, version=version),
        electricity_factor=EmissionFactor.objects.get(
            dataset__organization=None, dataset__name=grid_dataset, dataset__version=grid_version, code=grid_code
        ),
        description=data.STUDY2["description"],
        user=manager,
    )
    materials = Material.objects.in_bulk(field_name="no")
    for row in data.BOM2:
        bom_line_set_for_material(
            study=study,
            material=materials[row.material_no],
            quantity=Decimal(row.quantity),
            loss_rate=Decimal(row.loss_rate),
            unit_mass_kg=Decimal(row.unit_mass_kg),
            data_source=row.data_source,
            notes=row.notes,
            user=manager,
        )
    stages = ProcessStage.objects.in_bulk(field_name="no")
    for no, kwh in data.STAGES2_MANUAL_KWH.items():
        stage_electricity_manual_set(
            study=study, stage=stages[no], total_kwh=Decimal(kwh), monthly_kwh=None, user=manager
        )
    return study
