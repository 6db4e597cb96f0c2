"""The stored files behind evidence rows, so that a file never outlives its row for long.

- A row deleted (by `evidence_delete`, or with its study through the cascade): the file is deleted once
  the deletion commits (the ``post_delete`` receiver in apps.evidence.apps); a rollback keeps both.
- A file stored by `evidence_add` inside a transaction of its caller: Django has no rollback hook, so the
  file is remembered until that transaction commits; a web request that ends with it still remembered
  looks for its row and deletes the file if there is none (the transaction rolled back).
- Anything left behind all the same (a command's transaction rolled back, a process killed between the
  storage write and the commit): `evidence_orphans_find` lists the files under ``evidence/`` that no row
  references, and `evidence_orphans_delete` deletes them (``manage.py evidence_sweep``). A file younger
  than an hour is never swept: its upload may still be in flight.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.storage import Storage, default_storage
from django.db import models, transaction
from django.utils import timezone

from apps.evidence.models import EvidenceFile

logger = logging.getLogger(__name__)

EVIDENCE_PREFIX = "evidence"  # apps.evidence.models.evidence_upload_to stores every file below it
SWEEP_MIN_AGE = timedelta(hours=1)
_LOOKUP_CHUNK = 500

# Files stored in this thread's open transactions: {(alias, name): (storage, model, field of the row keeping it)}.
_in_flight = threading.local()


def stored_file_delete(storage: Storage, name: str) -> None:
    """Delete a stored file; a missing or unreachable file is logged, never raised (its row is gone)."""
    try:
        storage.delete(name)
    except Exception:
        logger.exception("could not delete stored evidence file %s", name)


def stored_file_delete_on_commit(*, storage: Storage, name: str, using: str) -> None:
    transaction.on_commit(lambda: stored_file_delete(storage, name), using=using)


Tracked = tuple[Storage, type[models.Model], str]


def _pending() -> dict[tuple[str, str], Tracked]:
    files: dict[tuple[str, str], Tracked] | None = getattr(_in_flight, "files", None)
    if files is None:
        files = _in_flight.files = {}
    return files


def stored_file_track(
    *, storage: Storage, name: str, using: str, model: type[models.Model] = EvidenceFile, field: str = "file"
) -> None:
    """A file just stored inside a transaction its caller commits: remembered until that commit. ``model`` and
    ``field`` name the row that keeps it (an evidence file's by default; a verification statement's file is
    kept by its statement)."""
    key = (using, name)
    _pending()[key] = (storage, model, field)
    transaction.on_commit(lambda: _pending().pop(key, None), using=using)


def stored_files_forget() -> None:
    """A new request: what an earlier one (or a command in this thread) stored is not its business."""
    _in_flight.files = {}


def stored_files_settle() -> None:
    """At the end of a request: a file still remembered was stored in a transaction that did not commit.
    If its row is not there (the transaction rolled back) the file is deleted; if the row is visible (a
    transaction still open, as in a test) it stays. A database that cannot answer leaves it to the sweep."""
    pending, _in_flight.files = _pending(), {}
    for (using, name), (storage, model, field) in pending.items():
        try:
            kept = model._default_manager.using(using).filter(**{field: name}).exists()
        except Exception:
            logger.warning("left evidence file %s to the sweep: its row could not be looked up", name, exc_info=True)
            continue
        if not kept:
            stored_file_delete(storage, name)


# --- the sweep ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Orphan:
    name: str
    modified: datetime


def _walk(storage: Storage, directory: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{directory}/{name}"
    for name in sorted(directories):
        yield from _walk(storage, f"{directory}/{name}")


def _referenced(names: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(names), _LOOKUP_CHUNK):
        chunk = names[i : i + _LOOKUP_CHUNK]
        found.update(EvidenceFile.objects.filter(file__in=chunk).values_list("file", flat=True))
    return found


def evidence_orphans_find(
    *, storage: Storage | None = None, min_age: timedelta = SWEEP_MIN_AGE, now: datetime | None = None
) -> list[Orphan]:
    """Files under ``evidence/`` that no evidence row references and that were last modified at least
    ``min_age`` ago, by name. Writes nothing."""
    if min_age < timedelta(0):
        raise ValueError("min_age must not be negative")
    storage = storage or default_storage
    cutoff = (now or timezone.now()) - min_age
    names = list(_walk(storage, EVIDENCE_PREFIX))
    referenced = _referenced(names)
    orphans = []
    for name in names:
        if name in referenced:
            continue
        try:
            modified: Any = storage.get_modified_time(name)
        except (FileNotFoundError, OSError):
            continue  # deleted meanwhile
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified)
        if modified <= cutoff:
            orphans.append(Orphan(name=name, modified=modified))
    return orphans


def evidence_orphans_delete(*, orphans: Sequence[Orphan], storage: Storage | None = None) -> list[str]:
    """Delete the files found by `evidence_orphans_find`, each only if still no row references it (one
    may have been committed since). Returns the names deleted."""
    storage = storage or default_storage
    names = [orphan.name for orphan in orphans]
    referenced = _referenced(names)
    deleted = []
    for name in names:
        if name in referenced:
            continue
        stored_file_delete(storage, name)
        deleted.append(name)
    return deleted
