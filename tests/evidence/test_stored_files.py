"""A stored evidence file does not outlive its row: a rolled-back upload, a deleted study, and the sweep for
whatever is left behind (on a real filesystem storage in a temporary directory)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone

from apps.evidence.enums import EvidenceKind
from apps.evidence.models import EvidenceFile
from apps.evidence.services import evidence_add
from apps.evidence.stored import evidence_orphans_delete, evidence_orphans_find
from tests import factories
from tests.evidence.builders import PDF, PNG, make_targets, stored_files, upload

HOUR = 3600


@pytest.fixture
def targets(supplier, library):
    return make_targets(supplier, library)


@pytest.fixture
def editor(supplier):
    return factories.make_member(supplier, username="zhao.lei")


def _add(targets, name: str = "invoice.pdf", content: bytes = PDF, **kwargs) -> EvidenceFile:
    return evidence_add(study=targets.study, upload=upload(name, content), kind=EvidenceKind.INVOICE, **kwargs)


def _aged(root: Path, name: str, *, seconds: int) -> None:
    moment = time.time() - seconds
    os.utime(root / name, (moment, moment))


def _orphan(root: Path, name: str, *, seconds_old: int) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PDF)
    _aged(root, name, seconds=seconds_old)
    return name


class _Rollback(Exception):
    pass


def _send(signal) -> None:
    """Send what the start or end of a request sends, as the test client does: without closing the test's
    database connection."""
    signal.disconnect(close_old_connections)
    try:
        signal.send(sender=None)
    finally:
        signal.connect(close_old_connections)


# --- a transaction that rolls back ----------------------------------------------------------------------------------


def test_a_request_whose_transaction_rolled_back_leaves_no_file(media, targets, editor):
    _send(request_started)
    with pytest.raises(_Rollback), transaction.atomic():
        _add(targets, user=editor)
        assert len(stored_files(media)) == 1
        raise _Rollback  # something after the upload failed: the row is rolled back

    _send(request_finished)

    assert EvidenceFile.objects.count() == 0
    assert stored_files(media) == []


def test_a_request_whose_transaction_committed_keeps_the_file(
    media, targets, editor, django_capture_on_commit_callbacks
):
    _send(request_started)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        evidence = _add(targets, user=editor)

    _send(request_finished)

    assert [path.name for path in stored_files(media)] == [Path(evidence.file.name).name]


def test_a_file_whose_row_is_still_visible_at_the_end_of_the_request_stays(media, targets, editor):
    _send(request_started)
    with transaction.atomic():  # the test's own transaction stays open: its row is there
        evidence = _add(targets, user=editor)

    _send(request_finished)

    assert EvidenceFile.objects.get() == evidence
    assert len(stored_files(media)) == 1


def test_a_rolled_back_upload_outside_a_request_is_swept_after_an_hour(media, targets, editor):
    with pytest.raises(_Rollback), transaction.atomic():
        evidence = _add(targets, user=editor)
        raise _Rollback
    name = evidence.file.name
    assert (media / name).is_file()  # a command's rollback: nothing ends a request here

    assert evidence_orphans_find() == []  # younger than an hour: it could be an upload in flight
    orphans = evidence_orphans_find(now=timezone.now() + timedelta(hours=1, seconds=1))
    assert [orphan.name for orphan in orphans] == [name]
    assert evidence_orphans_delete(orphans=orphans) == [name]
    assert stored_files(media) == []


# --- deleting rows --------------------------------------------------------------------------------------------------


def test_deleting_a_study_deletes_its_files_on_commit(media, targets, editor, django_capture_on_commit_callbacks):
    _add(targets, user=editor)
    _add(targets, "label.png", PNG, target=targets.line, user=editor)
    other = make_targets(targets.study.organization, factories.make_library())
    kept = _add(other, user=editor)
    assert len(stored_files(media)) == 3

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        targets.study.delete()
    assert len(stored_files(media)) == 3  # not before the commit
    for callback in callbacks:
        callback()

    assert [path.name for path in stored_files(media)] == [Path(kept.file.name).name]
    assert list(EvidenceFile.objects.all()) == [kept]


def test_a_study_deletion_rolled_back_keeps_its_files(media, targets, editor, django_capture_on_commit_callbacks):
    _add(targets, user=editor)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(_Rollback), transaction.atomic():
        targets.study.delete()
        raise _Rollback

    assert EvidenceFile.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_deleting_a_row_whose_file_is_already_gone_does_not_fail(
    media, targets, editor, django_capture_on_commit_callbacks
):
    evidence = _add(targets, user=editor)
    (media / evidence.file.name).unlink()

    with django_capture_on_commit_callbacks(execute=True):
        evidence.delete()

    assert EvidenceFile.objects.count() == 0


# --- the sweep ------------------------------------------------------------------------------------------------------


@pytest.fixture
def swept(media, targets, editor):
    """A referenced file and an old orphan, both two hours old; a young orphan; an old file outside evidence/."""
    referenced = _add(targets, user=editor).file.name
    _aged(media, referenced, seconds=2 * HOUR)
    return {
        "referenced": referenced,
        "old": _orphan(media, f"evidence/{targets.study.organization_id}/2025/lost.pdf", seconds_old=2 * HOUR),
        "young": _orphan(media, f"evidence/{targets.study.organization_id}/2026/uploading.pdf", seconds_old=60),
        "elsewhere": _orphan(media, "reports/2025/report.pdf", seconds_old=2 * HOUR),
    }


def _names(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in stored_files(root)}


def test_the_sweep_dry_run_lists_the_old_orphan_and_deletes_nothing(media, swept):
    out = StringIO()

    call_command("evidence_sweep", "--dry-run", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"would delete {swept['old']} (modified ")
    assert lines[1] == "1 unreferenced evidence file(s) older than 60 min; dry run"
    assert _names(media) == set(swept.values())


def test_the_sweep_deletes_only_unreferenced_files_older_than_an_hour(media, swept):
    out = StringIO()

    call_command("evidence_sweep", stdout=out)

    assert out.getvalue().splitlines() == [
        f"deleted {swept['old']}",
        "1 unreferenced evidence file(s) older than 60 min deleted",
    ]
    assert _names(media) == {swept["referenced"], swept["young"], swept["elsewhere"]}


def test_the_sweep_age_can_be_lowered_but_not_below_zero(media, swept):
    with pytest.raises(CommandError, match="--min-age-minutes must be 0 or more"):
        call_command("evidence_sweep", "--min-age-minutes", "-1")
    assert _names(media) == set(swept.values())

    call_command("evidence_sweep", "--min-age-minutes", "0", stdout=StringIO())

    assert _names(media) == {swept["referenced"], swept["elsewhere"]}


def test_the_sweep_finds_nothing_in_an_empty_storage(media, db):
    assert evidence_orphans_find() == []
    out = StringIO()
    call_command("evidence_sweep", stdout=out)
    assert out.getvalue() == "0 unreferenced evidence file(s) older than 60 min deleted\n"


def test_a_file_referenced_between_finding_and_deleting_is_kept(media, swept, targets):
    orphans = evidence_orphans_find()
    assert [orphan.name for orphan in orphans] == [swept["old"]]
    row = EvidenceFile.objects.get(file=swept["referenced"])
    EvidenceFile.objects.filter(pk=row.pk).update(file=swept["old"])  # as if its upload had just committed

    assert evidence_orphans_delete(orphans=orphans) == []
    assert (media / swept["old"]).is_file()
