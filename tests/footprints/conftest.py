"""A real Celery worker process for tests: the `celery worker` command on the configured broker
(filesystem by default, Redis or RabbitMQ when CELERY_BROKER_URL says so), consuming a queue of
its own and connected to the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker(transactional_db, tmp_path) -> Iterator[subprocess.Popen[bytes]]:
    with _worker(tmp_path, "--pool=solo") as process:
        yield process


@pytest.fixture
def celery_prefork_worker(transactional_db, tmp_path) -> Iterator[subprocess.Popen[bytes]]:
    """A worker as production runs it: a main process and one pool child doing the work (its log is
    ``tmp_path / "worker.log"``; the child's pid is `pool_child(process)`)."""
    with _worker(tmp_path, "--pool=prefork", "--concurrency=1") as process:
        yield process


@contextmanager
def _worker(tmp_path: Path, *pool: str) -> Iterator[subprocess.Popen[bytes]]:
    queue = f"carbonfoot-test-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": queue,
        "CARBONFOOT_VAR_DIR": str(settings.VAR_DIR),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "carbonfoot", "worker", *pool,
        "--without-heartbeat", "--without-gossip", "--without-mingle",
        "-Q", queue, "--loglevel=INFO",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(process, log)
        with override_settings(CELERY_TASK_DEFAULT_QUEUE=queue):
            yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def pool_child(process: subprocess.Popen[bytes]) -> int | None:
    """The pid of the worker's pool child, or None while the main process is starting a new one."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return int(children[0]) if children else None


def _wait_until_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{log.read_text(errors='replace')}")
        if "ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"celery worker not ready after {timeout}s:\n{log.read_text(errors='replace')}")


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.2):
    """Poll until predicate() returns something truthy; the worker runs in another process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
