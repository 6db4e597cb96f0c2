"""A small complete study whose footprint is computed by hand in `EXPECTED` below."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from apps.accounts.models import Organization
from apps.catalog.models import Material, ProcessStage
from apps.factors.models import EmissionFactor
from apps.inventory.enums import DataSource, TransportMode
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.enums import ReadingSource
from apps.ledger.models import FuelEntry, WasteEntry
from apps.ledger.services import ReadingInput, metering_point_create, readings_bulk_insert, readings_insert_run
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")

# kg CO2e per meter, 1000 meters made in January 2025, static grid factor 0.6205 kgCO2e/kWh:
#   PCB          1 × 1.02 × 0.88                       = 0.8976
#   case         1 × 1.00 × 2.1                        = 2.1
#   solder bar   0.004 kg × 1.05 × 14                  = 0.0588
#   truck        0.25 kg × 1200 km × 0.1016 /1000      = 0.03048      (per t·km)
#   SMT          4 × 250 kWh × 0.6205 × 1   / 1000     = 0.6205
#   handling     400 kWh × 0.6205 × 0.5     / 1000     = 0.1241
#   diesel       100 kg × 3.096             / 1000     = 0.3096
#   landfill     200 kg × 0.009             / 1000     = 0.0018
EXPECTED = {
    "em_materials": Decimal("3.0564"),
    "em_transport": Decimal("0.03048"),
    "em": Decimal("3.08688"),
    "edl": Decimal("0.7446"),
    "eb": Decimal("0.3096"),
    "ew": Decimal("0.0018"),
    "ep": Decimal("1.056"),
    "e": Decimal("4.14288"),
}


def build_small_study(organization: Organization, library: factories.Library, *, name: str | None = None) -> Study:
    study = factories.make_study(organization, library, name=name, units_produced="1000", stage_nos=(4,))
    handling = StudyStage.objects.create(
        organization=organization, study=study, stage=ProcessStage.objects.get(no=26), allocation_share=Decimal("0.5")
    )

    def line(no: int, quantity: str, loss: str, factor: EmissionFactor) -> BomLine:
        return BomLine.objects.create(
            organization=organization, study=study, material=Material.objects.get(no=no), factor=factor,
            quantity=Decimal(quantity), loss_rate=Decimal(loss), data_source=DataSource.SECONDARY_DEFAULT,
        )  # fmt: skip

    line(20, "1", "0.02", library.pcb)
    case = line(25, "1", "0", library.case)
    line(28, "0.004", "0.05", library.solder_bar)
    TransportLeg.objects.create(
        organization=organization, bom_line=case, mode=TransportMode.ROAD_HEAVY,
        distance_km=Decimal(1200), mass_kg=Decimal("0.25"), factor=library.truck,
    )  # fmt: skip

    smt = metering_point_create(
        organization=organization, site=study.site, stage=ProcessStage.objects.get(no=4), code=f"smt-{study.pk}",
        name="SMT line meter",
    )  # fmt: skip
    readings_insert_run(
        organization=organization, metering_point=smt, start=datetime(2025, 1, 6, 8, 0, tzinfo=SHANGHAI),
        step_seconds=900, milliwatt_hours=[250_000_000] * 4, source=ReadingSource.METER,
    )  # fmt: skip
    forklift = metering_point_create(
        organization=organization, site=study.site, stage=handling.stage, code=f"handling-{study.pk}",
        name="Forklift chargers",
    )  # fmt: skip
    readings_bulk_insert(
        organization=organization, metering_point=forklift, source=ReadingSource.MANUAL,
        readings=[ReadingInput(datetime(2025, 1, 1, tzinfo=SHANGHAI), datetime(2025, 2, 1, tzinfo=SHANGHAI), "400")],
    )  # fmt: skip
    FuelEntry.objects.create(
        organization=organization, study=study, factor=library.diesel, quantity=Decimal(100), unit="kg",
        description="forklift diesel",
    )  # fmt: skip
    WasteEntry.objects.create(
        organization=organization, study=study, factor=library.landfill, quantity=Decimal(200), unit="kg"
    )
    return study
