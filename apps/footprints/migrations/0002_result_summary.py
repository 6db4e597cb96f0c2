"""Every snapshot stores what pages show of its canonical inputs (apps.footprints.summary); existing snapshots get
theirs from their own document, read once each, a few at a time."""

import gzip
import json
import zlib
from typing import Any

from django.db import migrations, models

from apps.footprints.summary import snapshot_summary_build

BATCH = 20  # documents decompressed and parsed at a time (a year of readings is a few MB each)


def fill_summaries(apps: Any, schema_editor: Any) -> int:
    """Fill the empty summaries from each row's canonical inputs; returns how many were filled. A document that
    cannot be read leaves its summary empty (the reader then falls back to what the breakdown holds)."""
    result_model = apps.get_model("footprints", "FootprintResult")
    empty = [pk for pk, summary in result_model.objects.order_by("pk").values_list("pk", "summary") if not summary]
    filled = 0
    for i in range(0, len(empty), BATCH):
        rows = result_model.objects.filter(pk__in=empty[i : i + BATCH]).values_list("pk", "canonical_inputs_gz")
        for pk, raw in rows:
            try:
                document = json.loads(gzip.decompress(bytes(raw)))
            except (OSError, EOFError, ValueError, zlib.error):
                continue
            if isinstance(document, dict):
                result_model.objects.filter(pk=pk).update(summary=snapshot_summary_build(document))
                filled += 1
    return filled


class Migration(migrations.Migration):
    dependencies = [
        ("footprints", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="footprintresult",
            name="summary",
            field=models.JSONField(
                blank=True, default=dict, editable=False, verbose_name="summary of the canonical inputs"
            ),
        ),
        migrations.RunPython(fill_summaries, migrations.RunPython.noop, elidable=True),
    ]
