"""One organization with one of everything (a study, a line, a leg, entries, a metered stage,
evidence), its names marked with SECRET: what the ownership and language tests request pages of."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.catalog.models import Material, ProcessStage
from apps.inventory.enums import TransportMode
from apps.inventory.models import BomLine, Study, TransportLeg
from apps.ledger.enums import ReadingSource
from apps.ledger.models import FuelEntry, WasteEntry
from apps.ledger.services import metering_point_create, readings_insert_run
from tests import factories

SECRET = "ZZ-secret-owner-data"
# Views that are not of one organization's data (the dashboard lists the caller's own).
NOT_OBJECT_URLS = {"web:study-list", "web:organization-switch", "web:language-set"}
# A person's own inbox: anyone signed in may mark their notifications read, whatever their role.
PERSONAL_URLS = {"web:notification-read"}


def web_patterns() -> list[tuple[str, list[str]]]:
    """(url name, argument names) of every named pattern in the web namespace."""
    resolver = get_resolver()
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name and namespace == "web":
                found.append((f"web:{entry.name}", list(entry.pattern.converters)))

    walk(resolver.url_patterns, "")
    return found


def build_owner_world(library: factories.Library) -> dict[str, Any]:
    """An owner organization with one of everything, its names marked with SECRET."""
    owner = factories.make_organization(name=f"{SECRET} org")
    study = factories.make_study(owner, library, name=f"{SECRET} study", stage_nos=(5,))
    study.product.name = f"{SECRET} product"
    study.product.save()
    line = BomLine.objects.create(
        organization=owner,
        study=study,
        material=Material.objects.get(no=20),
        quantity=Decimal(1),
        notes=SECRET,
    )
    leg = TransportLeg.objects.create(
        organization=owner,
        bom_line=line,
        mode=TransportMode.ROAD_HEAVY,
        distance_km=Decimal(100),
        mass_kg=Decimal("0.1"),
        factor=library.truck,
    )
    fuel = FuelEntry.objects.create(
        organization=owner, study=study, factor=library.diesel, quantity=Decimal(10), unit="kg", description=SECRET
    )
    waste = WasteEntry.objects.create(
        organization=owner, study=study, factor=library.landfill, quantity=Decimal(5), unit="kg", description=SECRET
    )
    point = metering_point_create(
        organization=owner, site=study.site, stage=ProcessStage.objects.get(no=5), code="owner-smt", name=SECRET
    )
    readings_insert_run(
        organization=owner,
        metering_point=point,
        start=datetime(2024, 12, 31, 16, tzinfo=UTC),
        step_seconds=900,
        milliwatt_hours=[1000] * 4,
        source=ReadingSource.METER,
    )
    world: dict[str, Any] = {
        "organization": owner,
        "study": study,
        "line": line,
        "leg": leg,
        "fuel": fuel,
        "waste": waste,
        "stage": study.stages.first(),
        "point": point,
    }
    evidence_model = model_or_none("evidence", "EvidenceFile")
    if evidence_model is not None:
        world["evidence"] = evidence_model.objects.create(
            organization=owner,
            study=study,
            original_name=f"{SECRET}.pdf",
            content_type="application/pdf",
            size_bytes=5,
            sha256="0" * 64,
            file="evidence/test/owner.pdf",
        )
    if model_or_none("exchange", "Submission") is not None:
        world.update(_exchange_world(owner, library))
    return world


def _exchange_world(owner: Any, library: factories.Library) -> dict[str, Any]:
    """The owner's side of an exchange, one of everything: a buyer with an active relationship, a request,
    a submitted version of a complete, computed study (its names marked with SECRET too), a comment, a
    verification body granted that version with its statement, a notification."""
    from apps.accounts.enums import OrganizationKind, Role
    from apps.exchange.enums import AssuranceLevel, VerificationOpinion, VerificationStandard
    from apps.exchange.models import Notification, SubmissionEvidence
    from apps.exchange.services import comment_add, verification_grant_add, verification_statement_record
    from tests.exchange.builders import build_exchange, compute, membership_of

    exchange = build_exchange(owner, library)
    exchange.study.name = f"{SECRET} submitted study"
    exchange.study.save()
    compute(exchange.study)
    evidence_model = apps.get_model("evidence", "EvidenceFile")
    evidence = evidence_model.objects.create(
        organization=owner,
        study=exchange.study,
        original_name=f"{SECRET}-submitted.pdf",
        content_type="application/pdf",
        size_bytes=5,
        sha256="1" * 64,
        file="evidence/test/owner-submitted.pdf",
    )
    submission = exchange.submit(note=SECRET)
    frozen = SubmissionEvidence.objects.get(submission=submission, evidence=evidence)
    comment = comment_add(
        membership=exchange.reviewer_membership(), submission=submission, body=SECRET, line_key="material/20"
    )
    verifier = factories.make_organization(kind=OrganizationKind.VERIFIER)
    auditor = factories.make_member(verifier, role=Role.VERIFIER)
    grant = verification_grant_add(
        membership=exchange.manager_membership(), submission=submission, verifier_identifier=verifier.slug
    )
    statement = verification_statement_record(
        membership=membership_of(auditor, verifier),
        submission=submission,
        standard=VerificationStandard.ISO_14067,
        assurance_level=AssuranceLevel.LIMITED,
        scope=SECRET,
        statement_date=submission.created_at.date(),
        opinion=VerificationOpinion.UNMODIFIED,
        opinion_text=SECRET,
    )
    return {
        "exchange": exchange,
        "buyer": exchange.buyer,
        "relationship": exchange.relationship,
        "request": exchange.request,
        "submission": submission,
        "submission_evidence": frozen,
        "comment": comment,
        "verifier": verifier,
        "auditor": auditor,
        "grant": grant,
        "statement": statement,
        "notification": Notification.objects.filter(recipient=exchange.reviewer).first(),
    }


def model_or_none(app_label: str, name: str) -> Any:
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def url_argument(name: str, world: dict[str, Any]) -> Any:
    study: Study = world["study"]
    values: dict[str, Any] = {
        "study_uuid": study.uuid,
        "product_uuid": study.product.uuid,
        "site_uuid": study.site.uuid,
        "line_id": world["line"].pk,
        "bom_line_id": world["line"].pk,
        "leg_id": world["leg"].pk,
        "transport_leg_id": world["leg"].pk,
        "fuel_id": world["fuel"].pk,
        "fuel_entry_id": world["fuel"].pk,
        "waste_id": world["waste"].pk,
        "waste_entry_id": world["waste"].pk,
        "stage_no": world["stage"].stage.no,
        "study_stage_id": world["stage"].pk,
        "stage_id": world["stage"].pk,
        "point_id": world["point"].pk,
    }
    if "evidence" in world:
        values["evidence_uuid"] = world["evidence"].uuid
    if "submission" in world:
        values.update(
            {
                "relationship_uuid": world["relationship"].uuid,
                "request_uuid": world["request"].uuid,
                "submission_uuid": world["submission"].uuid,
                "submission_evidence_id": world["submission_evidence"].pk,
                "item_id": world["submission_evidence"].pk,
                "comment_uuid": world["comment"].uuid,
                "grant_uuid": world["grant"].uuid,
                "statement_uuid": world["statement"].uuid,
                "notification_id": world["notification"].pk,
            }
        )
    if name not in values:
        pytest.fail(f"test_ownership_matrix cannot fill URL argument {name!r}: add it to _argument()")
    return values[name]


def object_urls(world: dict[str, Any]) -> list[str]:
    urls = []
    for name, arguments in web_patterns():
        if name in NOT_OBJECT_URLS or not arguments:
            continue
        urls.append(reverse(name, kwargs={a: url_argument(a, world) for a in arguments}))
    return urls
