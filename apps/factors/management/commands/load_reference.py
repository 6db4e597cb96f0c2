"""Bring a database's reference data up to date: the material/stage catalogue and every factor
dataset file in fixtures/factors/. Safe to run again: stored versions are only confirmed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.loading import catalog_sync
from apps.catalog.models import Material, ProcessStage
from apps.factors.library import FACTORS_DIR, DatasetVersionConflict, FactorFileError, library_load_all


class Command(BaseCommand):
    help = "Load the material/stage catalogue and the factor library (fixtures/factors/*.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=FACTORS_DIR, help="Directory of dataset files.")

    def handle(self, *args: Any, **options: Any) -> None:
        catalog_sync(Material, ProcessStage)
        self.stdout.write(f"Catalogue: {Material.objects.count()} materials, {ProcessStage.objects.count()} stages")
        try:
            outcomes = library_load_all(options["dir"])
        except (FactorFileError, DatasetVersionConflict) as exc:
            raise CommandError(str(exc)) from exc
        if not outcomes:
            raise CommandError(f"No dataset files (*.json) in {options['dir']}")
        for path, outcome in outcomes:
            dataset = outcome.dataset
            state = "loaded" if outcome.created else "unchanged"
            label = " (illustrative)" if dataset.is_illustrative else ""
            self.stdout.write(
                f"{state:9} {dataset.name} {dataset.version}{label}: {dataset.factors.count()} factors  [{path.name}]"
            )
