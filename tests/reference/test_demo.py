"""The demo loader (apps/demo/demo.py), with two days of 15-minute readings instead of a year."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.models import Membership, Organization
from apps.catalog.models import Material
from apps.demo import data as demo_data
from apps.demo.demo import ExchangeCounts, demo_load
from apps.demo.profiles import grid_hourly_values, hourly_points, stage_energies
from apps.exchange.enums import (
    AssuranceLevel,
    CommentTarget,
    EventKind,
    RelationshipStatus,
    RequestStatus,
    SubmissionState,
    VerificationOpinion,
    VerificationStandard,
)
from apps.exchange.models import (
    ExchangeEvent,
    FootprintRequest,
    Notification,
    ReviewComment,
    Submission,
    SupplyRelationship,
    VerificationGrant,
    VerificationStatement,
)
from apps.factors.models import ElectricityFactorPoint, EmissionFactor
from apps.factors.selectors import factors_for_materials
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.inventory.enums import DataSource, StudyStatus
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.enums import ReadingSource
from apps.ledger.models import ElectricityReading, FuelEntry, MeteringPoint, WasteEntry

DAYS = 2
SUPPLIER, BUYER, SUPPLIER2, BODY = "demo-meter-co", "demo-grid-co", "demo-instrument-works", "demo-cert-centre"


@pytest.fixture
def demo(db):
    return demo_load(days=DAYS)


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _line(result: FootprintResult, key: str) -> dict:
    return next(row for row in result.breakdown if row["key"] == key)


def test_demo_load_builds_the_study_with_its_counts(demo):
    study = demo.study

    assert demo.created
    assert study.period_start.isoformat() == "2025-01-01" and study.period_end.isoformat() == "2025-12-31"
    assert study.units_produced == Decimal("1200000")
    assert BomLine.objects.filter(study=study).count() == 32
    assert TransportLeg.objects.filter(bom_line__study=study).exists()
    assert StudyStage.objects.filter(study=study).count() == 26
    assert StudyStage.objects.filter(study=study, allocation_share__lt=1).count() == 3
    assert MeteringPoint.objects.filter(site=study.site).count() == 26
    readings = ElectricityReading.objects.filter(metering_point__site=study.site)
    # Two days of quarter-hours per stage, and the rest of the year as one reading of each meter.
    assert readings.filter(source=ReadingSource.METER).count() == 26 * DAYS * 96
    rest = readings.filter(source=ReadingSource.IMPORT)
    assert rest.count() == 26
    assert set(rest.values_list("start", "end")) == {
        (datetime(2025, 1, 2, 16, tzinfo=UTC), datetime(2025, 12, 31, 16, tzinfo=UTC))
    }
    assert demo.readings == readings.count() == 26 * DAYS * 96 + 26
    # So the study is complete with a few days, and holds the year's electricity: the data's kWh per meter.
    assert demo.kwh_per_meter == sum(Decimal(stage.kwh_per_meter) for stage in demo_data.STAGES)
    assert FuelEntry.objects.filter(study=study).count() == 2
    assert WasteEntry.objects.filter(study=study).count() == 3
    computations = FootprintComputation.objects.filter(study=study).order_by("id")
    assert [c.status for c in computations] == [ComputationStatus.SUCCEEDED] * 2  # version 1, version 2
    assert demo.computation_id == computations.last().pk
    assert demo.e_per_declared_unit == Decimal(computations.last().result.totals["e"])


def test_demo_load_creates_organizations_and_users_with_their_roles(demo):
    users = get_user_model().objects

    kinds = dict(Organization.objects.values_list("slug", "kind"))
    assert kinds == {
        SUPPLIER: OrganizationKind.SUPPLIER,
        BUYER: OrganizationKind.BUYER,
        SUPPLIER2: OrganizationKind.SUPPLIER,
        BODY: OrganizationKind.VERIFIER,
    }
    assert Organization.objects.get(slug=BODY).name == "示范认证中心 / Demo Certification Centre"
    assert users.get(username="admin").is_superuser
    roles = {
        (m.user.username, m.organization.slug): m.role
        for m in Membership.objects.select_related("user", "organization")
    }
    assert roles == {
        ("supplier-manager", SUPPLIER): Role.MANAGER,
        ("supplier-editor", SUPPLIER): Role.EDITOR,
        ("verifier", SUPPLIER): Role.VERIFIER,
        ("buyer-reviewer", BUYER): Role.REVIEWER,
        ("buyer-manager", BUYER): Role.MANAGER,
        ("auditor", BODY): Role.VERIFIER,
        ("supplier2-manager", SUPPLIER2): Role.MANAGER,
        ("consultant", SUPPLIER): Role.EDITOR,
        ("consultant", SUPPLIER2): Role.EDITOR,
    }
    # The supplier's "verifier" is its own auditor; the third party is "auditor".
    assert "third-party" not in users.get(username="verifier").first_name
    assert "internal" in users.get(username="verifier").first_name
    assert users.get(username="auditor").check_password("carbonfoot-demo")
    assert users.filter(username__in=[row.username for row in demo.logins]).values("password").distinct().count() == 1
    assert [row.username for row in demo.logins] == [login.username for login in demo_data.LOGINS]
    printed = {(row.username, row.organization) for row in demo.logins}
    assert ("auditor", "示范认证中心 / Demo Certification Centre") in printed
    assert ("buyer-manager", "国网示范省电力公司 物资部 / Demo Grid Co. Procurement") in printed


def test_demo_buyer_keeps_both_suppliers(demo):
    relationships = SupplyRelationship.objects.filter(organization__slug=BUYER).select_related("supplier")

    assert {r.supplier.slug: r.status for r in relationships} == {
        SUPPLIER: RelationshipStatus.ACTIVE,
        SUPPLIER2: RelationshipStatus.ACTIVE,
    }
    assert {r.proposed_by.username for r in relationships} == {"buyer-reviewer"}
    assert {r.supplier.slug: r.accepted_by.username for r in relationships} == {
        SUPPLIER: "supplier-manager",
        SUPPLIER2: "supplier2-manager",
    }
    assert demo.exchange == ExchangeCounts(
        relationships=2,
        requests=3,
        open_requests=2,
        fulfilled_requests=1,
        versions=3,
        accepted=1,
        returned=2,
        statements=1,
    )


def test_demo_main_request_was_returned_once_then_accepted_and_verified(demo):
    today = timezone.localdate()
    request = FootprintRequest.objects.get(organization__slug=BUYER, product_code="DDZY-D1")
    reviewer = _user("buyer-reviewer")

    assert request.status == RequestStatus.FULFILLED
    assert request.supplier.slug == SUPPLIER
    assert request.product_type == "单相智能电能表 / Single-phase smart meter"
    assert (request.period_start.isoformat(), request.period_end.isoformat()) == ("2025-01-01", "2025-12-31")
    assert request.due_date == today + timedelta(days=30)
    assert request.message
    first, second = Submission.objects.filter(request=request).order_by("version")
    assert (first.version, first.state, second.version, second.state) == (
        1,
        SubmissionState.RETURNED,
        2,
        SubmissionState.ACCEPTED,
    )
    assert second.preceding_id == first.pk and first.preceding_id is None
    assert first.study_id == second.study_id == demo.study.pk
    assert {first.submitted_by.username, second.submitted_by.username} == {"supplier-manager"}
    assert Submission.objects.filter(request__organization__slug=BUYER).count() == 3
    # Comments on the relay's line and on the whole version, by the reviewer; none on version 2.
    comments = [
        (c.target, c.line_key, c.author_id) for c in ReviewComment.objects.filter(submission=first).order_by("id")
    ]
    assert comments == [
        (CommentTarget.MATERIAL, "material/18", reviewer.pk),
        (CommentTarget.SUBMISSION, "", reviewer.pk),
    ]
    assert ReviewComment.objects.get(submission=first, line_key="material/18").line_label == (
        "18. 负荷开关 / load switch (latching relay)"
    )
    assert not ReviewComment.objects.filter(submission=second).exists()
    demo.study.refresh_from_db()
    assert demo.study.status == StudyStatus.ACCEPTED

    # The fix: the relay valued with the supplier's own factor, 0.46 instead of the library's 0.40 per piece.
    assert first.result_id != second.result_id and first.digest != second.digest
    before, after = _line(first.result, "material/18"), _line(second.result, "material/18")
    assert (before["factor_value"], before["data_source"]) == ("0.4", DataSource.SECONDARY_DEFAULT)
    assert (after["factor_value"], after["data_source"]) == ("0.46", DataSource.SUPPLIER_SPECIFIC)
    # One relay with 0.2 % loss: E rises by 1.002 x 0.06 kg CO2e and nothing else changes.
    e_before, e_after = (Decimal(s.result.totals["e"]) for s in (first, second))
    assert e_after - e_before == Decimal("0.06012")
    others = {row["key"]: row["emission"] for row in first.result.breakdown if row["key"] != "material/18"}
    assert {row["key"]: row["emission"] for row in second.result.breakdown if row["key"] != "material/18"} == others
    own = EmissionFactor.objects.get(dataset__organization__slug=SUPPLIER, material__no=18)
    assert own.value == Decimal("0.46") and own.source

    # Verified: the supplier let the verification body read version 2; its auditor's statement.
    grant = VerificationGrant.objects.get(submission=second)
    assert (grant.verifier.slug, grant.granted_by.username, grant.revoked_at) == (BODY, "supplier-manager", None)
    assert not VerificationGrant.objects.exclude(pk=grant.pk).exists()
    statement = VerificationStatement.objects.get()
    assert statement.submission_id == second.pk and statement.grant_id == grant.pk
    assert statement.organization.slug == BODY and statement.verifier_user.username == "auditor"
    assert (statement.standard, statement.assurance_level, statement.opinion) == (
        VerificationStandard.ISO_14067,
        AssuranceLevel.LIMITED,
        VerificationOpinion.UNMODIFIED,
    )
    assert statement.statement_date == today
    assert statement.scope and statement.opinion_text

    # What happened, in order, as the timeline reads it.
    kinds = list(ExchangeEvent.objects.filter(request=request).order_by("id").values_list("kind", flat=True))
    assert kinds == [
        EventKind.REQUEST_CREATED,
        EventKind.SUBMITTED,
        EventKind.REVIEW_STARTED,
        EventKind.COMMENTED,
        EventKind.RETURNED,
        EventKind.SUBMITTED,
        EventKind.REVIEW_STARTED,
        EventKind.ACCEPTED,
        EventKind.VERIFIER_GRANTED,
        EventKind.VERIFIED,
    ]
    # The auditor heard of the grant; the supplier's manager of the return, the acceptance and the statement.
    heard = Notification.objects.filter(event__request=request).values_list("recipient__username", "event__kind")
    assert ("auditor", EventKind.VERIFIER_GRANTED) in set(heard)
    assert {kind for user, kind in heard if user == "supplier-manager"} >= {
        EventKind.RETURNED,
        EventKind.ACCEPTED,
        EventKind.VERIFIED,
    }


def test_demo_variant_is_returned_with_comments(demo):
    request = FootprintRequest.objects.get(organization__slug=BUYER, product_code="DDZY-D2")

    assert request.status == RequestStatus.OPEN
    assert request.supplier.slug == SUPPLIER
    assert request.product_type == "单相智能电能表 / Single-phase smart meter"
    assert request.due_date == timezone.localdate() + timedelta(days=30)
    (version,) = Submission.objects.filter(request=request)
    assert (version.version, version.state) == (1, SubmissionState.RETURNED)
    comments = [(c.target, c.line_key) for c in ReviewComment.objects.filter(submission=version).order_by("id")]
    assert comments == [(CommentTarget.MATERIAL, "material/17"), (CommentTarget.STAGE, "stage/19")]
    study = version.study
    assert study.status == StudyStatus.RETURNED
    assert study.product.model_code == "DDZY-D2" and study.organization.slug == SUPPLIER
    assert study.site_id != demo.study.site_id
    assert BomLine.objects.filter(study=study).count() == 32
    assert (
        TransportLeg.objects.filter(bom_line__study=study).count()
        == TransportLeg.objects.filter(bom_line__study=demo.study).count()
    )
    manual = ElectricityReading.objects.filter(metering_point__site=study.site)
    assert manual.count() == 26 and set(manual.values_list("source", flat=True)) == {ReadingSource.MANUAL}
    expected_kwh = sum(Decimal(stage.kwh_per_meter) for stage in demo_data.STAGES) * 150000
    assert sum(manual.values_list("milliwatt_hours", flat=True)) == expected_kwh * 10**6
    assert FootprintComputation.objects.filter(study=study, status=ComputationStatus.SUCCEEDED).count() == 1


def test_demo_second_supplier_request_is_open(demo):
    request = FootprintRequest.objects.get(organization__slug=BUYER, supplier__slug=SUPPLIER2)

    assert request.status == RequestStatus.OPEN
    assert request.product_code == "DTZY-T3"
    assert request.product_type == "三相智能电能表 / Three-phase smart meter"
    assert (request.period_start.isoformat(), request.period_end.isoformat()) == ("2025-01-01", "2025-12-31")
    assert request.due_date == timezone.localdate() + timedelta(days=45)
    assert not Submission.objects.filter(request=request).exists()


def test_demo_load_is_idempotent(demo):
    models = (
        Organization,
        Membership,
        get_user_model(),
        Study,
        BomLine,
        ElectricityReading,
        FootprintComputation,
        FootprintResult,
        SupplyRelationship,
        FootprintRequest,
        Submission,
        ReviewComment,
        VerificationGrant,
        VerificationStatement,
        ExchangeEvent,
        Notification,
    )
    before = {model.__name__: model.objects.count() for model in models}

    again = demo_load(days=DAYS)

    assert not again.created
    assert len(again.logins) == len(demo_data.LOGINS)
    assert {model.__name__: model.objects.count() for model in models} == before
    assert before["Organization"] == 4
    assert before["BomLine"] == 32 + 32 + 16


def test_demo_without_computing_leaves_the_requests_open(db):
    outcome = demo_load(days=1, compute=False)

    assert outcome.computation_id is None and outcome.e_per_declared_unit is None
    assert not FootprintComputation.objects.exists()
    assert outcome.exchange == ExchangeCounts(relationships=2, requests=3, open_requests=3)
    assert set(Study.objects.values_list("status", flat=True)) == {StudyStatus.DRAFT}


def test_demo_supplier_factors_take_precedence(demo):
    study = demo.study
    materials = Material.objects.in_bulk(field_name="no")

    resolved = factors_for_materials(
        organization=study.organization, material_ids=[m.pk for m in materials.values()], dataset=study.factor_dataset
    )

    own = {no for no, material in materials.items() if resolved[material.pk].dataset.organization_id}
    assert own == {9, 18, 20, 25}  # the relay's since the review asked for it
    assert len(resolved) == 32


def test_demo_hourly_series_covers_2025_with_the_annual_mean(demo):
    series = demo.study.electricity_series
    points = ElectricityFactorPoint.objects.filter(series=series).order_by("start")

    assert series.resolution_seconds == 3600
    assert "ILLUSTRATIVE" in series.source
    assert points.count() == 8760
    assert points.first().start == datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert points.last().start == datetime(2025, 12, 31, 15, tzinfo=UTC)


def test_demo_grid_values_average_exactly_the_annual_factor():
    values = grid_hourly_values()

    assert len(values) == 8760
    assert sum(values) == Decimal("0.5500") * 8760
    assert all(value == value.quantize(Decimal("0.0001")) for value in values)
    assert Decimal("0.40") < min(values) and max(values) < Decimal("0.70")
    assert hourly_points(values)[0][0] == datetime(2024, 12, 31, 16, tzinfo=UTC)


def test_stage_energies_shorter_span_is_a_prefix_of_the_year():
    year = stage_energies(profile="oven", kwh_per_year=Decimal(144000), stage_no=5)

    assert stage_energies(profile="oven", kwh_per_year=Decimal(144000), stage_no=5, days=DAYS) == year[: DAYS * 96]
    assert len(year) == 365 * 96
    assert abs(sum(year) / 1_000_000 - 144000) < 144000 * 0.005


def test_stage_energies_stop_for_the_spring_festival():
    year = stage_energies(profile="line", kwh_per_year=Decimal(100000), stage_no=4)
    day = 96
    working_tuesday = sum(year[6 * day : 7 * day])  # 7 Jan 2025
    festival_day = sum(year[28 * day : 29 * day])  # 29 Jan 2025

    assert festival_day < working_tuesday * 0.1


def test_load_demo_command_prints_the_exchange_and_the_logins(db, capsys, settings):
    settings.DEBUG = True  # as `make run` has it (pytest-django turns DEBUG off); with it off the command refuses
    call_command("load_demo", days=1)
    call_command("load_demo")

    out = capsys.readouterr().out
    assert "26 stages, 2,522 readings" in out  # 26 x 96 quarter-hours and the rest of the year per stage
    e = Decimal(
        FootprintComputation.objects.filter(study__name=demo_data.STUDY["name"]).latest("id").result.totals["e"]
    )
    assert re.search(rf"Footprint computation #\d+ succeeded: E = {e:.3f} kg CO2e per meter", out)
    assert (
        "Exchange: 2 active supply relationships, 3 requests (1 fulfilled, 2 open), 3 submitted versions "
        "(1 accepted, 2 returned), 1 verification statement"
    ) in out
    assert "The demo is already loaded." in out
    assert len(re.findall(r"^buyer-reviewer +carbonfoot-demo +reviewer ", out, flags=re.M)) == 2
    assert (
        len(
            re.findall(
                r"^auditor +carbonfoot-demo +verifier +示范认证中心 / Demo Certification Centre$", out, flags=re.M
            )
        )
        == 2
    )
    assert "http://127.0.0.1:8000/" in out


def test_demo_second_supplier_has_a_half_filled_study_that_cannot_be_computed_yet(demo):
    from apps.footprints.checks import study_checks

    study = Study.objects.get(organization__slug=SUPPLIER2)

    assert study.status == "draft"
    assert BomLine.objects.filter(study=study).count() == 16
    assert StudyStage.objects.filter(study=study).count() == 26
    manual = ElectricityReading.objects.filter(metering_point__site=study.site)
    assert manual.count() == 6  # one total per stage for the year
    assert sum(manual.values_list("milliwatt_hours", flat=True)) == (1800 + 4200 + 5000 + 21000 + 39000 + 1500) * 10**6
    checks = study_checks(study=study)
    assert not checks.can_compute
    codes = {problem.code for problem in checks.blocking}
    assert "material_missing_quantity" in codes
    assert "stage_electricity_gap" in codes or "stage_electricity_missing" in codes
