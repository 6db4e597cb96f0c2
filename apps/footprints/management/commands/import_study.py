"""python manage.py import_study FILE --organization ORG_SLUG: create a study from its document."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from apps.accounts.models import Organization
from apps.footprints.document.importer import study_document_import
from apps.footprints.document.parse import study_document_read
from apps.footprints.document.validation import DocumentError


class Command(BaseCommand):
    help = "Import a study document (as written by export_study) into an organization: all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the study document (JSON, UTF-8 with or without a byte order mark)")
        parser.add_argument("--organization", required=True, help="slug of the organization to import into")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="the language of the messages (default: the active language, else LANGUAGE_CODE)",
        )

    def handle(self, *args: object, **options: object) -> None:
        language = options.get("language")
        with translation.override(str(language) if language else translation.get_language()):
            self._import(Path(str(options["file"])), str(options["organization"]))

    def _import(self, path: Path, slug: str) -> None:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(_("No organization %(slug)r") % {"slug": slug})
        try:
            document = study_document_read(path)
            study = study_document_import(organization=organization, document=document)
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}) from exc
        except DocumentError as exc:
            raise CommandError(exc.report()) from exc
        self.stdout.write(f"Imported study {study.pk}: {organization.slug}/{study.name}")
