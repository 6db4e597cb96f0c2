import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.engine import EngineError
from apps.footprints.display import significant, to_decimal
from apps.footprints.errors import engine_error_message
from apps.footprints.services import footprint_compute_now
from apps.inventory.selectors import StudyNotFoundError, study_by_reference


class Command(BaseCommand):
    help = "Compute a study's footprint now, store the snapshot (idempotent) and print the result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study", help="study id, or ORG_SLUG/STUDY_NAME")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: object, **options: object) -> None:
        try:
            study = study_by_reference(str(options["study"]))
        except StudyNotFoundError as exc:
            raise CommandError(f"No study {exc.args[0]!r}") from exc
        try:
            snapshot, created = footprint_compute_now(study=study)
        except EngineError as exc:
            raise CommandError(engine_error_message(exc)) from exc
        report = {
            "study": study.name,
            "organization": study.organization.slug,
            "declared_unit": f"{study.declared_unit_amount.normalize()} {study.declared_unit}",
            "unit": "kg CO2e per declared unit",
            "digest": snapshot.digest,
            "method_version": snapshot.method_version,
            "engine_version": snapshot.engine_version,
            "snapshot_created": created,
            "totals": snapshot.totals,
            "primary_data_share": snapshot.primary_data_share,
            "contributions": snapshot.breakdown,
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        totals = snapshot.totals
        self.stdout.write(f"{study.name}: kg CO2e per {report['declared_unit']}")
        for name in ("e", "em", "em_materials", "em_transport", "ep", "eb", "edl", "ew"):
            value = to_decimal(totals[name])  # rounded for reading: --json prints the engine's full precision
            self.stdout.write(f"  {name.upper():<13} {totals[name] if value is None else significant(value)}")
        self.stdout.write(f"  digest        {snapshot.digest} ({'new' if created else 'unchanged inputs'})")
