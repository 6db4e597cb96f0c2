"""What ends a computation no worker will finish: an unreachable broker at request time, a late or
redelivered message, the sweep of computations past their time limit."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation

from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.footprints.services import footprint_compute, footprint_compute_now, footprint_request
from carbonfoot.celery import app
from tests.footprints.builders import build_small_study


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def broker_down(monkeypatch) -> Iterator[str]:
    """The Celery app pointed at a Redis port where nothing listens (its connection pools renewed)."""
    # The app reads Django's CELERY_* settings (its keys carry the namespace), and Celery prefers the
    # CELERY_BROKER_URL environment variable to both.
    saved = app.conf.CELERY_BROKER_URL, app.conf.get("CELERY_BROKER_TRANSPORT_OPTIONS", {})
    url = f"redis://127.0.0.1:{_closed_port()}/0"

    def use(broker_url: str, options: dict) -> None:
        app.conf.CELERY_BROKER_URL, app.conf.CELERY_BROKER_TRANSPORT_OPTIONS = broker_url, options
        app._pool = None
        app.amqp._producer_pool = None

    monkeypatch.setenv("CELERY_BROKER_URL", url)
    use(url, {"socket_connect_timeout": 2})
    assert app.connection_for_write().as_uri().startswith(url)
    try:
        yield url
    finally:
        monkeypatch.undo()
        use(*saved)


def test_an_unreachable_broker_at_request_time_fails_the_computation_readably(
    supplier, library, broker_down, django_capture_on_commit_callbacks
):
    study = build_small_study(supplier, library)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        computation = footprint_request(study=study)
    elapsed = time.monotonic() - started

    stored = FootprintComputation.objects.get(pk=computation.pk)
    assert stored.status == ComputationStatus.FAILED
    assert stored.error_code == "queue_unavailable"
    assert stored.finished_at is not None
    assert "Connection refused" in stored.error_message or "Error 111" in stored.error_message
    with translation.override("en"):
        assert stored.error_display() == (
            "The computation could not be queued: the task queue is unreachable. Try again later."
        )
    assert computation.status == ComputationStatus.FAILED  # the caller's object says so too
    assert elapsed < 10
    assert not FootprintResult.objects.filter(study=study).exists()


def _computation(study, status: str, *, age: timedelta, started: timedelta | None = None) -> FootprintComputation:
    """A computation whose rows say it was created, and its latest attempt began, `age` ago."""
    computation = FootprintComputation.objects.create(organization=study.organization, study=study)
    at = timezone.now() - age
    first = timezone.now() - started if started is not None else at
    FootprintComputation.objects.filter(pk=computation.pk).update(
        status=status,
        created_at=at,
        updated_at=at,
        started_at=first if status != ComputationStatus.QUEUED else None,
    )
    computation.refresh_from_db()
    return computation


@override_settings(CELERY_TASK_TIME_LIMIT=600)
def test_the_sweep_fails_running_past_the_time_limit_and_queued_past_a_day_only(supplier, library):
    study = build_small_study(supplier, library)
    snapshot, _ = footprint_compute_now(study=study)
    # The limit is 600 s plus 60 s of grace: an attempt begun 661 s ago is dead, one of 659 s may be alive.
    stuck = _computation(study, ComputationStatus.RUNNING, age=timedelta(seconds=661))
    alive = _computation(study, ComputationStatus.RUNNING, age=timedelta(seconds=659))
    # Its first attempt was an hour ago but a redelivered one began a minute ago: still alive.
    retried = _computation(study, ComputationStatus.RUNNING, age=timedelta(seconds=60), started=timedelta(hours=1))
    lost = _computation(study, ComputationStatus.QUEUED, age=timedelta(hours=25))
    waiting = _computation(study, ComputationStatus.QUEUED, age=timedelta(hours=23))
    done = _computation(study, ComputationStatus.SUCCEEDED, age=timedelta(days=3))
    FootprintComputation.objects.filter(pk=done.pk).update(result=snapshot)

    out = StringIO()
    call_command("computations_sweep", "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [
        f"would mark computation {stuck.pk} failed: running past the time limit",
        f"would mark computation {lost.pk} failed: queued and never started",
        "1 running for more than 660 s, 1 queued for more than 24 h; dry run",
    ]
    assert FootprintComputation.objects.filter(status=ComputationStatus.FAILED).count() == 0

    out = StringIO()
    call_command("computations_sweep", stdout=out)
    assert out.getvalue().splitlines()[-1] == "1 running for more than 660 s, 1 queued for more than 24 h marked failed"
    statuses = dict(FootprintComputation.objects.values_list("pk", "status"))
    assert statuses == {
        stuck.pk: ComputationStatus.FAILED,
        alive.pk: ComputationStatus.RUNNING,
        retried.pk: ComputationStatus.RUNNING,
        lost.pk: ComputationStatus.FAILED,
        waiting.pk: ComputationStatus.QUEUED,
        done.pk: ComputationStatus.SUCCEEDED,
    }
    stuck.refresh_from_db()
    lost.refresh_from_db()
    assert (stuck.error_code, lost.error_code) == ("interrupted", "not_started")
    assert stuck.finished_at is not None and lost.finished_at is not None
    with translation.override("en"):
        assert stuck.error_display() == (
            "The computation was interrupted (its worker stopped) and could not be finished; request it again."
        )
        assert lost.error_display() == "No worker started the computation in time; request it again."

    # Once more: nothing left to sweep, and the failed ones keep their first failure.
    out = StringIO()
    call_command("computations_sweep", "--queued-max-age-hours", "0.5", stdout=out)
    assert out.getvalue().splitlines() == [
        f"marked computation {waiting.pk} failed: queued and never started",
        "0 running for more than 660 s, 1 queued for more than 0.5 h marked failed",
    ]


@pytest.mark.parametrize("hours", ["0", "-1"])
def test_the_sweep_refuses_a_queued_age_that_is_not_positive(hours, supplier, library):
    study = build_small_study(supplier, library)
    queued = _computation(study, ComputationStatus.QUEUED, age=timedelta(hours=48))

    with pytest.raises(CommandError, match="--queued-max-age-hours must be more than 0"):
        call_command("computations_sweep", "--queued-max-age-hours", hours, stdout=StringIO())

    queued.refresh_from_db()
    assert queued.status == ComputationStatus.QUEUED


def test_a_late_message_for_a_failed_computation_changes_nothing(supplier, library):
    study = build_small_study(supplier, library)
    failed = _computation(study, ComputationStatus.FAILED, age=timedelta(minutes=20))

    footprint_compute(computation_id=failed.pk)

    failed.refresh_from_db()
    assert failed.status == ComputationStatus.FAILED
    assert not FootprintResult.objects.filter(study=study).exists()


def test_a_redelivered_message_after_the_snapshot_was_stored_reuses_it(supplier, library):
    # The child died after the snapshot's commit and before the status: the message comes back.
    study = build_small_study(supplier, library)
    snapshot, _ = footprint_compute_now(study=study)
    first_start = timedelta(seconds=30)
    computation = _computation(study, ComputationStatus.RUNNING, age=first_start)
    started_at = computation.started_at

    footprint_compute(computation_id=computation.pk)

    computation.refresh_from_db()
    assert computation.status == ComputationStatus.SUCCEEDED
    assert computation.result_id == snapshot.pk
    assert computation.reused_existing_result
    assert computation.started_at == started_at  # the first attempt's start is kept
    assert FootprintResult.objects.filter(study=study).count() == 1


@override_settings(CELERY_TASK_TIME_LIMIT=600)
def test_a_message_redelivered_past_three_time_limits_of_its_first_start_ends_as_interrupted(supplier, library):
    # A message that kills its worker every time is not tried for ever: 3 × (600 + 60) s = 33 minutes.
    study = build_small_study(supplier, library)
    given_up = _computation(study, ComputationStatus.RUNNING, age=timedelta(seconds=5), started=timedelta(minutes=34))
    tried = _computation(study, ComputationStatus.RUNNING, age=timedelta(seconds=5), started=timedelta(minutes=32))

    footprint_compute(computation_id=given_up.pk)
    footprint_compute(computation_id=tried.pk)

    given_up.refresh_from_db()
    tried.refresh_from_db()
    assert (given_up.status, given_up.error_code) == (ComputationStatus.FAILED, "interrupted")
    assert given_up.result_id is None
    assert tried.status == ComputationStatus.SUCCEEDED
    assert FootprintResult.objects.filter(study=study).count() == 1
