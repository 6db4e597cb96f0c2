"""Public identifiers for products, sites and studies: a UUID in URLs and the API, never the
sequential id. Added nullable, filled row by row for existing data, then made unique."""

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    for name in ("Product", "Site", "Study"):
        model = apps.get_model("inventory", name)
        for pk in model.objects.filter(uuid__isnull=True).values_list("pk", flat=True).iterator():
            public_id = uuid.uuid4()
            model.objects.filter(pk=pk).update(uuid=public_id)
            # The history keeps the row's own id, so its past versions carry the same public id.
            apps.get_model("inventory", f"Historical{name}").objects.filter(id=pk).update(uuid=public_id)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_catalog_moved")]

    operations = [
        *(
            migrations.AddField(
                model_name=model, name="uuid", field=models.UUIDField(null=True, editable=False, verbose_name="public id")
            )
            for model in ("product", "site", "study")
        ),
        *(
            migrations.AddField(
                model_name=model,
                name="uuid",
                field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False, verbose_name="public id"),
            )
            for model in ("historicalproduct", "historicalsite", "historicalstudy")
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        *(
            migrations.AlterField(
                model_name=model,
                name="uuid",
                field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="public id"),
            )
            for model in ("product", "site", "study")
        ),
    ]
