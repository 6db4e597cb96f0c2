"""The buyer's comments a supplier works through: those of a returned version, at their lines in the
workspace.

A comment names its line by the result breakdown's key (``material/20``, ``material/20/2`` for a
second line of a material, ``custom/1``, ``material/20/transport/1``, ``stage/5``, ``fuel/1``,
``waste/1``; apps.footprints.document.to_engine): positions in the study document as it was when the
version was submitted. Those positions are turned back into the rows they were, read from the
history tables as of the submission (so a line deleted or added since moves no comment onto another
line), and the row is then looked for in the study as it is now:

| key | row (its HTML id in the workspace) | the field a link lands on | page |
| --- | --- | --- | --- |
| ``material/<no>[/<n>]`` | ``line-<id>``; if gone, the material's row now | ``<row>-quantity`` | bill of materials |
| ``material/<no>[/<n>]/transport/<k>`` | the line's row | ``line-<id>-legs`` | bill of materials |
| ``custom/<n>`` | ``line-<id>`` while the line exists | ``line-<id>-quantity`` | bill of materials |
| ``stage/<no>`` | ``stage-<no>`` | ``stage-<no>-electricity`` | stages |
| ``fuel/<n>``, ``waste/<n>`` | ``fuel-<id>``, ``waste-<id>`` while it exists | the row | fuels and waste |

(A material's row now: its first line, or ``material-<no>`` when it has none.)

Which comments are open: while the study is *returned* (its latest version was returned: the study
follows its latest version), the comments of the latest version of each request the study answered
whose latest version is returned. Once the study is submitted again there are none. A study that is
not returned costs no query.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import models

from apps.exchange.enums import SubmissionState
from apps.exchange.models import ReviewComment, Submission
from apps.inventory.enums import StudyStatus
from apps.inventory.models import BomLine, Study
from apps.ledger.models import FuelEntry, WasteEntry

BOM, STAGES, ENTRIES = "bom", "stages", "entries"  # apps.footprints.checks.Problem.section


@dataclass(frozen=True)
class OpenComment:
    uuid: UUID
    line_key: str  # "" for a comment on the whole version
    line_label: str
    body: str
    author: str
    when: datetime
    version: int
    buyer: str
    submission_uuid: UUID
    section: str  # "bom", "stages", "entries", or "" (the whole version, or a line no longer in the study)
    row: str  # the HTML id of the line's row in the workspace, "" for none
    anchor: str  # the HTML id of the field the link lands on, "" for none

    @property
    def where(self) -> str:
        return self.line_label or self.line_key


@dataclass(frozen=True)
class OpenComments:
    comments: tuple[OpenComment, ...] = ()
    signature: str = "none"  # names everything shown: part of the cache key of a fragment that shows them
    by_row: dict[str, list[OpenComment]] = field(default_factory=dict)
    by_line: dict[str, list[OpenComment]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.comments)

    @property
    def whole(self) -> list[OpenComment]:
        """The comments on the whole version (and those whose line is no longer in the study)."""
        return [comment for comment in self.comments if not comment.row]

    def for_row(self, row: str) -> list[OpenComment]:
        return self.by_row.get(row, [])


NONE = OpenComments()


def open_comments_for_study(*, study: Study) -> OpenComments:
    """The buyer's comments the supplier is to work through, each at its row (see the module's table)."""
    if study.status != StudyStatus.RETURNED:
        return NONE
    latest: dict[int, Submission] = {}
    for submission in (
        Submission.objects.filter(study=study)
        .select_related("request__organization")
        .order_by("request_id", "-version")
    ):
        latest.setdefault(submission.request_id, submission)
    returned = {s.pk: s for s in latest.values() if s.state == SubmissionState.RETURNED}
    if not returned:
        return NONE
    comments = list(
        ReviewComment.objects.filter(submission_id__in=list(returned))
        .select_related("author")
        .order_by("created_at", "id")
    )
    if not comments:
        return NONE
    resolver = _Resolver(study)
    rows = [
        _open_comment(
            comment, returned[comment.submission_id], resolver.place(comment, returned[comment.submission_id])
        )
        for comment in comments
    ]
    by_row: dict[str, list[OpenComment]] = defaultdict(list)
    by_line: dict[str, list[OpenComment]] = defaultdict(list)
    for row in rows:
        if row.row:
            by_row[row.row].append(row)
        if row.line_key:
            by_line[row.line_key].append(row)
    digest = hashlib.sha256(
        repr([(str(r.uuid), r.row, r.anchor, r.body, r.line_label, r.version) for r in rows]).encode()
    ).hexdigest()[:16]
    return OpenComments(comments=tuple(rows), signature=digest, by_row=dict(by_row), by_line=dict(by_line))


def _open_comment(comment: ReviewComment, submission: Submission, place: tuple[str, str, str]) -> OpenComment:
    section, row, anchor = place
    return OpenComment(
        uuid=comment.uuid,
        line_key=comment.line_key,
        line_label=comment.line_label,
        body=comment.body,
        author=comment.author.get_username() if comment.author is not None else "",
        when=comment.created_at,
        version=submission.version,
        buyer=submission.request.organization.name,
        submission_uuid=submission.uuid,
        section=section,
        row=row,
        anchor=anchor,
    )


def _positions(parts: list[str]) -> tuple[int, int] | None:
    """("20", "2") -> (20, 2); ("20",) -> (20, 1)."""
    try:
        first = int(parts[0])
        second = int(parts[1]) if len(parts) > 1 else 1
    except (IndexError, ValueError):
        return None
    return first, second


class _Resolver:
    """Turns line keys into the study's rows: each table read once (as of a submission, and now)."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self._then: dict[tuple[str, datetime], list[tuple[int, Any]]] = {}
        self._now: dict[str, list[tuple[int, Any]]] = {}

    def _history(self, model: type[models.Model], when: datetime) -> list[tuple[int, Any]]:
        """(id, material no or None) of the study's rows of ``model`` as they were at ``when``, in document
        order (lines by material number, lines beyond the catalogue last, then by id; entries by id)."""
        key = (model.__name__, when)
        if key not in self._then:
            history = model.history  # type: ignore[attr-defined]
            records = (
                history.filter(study_id=self.study.pk, history_date__lte=when)
                .latest_of_each()
                .exclude(history_type="-")
            )
            if model is BomLine:
                found = list(records.values_list("id", "material__no"))
            else:
                found = [(pk, None) for pk in records.values_list("id", flat=True)]
            self._then[key] = sorted(found, key=lambda row: (row[1] is None, row[1] or 0, row[0]))
        return self._then[key]

    def _live(self, model: type[models.Model]) -> list[tuple[int, Any]]:
        key = model.__name__
        if key not in self._now:
            queryset: Any = model._default_manager.filter(study=self.study)
            if model is BomLine:
                found = list(queryset.values_list("id", "material__no"))
            else:
                found = [(pk, None) for pk in queryset.values_list("id", flat=True)]
            self._now[key] = sorted(found, key=lambda row: (row[1] is None, row[1] or 0, row[0]))
        return self._now[key]

    def place(self, comment: ReviewComment, submission: Submission) -> tuple[str, str, str]:
        """(section, row, anchor) of the comment's line in the workspace now; ("", "", "") for none."""
        parts = comment.line_key.split("/") if comment.line_key else []
        if not parts:
            return "", "", ""
        kind, rest = parts[0], parts[1:]
        when = submission.created_at
        if kind == "stage":
            position = _positions(rest)
            if position is None:
                return "", "", ""
            return STAGES, f"stage-{position[0]}", f"stage-{position[0]}-electricity"
        if kind in ("fuel", "waste"):
            position = _positions(rest)
            if position is None:
                return "", "", ""
            model: type[models.Model] = FuelEntry if kind == "fuel" else WasteEntry
            then = self._history(model, when)
            if not 1 <= position[0] <= len(then):
                return "", "", ""
            entry_id = then[position[0] - 1][0]
            if entry_id not in {pk for pk, _none in self._live(model)}:
                return "", "", ""
            return ENTRIES, f"{kind}-{entry_id}", f"{kind}-{entry_id}"
        if kind not in ("material", "custom"):
            return "", "", ""
        transport = "transport" in rest
        if transport:
            rest = rest[: rest.index("transport")]
        line_id = self._line_then(kind, rest, when)
        live = self._live(BomLine)
        live_ids = {pk for pk, _no in live}
        if line_id is not None and line_id in live_ids:
            row = f"line-{line_id}"
        elif kind == "material" and rest and rest[0].isdigit():
            # The line is gone: the material's row as it is now (its first line, or the empty row).
            no = int(rest[0])
            current = [pk for pk, material_no in live if material_no == no]
            row = f"line-{current[0]}" if current else f"material-{no}"
        else:
            return "", "", ""
        if transport and row.startswith("line-"):
            return BOM, row, f"{row}-legs"
        return BOM, row, f"{row}-quantity"

    def _line_then(self, kind: str, rest: list[str], when: datetime) -> int | None:
        then = self._history(BomLine, when)
        if kind == "custom":
            try:
                n = int(rest[0])
            except (IndexError, ValueError):
                return None
            custom = [pk for pk, no in then if no is None]
            return custom[n - 1] if 1 <= n <= len(custom) else None
        position = _positions(rest)
        if position is None:
            return None
        no, n = position
        lines = [pk for pk, material_no in then if material_no == no]
        return lines[n - 1] if 1 <= n <= len(lines) else None
