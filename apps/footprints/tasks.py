"""Celery is just another interface: ids in, the service does the work."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.worker.request import Request
from django.db import InterfaceError, OperationalError

from apps.footprints.errors import error_message
from apps.footprints.services import footprint_compute, footprint_mark_failed

logger = logging.getLogger(__name__)


class ComputationRequest(Request):
    """The worker's main process side of a computation message."""

    def on_timeout(self, soft: bool, timeout: float) -> None:
        super().on_timeout(soft, timeout)
        if soft:
            return  # the task itself catches SoftTimeLimitExceeded
        # At the hard limit the child is killed: nothing runs in it any more, so say FAILED from here
        # (the sweep would otherwise find it once the limit and its grace are past).
        try:
            footprint_mark_failed(
                computation_id=self.args[0], code="time_limit", message=error_message("time_limit", {})
            )
        except Exception:
            logger.exception("computation %s: could not mark the hard time limit", self.args[0])


class ComputationTask(Task):
    Request = "apps.footprints.tasks:ComputationRequest"  # the main process side, by name as Celery takes it

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Retries exhausted or an unexpected error: the user must see FAILED, not RUNNING forever.
        footprint_mark_failed(computation_id=args[0], code="internal_error", message=f"{type(exc).__name__}: {exc}")


@shared_task(
    base=ComputationTask,
    name="footprints.compute_study",
    autoretry_for=(OperationalError, InterfaceError),  # transient database trouble only
    retry_backoff=True,
    max_retries=3,
    # Acknowledged once done, and put back in the queue when its worker process dies (SIGKILL, out of
    # memory): safe because the task is idempotent (a late message for a finished computation does
    # nothing; the snapshot is one row per digest, written in one transaction).
    acks_late=True,
    reject_on_worker_lost=True,
)
def compute_study(computation_id: int) -> None:
    try:
        footprint_compute(computation_id=computation_id)
    except SoftTimeLimitExceeded:
        footprint_mark_failed(
            computation_id=computation_id, code="time_limit", message="The computation exceeded its time limit."
        )
        raise
