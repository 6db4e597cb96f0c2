"""Web-only presentation helpers: time zones for rendering and links from a check (or a buyer's comment)
to its field.

Reading a stored result (totals, lines, factors used, display rounding) is apps.footprints.reader and
apps.footprints.display, shared with the PDF reports and the API.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from apps.accounts.models import Organization
from apps.exchange.selectors_comments import OpenComment
from apps.footprints.checks import Problem
from apps.inventory.models import Study

# The page each check section is fixed on (apps.footprints.checks.Problem.section).
SECTION_URL_NAMES: dict[str, str] = {
    "bom": "web:study-bom",
    "stages": "web:study-stages",
    "entries": "web:study-entries",
    "study": "web:study-edit",
}


@dataclass(frozen=True)
class ProblemLink:
    problem: Problem
    url: str  # the field on its page ("" when that page does not exist)


def organization_timezone(organization: Organization) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organization.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class CommentLink:
    comment: OpenComment
    url: str  # the line's field on its page ("" for a comment on the whole version or a line now gone)


def _section_pages(study: Study) -> dict[str, str]:
    pages: dict[str, str] = {}
    for section, name in SECTION_URL_NAMES.items():
        try:
            pages[section] = reverse(name, args=[study.uuid])
        except NoReverseMatch:
            pages[section] = ""
    return pages


def _field_url(pages: dict[str, str], section: str, anchor: str) -> str:
    page = pages.get(section, "")
    if not page:
        return ""
    return f"{page}#{anchor}" if anchor else page


def problem_links(*, study: Study, problems: Iterable[Problem]) -> list[ProblemLink]:
    """Each problem with the URL of its field: the section's page, the field's anchor."""
    pages = _section_pages(study)
    return [ProblemLink(problem=p, url=_field_url(pages, p.section, p.anchor)) for p in problems]


def comment_links(*, study: Study, comments: Iterable[OpenComment]) -> list[CommentLink]:
    """Each buyer's comment with the URL of its line's field, built as a check's link is."""
    pages = _section_pages(study)
    return [CommentLink(comment=c, url=_field_url(pages, c.section, c.anchor) if c.row else "") for c in comments]
