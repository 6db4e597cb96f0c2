"""Reads of a study's evidence: the list with readable targets, and what a file can be attached to.

The caller has opened the study with ``study_access``; everything here stays inside that study
(or, for factors, inside its organization). Query counts do not grow with the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from apps.evidence.labels import LabelResolver
from apps.evidence.models import TARGET_FIELDS, EvidenceFile
from apps.factors.models import EmissionFactor
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.models import FuelEntry, WasteEntry

TARGET_MODELS: dict[str, type[models.Model]] = {
    name: EvidenceFile._meta.get_field(name).related_model  # type: ignore[misc]
    for name in TARGET_FIELDS
}


def target_key(field: str, pk: int) -> str:
    """How a target is named in a form: "bom_line:12", "fuel_entry:3"."""
    return f"{field}:{pk}"


@dataclass(frozen=True)
class EvidenceRow:
    evidence: EvidenceFile
    target_label: str
    uploaded_by: str

    @property
    def sha256_short(self) -> str:
        return self.evidence.sha256[:12]


def evidence_rows(*, study: Study) -> list[EvidenceRow]:
    """The study's files, newest first, each with a label of what it is attached to."""
    files = list(study.evidence_files.select_related("uploaded_by").order_by("-created_at", "-id"))
    resolver = LabelResolver()
    for evidence in files:
        field = evidence.target_field
        if field is not None:
            resolver.need(TARGET_MODELS[field], getattr(evidence, f"{field}_id"))
    resolver.resolve()
    rows = []
    for evidence in files:
        field = evidence.target_field
        label = (
            resolver.label(TARGET_MODELS[field], getattr(evidence, f"{field}_id"))
            if field is not None
            else _("The study as a whole")
        )
        user = evidence.uploaded_by
        rows.append(EvidenceRow(evidence=evidence, target_label=label, uploaded_by=user.get_username() if user else ""))
    return rows


@dataclass(frozen=True)
class EvidenceTargets:
    """What a file of this study can be attached to: grouped choices for a select, and the rows."""

    choices: list[tuple[str, list[tuple[str, str]]]]
    rows: dict[str, Any]

    def get(self, key: str) -> Any | None:
        return self.rows.get(key)


def evidence_targets(*, study: Study) -> EvidenceTargets:
    """The study's lines, legs, stages, entries and the organization's own factors (a few queries)."""
    groups: list[tuple[str, type[models.Model], list[Any]]] = [
        ("bom_line", BomLine, list(study.bom_lines.all())),
        ("transport_leg", TransportLeg, list(TransportLeg.objects.filter(bom_line__study=study).order_by("id"))),
        ("study_stage", StudyStage, list(study.stages.select_related("stage"))),
        ("fuel_entry", FuelEntry, list(study.fuel_entries.order_by("id"))),
        ("waste_entry", WasteEntry, list(study.waste_entries.order_by("id"))),
        (
            "factor",
            EmissionFactor,
            list(EmissionFactor.objects.filter(organization=study.organization).order_by("code")),
        ),
    ]
    resolver = LabelResolver()
    for _field, model, rows in groups:
        resolver.add(model, rows)
    resolver.resolve()
    titles = {
        "bom_line": _("Bill of materials"),
        "transport_leg": _("Transport legs"),
        "study_stage": _("Stages"),
        "fuel_entry": _("Fuel entries"),
        "waste_entry": _("Waste entries"),
        "factor": _("Your own emission factors"),
    }
    choices: list[tuple[str, list[tuple[str, str]]]] = []
    by_key: dict[str, Any] = {}
    for field, model, rows in groups:
        options = []
        for row in rows:
            key = target_key(field, row.pk)
            by_key[key] = row
            options.append((key, resolver.label_of(model, row)))
        if options:
            choices.append((titles[field], options))
    return EvidenceTargets(choices=choices, rows=by_key)


def evidence_target_label(*, evidence: EvidenceFile) -> str:
    """One file's target label (for messages); a query or two."""
    field = evidence.target_field
    if field is None:
        return _("The study as a whole")
    resolver = LabelResolver()
    resolver.need(TARGET_MODELS[field], getattr(evidence, f"{field}_id"))
    resolver.resolve()
    return resolver.label(TARGET_MODELS[field], getattr(evidence, f"{field}_id"))
