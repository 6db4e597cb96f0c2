"""Load the smart meter's material and stage catalogues (fixtures/catalog/*.json).

Used by a data migration, so every database (test databases too) starts with the 32 materials
and 26 stages, and by `load_reference` to bring an existing database up to date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATALOG_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"


def catalog_rows(name: str) -> list[dict[str, Any]]:
    with (CATALOG_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        rows: list[dict[str, Any]] = json.load(fh)["rows"]
    return rows


def catalog_sync(material_model: Any, stage_model: Any) -> None:
    """Create or update catalogue rows by number (models passed in so migrations can use theirs)."""
    for row in catalog_rows("materials"):
        material_model.objects.update_or_create(no=row["no"], defaults={k: v for k, v in row.items() if k != "no"})
    for row in catalog_rows("stages"):
        stage_model.objects.update_or_create(no=row["no"], defaults={k: v for k, v in row.items() if k != "no"})
