"""Studies for the completeness checks and the compute page: complete ones, and readings by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from apps.accounts.models import Organization
from apps.catalog.models import Material, ProcessStage
from apps.inventory.models import BomLine, Study
from apps.ledger.enums import ReadingSource
from apps.ledger.services import ReadingInput, metering_point_create, readings_bulk_insert
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
JANUARY = (datetime(2025, 1, 1, tzinfo=SHANGHAI), datetime(2025, 2, 1, tzinfo=SHANGHAI))


def add_reading(
    study: Study, stage_no: int, start: datetime, end: datetime, kwh: str, *, code: str | None = None
) -> None:
    """A metering point of the study's site on the stage, with one reading over [start, end)."""
    point = metering_point_create(
        organization=study.organization,
        site=study.site,
        stage=ProcessStage.objects.get(no=stage_no),
        code=code or f"p-{study.pk}-{stage_no}",
        name="meter",
    )
    readings_bulk_insert(
        organization=study.organization,
        metering_point=point,
        source=ReadingSource.METER,
        readings=[ReadingInput(start, end, kwh)],
    )


def complete_study(organization: Organization, library: factories.Library, **kwargs) -> Study:
    """Every catalogue material with quantity 1 and a factor that values it (per piece, else per kg with 1 kg per
    unit), stage 4 metered all of January (500 kWh), the library's static grid factor: nothing blocks."""
    study = factories.make_study(organization, library, stage_nos=(4,), **kwargs)
    for material in Material.objects.all():
        per_piece = material.activity_unit == "piece"
        BomLine.objects.create(
            organization=organization,
            study=study,
            material=material,
            quantity=Decimal(1),
            factor=library.pcb if per_piece else library.solder_bar,
            unit_mass_kg=None if per_piece or material.activity_unit == "kg" else Decimal(1),
        )
    add_reading(study, 4, *JANUARY, "500")
    return study
