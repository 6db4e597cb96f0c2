"""Full recompute of a metered study: 26 stages × 35,040 fifteen-minute readings (911,040) for
2025, valued against an hourly factor series, on the database DATABASE_URL names.

Prints figures and ratios against baselines measured in the same run; asserts nothing about time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carbonfoot_bench make bench
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbonfoot.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from apps.accounts.models import Organization  # noqa: E402
from apps.catalog.models import ProcessStage  # noqa: E402
from apps.factors.models import ElectricityFactorPoint, ElectricityFactorSeries, FactorDataset  # noqa: E402
from apps.factors.series import series_points_bulk_upsert  # noqa: E402
from apps.footprints.document.export import study_document_build  # noqa: E402
from apps.footprints.services import footprint_compute_now, footprint_evaluate  # noqa: E402
from apps.inventory.models import Product, Site, Study, StudyStage  # noqa: E402
from apps.ledger.enums import ReadingSource  # noqa: E402
from apps.ledger.models import ElectricityReading, MeteringPoint  # noqa: E402
from apps.ledger.services import metering_point_create, readings_insert_run  # noqa: E402

PERIOD_START_UTC = datetime(2024, 12, 31, 16, tzinfo=UTC)  # 2025-01-01 00:00 Asia/Shanghai
HOURS = 8760
STEP = 900
READINGS_PER_STAGE = HOURS * 4


def build_study(rng: random.Random) -> tuple[Study, ElectricityFactorSeries, float]:
    tag = uuid.uuid4().hex[:8]
    organization = Organization.objects.create(name=f"bench {tag}", slug=f"bench-{tag}", kind="supplier")
    dataset = FactorDataset.objects.create(
        organization=organization, name=f"bench {tag}", version="1", publisher="bench", gwp_basis="AR6"
    )
    series = ElectricityFactorSeries.objects.create(
        dataset=dataset, organization=organization, code="grid.hourly", name="bench hourly", region="East China",
        source="synthetic, for the benchmark",
    )  # fmt: skip
    series_points_bulk_upsert(
        series=series,
        points=[
            (PERIOD_START_UTC + timedelta(hours=h), Decimal(rng.randint(4000, 7000)).scaleb(-4)) for h in range(HOURS)
        ],
    )
    product = Product.objects.create(organization=organization, name="meter", model_code="B-1")
    site = Site.objects.create(organization=organization, code="plant", name="plant", grid_region="East China")
    study = Study.objects.create(
        organization=organization, product=product, site=site, name="bench study", period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31), units_produced=Decimal(1_200_000), factor_dataset=dataset,
        electricity_series=series,
    )  # fmt: skip
    started = time.perf_counter()
    for stage in ProcessStage.objects.all():
        StudyStage.objects.create(organization=organization, study=study, stage=stage)
        point = metering_point_create(
            organization=organization, site=site, stage=stage, code=f"m{stage.no}", name=f"meter {stage.no}"
        )
        energy = [rng.randint(0, 5_000_000) for _ in range(READINGS_PER_STAGE)]  # up to 5 kWh per 15 min
        readings_insert_run(
            organization=organization, metering_point=point, start=PERIOD_START_UTC, step_seconds=STEP,
            milliwatt_hours=energy, source=ReadingSource.METER,
        )  # fmt: skip
    return study, series, time.perf_counter() - started


def per_reading_orm_loop(study: Study, series: ElectricityFactorSeries) -> Decimal:
    """The straightforward way: every reading through the ORM, valued one by one (factors cached)."""
    factors = {p.start: p.value for p in ElectricityFactorPoint.objects.filter(series=series)}
    shares = {s.stage_id: s.allocation_share for s in study.stages.all()}
    total = Decimal(0)
    period_end = PERIOD_START_UTC + timedelta(hours=HOURS)
    readings = ElectricityReading.objects.filter(
        metering_point__site=study.site, start__gte=PERIOD_START_UTC, start__lt=period_end
    ).select_related("metering_point")
    for reading in readings.iterator(chunk_size=5000):
        hour = reading.start.replace(minute=0, second=0, microsecond=0)
        total += reading.kwh * factors[hour] * shares[reading.metering_point.stage_id]
    return total / study.units_produced


def per_reading_query_loop(study: Study, series: ElectricityFactorSeries, stage_no: int) -> Decimal:
    """The naive way: one factor query per reading. Run on one stage only (35,040 readings)."""
    total = Decimal(0)
    point = MeteringPoint.objects.get(site=study.site, stage__no=stage_no)
    for reading in ElectricityReading.objects.filter(metering_point=point).iterator(chunk_size=5000):
        hour = reading.start.replace(minute=0, second=0, microsecond=0)
        total += reading.kwh * ElectricityFactorPoint.objects.get(series=series, start=hour).value
    return total


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[list[float], Any]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return times, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark rows")
    args = parser.parse_args()
    rng = random.Random(2025)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    with transaction.atomic():
        study, series, insert_seconds = build_study(rng)
    readings = ElectricityReading.objects.filter(organization=study.organization).count()
    print(f"readings: {readings:,} inserted in {insert_seconds:.2f} s before the commit (committed: make bench-ingest)")
    try:
        first, (snapshot, _) = timed(lambda: footprint_compute_now(study=study))
        again, _ = timed(lambda: footprint_compute_now(study=study), args.repeat)
        evaluate, _ = timed(lambda: footprint_evaluate(study=study), args.repeat)
        build, _ = timed(lambda: study_document_build(study=study), args.repeat)
        orm, orm_edl = timed(lambda: per_reading_orm_loop(study, series))
        naive, _ = timed(lambda: per_reading_query_loop(study, series, stage_no=1))
    finally:
        if not args.keep:
            _delete(study)
    edl = Decimal(snapshot.totals["edl"])
    best = min(again)
    total = Decimal(snapshot.totals["e"])
    print(f"result: E = {total:.6f} kg CO2e/piece, Edl = {edl:.6f} (digest {snapshot.digest[:12]})")
    print(f"full recompute, first (stores the snapshot): {first[0]:.3f} s")
    print(f"full recompute, unchanged inputs: best {best:.3f} s, median {statistics.median(again):.3f} s "
          f"over {args.repeat}")  # fmt: skip
    print(f"  of which document build (SQL runs + factors): best {min(build):.3f} s")
    print(f"  of which build + hash + engine, no storage:   best {min(evaluate):.3f} s")
    print(f"baseline, per-reading ORM loop (factors cached): {orm[0]:.3f} s -> ratio {orm[0] / best:.1f}x")
    naive_all = naive[0] * 26
    print(f"baseline, one factor query per reading: {naive[0]:.3f} s for 35,040 readings, "
          f"x26 stages = {naive_all:.1f} s -> ratio {naive_all / best:.0f}x (extrapolated)")  # fmt: skip
    same = abs(orm_edl - edl) < Decimal("1e-30")
    print(f"baseline Edl agrees with the engine: {same} ({orm_edl:.12f} vs {edl:.12f})")
    if not same:
        sys.exit(1)


def _delete(study: Study) -> None:
    organization = study.organization
    with transaction.atomic():
        ElectricityReading.objects.filter(organization=organization).delete()
        for model in ("footprints.FootprintComputation", "footprints.FootprintResult"):
            django.apps.apps.get_model(model).objects.filter(organization=organization).delete()
        from apps.ledger.models import ReadingBatch

        StudyStage.objects.filter(study=study).delete()
        study.delete()
        MeteringPoint.objects.filter(organization=organization).delete()
        ReadingBatch.objects.filter(organization=organization).delete()
        ElectricityFactorSeries.objects.filter(organization=organization).delete()
        FactorDataset.objects.filter(organization=organization).delete()
        Site.objects.filter(organization=organization).delete()
        Product.objects.filter(organization=organization).delete()
        organization.delete()


if __name__ == "__main__":
    main()
