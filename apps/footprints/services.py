"""Computing a study's footprint and storing the immutable snapshot.

footprint_request  -> a FootprintComputation row, task enqueued after the commit
footprint_compute  -> what the Celery task runs: build the canonical document, hash it,
                      run the engine, store (or reuse) the FootprintResult
footprint_computations_sweep -> computations no worker can still be running end as FAILED

A computation survives its worker dying: the task is acknowledged late and a message whose worker
was lost goes back to the queue (the work is idempotent: one snapshot per digest, written in one
transaction), so the attempt is simply made again. What cannot be made again ends as a readable
FAILED: a message the broker would not take, an attempt past the hard time limit, a message that
kills its worker every time (tried again only within ``ATTEMPT_SPAN_FACTOR`` time limits of the
first start), a message lost with the broker.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.engine import EngineError, compute_footprint
from apps.engine import FootprintResult as EngineResult
from apps.engine.serialize import result_to_dict
from apps.footprints.document.canonical import canonical_bytes
from apps.footprints.document.export import DocumentBuildError, study_document_build
from apps.footprints.document.to_engine import engine_inputs_from_document
from apps.footprints.enums import ComputationStatus
from apps.footprints.errors import engine_error_message, error_message
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.footprints.summary import snapshot_summary_build
from apps.inventory.models import Study

logger = logging.getLogger(__name__)


# An attempt that began longer ago than the hard time limit plus this grace is dead: the worker
# kills a child at the hard limit. The Redis visibility timeout (settings) uses the same margin.
SWEEP_GRACE = timedelta(seconds=60)
# A message whose worker was lost is run again, but only while its first attempt began less than
# this many time limits ago: a computation that kills its worker every time must end.
ATTEMPT_SPAN_FACTOR = 3
# A computation queued this long ago that no worker ever started is taken as lost with its message.
QUEUED_MAX_AGE = timedelta(hours=24)

_FINAL = (ComputationStatus.SUCCEEDED, ComputationStatus.FAILED)


class SnapshotMismatchError(Exception):
    """Unchanged inputs gave different numbers: the engine is not deterministic. Never ignore."""


@dataclass(frozen=True)
class Evaluation:
    document: dict[str, Any]
    canonical: bytes
    digest: str
    result: EngineResult


def footprint_request(*, study: Study, requested_by: User | None = None) -> FootprintComputation:
    """Record a computation and enqueue it once the surrounding transaction has committed."""
    from apps.footprints.tasks import compute_study

    computation = FootprintComputation.objects.create(
        organization=study.organization, study=study, requested_by=requested_by
    )
    queue = settings.CELERY_TASK_DEFAULT_QUEUE

    def enqueue() -> None:
        try:
            compute_study.apply_async(args=(computation.pk,), queue=queue)
        except Exception as exc:  # the broker is unreachable or refused the message: never leave it "queued"
            logger.exception("computation %s could not be queued", computation.pk)
            _fail(
                computation,
                code="queue_unavailable",
                params={},
                message=f"{error_message('queue_unavailable', {})} ({type(exc).__name__}: {exc})",
            )

    transaction.on_commit(enqueue)
    return computation


def computation_stale_after() -> timedelta:
    """How long after an attempt began no worker can still be running it (hard time limit + grace)."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + SWEEP_GRACE


def footprint_evaluate(*, study: Study) -> Evaluation:
    """Build the canonical inputs of a study and run the engine on them. Writes nothing."""
    document = study_document_build(study=study)
    canonical = canonical_bytes(document)
    result = compute_footprint(engine_inputs_from_document(document))
    digest = hashlib.sha256(canonical).hexdigest()
    return Evaluation(document=document, canonical=canonical, digest=digest, result=result)


def footprint_store(*, study: Study, evaluation: Evaluation) -> tuple[FootprintResult, bool]:
    """Store the snapshot, or return the existing one for the same inputs (created is False).

    An existing snapshot must carry exactly the numbers just computed; anything else means the
    engine is not deterministic and is raised, never papered over.
    """
    payload = result_to_dict(evaluation.result)
    existing = (
        FootprintResult.objects.filter(
            study=study, digest=evaluation.digest, method_version=evaluation.result.method_version
        )
        .defer("canonical_inputs_gz", "summary")  # same digest, same inputs: the stored document is not read
        .first()
    )
    if existing is not None:
        if existing.totals != payload["totals"] or existing.breakdown != payload["contributions"]:
            raise SnapshotMismatchError(f"Study {study.pk}: inputs {evaluation.digest} gave different numbers")
        return existing, False
    with transaction.atomic():
        snapshot, created = FootprintResult.objects.get_or_create(
            study=study,
            digest=evaluation.digest,
            method_version=evaluation.result.method_version,
            defaults={
                "organization": study.organization,
                "engine_version": evaluation.result.engine_version,
                # Level 1: 7x faster than the default on a year of readings, for ~7 % more bytes.
                "canonical_inputs_gz": gzip.compress(evaluation.canonical, compresslevel=1, mtime=0),
                "totals": payload["totals"],
                "breakdown": payload["contributions"],
                "primary_data_share": payload["primary_data_share"],
                "summary": snapshot_summary_build(evaluation.document),
            },
        )
    return snapshot, created


