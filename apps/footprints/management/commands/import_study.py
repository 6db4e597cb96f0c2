"""python manage.py import_study FILE --organization ORG_SLUG: create a study from its document."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.models import Organization
from apps.footprints.document.importer import study_document_import
from apps.footprints.document.validation import DocumentError


class Command(BaseCommand):
    help = "Import a study document (as written by export_study) into an organization: all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the study document (JSON, UTF-8)")
        parser.add_argument("--organization", required=True, help="slug of the organization to import into")

    def handle(self, *args: object, **options: object) -> None:
        organization = Organization.objects.filter(slug=str(options["organization"])).first()
        if organization is None:
            raise CommandError(f"No organization {options['organization']!r}")
        try:
            document = json.loads(Path(str(options["file"])).read_bytes())
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        try:
            study = study_document_import(organization=organization, document=document)
        except DocumentError as exc:
            raise CommandError("The document was not imported:\n" + "\n".join(exc.messages)) from exc
        self.stdout.write(f"Imported study {study.pk}: {organization.slug}/{study.name}")
