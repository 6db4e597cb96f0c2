"""python manage.py export_study STUDY [--output FILE]: a study's canonical document (docs/study-format.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.footprints.document.canonical import canonical_bytes, digest
from apps.footprints.document.export import study_document_build
from apps.inventory.selectors import StudyNotFoundError, study_by_reference


class Command(BaseCommand):
    help = (
        "Write a study with all its inputs as its canonical JSON document (sha256sum of the file is the "
        "digest stored with its results). To standard output unless --output is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study", help="study id, or ORG_SLUG/STUDY_NAME")
        parser.add_argument("--output", "-o", help="file to write (overwritten)")

    def handle(self, *args: object, **options: object) -> None:
        try:
            study = study_by_reference(str(options["study"]))
        except StudyNotFoundError as exc:
            raise CommandError(f"No study {exc.args[0]!r}") from exc
        document = study_document_build(study=study)
        data = canonical_bytes(document)
        if options["output"]:
            Path(str(options["output"])).write_bytes(data)
            self.stderr.write(f"{study.organization.slug}/{study.name}: {len(data)} bytes, sha256 {digest(document)}")
        else:
            self.stdout.write(data.decode(), ending="")
