"""PostgreSQL: the reading table becomes range-partitioned by `start`, one partition per UTC year.

Works on a table that already holds readings, in one transaction: the old table is renamed, the
partitioned one created with the same columns, checks, identity and unique (point, start) key,
with yearly partitions from the first reading's year (or five years back, if earlier) to next
year (or the year after the last reading) and a default partition for anything else; the rows are copied across,
the id sequence continues where the old one stopped, the old table is dropped and the
per-statement reference triggers of 0004 are created on the new one. The primary key becomes
(id, start), as a partitioned table's unique keys must hold the partition key; `id` stays unique
through its identity sequence and remains the model's primary key (Django's state is unchanged).
`apps.ledger.partitions.reading_partitions_ensure` adds later years. The reverse migration
rebuilds the plain table the same way. SQLite: nothing (docs/ledger.md).
"""

from datetime import UTC, datetime

from django.db import migrations

READINGS = "ledger_electricityreading"
OLD = "ledger_electricityreading_rebuilt"
PAST_YEARS = 5  # an empty or recent table still gets partitions for studies of the past five years

TRIGGERS = f"""
CREATE TRIGGER ledger_reading_references_insert AFTER INSERT ON {READINGS}
    REFERENCING NEW TABLE AS ledger_new_readings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reading_references_check();
CREATE TRIGGER ledger_reading_references_update AFTER UPDATE ON {READINGS}
    REFERENCING NEW TABLE AS ledger_new_readings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reading_references_check();
"""


def _partition(execute, suffix: str, bounds: str) -> None:
    """A partition with keys named after the table's (an error names `reading_unique_point_start_y2025`)."""
    name = f"{READINGS}_{suffix}"
    execute(f"CREATE TABLE {name} (LIKE {READINGS} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY (id, start)")
    execute(f"ALTER TABLE {name} ADD CONSTRAINT reading_unique_point_start_{suffix} UNIQUE (metering_point_id, start)")
    execute(f"ALTER TABLE {READINGS} ATTACH PARTITION {name} {bounds}")


def _rebuild(schema_editor, *, partitioned: bool) -> None:
    execute = schema_editor.execute
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT extract(year FROM min(start) AT TIME ZONE 'UTC')::int, "
            f"extract(year FROM max(start) AT TIME ZONE 'UTC')::int, "
            f"pg_sequence_last_value(pg_get_serial_sequence('{READINGS}', 'id')) FROM {READINGS}"
        )
        first_year, last_year, last_id = cursor.fetchone()
    this_year = datetime.now(UTC).year
    execute(f"ALTER TABLE {READINGS} RENAME TO {OLD}")
    execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {READINGS}_pkey TO {OLD}_pkey")
    execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT reading_unique_point_start TO {OLD}_point_start")
    execute(f"ALTER SEQUENCE {READINGS}_id_seq RENAME TO {OLD}_id_seq")
    execute(
        f"CREATE TABLE {READINGS} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)"
        + (" PARTITION BY RANGE (start)" if partitioned else "")
    )
    key = "id, start" if partitioned else "id"
    execute(f"ALTER TABLE {READINGS} ADD CONSTRAINT {READINGS}_pkey PRIMARY KEY ({key})")
    execute(f"ALTER TABLE {READINGS} ADD CONSTRAINT reading_unique_point_start UNIQUE (metering_point_id, start)")
    if partitioned:
        for year in range(min(first_year or this_year, this_year - PAST_YEARS), max(last_year or this_year, this_year) + 2):
            _partition(execute, f"y{year}", f"FOR VALUES FROM ('{year}-01-01 00:00+00') TO ('{year + 1}-01-01 00:00+00')")
        _partition(execute, "default", "DEFAULT")
    execute(f"INSERT INTO {READINGS} SELECT * FROM {OLD}")
    if last_id is not None:
        execute(f"SELECT setval(pg_get_serial_sequence('{READINGS}', 'id'), {int(last_id)})")
    execute(f"DROP TABLE {OLD}")
    execute(TRIGGERS, params=None)
    execute(f"ANALYZE {READINGS}")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, partitioned=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, partitioned=False)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("ledger", "0004_reading_references_per_statement"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
