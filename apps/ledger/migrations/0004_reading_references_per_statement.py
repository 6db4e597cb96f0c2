"""PostgreSQL: the reading table's references are checked once per statement, not once per row.

Django's three foreign keys of `ledger_electricityreading` (organization, metering point, batch)
made PostgreSQL queue one check per inserted row and key, run at commit: 78 % of an import's time.
They are replaced by triggers with the same guarantee (docs/ledger.md, "Integrity of the
references"):

- after each INSERT or UPDATE statement on the readings, one query over the statement's new rows
  (a transition table) checks every distinct (organization, point, batch) once: the point and the
  batch exist and belong to the reading's organization. Before that it touches each referenced
  point and batch (a no-op UPDATE: a new row version), so a concurrent DELETE of one waits for this
  transaction and then sees its readings (READ COMMITTED) or fails to serialize (REPEATABLE READ,
  SERIALIZABLE);
- a point or batch that still has readings cannot be deleted, change its id or (a point) its
  organization, and the point and batch tables cannot be truncated while readings exist.

The organization needs no check of its own: it is the point's, and the point's foreign key to
the organization is an ordinary one. The model keeps its ForeignKey fields (db_constraint stays
True): Django's state is unchanged and SQLite keeps its ordinary foreign keys, cheap there.
"""

from django.db import migrations

READINGS = "ledger_electricityreading"

CREATE = f"""
CREATE FUNCTION ledger_reading_references_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs bigint[];
    points bigint[];
    batches bigint[];
    bad record;
BEGIN
    -- One pass over the statement's rows: its distinct (organization, point, batch), a handful.
    SELECT array_agg(o), array_agg(p), array_agg(b) INTO orgs, points, batches
      FROM (SELECT DISTINCT organization_id, metering_point_id, batch_id FROM ledger_new_readings) AS d (o, p, b);
    IF orgs IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE ledger_meteringpoint SET id = id WHERE id = ANY (points);
    UPDATE ledger_readingbatch SET id = id WHERE id = ANY (batches);
    SELECT r.o AS organization_id, r.p AS metering_point_id, r.b AS batch_id,
           mp.id IS NULL AS no_point, rb.id IS NULL AS no_batch
      INTO bad
      FROM unnest(orgs, points, batches) AS r (o, p, b)
      LEFT JOIN ledger_meteringpoint mp ON mp.id = r.p
      LEFT JOIN ledger_readingbatch rb ON rb.id = r.b
     WHERE mp.id IS NULL OR rb.id IS NULL OR mp.organization_id <> r.o OR rb.organization_id <> r.o
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format(
                'electricity readings of organization %s refer to %s',
                bad.organization_id,
                CASE
                    WHEN bad.no_point THEN format('metering point %s, which does not exist', bad.metering_point_id)
                    WHEN bad.no_batch THEN format('reading batch %s, which does not exist', bad.batch_id)
                    ELSE format('metering point %s and batch %s, not both of that organization',
                                bad.metering_point_id, bad.batch_id)
                END);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_reading_references_insert AFTER INSERT ON {READINGS}
    REFERENCING NEW TABLE AS ledger_new_readings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reading_references_check();
CREATE TRIGGER ledger_reading_references_update AFTER UPDATE ON {READINGS}
    REFERENCING NEW TABLE AS ledger_new_readings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reading_references_check();

CREATE FUNCTION ledger_reading_referenced_protect() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found_one boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id
       AND (TG_TABLE_NAME <> 'ledger_meteringpoint' OR NEW.organization_id = OLD.organization_id) THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'ledger_meteringpoint' THEN
        SELECT EXISTS (SELECT 1 FROM {READINGS} WHERE metering_point_id = OLD.id) INTO found_one;
    ELSE
        SELECT EXISTS (SELECT 1 FROM {READINGS} WHERE batch_id = OLD.id) INTO found_one;
    END IF;
    IF found_one THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format('%s %s is still referenced by electricity readings', TG_TABLE_NAME, OLD.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_point_protect AFTER DELETE OR UPDATE OF id, organization_id ON ledger_meteringpoint
    FOR EACH ROW EXECUTE FUNCTION ledger_reading_referenced_protect();
CREATE TRIGGER ledger_batch_protect AFTER DELETE OR UPDATE OF id ON ledger_readingbatch
    FOR EACH ROW EXECUTE FUNCTION ledger_reading_referenced_protect();

CREATE FUNCTION ledger_reading_referenced_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM {READINGS}) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format('%s cannot be truncated: electricity readings refer to it', TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_point_truncate AFTER TRUNCATE ON ledger_meteringpoint
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reading_referenced_truncate();
CREATE TRIGGER ledger_batch_truncate AFTER TRUNCATE ON ledger_readingbatch
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reading_referenced_truncate();
"""

DROP = f"""
DROP TRIGGER ledger_batch_truncate ON ledger_readingbatch;
DROP TRIGGER ledger_point_truncate ON ledger_meteringpoint;
DROP FUNCTION ledger_reading_referenced_truncate();
DROP TRIGGER ledger_batch_protect ON ledger_readingbatch;
DROP TRIGGER ledger_point_protect ON ledger_meteringpoint;
DROP FUNCTION ledger_reading_referenced_protect();
DROP TRIGGER ledger_reading_references_update ON {READINGS};
DROP TRIGGER ledger_reading_references_insert ON {READINGS};
DROP FUNCTION ledger_reading_references_check();
"""

# column -> referenced table, for the reverse migration (Django's own constraint form).
REFERENCES = {
    "organization_id": "accounts_organization",
    "metering_point_id": "ledger_meteringpoint",
    "batch_id": "ledger_readingbatch",
}


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, READINGS)
    for name, info in constraints.items():
        if info["foreign_key"] and info["columns"][0] in REFERENCES:
            schema_editor.execute(f"ALTER TABLE {READINGS} DROP CONSTRAINT {schema_editor.quote_name(name)}")
    schema_editor.execute(CREATE, params=None)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP, params=None)
    for column, table in REFERENCES.items():
        schema_editor.execute(
            f"ALTER TABLE {READINGS} ADD CONSTRAINT {READINGS}_{column}_fk FOREIGN KEY ({column}) "
            f"REFERENCES {table} (id) DEFERRABLE INITIALLY DEFERRED"
        )


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("ledger", "0003_meteringpoint_is_manual"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
