"""Plain functions that build real rows for tests (no mocks): organizations, members, a small
factor library and a study. Each returns saved model instances."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Membership, Organization
from apps.catalog.models import Material, ProcessStage
from apps.factors.enums import FactorCategory, GwpBasis
from apps.factors.models import EmissionFactor, FactorDataset
from apps.inventory.models import Product, Site, Study, StudyStage

_seq = itertools.count(1)
PASSWORD = "test-pass-12345"


def make_organization(*, kind: str = OrganizationKind.SUPPLIER, name: str | None = None) -> Organization:
    n = next(_seq)
    return Organization.objects.create(name=name or f"Org {n}", slug=f"org-{n}", kind=kind)


def make_member(organization: Organization, *, role: str = Role.EDITOR, username: str | None = None) -> AbstractUser:
    user = get_user_model().objects.create_user(username=username or f"user{next(_seq)}", password=PASSWORD)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


@dataclass
class Library:
    dataset: FactorDataset
    pcb: EmissionFactor  # 0.88 kgCO2e/piece (material 20)
    case: EmissionFactor  # 2.1 kgCO2e/piece (material 25)
    solder_bar: EmissionFactor  # 14 kgCO2e/kg (material 28)
    truck: EmissionFactor  # 0.1016 kgCO2e/(t*km)
    grid: EmissionFactor  # 0.6205 kgCO2e/kWh
    diesel: EmissionFactor  # 3.096 kgCO2e/kg
    landfill: EmissionFactor  # 0.009 kgCO2e/kg


def make_library(*, organization: Organization | None = None, version: str | None = None) -> Library:
    dataset = FactorDataset.objects.create(
        organization=organization,
        name="Test library",
        version=version or f"t{next(_seq)}",
        publisher="carbonfoot tests",
        gwp_basis=GwpBasis.AR6,
        is_illustrative=True,
    )

    def factor(code: str, category: str, value: str, unit: str, material_no: int | None = None) -> EmissionFactor:
        return EmissionFactor.objects.create(
            dataset=dataset,
            organization=organization,
            code=code,
            category=category,
            name_en=code,
            value=Decimal(value),
            unit=unit,
            source="test",
            material=Material.objects.get(no=material_no) if material_no else None,
        )

    return Library(
        dataset=dataset,
        pcb=factor("material.pcb", FactorCategory.MATERIAL, "0.88", "kgCO2e/piece", 20),
        case=factor("material.case", FactorCategory.MATERIAL, "2.1", "kgCO2e/piece", 25),
        solder_bar=factor("material.solder_bar", FactorCategory.MATERIAL, "14", "kgCO2e/kg", 28),
        truck=factor("transport.road_heavy", FactorCategory.TRANSPORT, "0.1016", "kgCO2e/(t*km)"),
        grid=factor("electricity.cn.2023", FactorCategory.ELECTRICITY, "0.6205", "kgCO2e/kWh"),
        diesel=factor("fuel.diesel", FactorCategory.FUEL, "3.096", "kgCO2e/kg"),
        landfill=factor("waste.landfill", FactorCategory.WASTE, "0.009", "kgCO2e/kg"),
    )


def make_study(
    organization: Organization,
    library: Library,
    *,
    name: str | None = None,
    units_produced: str = "1000",
    period: tuple[date, date] = (date(2025, 1, 1), date(2025, 1, 31)),
    stage_nos: tuple[int, ...] = (),
) -> Study:
    n = next(_seq)
    product = Product.objects.create(
        organization=organization, name="Single-phase smart meter", model_code=f"DDZY-{n}", mass_kg=Decimal("0.65")
    )
    site = Site.objects.create(
        organization=organization, code=f"plant-{n}", name=f"Plant {n}", grid_region="East China"
    )
    study = Study.objects.create(
        organization=organization,
        product=product,
        site=site,
        name=name or f"Study {n}",
        period_start=period[0],
        period_end=period[1],
        units_produced=Decimal(units_produced),
        factor_dataset=library.dataset,
        electricity_factor=library.grid,
    )
    for no in stage_nos:
        StudyStage.objects.create(organization=organization, study=study, stage=ProcessStage.objects.get(no=no))
    return study
