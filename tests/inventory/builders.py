"""Rows the inventory service tests share: grid factors with regions, a series, a filled study."""

from __future__ import annotations

from decimal import Decimal

from apps.accounts.models import Organization
from apps.catalog.models import Material, ProcessStage
from apps.factors.enums import FactorCategory
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.inventory.enums import DataSource, TransportMode
from apps.inventory.models import BomLine, Study, TransportLeg
from apps.ledger.models import FuelEntry, WasteEntry
from tests import factories


def make_grid_factor(dataset: FactorDataset, *, region: str, code: str, value: str = "0.5703") -> EmissionFactor:
    return EmissionFactor.objects.create(
        dataset=dataset,
        organization=dataset.organization,
        code=code,
        category=FactorCategory.ELECTRICITY,
        name_en=f"Grid {region}",
        name_zh=f"{region}电网",
        value=Decimal(value),
        unit="kgCO2e/kWh",
        region=region,
        year=2023,
        source="test grid",
    )


def make_series(dataset: FactorDataset, *, region: str, code: str = "grid.hourly") -> ElectricityFactorSeries:
    return ElectricityFactorSeries.objects.create(
        dataset=dataset,
        organization=dataset.organization,
        code=code,
        name=f"{region} hourly",
        region=region,
        source="t",
    )


def fill_study(study: Study, library: factories.Library) -> dict[str, list]:
    """Three BOM lines (two catalogue, one custom), two transport legs, a stage allocation, two fuel
    entries and a waste entry, each with distinctive values."""
    organization = study.organization
    pcb = BomLine.objects.create(
        organization=organization,
        study=study,
        material=Material.objects.get(no=20),
        quantity=Decimal("1.000000"),
        loss_rate=Decimal("0.020000"),
        factor=library.pcb,
        data_source=DataSource.SUPPLIER_SPECIFIC,
        notes="PCB from supplier A",
    )
    solder = BomLine.objects.create(
        organization=organization,
        study=study,
        material=Material.objects.get(no=28),
        quantity=Decimal("0.004500"),
        loss_rate=Decimal("0.050000"),
        unit_mass_kg=None,
        notes="bar solder",
    )
    carton = BomLine.objects.create(
        organization=organization,
        study=study,
        material=None,
        name="Carton",
        activity_unit="kg",
        quantity=Decimal("0.120000"),
        factor=library.solder_bar,
        notes="packaging",
    )
    legs = [
        TransportLeg.objects.create(
            organization=organization,
            bom_line=pcb,
            mode=TransportMode.ROAD_HEAVY,
            distance_km=Decimal("920"),
            mass_kg=Decimal("0.1"),
            factor=library.truck,
        ),
        TransportLeg.objects.create(
            organization=organization,
            bom_line=carton,
            mode=TransportMode.RAIL,
            distance_km=Decimal("35.5"),
            mass_kg=Decimal("0.12"),
            factor=library.truck,
            data_source=DataSource.MEASURED_PRIMARY,
        ),
    ]
    stage = study.stages.get(stage__no=5)
    stage.allocation_share = Decimal("0.400000")
    stage.allocation_note = "40 % of the SMT line's hours"
    stage.save()
    fuels = [
        FuelEntry.objects.create(
            organization=organization,
            study=study,
            stage=ProcessStage.objects.get(no=5),
            factor=library.diesel,
            quantity=Decimal("120"),
            unit="kg",
            allocation_share=Decimal("0.25"),
            description="forklift diesel",
        ),
        FuelEntry.objects.create(
            organization=organization, study=study, factor=library.diesel, quantity=Decimal("7.5"), unit="kg"
        ),
    ]
    wastes = [
        WasteEntry.objects.create(
            organization=organization,
            study=study,
            factor=library.landfill,
            quantity=Decimal("310.5"),
            description="general waste",
        )
    ]
    return {"lines": [pcb, solder, carton], "legs": legs, "fuels": fuels, "wastes": wastes}


def organization_with_grid(library: factories.Library, region: str = "East China grid") -> Organization:
    make_grid_factor(library.dataset, region=region, code=f"electricity.{region}")
    return factories.make_organization()
