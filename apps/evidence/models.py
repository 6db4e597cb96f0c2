"""Evidence files: the invoices, certificates and records behind a study's numbers.

A file belongs to one study (it is served only to users who may see that study) and is attached
either to the study as a whole or to exactly one thing in it: a bill-of-materials line, a
transport leg, a stage, a fuel or waste entry, or one of the supplier's own emission factors.

Rows are written by apps.evidence.services only and never changed in place: a wrong file is
deleted (the history keeps its name, size and SHA-256) and the right one uploaded.
"""

from __future__ import annotations

import os
import uuid
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.accounts.models import TenantModel
from apps.evidence.enums import EvidenceKind
from apps.factors.models import EmissionFactor
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.models import FuelEntry, WasteEntry

# The things a file can be attached to, by field name; none of them means the study as a whole.
TARGET_FIELDS: tuple[str, ...] = ("bom_line", "transport_leg", "study_stage", "fuel_entry", "waste_entry", "factor")
# Extensions a stored name may keep (the services decide which files are accepted).
STORED_EXTENSIONS = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".xlsx", ".csv", ".txt"})


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    """evidence/<organization id>/<year>/<uuid><ext>: never the uploader's file name."""
    ext = os.path.splitext(filename)[1].lower()
    if ext not in STORED_EXTENSIONS:
        ext = ""
    return f"evidence/{instance.organization_id}/{timezone.now():%Y}/{instance.uuid}{ext}"


def _at_most_one_target() -> Q:
    alternatives = [Q(**{f"{name}__isnull": True for name in TARGET_FIELDS})]
    for chosen in TARGET_FIELDS:
        alternatives.append(Q(**{f"{name}__isnull": name != chosen for name in TARGET_FIELDS}))
    return reduce(or_, alternatives)


class EvidenceFile(TenantModel):
    # The identifier in URLs: sequential ids are never shown.
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="evidence_files", verbose_name=_("study"))
    # At most one target (check constraint below). When the target is deleted the file stays with
    # the study: an invoice does not stop being evidence because a line was removed.
    bom_line = models.ForeignKey(
        BomLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_files",
        verbose_name=_("bill-of-materials line"),
    )
    transport_leg = models.ForeignKey(
        TransportLeg,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_files",
        verbose_name=_("transport leg"),
    )
    study_stage = models.ForeignKey(
        StudyStage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_files",
        verbose_name=_("stage"),
    )
    fuel_entry = models.ForeignKey(
        FuelEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_files",
        verbose_name=_("fuel entry"),
    )
    waste_entry = models.ForeignKey(
        WasteEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_files",
        verbose_name=_("waste entry"),
    )
    factor = models.ForeignKey(
        EmissionFactor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_files",
        verbose_name=_("emission factor"),
        help_text=_("One of the supplier's own factors (primary data from an upstream supplier)."),
    )
    kind = models.CharField(
        _("kind of evidence"), max_length=24, choices=EvidenceKind.choices, default=EvidenceKind.OTHER
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_at_most_one_target(),
                name="evidencefile_at_most_one_target",
                violation_error_message=_("An evidence file is attached to at most one line, entry, stage or factor."),
            ),
        ]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name

    @property
    def target_field(self) -> str | None:
        """The name of the field that holds the target, or None for the study as a whole."""
        for name in TARGET_FIELDS:
            if getattr(self, f"{name}_id") is not None:
                return name
        return None

    def target_values(self) -> dict[str, Any]:
        return {name: getattr(self, f"{name}_id") for name in TARGET_FIELDS}
