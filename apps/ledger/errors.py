"""Errors the ledger services raise, so callers (views, imports, tasks) can tell them apart, and
the checks that word them.

Not-found errors are both the model's ``DoesNotExist`` (services and tasks catch that) and
``Http404`` (views and DRF answer 404 without translating): a tenant never learns whether another
organization's object exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from operator import index
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from apps.accounts.models import Organization
from apps.inventory.models import Site
from apps.ledger.enums import ReadingSource
from apps.ledger.models import MeteringPoint

BIGINT_MAX = 2**63 - 1
ERRORS_SHOWN = 100  # problems one rejected batch reports; a last one says how many more there were

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    StrOrPromise = str | _StrPromise  # a message, translated now or when shown


class MeteringPointNotFound(MeteringPoint.DoesNotExist, Http404):
    """No metering point with that id in the caller's organization."""


class SiteNotFound(Site.DoesNotExist, Http404):
    """No site with that id in the caller's organization."""


class ReadingValidationError(ValidationError):
    """A rejected batch of readings: every problem found, each naming its reading (1-based row).

    ``errors`` keeps the individual ``ValidationError`` objects (with ``code`` and ``params``;
    ``params["row"]`` is the reading's 1-based position in the input where one applies);
    ``messages`` gives the rendered sentences, in input order. At most ``ERRORS_SHOWN`` problems are listed (those
    of the first rows), then one "and N more problems" (code ``more``, ``params["count"]``).
    """

    def __init__(self, errors: Sequence[ValidationError]) -> None:
        self.errors = list(errors)
        super().__init__(self.errors)


class ReadingErrors:
    """Collects the problems of one batch, worded for its organization (local time with offset)."""

    def __init__(self, organization: Organization) -> None:
        self.items: list[ValidationError] = []
        self.dropped = 0  # problems found beyond the ERRORS_SHOWN of the first rows
        try:
            self.zone: tzinfo = ZoneInfo(organization.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = UTC

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, message: StrOrPromise, code: str, row: int | None = None, **params: object) -> None:
        """`row` is the reading's 1-based position in the input; `message` may use %(row)s."""
        self.items.append(ValidationError(message, code=code, params={"row": row, **params}))
        if len(self.items) >= 2 * ERRORS_SHOWN:  # keep memory bounded: a million bad rows are not a million errors
            self._keep_first_rows()

    def _keep_first_rows(self) -> None:
        self.items.sort(key=lambda error: (error.params or {}).get("row") or 0)
        self.dropped += max(len(self.items) - ERRORS_SHOWN, 0)
        del self.items[ERRORS_SHOWN:]

    def show(self, value: object) -> str:
        if not isinstance(value, datetime):
            return repr(value)
        if timezone.is_aware(value):
            value = value.astimezone(self.zone)
        return value.isoformat(" ", "minutes" if not value.second and not value.microsecond else "auto")

    def check_datetime(self, value: object, message: StrOrPromise, row: int | None = None, **params: object) -> bool:
        """Record why `value` cannot be an interval boundary; `message` takes %(value)s and %(problem)s."""
        if not isinstance(value, datetime):
            problem = _("is not a date and time")
        elif timezone.is_naive(value):
            problem = _("has no time zone")
        elif value.microsecond:
            problem = _("is not on a whole second")
        else:
            return True
        self.add(message, "bad_datetime", row, value=self.show(value), problem=problem, **params)
        return False

    def check_energies(self, values: Sequence[int]) -> list[int]:
        """Whole, non-negative mWh that fit a bigint; the list keeps one entry per input value."""
        try:
            checked = [index(v) for v in values]
        except TypeError:
            checked = []
            for row, value in enumerate(values, start=1):
                if isinstance(value, bool) or not hasattr(value, "__index__"):
                    message = _("Reading %(row)s: energy %(value)s is not a whole number of mWh")
                    self.add(message, "not_an_integer", row, value=repr(value))
                    checked.append(0)  # keeps the rows of later values right; the run is rejected anyway
                else:
                    checked.append(index(value))
        if checked and (min(checked) < 0 or max(checked) > BIGINT_MAX):
            for row, value in enumerate(checked, start=1):
                if value < 0:
                    self.add(_("Reading %(row)s: energy %(value)s mWh is negative"), "negative", row, value=value)
                elif value > BIGINT_MAX:
                    self.add(_("Reading %(row)s: energy %(value)s mWh is too large"), "too_large", row, value=value)
        return checked

    def raise_if_any(self) -> None:
        if self.items:
            self._keep_first_rows()
            if self.dropped:
                message = ngettext_lazy("… and %(count)s more problem", "… and %(count)s more problems", "count")
                self.items.append(ValidationError(message, code="more", params={"row": None, "count": self.dropped}))
            raise ReadingValidationError(errors=self.items)


def checked_source(source: ReadingSource | int) -> ReadingSource:
    try:
        return ReadingSource(source)
    except ValueError:
        message = _("Unknown reading source %(source)s.")
        raise ValidationError(message, code="bad_source", params={"source": repr(source)}) from None
