"""Create the demo organizations, users and 2025 smart-meter study (see apps/demo/demo.py)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.demo.demo import DemoOutcome, demo_load
from apps.demo.profiles import DAYS_IN_YEAR
from apps.footprints.display import significant

DEFAULT_HOST_PORT = "127.0.0.1:8000"  # the Makefile's HOST_PORT default: where `make run` serves


def open_url(host_port: str | None = None) -> str:
    """The address to open for a development server started on HOST_PORT (runserver's "[addr:]port"): a server
    listening on every interface (0.0.0.0, ::) is opened on this machine's loopback address."""
    value = (os.environ.get("HOST_PORT", "") if host_port is None else host_port).strip() or DEFAULT_HOST_PORT
    host, _sep, port = value.rpartition(":")
    if not port.isdigit():
        host, port = value, "8000"
    host = host.strip("[]")
    if host in ("", "0", "0.0.0.0", "::"):  # noqa: S104 (recognizing it, not binding to it)
        host = "127.0.0.1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


class Command(BaseCommand):
    help = "Load the demo (idempotent: if the demo supplier exists, only print the logins)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=DAYS_IN_YEAR,
            help="Days of 15-minute readings from 1 Jan 2025 (1-365); the rest of the year is one reading per meter.",
        )
        parser.add_argument(
            "--no-compute",
            action="store_true",
            help="Compute and submit nothing (faster): the exchange is then its relationships and open requests.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # Its users' password is printed below and published in the README: never on a production site.
            raise CommandError(
                "load_demo refuses to run with DEBUG off: the demo users' password is published. "
                "Load the demo on a development or trial database with DEBUG=1."
            )
        outcome = demo_load(days=options["days"], compute=not options["no_compute"])
        if outcome.created:
            self._summary(outcome)
        else:
            self.stdout.write("The demo is already loaded.")
        self._logins(outcome)

    def _summary(self, outcome: DemoOutcome) -> None:
        study = outcome.study
        assert study is not None
        self.stdout.write(self.style.SUCCESS(f"Demo loaded in {outcome.seconds:.1f} s: {study.name}"))
        self.stdout.write(
            f"  {study.bom_lines.count()} BOM lines, {study.stages.count()} stages, {outcome.readings:,} readings, "
            f"{outcome.plant_kwh:,.0f} kWh metered, {outcome.kwh_per_meter} kWh per meter after allocation"
        )
        if outcome.computation_id and outcome.e_per_declared_unit is not None:
            self.stdout.write(
                f"  Footprint computation #{outcome.computation_id} succeeded: "
                f"E = {significant(outcome.e_per_declared_unit)} kg CO2e per meter"
            )
        counts = outcome.exchange
        self.stdout.write(
            f"  Exchange: {_count(counts.relationships, 'active supply relationship')}, "
            f"{_count(counts.requests, 'request')} "
            f"({counts.fulfilled_requests} fulfilled, {counts.open_requests} open), "
            f"{_count(counts.versions, 'submitted version')} ({counts.accepted} accepted, {counts.returned} returned), "
            f"{_count(counts.statements, 'verification statement')}"
        )

    def _logins(self, outcome: DemoOutcome) -> None:
        rows = [("username", "password", "role", "organization")]
        rows += [(r.username, r.password, r.role, r.organization) for r in outcome.logins]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        self.stdout.write(f"\nOpen {open_url()}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
