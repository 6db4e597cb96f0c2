"""PostgreSQL: the yearly partitions of the reading table (migration 0005, docs/ledger.md).

Every reading has a home: a year without its own partition lands in the default partition. Run
`python manage.py ledger_partitions` once a year (or from a scheduler) to give next year its
partition ahead of time; a year whose readings already sit in the default partition gets its
partition with those rows moved in, in one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection, transaction

from apps.ledger.models import ElectricityReading


def _table() -> str:
    return ElectricityReading._meta.db_table


def reading_partitions() -> list[tuple[str, str]]:
    """(partition name, bounds) of the reading table, in name order; empty when it is not partitioned."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [_table()],
        )
        return [(name, bounds) for name, bounds in cursor.fetchall()]


def reading_partitions_ensure(*, through_year: int | None = None) -> list[str]:
    """Create the missing yearly partitions (default: through next UTC year), in one transaction.

    A partition is made for each year after the latest yearly partition up to `through_year`, and
    for each year of the readings sitting in the default partition, whose rows move into it.
    Returns the names created, in year order. Nothing on SQLite or an unpartitioned table.
    """
    existing = dict(reading_partitions())
    years = {int(name.rsplit("_y", 1)[1]) for name in existing if name.rsplit("_y", 1)[-1].isdigit()}
    if not years:
        return []
    table = _table()
    default = f"{table}_default"
    through = through_year if through_year is not None else datetime.now(UTC).year + 1
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        wanted = set(range(max(years) + 1, through + 1))
        if default in existing:
            cursor.execute(f"SELECT DISTINCT extract(year FROM start AT TIME ZONE 'UTC')::int FROM {default}")  # noqa: S608
            wanted |= {year for (year,) in cursor.fetchall()}
        for year in sorted(wanted - years):
            name = f"{table}_y{year}"
            low, high = f"{year}-01-01 00:00+00", f"{year + 1}-01-01 00:00+00"
            cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY (id, start)")
            unique = f"reading_unique_point_start_y{year}"  # an error names it, as the unpartitioned table's
            cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {unique} UNIQUE (metering_point_id, start)")
            if default in existing:
                cursor.execute(
                    f"WITH moved AS (DELETE FROM {default} WHERE start >= %s AND start < %s RETURNING *) "  # noqa: S608
                    f"INSERT INTO {name} SELECT * FROM moved",
                    [low, high],
                )
            cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [low, high])
            created.append(name)
    return created
