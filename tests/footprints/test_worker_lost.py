"""A computation survives its worker dying: the pool child killed with SIGKILL at random moments,
on PostgreSQL + Redis (the production pair), leaves every computation finished and one snapshot
per digest, each one whole."""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import signal
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction

from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.footprints.services import footprint_request
from tests import factories
from tests.footprints.builders import EXPECTED, build_small_study
from tests.footprints.conftest import pool_child, wait_for

KILLS = 20

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not (
            settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
            and settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
        ),
        reason="the worker-killing test runs on PostgreSQL + Redis (CI's second run)",
    ),
]


def _new_child(worker, old: int | None) -> int:
    return wait_for(lambda: (pid := pool_child(worker)) is not None and pid != old and pid, timeout=30)


def _taken(computation: FootprintComputation) -> bool:
    return FootprintComputation.objects.filter(pk=computation.pk).exclude(status=ComputationStatus.QUEUED).exists()


def test_killing_the_pool_child_twenty_times_leaves_no_computation_running_and_one_snapshot_per_digest(
    celery_prefork_worker, tmp_path
):
    seed = int(os.environ.get("KILL_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    organization = factories.make_organization()
    library = factories.make_library()
    studies = [build_small_study(organization, library, name=f"kill {n}") for n in range(KILLS)]

    computations: list[FootprintComputation] = []
    child = _new_child(celery_prefork_worker, None)
    started = time.monotonic()
    for study in studies:
        with transaction.atomic():
            # Twice the same inputs: the second message must reuse the first one's snapshot, even
            # when a kill lands between the snapshot's commit and the status.
            pair = [footprint_request(study=study), footprint_request(study=study)]
        computations += pair
        # Once the worker has taken the first message: every other kill at once, inside that computation
        # (about 0.1 s), so that enough land in a task whatever the machine's speed; the others at a
        # random moment: in the computation, in the second one, or idle after both.
        wait_for(lambda first=pair[0]: _taken(first), timeout=30, interval=0.01)
        if len(computations) % 4 != 0:
            time.sleep(rng.uniform(0, 0.25))
        os.kill(child, signal.SIGKILL)
        child = _new_child(celery_prefork_worker, child)

    def all_finished() -> bool:
        return not FootprintComputation.objects.filter(
            pk__in=[c.pk for c in computations], status__in=[ComputationStatus.QUEUED, ComputationStatus.RUNNING]
        ).exists()

    wait_for(all_finished, timeout=90)
    elapsed = time.monotonic() - started
    log = (tmp_path / "worker.log").read_text(errors="replace")
    lost = log.count("Task handler raised error: WorkerLostError")
    print(f"seed {seed}: {KILLS} kills, {lost} during a task, {elapsed:.1f} s")

    statuses = {}
    for computation in computations:
        computation.refresh_from_db()
        statuses[computation.pk] = (computation.status, computation.error_code)
    assert FootprintComputation.objects.filter(status=ComputationStatus.RUNNING).count() == 0
    assert all(status == ComputationStatus.SUCCEEDED for status, _ in statuses.values()), statuses
    snapshots = list(FootprintResult.objects.filter(study__in=studies))
    assert sorted(s.study_id for s in snapshots) == sorted(s.pk for s in studies)  # exactly one per study's digest
    assert len({s.digest for s in snapshots}) == KILLS
    for snapshot in snapshots:
        assert hashlib.sha256(gzip.decompress(bytes(snapshot.canonical_inputs_gz))).hexdigest() == snapshot.digest
        assert Decimal(snapshot.totals["e"]) == EXPECTED["e"]
    for computation in computations:
        assert computation.result is not None and computation.result.study_id == computation.study_id
    assert lost >= 5, f"only {lost} kills landed during a computation (seed {seed})"
