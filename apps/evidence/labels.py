"""Readable labels of a study's rows ("Material 20 Printed circuit board", "Fuel: diesel 120 kg"),
for the evidence list, its target choices and the timeline, resolved in bulk.

A label is built from a row's own columns and the labels of the rows it points to. The resolver
is told which (model, id) pairs a page needs, fetches each model once (the live rows, then for ids
no longer there the newest history record, so a deleted line still has a name) and then labels
everything without another query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.catalog.models import Material, ProcessStage
from apps.evidence.models import EvidenceFile
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.ledger.models import FuelEntry, WasteEntry

EMPTY = "—"

# The column a label needs from another row, per model: fetched in this order, so that rows
# pointing further down (a leg to its line, a line to its material) bring their needs in first.
_DEPENDENCIES: dict[type[models.Model], tuple[tuple[str, type[models.Model]], ...]] = {
    TransportLeg: (("bom_line_id", BomLine),),
    StudyStage: (("stage_id", ProcessStage),),
    FuelEntry: (("factor_id", EmissionFactor),),
    WasteEntry: (("factor_id", EmissionFactor),),
    BomLine: (("material_id", Material),),
}
_FETCH_ORDER: tuple[type[models.Model], ...] = (TransportLeg, StudyStage, FuelEntry, WasteEntry, BomLine)


def localized_name(name_zh: str, name_en: str) -> str:
    """The name in the reader's language, else the other one."""
    if (get_language() or "").lower().startswith("zh"):
        return name_zh or name_en
    return name_en or name_zh


def plain_decimal(value: Decimal | None) -> str:
    """Full precision without trailing zeros: 120.000000 -> 120, 0.880 -> 0.88."""
    if value is None:
        return EMPTY
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    if value.is_zero():
        return "0"
    return f"{value.normalize():f}"


def percent_of_fraction(value: Decimal | None) -> str:
    """A stored fraction as the percentage people enter: 0.025 -> 2.5 %."""
    if value is None:
        return EMPTY
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return f"{plain_decimal(value * 100)} %"


class LabelResolver:
    def __init__(self) -> None:
        self._needed: dict[type[models.Model], set[int]] = defaultdict(set)
        self._rows: dict[type[models.Model], dict[int, Any]] = defaultdict(dict)
        self._resolved = False

    # -- telling it what is needed ----------------------------------------------------------
    def need(self, model: type[models.Model], pk: Any) -> None:
        if pk is None:
            return
        if pk not in self._rows[model]:
            self._needed[model].add(pk)

    def need_label_of(self, model: type[models.Model], row: Any) -> None:
        """A row that will be labelled (live or historical): fetch what its label points to."""
        for attribute, target in _DEPENDENCIES.get(model, ()):
            self.need(target, getattr(row, attribute, None))

    def add(self, model: type[models.Model], rows: Iterable[Any]) -> None:
        """Rows the caller already has (and whose labels will be asked for)."""
        for row in rows:
            self._rows[model][row.pk] = row
            self._needed[model].discard(row.pk)
            self.need_label_of(model, row)

    # -- fetching ---------------------------------------------------------------------------
    def resolve(self) -> None:
        """At most two queries per model needed (live rows, then history for the missing ones)."""
        for model in _FETCH_ORDER:
            self._fetch(model)
        for model in list(self._needed):
            if model not in _FETCH_ORDER:
                self._fetch(model)
        self._resolved = True

    def _fetch(self, model: type[models.Model]) -> None:
        ids = self._needed.pop(model, set())
        if not ids:
            return
        manager = model._default_manager
        found = manager.in_bulk(list(ids))
        missing = ids - set(found)
        history = getattr(model, "history", None)
        if missing and history is not None:
            latest = history.filter(id__in=list(missing)).values("id").annotate(latest=Max("history_id"))
            for record in history.filter(history_id__in=models.Subquery(latest.values("latest"))):
                found[record.id] = record
        for pk, row in found.items():
            self._rows[model][pk] = row
            self.need_label_of(model, row)

    # -- labels -----------------------------------------------------------------------------
    def row(self, model: type[models.Model], pk: Any) -> Any | None:
        return self._rows.get(model, {}).get(pk)

    def label(self, model: type[models.Model], pk: Any) -> str:
        """The label of the row of ``model`` with id ``pk``; "—" for none."""
        if pk is None:
            return EMPTY
        row = self.row(model, pk)
        if row is None:
            return _("#%(id)s (deleted)") % {"id": pk}
        return self.label_of(model, row)

    def label_of(self, model: type[models.Model], row: Any) -> str:
        """The label of a row (a model instance or a history record of that model)."""
        if model is Material or model is ProcessStage:
            return f"{row.no}. {localized_name(row.name_zh, row.name_en)}"
        if model is EmissionFactor:
            return _("%(name)s (%(value)s %(unit)s)") % {
                "name": localized_name(row.name_zh, row.name_en) or row.code,
                "value": plain_decimal(row.value),
                "unit": row.unit,
            }
        if model is BomLine:
            return self._bom_line_label(row)
        if model is TransportLeg:
            mode = dict(TransportLeg._meta.get_field("mode").flatchoices).get(row.mode, row.mode)
            return _("Transport of %(line)s: %(mode)s, %(distance)s km") % {
                "line": self._bom_line_label(self.row(BomLine, row.bom_line_id)),
                "mode": mode,
                "distance": plain_decimal(row.distance_km),
            }
        if model is StudyStage:
            stage = self.row(ProcessStage, row.stage_id)
            name = self.label_of(ProcessStage, stage) if stage is not None else f"#{row.stage_id}"
            return _("Stage %(stage)s") % {"stage": name}
        if model is FuelEntry:
            return _("Fuel: %(name)s %(quantity)s %(unit)s") % self._entry_parts(row)
        if model is WasteEntry:
            return _("Waste: %(name)s %(quantity)s %(unit)s") % self._entry_parts(row)
        if model is EvidenceFile:
            return _("File %(name)s") % {"name": row.original_name}
        if model is Study or model is Site or model is ElectricityFactorSeries:
            return str(row.name)
        if model is Product:
            return f"{row.name} ({row.model_code})"
        if model is FactorDataset:
            return f"{row.name} {row.version}"
        if model is get_user_model():
            return str(row.get_username())
        instance = getattr(row, "instance", row)  # a history record: label the row it recorded
        return str(instance)

    def _bom_line_label(self, row: Any) -> str:
        if row is None:
            return _("a deleted line")
        material = self.row(Material, getattr(row, "material_id", None))
        if material is not None:
            return _("Material %(no)s %(name)s") % {
                "no": material.no,
                "name": localized_name(material.name_zh, material.name_en),
            }
        own_name = getattr(row, "name", "") or getattr(row, "custom_name", "")
        return _("Line %(name)s") % {"name": own_name or f"#{row.id}"}

    def _entry_parts(self, row: Any) -> dict[str, str]:
        factor = self.row(EmissionFactor, row.factor_id)
        if factor is not None:
            name = localized_name(factor.name_zh, factor.name_en) or factor.code
        else:
            name = row.description or f"#{row.factor_id}"
        return {"name": name, "quantity": plain_decimal(row.quantity), "unit": row.unit}
