"""Ingestion of a year of meter data: 26 points × 35,040 fifteen-minute readings (911,040), each
point's run written by `readings_insert_run` in its own transaction, commit inside the clock
(what a user waits for), against a plain COPY of the same rows into a scratch table with the same
columns, indexes and checks but no foreign keys, measured in the same run (the ceiling).

Prints figures and ratios; asserts nothing about time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carbonfoot_bench make bench-ingest
"""

from __future__ import annotations

import argparse
import io
import os
import random
import struct
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbonfoot.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from apps.accounts.models import Organization  # noqa: E402
from apps.catalog.models import ProcessStage  # noqa: E402
from apps.inventory.models import Site  # noqa: E402
from apps.ledger.enums import ReadingSource  # noqa: E402
from apps.ledger.models import ElectricityReading, MeteringPoint, ReadingBatch  # noqa: E402
from apps.ledger.services import metering_point_create, readings_insert_run  # noqa: E402

START = datetime(2024, 12, 31, 16, tzinfo=UTC)  # 2025-01-01 00:00 Asia/Shanghai
STEP = 900
PER_POINT = 35_040
SCRATCH = "bench_ingest_scratch"
READINGS = ElectricityReading._meta.db_table
COLUMNS = '"organization_id", "metering_point_id", "batch_id", "start", "end", "milliwatt_hours", "source"'
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def build_points(tag: str) -> tuple[Organization, list[MeteringPoint]]:
    organization = Organization.objects.create(name=f"ingest {tag}", slug=f"ingest-{tag}", kind="supplier")
    site = Site.objects.create(organization=organization, code="plant", name="plant", grid_region="East China")
    points = [
        metering_point_create(
            organization=organization, site=site, stage=stage, code=f"m{stage.no}", name=f"meter {stage.no}"
        )
        for stage in ProcessStage.objects.order_by("no")
    ]
    return organization, points


def service_run(organization: Organization, point: MeteringPoint, values: list[int]) -> float:
    """One run through the service in its own transaction; the clock includes the commit."""
    started = time.perf_counter()
    readings_insert_run(
        organization=organization, metering_point=point, start=START, step_seconds=STEP,
        milliwatt_hours=values, source=ReadingSource.METER,
    )  # fmt: skip
    return time.perf_counter() - started


def scratch_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        if connection.vendor == "postgresql":
            # Same columns, defaults, identity, CHECKs and indexes; LIKE never copies foreign keys.
            cursor.execute(f"CREATE TABLE {SCRATCH} (LIKE {READINGS} INCLUDING ALL)")
        else:
            cursor.execute(
                f"CREATE TABLE {SCRATCH} (id integer PRIMARY KEY AUTOINCREMENT, organization_id bigint NOT NULL, "
                'metering_point_id bigint NOT NULL, batch_id bigint NOT NULL, "start" datetime NOT NULL, '
                '"end" datetime NOT NULL CHECK ("end" > "start"), milliwatt_hours bigint NOT NULL '
                "CHECK (milliwatt_hours >= 0), source smallint unsigned NOT NULL, "
                'UNIQUE (metering_point_id, "start"))'
            )


def scratch_run(organization: Organization, point: MeteringPoint, values: list[int]) -> float:
    """The ceiling: the same rows, COPY (PostgreSQL) or executemany (SQLite), in one transaction."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            data = _binary_copy(organization.pk, point.pk, 0, values)
            sql = f"COPY {SCRATCH} ({COLUMNS}) FROM STDIN WITH (FORMAT binary)"
            cursor.cursor.copy_expert(sql, io.BytesIO(data), size=1 << 20)
        else:
            base = START.replace(tzinfo=None)
            stamps = [str(base + timedelta(seconds=STEP * i)) for i in range(len(values) + 1)]
            rows = [(organization.pk, point.pk, 0, stamps[i], stamps[i + 1], v, 1) for i, v in enumerate(values)]
            cursor.executemany(f"INSERT INTO {SCRATCH} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    return time.perf_counter() - started


def _binary_copy(org: int, point: int, batch: int, values: list[int]) -> bytes:
    first = (START - PG_EPOCH) // timedelta(microseconds=1)
    step = STEP * 1_000_000
    head = struct.pack(">hiqiqiq", 7, 8, org, 8, point, 8, batch)
    tail = struct.pack(">ih", 2, int(ReadingSource.METER))
    pack = struct.Struct(">iqiqiq").pack
    rows = [head + pack(8, first + step * i, 8, first + step * (i + 1), 8, v) + tail for i, v in enumerate(values)]
    return b"".join([b"PGCOPY\n\xff\r\n\x00", bytes(8), *rows, b"\xff\xff"])


def analyze_count() -> int:
    """Manual ANALYZEs of the reading table so far (PostgreSQL; the services run them at commit)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT analyze_count FROM pg_stat_user_tables WHERE relid = %s::regclass", [READINGS])
        return int(cursor.fetchone()[0])


def cleanup(organization: Organization) -> None:
    with transaction.atomic():
        ElectricityReading.objects.filter(organization=organization).delete()
        ReadingBatch.objects.filter(organization=organization).delete()
        MeteringPoint.objects.filter(organization=organization).delete()
        Site.objects.filter(organization=organization).delete()
        organization.delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=26, help="metering points (26 = every catalogue stage)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark rows")
    args = parser.parse_args()
    rng = random.Random(2025)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    organization, points = build_points(uuid.uuid4().hex[:8])
    points = points[: args.points]
    energies = [[rng.randint(0, 5_000_000) for _ in range(PER_POINT)] for _ in points]
    total = PER_POINT * len(points)
    scratch_create()
    try:
        # Interleaved run by run, so that both see the same load on a shared machine.
        ceiling = service = 0.0
        analyzed = analyze_count()
        for point, values in zip(points, energies, strict=True):
            ceiling += scratch_run(organization, point, values)
            service += service_run(organization, point, values)
        analyzed = analyze_count() - analyzed
        stored = ElectricityReading.objects.filter(organization=organization).count()
    finally:
        if not args.keep:
            cleanup(organization)
    if stored != total:
        print(f"stored {stored:,} readings, expected {total:,}")
        sys.exit(1)
    print(
        f"readings: {total:,} ({len(points)} runs of {PER_POINT:,}), one transaction per run, commit inside the clock"
    )
    how = "plain COPY" if connection.vendor == "postgresql" else "plain executemany"
    print(f"ceiling, {how} into a scratch table (no foreign keys): {ceiling:.2f} s ({total / ceiling:,.0f} rows/s)")
    print(f"readings_insert_run, committed: {service:.2f} s ({total / service:,.0f} rows/s) "
          f"-> {ceiling / service:.0%} of the ceiling; {analyzed} ANALYZE at commit")  # fmt: skip


if __name__ == "__main__":
    main()
