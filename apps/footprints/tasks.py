"""Celery is just another interface: ids in, the service does the work."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from apps.footprints.services import footprint_compute, footprint_mark_failed


class ComputationTask(Task):
    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Retries exhausted or an unexpected error: the user must see FAILED, not RUNNING forever.
        footprint_mark_failed(computation_id=args[0], code="internal_error", message=f"{type(exc).__name__}: {exc}")


@shared_task(
    base=ComputationTask,
    name="footprints.compute_study",
    autoretry_for=(OperationalError, InterfaceError),  # transient database trouble only
    retry_backoff=True,
    max_retries=3,
)
def compute_study(computation_id: int) -> None:
    try:
        footprint_compute(computation_id=computation_id)
    except SoftTimeLimitExceeded:
        footprint_mark_failed(
            computation_id=computation_id, code="time_limit", message="The computation exceeded its time limit."
        )
        raise
