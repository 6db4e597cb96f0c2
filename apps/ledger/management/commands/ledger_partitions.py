"""Give the coming years their partitions of the reading table ahead of time (PostgreSQL)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.ledger.partitions import reading_partitions, reading_partitions_ensure


class Command(BaseCommand):
    help = "Create the missing yearly partitions of the reading table up to a year (default: next year)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--through", type=int, default=None, help="last year to have its own partition")

    def handle(self, *args: Any, **options: Any) -> None:
        if not reading_partitions():
            self.stdout.write("The reading table is not partitioned here (SQLite, or before migration 0005).")
            return
        created = reading_partitions_ensure(through_year=options["through"])
        self.stdout.write(", ".join(created) if created else "Every year already has its partition.")
