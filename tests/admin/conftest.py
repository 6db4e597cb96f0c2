from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import UserProfile
from apps.catalog.models import Material, ProcessStage
from apps.evidence.models import EvidenceFile
from apps.exchange.enums import AssuranceLevel, VerificationOpinion, VerificationStandard
from apps.exchange.models import SubmissionEvidence
from apps.exchange.services import comment_add, verification_grant_add, verification_statement_record
from apps.factors.models import ElectricityFactorPoint, ElectricityFactorSeries
from apps.inventory.enums import TransportMode
from apps.inventory.models import BomLine, TransportLeg
from apps.ledger.enums import ReadingSource
from apps.ledger.models import ElectricityReading, FuelEntry, MeteringPoint, ReadingBatch, WasteEntry
from tests import factories
from tests.exchange.builders import build_exchange, membership_of
from tests.web.builders import make_computed_study


@pytest.fixture
def every_row(supplier, library) -> None:
    """At least one row of every model the admin shows, so every change page has an object."""
    Group.objects.create(name="Verifiers")
    factories.make_member(supplier)
    # The login lockout's records (django-axes), which operators see and clear in the admin.
    client = {"username": "someone", "ip_address": "127.0.0.1", "user_agent": "test", "http_accept": "*/*"}
    AccessAttempt.objects.create(
        **client, path_info="/accounts/login/", get_data="", post_data="", failures_since_start=1
    )
    AccessLog.objects.create(**client, path_info="/accounts/login/")
    AccessFailureLog.objects.create(**client, path_info="/accounts/login/", locked_out=False)
    study = factories.make_study(supplier, library, stage_nos=(5,))
    make_computed_study(study)
    series = ElectricityFactorSeries.objects.create(
        dataset=library.dataset, code="grid.east.hourly", name="East China hourly", region="East China", source="test"
    )
    ElectricityFactorPoint.objects.create(series=series, start=datetime(2025, 1, 1, tzinfo=UTC), value=Decimal("0.58"))
    bom_line = BomLine.objects.create(
        organization=supplier,
        study=study,
        material=Material.objects.get(no=20),
        quantity=Decimal(1),
        factor=library.pcb,
    )
    TransportLeg.objects.create(
        organization=supplier,
        bom_line=bom_line,
        mode=TransportMode.ROAD_HEAVY,
        distance_km=Decimal(500),
        mass_kg=Decimal("0.05"),
        factor=library.truck,
    )
    point = MeteringPoint.objects.create(
        organization=supplier, site=study.site, stage=ProcessStage.objects.get(no=5), code="m-reflow", name="Reflow"
    )
    batch = ReadingBatch.objects.create(organization=supplier, source=ReadingSource.METER, description="test")
    ElectricityReading.objects.create(
        organization=supplier,
        metering_point=point,
        batch=batch,
        start=datetime(2025, 1, 1, tzinfo=UTC),
        end=datetime(2025, 1, 1, 0, 15, tzinfo=UTC),
        milliwatt_hours=1_500_000,
        source=ReadingSource.METER,
    )
    FuelEntry.objects.create(organization=supplier, study=study, factor=library.diesel, quantity=Decimal(5), unit="kg")
    WasteEntry.objects.create(organization=supplier, study=study, factor=library.landfill, quantity=Decimal(10))
    EvidenceFile.objects.create(
        organization=supplier,
        study=study,
        bom_line=bom_line,
        original_name="invoice.pdf",
        content_type="application/pdf",
        size_bytes=8,
        sha256="0" * 64,
        file="evidence/test/invoice.pdf",
    )


@pytest.fixture
def every_exchange_row(every_row, supplier, library) -> None:
    """Every row of the exchange too (for the pages that must render whatever the app)."""
    evidence = EvidenceFile.objects.get(original_name="invoice.pdf")
    exchange = build_exchange(supplier, library)
    submission = exchange.submit(note="First version")
    SubmissionEvidence.objects.create(
        organization=supplier,
        submission=submission,
        evidence=evidence,
        attached_to="20",
        original_name=evidence.original_name,
        kind=evidence.kind,
        sha256=evidence.sha256,
        size_bytes=evidence.size_bytes,
    )
    comment_add(membership=exchange.reviewer_membership(), submission=submission, body="Check the PCB.")
    verifier = factories.make_organization(kind=OrganizationKind.VERIFIER)
    auditor = factories.make_member(verifier, role=Role.VERIFIER)
    verification_grant_add(
        membership=exchange.manager_membership(), submission=submission, verifier_identifier=verifier.slug
    )
    verification_statement_record(
        membership=membership_of(auditor, verifier),
        submission=submission,
        standard=VerificationStandard.ISO_14067,
        assurance_level=AssuranceLevel.LIMITED,
        scope="Cradle to gate, January 2025",
        statement_date=submission.created_at.date(),
        opinion=VerificationOpinion.UNMODIFIED,
        opinion_text="Fairly stated.",
    )
    UserProfile.objects.create(user=auditor, language="en")
