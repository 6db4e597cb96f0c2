from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.evidence.stored import SWEEP_MIN_AGE, evidence_orphans_delete, evidence_orphans_find


class Command(BaseCommand):
    help = (
        "Delete stored evidence files (under evidence/ in the default storage) that no evidence row references "
        "and that are older than --min-age-minutes (default 60, so an upload in flight is never swept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the files, delete nothing")
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=int(SWEEP_MIN_AGE.total_seconds() // 60),
            help="only files last modified at least this many minutes ago (default 60)",
        )

    def handle(self, *args: object, **options: object) -> None:
        minutes = options["min_age_minutes"]
        assert isinstance(minutes, int)
        if minutes < 0:
            raise CommandError("--min-age-minutes must be 0 or more")
        orphans = evidence_orphans_find(min_age=timedelta(minutes=minutes))
        dry_run = bool(options["dry_run"])
        if dry_run:
            for orphan in orphans:
                self.stdout.write(f"would delete {orphan.name} (modified {orphan.modified.isoformat()})")
            self.stdout.write(f"{len(orphans)} unreferenced evidence file(s) older than {minutes} min; dry run")
            return
        deleted = evidence_orphans_delete(orphans=orphans)
        for name in deleted:
            self.stdout.write(f"deleted {name}")
        self.stdout.write(f"{len(deleted)} unreferenced evidence file(s) older than {minutes} min deleted")
