"""A study using every part of the document: BOM lines with their own, supplier and library factors
(and one without any), transport legs, two stages with regular and irregular readings, fuels,
wastes, and either a static grid factor or an hourly factor series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps

from apps.accounts.models import Organization
from apps.catalog.models import Material, ProcessStage
from apps.factors.enums import FactorCategory, GwpBasis
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.series import series_points_bulk_upsert
from apps.inventory.enums import DataSource, TransportMode
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.enums import ReadingSource
from apps.ledger.models import FuelEntry, WasteEntry
from apps.ledger.services import ReadingInput, metering_point_create, readings_bulk_insert, readings_insert_run
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
JANUARY_UTC = datetime(2024, 12, 31, 16, tzinfo=UTC)  # 2025-01-01 00:00 in Shanghai


def make_own_dataset(organization: Organization) -> tuple[FactorDataset, EmissionFactor, EmissionFactor]:
    """The supplier's primary data: its own factors for the PCB (material 20) and the MCU (material 2)."""
    dataset = FactorDataset.objects.create(
        organization=organization, name="Supplier primary data", version="2025.1", publisher="upstream suppliers",
        gwp_basis=GwpBasis.AR6, description="EPDs from our PCB and MCU suppliers",
    )  # fmt: skip

    def factor(code: str, value: str, material_no: int, **extra: object) -> EmissionFactor:
        return EmissionFactor.objects.create(
            dataset=dataset, organization=organization, code=code, category=FactorCategory.MATERIAL,
            name_zh="供应商数据", name_en=code, value=Decimal(value), unit="kgCO2e/piece", source="supplier EPD",
            material=Material.objects.get(no=material_no), **extra,
        )  # fmt: skip

    pcb = factor("material.pcb", "0.7125", 20, low=Decimal("0.70"), high=Decimal("0.75"), year=2024)
    mcu = factor("material.mcu", "0.50", 2, region="CN", notes="cradle-to-gate")
    return dataset, pcb, mcu


def make_series(*, hours: int = 31 * 24, gap_at: int | None = None) -> ElectricityFactorSeries:
    """A library dataset holding an hourly grid series for January 2025 (Shanghai)."""
    n = next(factories._seq)
    dataset = FactorDataset.objects.create(
        name="Grid hourly", version=f"h{n}", publisher="grid operator", gwp_basis=GwpBasis.AR6
    )
    series = ElectricityFactorSeries.objects.create(
        dataset=dataset, code="east.hourly", name="East China hourly", region="East China", source="dispatch data"
    )
    points = [(JANUARY_UTC + timedelta(hours=h), Decimal("0.55") + Decimal(h % 24) / 100) for h in range(hours)]
    series_points_bulk_upsert(series=series, points=[p for h, p in enumerate(points) if h != gap_at])
    return series


def build_full_study(
    organization: Organization,
    library: factories.Library,
    *,
    name: str | None = None,
    series: ElectricityFactorSeries | None = None,
) -> Study:
    study = factories.make_study(organization, library, name=name, stage_nos=(4,))
    study.description = "Full test study: every section of the document"
    if series is not None:
        study.electricity_factor, study.electricity_series = None, series
    study.save()
    make_own_dataset(organization)
    handling = StudyStage.objects.create(
        organization=organization, study=study, stage=ProcessStage.objects.get(no=26),
        allocation_share=Decimal("0.5"), allocation_note="forklifts shared with the three-phase line",
    )  # fmt: skip

    def line(no: int, quantity: str, *, factor: EmissionFactor | None = None, **extra: object) -> BomLine:
        return BomLine.objects.create(
            organization=organization, study=study, material=Material.objects.get(no=no),
            quantity=Decimal(quantity), factor=factor, **extra,
        )  # fmt: skip

    line(2, "1", data_source=DataSource.SUPPLIER_SPECIFIC)  # the supplier's own MCU factor
    line(20, "1", loss_rate=Decimal("0.02"))  # own PCB factor beats the library's
    case = line(25, "1.000", notes="ABS case")  # library default
    line(28, "0.004", factor=library.solder_bar, loss_rate=Decimal("0.05"), unit_mass_kg=Decimal("1"))
    line(7, "1")  # the LCD: no factor anywhere
    for distance, mode in (("1200", TransportMode.ROAD_HEAVY), ("35.5", TransportMode.ROAD_LIGHT)):
        TransportLeg.objects.create(
            organization=organization, bom_line=case, mode=mode, distance_km=Decimal(distance),
            mass_kg=Decimal("0.25"), factor=library.truck,
        )  # fmt: skip

    smt = metering_point_create(
        organization=organization, site=study.site, stage=ProcessStage.objects.get(no=4),
        code=f"smt-{study.pk}", name="SMT line meter", device_serial="DTSD-0042",
    )  # fmt: skip
    readings_insert_run(
        organization=organization, metering_point=smt, start=datetime(2025, 1, 6, 8, 0, tzinfo=SHANGHAI),
        step_seconds=900, milliwatt_hours=[250_000_000, 0, 125_500_123, 1], source=ReadingSource.METER,
    )  # fmt: skip
    readings_insert_run(  # the same meter after a pause, its last reading straddling the period's end
        organization=organization, metering_point=smt, start=datetime(2025, 1, 31, 23, 50, tzinfo=SHANGHAI),
        step_seconds=900, milliwatt_hours=[1_000, 2_000], source=ReadingSource.IMPORT,
    )  # fmt: skip
    forklift = metering_point_create(
        organization=organization, site=study.site, stage=handling.stage, code=f"handling-{study.pk}",
        name="Forklift chargers",
    )  # fmt: skip
    readings_bulk_insert(  # an irregular manual reading: the whole month at once
        organization=organization, metering_point=forklift, source=ReadingSource.MANUAL,
        readings=[ReadingInput(datetime(2025, 1, 1, tzinfo=SHANGHAI), datetime(2025, 2, 1, tzinfo=SHANGHAI), "400")],
    )  # fmt: skip
    FuelEntry.objects.create(
        organization=organization, study=study, stage=handling.stage, factor=library.diesel,
        quantity=Decimal("100.50"), unit="kg", allocation_share=Decimal("0.5"), description="forklift diesel",
    )  # fmt: skip
    FuelEntry.objects.create(
        organization=organization, study=study, factor=library.diesel, quantity=Decimal(3), unit="kg"
    )
    WasteEntry.objects.create(
        organization=organization, study=study, factor=library.landfill, quantity=Decimal(200), unit="kg",
        data_source=DataSource.SECONDARY_DEFAULT, description="packaging waste to landfill",
    )  # fmt: skip
    return study


def table_counts() -> dict[str, int]:
    """Rows in every table (history tables included): what a rejected import must leave unchanged."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}
