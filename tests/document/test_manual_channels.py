"""A stage whose electricity was entered by hand travels through the study document as a manual
channel, so an imported study still refuses to count it twice against meter readings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from apps.catalog.models import ProcessStage
from apps.footprints.document.canonical import canonical_bytes
from apps.footprints.document.export import study_document_build
from apps.footprints.document.importer import study_document_import
from apps.ledger.manual import stage_electricity_manual_set
from apps.ledger.models import MeteringPoint
from tests import factories


def test_a_manual_channel_is_marked_in_the_document_and_imported_as_one(supplier, other_supplier, library):
    study = factories.make_study(supplier, library, period=(date(2025, 1, 1), date(2025, 1, 31)), stage_nos=(5, 7))
    stage_electricity_manual_set(
        study=study, stage=ProcessStage.objects.get(no=5), total_kwh=Decimal("1200"), monthly_kwh=None, user=None
    )

    document = study_document_build(study=study)
    points = {s["stage_no"]: s["metering_points"] for s in document["stages"]}
    imported = study_document_import(organization=other_supplier, document=document)

    assert [p.get("is_manual") for p in points[5]] == [True]
    assert points[7] == []
    point = MeteringPoint.objects.get(site=imported.site, stage__no=5)
    assert point.is_manual
    assert point.readings.get().milliwatt_hours == 1200 * 10**6
    assert canonical_bytes(study_document_build(study=imported)) == canonical_bytes(document)


def test_a_metered_point_carries_no_manual_mark(supplier, library):
    study = factories.make_study(supplier, library, stage_nos=(5,))
    MeteringPoint.objects.create(
        organization=supplier, site=study.site, stage=ProcessStage.objects.get(no=5), code="m5", name="Reflow meter"
    )

    document = study_document_build(study=study)

    assert "is_manual" not in document["stages"][0]["metering_points"][0]
