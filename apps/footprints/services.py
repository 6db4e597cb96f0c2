"""Computing a study's footprint and storing the immutable snapshot.

footprint_request  -> a FootprintComputation row, task enqueued after the commit
footprint_compute  -> what the Celery task runs: build the canonical document, hash it,
                      run the engine, store (or reuse) the FootprintResult
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
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
from apps.inventory.models import Study

logger = logging.getLogger(__name__)


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
    transaction.on_commit(lambda: compute_study.apply_async(args=(computation.pk,), queue=queue))
    return computation


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
    existing = FootprintResult.objects.filter(
        study=study, digest=evaluation.digest, method_version=evaluation.result.method_version
    ).first()
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
            },
        )
    return snapshot, created


def footprint_compute_now(*, study: Study) -> tuple[FootprintResult, bool]:
    """Compute and store synchronously (management command, benchmarks)."""
    return footprint_store(study=study, evaluation=footprint_evaluate(study=study))


def footprint_compute(*, computation_id: int) -> FootprintComputation:
    """Run one queued computation. Bad inputs end as a readable FAILED status; anything else
    propagates to the task, which retries transient database errors and otherwise marks FAILED."""
    computation = FootprintComputation.objects.select_related("study").get(pk=computation_id)
    if computation.status == ComputationStatus.SUCCEEDED:
        return computation  # a redelivered message: the work is done
    _set_status(computation, ComputationStatus.RUNNING, started_at=timezone.now())
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
    FootprintComputation.objects.filter(pk=computation_id).exclude(
        status__in=[ComputationStatus.SUCCEEDED, ComputationStatus.FAILED]
    ).update(status=ComputationStatus.FAILED, error_code=code, error_message=message, finished_at=timezone.now())


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
