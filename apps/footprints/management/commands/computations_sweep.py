from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.footprints.services import QUEUED_MAX_AGE, computation_stale_after, footprint_computations_sweep


class Command(BaseCommand):
    help = (
        "Mark FAILED the footprint computations no worker will finish: running, with the latest attempt begun "
        "longer ago than the hard time limit (CELERY_TASK_TIME_LIMIT) plus a minute, and queued for longer "
        "than --queued-max-age-hours (default 24). Run it every few minutes from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the computations, change nothing")
        parser.add_argument(
            "--queued-max-age-hours",
            type=float,
            default=QUEUED_MAX_AGE.total_seconds() / 3600,
            help="a computation queued this long ago that no worker started is failed (default 24)",
        )

    def handle(self, *args: object, **options: object) -> None:
        hours = options["queued_max_age_hours"]
        assert isinstance(hours, float)
        if not hours > 0:
            raise CommandError("--queued-max-age-hours must be more than 0")
        dry_run = bool(options["dry_run"])
        result = footprint_computations_sweep(queued_max_age=timedelta(hours=hours), dry_run=dry_run)
        verb = "would mark" if dry_run else "marked"
        for pk in result.interrupted:
            self.stdout.write(f"{verb} computation {pk} failed: running past the time limit")
        for pk in result.never_started:
            self.stdout.write(f"{verb} computation {pk} failed: queued and never started")
        stale = int(computation_stale_after().total_seconds())
        self.stdout.write(
            f"{len(result.interrupted)} running for more than {stale} s, "
            f"{len(result.never_started)} queued for more than {hours:g} h"
            + ("; dry run" if dry_run else " marked failed")
        )
