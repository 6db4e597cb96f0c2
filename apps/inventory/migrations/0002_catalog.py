from django.db import migrations


def load_catalog(apps, schema_editor):
    from apps.catalog.loading import catalog_sync

    catalog_sync(apps.get_model("inventory", "Material"), apps.get_model("inventory", "ProcessStage"))


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