def footprint_compute_now(*, study: Study) -> tuple[FootprintResult, bool]:
    """Compute and store synchronously (management command, benchmarks)."""
    return footprint_store(study=study, evaluation=footprint_evaluate(study=study))


def footprint_compute(*, computation_id: int) -> FootprintComputation:
    """Run one queued computation. Bad inputs end as a readable FAILED status; anything else
    propagates to the task, which retries transient database errors and otherwise marks FAILED."""
    now = timezone.now()
    pending = FootprintComputation.objects.filter(pk=computation_id).exclude(status__in=_FINAL)
    # A redelivered message (its worker was lost) whose first attempt is too long ago ends here.
    given_up = pending.filter(
        status=ComputationStatus.RUNNING, started_at__lt=now - ATTEMPT_SPAN_FACTOR * computation_stale_after()
    ).update(
        status=ComputationStatus.FAILED,
        error_code="interrupted",
        error_message=error_message("interrupted", {}),
        finished_at=now,
        updated_at=now,
    )
    # Claim the attempt; started_at keeps the first attempt's time, updated_at is this attempt's.
    claimed = not given_up and pending.update(
        status=ComputationStatus.RUNNING, started_at=Coalesce("started_at", now), updated_at=now
    )
    computation = FootprintComputation.objects.select_related("study").get(pk=computation_id)
    if not claimed:
        return computation  # done, failed (by the sweep, say) or given up: a late message changes nothing
    try:
        snapshot, created = footprint_compute_now(study=computation.study)
    except EngineError as exc:
        _fail(computation, code=exc.code, params=exc.params, message=engine_error_message(exc))
        return computation
    except DocumentBuildError as exc:
        params = {"detail": str(exc)}
        _fail(computation, code="document_build", params=params, message=error_message("document_build", params))
        return computation
    computation.result = snapshot
    computation.reused_existing_result = not created
    _set_status(computation, ComputationStatus.SUCCEEDED, finished_at=timezone.now())
    return computation


def footprint_mark_failed(*, computation_id: int, code: str, message: str) -> None:
    """Called when the task itself dies (time limit, lost connection): never leave 'running'."""
    now = timezone.now()
    FootprintComputation.objects.filter(pk=computation_id).exclude(status__in=_FINAL).update(
        status=ComputationStatus.FAILED, error_code=code, error_message=message, finished_at=now, updated_at=now
    )


@dataclass(frozen=True)
class SweepResult:
    interrupted: list[int]  # running, and no worker can still be on it
    never_started: list[int]  # queued for longer than the queue can take


def footprint_computations_sweep(
    *, now: datetime | None = None, queued_max_age: timedelta = QUEUED_MAX_AGE, dry_run: bool = False
) -> SweepResult:
    """Mark FAILED the computations no worker will finish: running with the latest attempt begun
    longer ago than the hard time limit plus grace (the worker was lost with its message, or killed
    at the hard limit), and queued longer than ``queued_max_age`` (the message is gone)."""
    now = now or timezone.now()
    running = FootprintComputation.objects.filter(
        status=ComputationStatus.RUNNING, updated_at__lt=now - computation_stale_after()
    )
    queued = FootprintComputation.objects.filter(status=ComputationStatus.QUEUED, created_at__lt=now - queued_max_age)
    result = SweepResult(
        interrupted=sorted(running.values_list("pk", flat=True)),
        never_started=sorted(queued.values_list("pk", flat=True)),
    )
    if dry_run:
        return result
    for matching, ids, code in (
        (running, result.interrupted, "interrupted"),
        (queued, result.never_started, "not_started"),
    ):
        # The same conditions again: a computation that moved on since it was listed is left alone.
        matching.filter(pk__in=ids).update(
            status=ComputationStatus.FAILED,
            error_code=code,
            error_message=error_message(code, {}),
            finished_at=now,
            updated_at=now,
        )
    if result.interrupted or result.never_started:
        logger.warning("computation sweep: interrupted %s, never started %s", result.interrupted, result.never_started)
    return result


def _fail(computation: FootprintComputation, *, code: str, params: dict[str, str], message: str) -> None:
    computation.error_code = code
    computation.error_params = params
    computation.error_message = message
    _set_status(computation, ComputationStatus.FAILED, finished_at=timezone.now())
    logger.info("computation %s failed: %s %s", computation.pk, code, params)


def _set_status(computation: FootprintComputation, status: str, **fields: Any) -> None:
    computation.status = status
    for name, value in fields.items():
        setattr(computation, name, value)
    update = ["status", "updated_at", *fields]
    if status in (ComputationStatus.SUCCEEDED, ComputationStatus.FAILED):
        update += ["result", "reused_existing_result", "error_code", "error_params", "error_message"]
    computation.save(update_fields=update)
