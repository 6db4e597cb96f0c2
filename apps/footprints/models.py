"""Footprint computations (what users see queued, running, failed) and immutable results."""

from __future__ import annotations

import gzip
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import TenantModel
from apps.footprints.enums import ComputationStatus
from apps.inventory.models import Study


class ImmutableRowError(Exception):
    pass


class FootprintResult(TenantModel):
    """A calculation snapshot. Never updated: the same inputs give the same digest and row.

    ``canonical_inputs_gz`` holds the canonical study document (the exact inputs, factor values
    and dataset versions) gzip-compressed; ``digest`` is the SHA-256 of its uncompressed bytes.
    Totals and the breakdown are decimal strings at full engine precision. ``summary`` is what pages show of the
    canonical inputs (apps.footprints.summary), made with the snapshot, so a page never reads the document.
    """

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="results")
    digest = models.CharField(_("SHA-256 of the canonical inputs"), max_length=64)
    method_version = models.CharField(_("method version"), max_length=20)
    engine_version = models.CharField(_("engine version"), max_length=20)
    canonical_inputs_gz = models.BinaryField(_("canonical inputs (gzip)"))
    totals = models.JSONField(_("totals per declared unit"))
    breakdown = models.JSONField(_("contribution of every line"))
    primary_data_share = models.TextField(_("primary data share"))
    summary = models.JSONField(_("summary of the canonical inputs"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["study", "digest", "method_version"], name="footprintresult_unique_inputs"),
        ]
        verbose_name = _("footprint result")
        verbose_name_plural = _("footprint results")

    def __str__(self) -> str:
        return f"{self.study} {self.digest[:12]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableRowError("Footprint results are immutable snapshots.")
        super().save(*args, **kwargs)

    @property
    def canonical_inputs(self) -> dict[str, Any]:
        return json.loads(gzip.decompress(bytes(self.canonical_inputs_gz)))


class FootprintComputation(TenantModel):
    """One request to compute a study; its status is what the user sees."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="computations")
    status = models.CharField(
        _("status"), max_length=16, choices=ComputationStatus.choices, default=ComputationStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.ForeignKey(
        FootprintResult, null=True, blank=True, on_delete=models.PROTECT, related_name="computations"
    )
    reused_existing_result = models.BooleanField(default=False)
    error_code = models.CharField(max_length=60, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("footprint computation")
        verbose_name_plural = _("footprint computations")

    def __str__(self) -> str:
        return f"{self.study} [{self.status}]"

    def error_display(self) -> str:
        """The failure in the active language (Chinese or English)."""
        from apps.footprints.errors import error_message

        return error_message(self.error_code, self.error_params, fallback=self.error_message)
