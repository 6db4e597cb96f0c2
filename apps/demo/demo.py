"""Load the demo: a meter supplier, a grid buyer, a verification body, their users, a complete 2025
study of the single-phase smart meter with a year of 15-minute stage readings and an hourly grid
factor, and the footprint exchange between them (issue "Footprint requests and review").

The exchange is made the way people make it on the pages, through the exchange's services and
state machine: the buyer keeps both suppliers; the main study is computed, submitted, returned with
comments, fixed, computed and submitted again, accepted and verified; a variant study is submitted
and returned with comments; the second supplier's request is still open.

Everything is written in one transaction, so a failed load leaves nothing behind; a second run
finds the demo supplier and only reports the logins. Tables live in data, time series in
profiles; this module only writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from apps.accounts.enums import OrganizationKind
from apps.accounts.models import Membership, Organization
from apps.catalog.models import Material, ProcessStage
from apps.demo import data
from apps.demo.profiles import (
    DAYS_IN_YEAR,
    SLOT_SECONDS,
    YEAR_START,
    grid_hourly_values,
    hourly_points,
    stage_energies,
)
from apps.exchange.enums import (
    AssuranceLevel,
    RelationshipStatus,
    RequestStatus,
    SubmissionState,
    VerificationOpinion,
    VerificationStandard,
)
from apps.exchange.models import FootprintRequest, Submission, SupplyRelationship, VerificationStatement
from apps.exchange.services import (
    comment_add,
    relationship_accept,
    relationship_propose,
    request_create,
    verification_grant_add,
    verification_statement_record,
)
from apps.exchange.workflow import submission_create, submission_transition
from apps.factors.library import dataset_parse, dataset_store, library_load_all
from apps.factors.models import ElectricityFactorSeries, EmissionFactor, FactorDataset
from apps.factors.series import series_points_bulk_upsert
from apps.factors.services import own_factor_create
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation
from apps.footprints.services import footprint_compute, footprint_request
from apps.inventory.enums import DataSource
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.inventory.services.bom import bom_line_set_for_material, bom_line_update, transport_leg_add
from apps.inventory.services.studies import product_create, site_create, study_create
from apps.ledger.enums import ReadingSource
from apps.ledger.manual import stage_electricity_manual_set
from apps.ledger.models import FuelEntry, WasteEntry
from apps.ledger.services import metering_point_create, readings_insert_run

YEAR_END = YEAR_START + timedelta(days=DAYS_IN_YEAR)


@dataclass(frozen=True)
class LoginRow:
    username: str
    organization: str
    role: str
    password: str


@dataclass(frozen=True)
class ExchangeCounts:
    """What the demo's buyer has in its exchange, as the command prints it."""

    relationships: int = 0  # active
    requests: int = 0
    open_requests: int = 0
    fulfilled_requests: int = 0
    versions: int = 0
    accepted: int = 0
    returned: int = 0
    statements: int = 0


@dataclass(frozen=True)
class DemoOutcome:
    created: bool
    logins: list[LoginRow]
    study: Study | None = None
    readings: int = 0
    plant_kwh: Decimal = Decimal(0)  # metered, before allocation
    kwh_per_meter: Decimal = Decimal(0)  # allocated to the study's product, per declared unit
    seconds: float = 0.0
    computation_id: int | None = None  # the main study's latest computation (succeeded), if computed
    e_per_declared_unit: Decimal | None = None  # its E, kg CO2e: the accepted version's
    exchange: ExchangeCounts = field(default_factory=ExchangeCounts)


def demo_load(*, days: int = DAYS_IN_YEAR, compute: bool = True) -> DemoOutcome:
    """Create the demo unless its supplier exists. `days` shortens the 15-minute readings (tests; the rest
    of the year is then one reading per stage). `compute=False` computes and submits nothing: the exchange
    is then its relationships and open requests."""
    started = time.perf_counter()
    if Organization.objects.filter(slug=data.SUPPLIER["slug"]).exists():
        return DemoOutcome(created=False, logins=_login_rows())
    with transaction.atomic():
        library_load_all()
        supplier = Organization.objects.create(kind=OrganizationKind.SUPPLIER, **data.SUPPLIER)
        buyer = Organization.objects.create(kind=OrganizationKind.BUYER, **data.BUYER)
        supplier2 = Organization.objects.create(kind=OrganizationKind.SUPPLIER, **data.SUPPLIER2)
        body = Organization.objects.create(kind=OrganizationKind.VERIFIER, **data.VERIFICATION_BODY)
        organizations = {"supplier": supplier, "buyer": buyer, "supplier2": supplier2, "verification_body": body}
        users = _users(organizations)
        dataset_store(dataset_parse(data.SUPPLIER_FACTORS, origin="demo supplier factors"), organization=supplier)
        study = _study(supplier, users["supplier-manager"])
        defaults = {f.code: f for f in EmissionFactor.objects.filter(dataset=study.factor_dataset)}
        _bill_of_materials(study, defaults)
        readings, plant_mwh, allocated_mwh = _stages_and_readings(study, days, users["supplier-editor"])
        _ledger(study, defaults)
        _second_supplier(users["supplier2-manager"])
        variant = _variant_study(supplier, users["supplier-manager"], defaults)
        computation = _exchange(organizations, users, study=study, variant=variant, compute=compute)
        counts = _exchange_counts(buyer)
    kwh = Decimal(allocated_mwh).scaleb(-6)
    return DemoOutcome(
        created=True,
        logins=_login_rows(),
        study=study,
        readings=readings,
        plant_kwh=Decimal(plant_mwh).scaleb(-6),
        kwh_per_meter=(kwh / study.units_produced).quantize(Decimal("0.0001")),
        seconds=time.perf_counter() - started,
        computation_id=computation.pk if computation else None,
        e_per_declared_unit=Decimal(computation.result.totals["e"]) if computation and computation.result else None,
        exchange=counts,
    )


def _login_rows() -> list[LoginRow]:
    existing = set(
        get_user_model()
        .objects.filter(username__in=[login.username for login in data.LOGINS])
        .values_list("username", flat=True)
    )
    names = {
        "supplier": data.SUPPLIER["name"],
        "supplier2": data.SUPPLIER2["name"],
        "buyer": data.BUYER["name"],
        "verification_body": data.VERIFICATION_BODY["name"],
        "": "(superuser)",
    }
    return [
        LoginRow(login.username, names[login.organization], login.role or "superuser", data.PASSWORD)
        for login in data.LOGINS
        if login.username in existing
    ]


def _users(organizations: dict[str, Organization]) -> dict[str, User]:
    model = get_user_model()
    hashed = make_password(data.PASSWORD)  # once: each hash costs most of a second by design
    users: dict[str, User] = {}
    for login in data.LOGINS:
        user = model.objects.filter(username=login.username).first()
        if user is None:
            superuser = not login.organization
            user = model(username=login.username, first_name=login.full_name, password=hashed)
            user.is_staff = user.is_superuser = superuser
            user.save()
        if login.organization:
            Membership.objects.create(user=user, organization=organizations[login.organization], role=login.role)
        users[login.username] = user
    return users


def _grid_series() -> ElectricityFactorSeries:
    """The shared illustrative hourly series (kept if an earlier demo load created it)."""
    head = data.GRID_DATASET
    dataset, _ = FactorDataset.objects.get_or_create(
        organization=None,
        name=head["name"],
        version=head["version"],
        defaults={k: v for k, v in head.items() if k not in ("name", "version")},
    )
    series, created = ElectricityFactorSeries.objects.get_or_create(
        dataset=dataset,
        code=data.GRID_SERIES["code"],
        defaults={k: v for k, v in data.GRID_SERIES.items() if k != "code"},
    )
    if created or not series.points.exists():
        series_points_bulk_upsert(series=series, points=hourly_points(grid_hourly_values()))
    return series


def _study(supplier: Organization, manager: User) -> Study:
    name, version = data.DEFAULTS_DATASET
    defaults = FactorDataset.objects.get(organization=None, name=name, version=version)
    product = Product.objects.create(
        organization=supplier, **{**data.PRODUCT, "mass_kg": Decimal(data.PRODUCT["mass_kg"])}
    )
    site = Site.objects.create(organization=supplier, **data.SITE)
    return Study.objects.create(
        organization=supplier,
        product=product,
        site=site,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        factor_dataset=defaults,
        electricity_series=_grid_series(),
        created_by=manager,
        name=data.STUDY["name"],
        description=data.STUDY["description"],
        units_produced=Decimal(data.STUDY["units_produced"]),
    )


def _bill_of_materials(study: Study, factors: dict[str, EmissionFactor]) -> None:
    materials = Material.objects.in_bulk(field_name="no")
    org = study.organization
    for row in data.BOM:
        # No factor named: the supplier's own factor for the material wins, else the library default.
        line = BomLine.objects.create(
            organization=org,
            study=study,
            material=materials[row.material_no],
            quantity=Decimal(row.quantity),
            loss_rate=Decimal(row.loss_rate),
            unit_mass_kg=Decimal(row.unit_mass_kg),
            data_source=row.data_source,
            notes=row.notes,
        )
        for code, km in row.legs:
            TransportLeg.objects.create(
                organization=org,
                bom_line=line,
                mode=_mode(code),
                distance_km=Decimal(km),
                mass_kg=Decimal(row.unit_mass_kg) * Decimal(row.quantity),
                factor=factors[code],
                data_source=row.data_source,
            )


def _mode(factor_code: str) -> str:
    return factor_code.split(".")[1]  # transport.<mode>[.wtw], named like TransportMode


def _stages_and_readings(study: Study, days: int, editor: User) -> tuple[int, int, int]:
    """Stages, one metering point each, and their readings: (count, plant mWh, allocated mWh)."""
    stages = ProcessStage.objects.in_bulk(field_name="no")
    org = study.organization
    count = plant = allocated = 0
    for row in data.STAGES:
        stage = stages[row.no]
        share = Decimal(row.allocation_share)
        StudyStage.objects.create(
            organization=org, study=study, stage=stage, allocation_share=share, allocation_note=row.allocation_note
        )
        point = metering_point_create(
            organization=org,
            site=study.site,
            stage=stage,
            code=f"em-{row.no:02d}",
            name=f"{stage.name_zh} / {stage.name_en}",
            device_serial=f"DEMO-EM-{row.no:04d}",
        )
        kwh_year = Decimal(row.kwh_per_meter) * study.units_produced / share  # metered includes other lines
        energies = stage_energies(profile=row.profile, kwh_per_year=kwh_year, stage_no=row.no, days=days)
        readings_insert_run(
            organization=org,
            metering_point=point,
            start=YEAR_START,
            step_seconds=SLOT_SECONDS,
            milliwatt_hours=energies,
            source=ReadingSource.METER,
            created_by=editor,
            description="Demo: synthetic 15-minute readings (seeded model, apps/demo/profiles.py)",
        )
        if days < DAYS_IN_YEAR:
            # A shortened load (tests) keeps the study complete: the rest of the year is one reading of what
            # the model's year holds beyond the days loaded, as a meter's billing export would give it.
            rest_start = YEAR_START + timedelta(days=days)
            rest = max(0, int(kwh_year * 1_000_000) - sum(energies))
            readings_insert_run(
                organization=org,
                metering_point=point,
                start=rest_start,
                step_seconds=int((YEAR_END - rest_start).total_seconds()),
                milliwatt_hours=[rest],
                source=ReadingSource.IMPORT,
                created_by=editor,
                description=f"Demo: the rest of 2025 as one reading (loaded with {days} days of 15-minute readings)",
            )
            energies = [*energies, rest]
        count += len(energies)
        plant += sum(energies)
        allocated += int(sum(energies) * share)
    return count, plant, allocated


def _ledger(study: Study, factors: dict[str, EmissionFactor]) -> None:
    stages = ProcessStage.objects.in_bulk(field_name="no")
    common = {"organization": study.organization, "study": study}
    for row in data.FUELS:
        FuelEntry.objects.create(
            **common,
            stage=stages.get(row.stage_no),
            factor=factors[row.factor_code],
            quantity=Decimal(row.quantity),
            unit=row.unit,
            allocation_share=Decimal(row.allocation_share),
            description=row.description,
        )
    for row in data.WASTES:
        WasteEntry.objects.create(
            **common,
            factor=factors[row.factor_code],
            quantity=Decimal(row.quantity),
            unit=row.unit,
            allocation_share=Decimal(row.allocation_share),
            description=row.description,
        )


def _second_supplier(manager: User) -> Study:
    """The second supplier's study, half filled in through the same services the pages use."""
    supplier = Organization.objects.get(slug=data.SUPPLIER2["slug"])
    product = product_create(
        organization=supplier,
        name=data.PRODUCT2["name"],
        model_code=data.PRODUCT2["model_code"],
        description=data.PRODUCT2["description"],
        mass_kg=Decimal(data.PRODUCT2["mass_kg"]),
        user=manager,
    )
    site = site_create(organization=supplier, user=manager, **data.SITE2)
    name, version = data.DEFAULTS_DATASET
    grid_dataset, grid_version, grid_code = data.GRID_FACTOR2
    study = study_create(
        organization=supplier,
        product=product,
        site=site,
        name=data.STUDY2["name"],
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        units_produced=Decimal(data.STUDY2["units_produced"]),
        factor_dataset=FactorDataset.objects.get(organization=None, name=name, version=version),
        electricity_factor=EmissionFactor.objects.get(
            dataset__organization=None, dataset__name=grid_dataset, dataset__version=grid_version, code=grid_code
        ),
        description=data.STUDY2["description"],
        user=manager,
    )
    materials = Material.objects.in_bulk(field_name="no")
    for row in data.BOM2:
        bom_line_set_for_material(
            study=study,
            material=materials[row.material_no],
            quantity=Decimal(row.quantity),
            loss_rate=Decimal(row.loss_rate),
            unit_mass_kg=Decimal(row.unit_mass_kg),
            data_source=row.data_source,
            notes=row.notes,
            user=manager,
        )
    stages = ProcessStage.objects.in_bulk(field_name="no")
    for no, kwh in data.STAGES2_MANUAL_KWH.items():
        stage_electricity_manual_set(
            study=study, stage=stages[no], total_kwh=Decimal(kwh), monthly_kwh=None, user=manager
        )
    return study


def _variant_study(supplier: Organization, manager: User, factors: dict[str, EmissionFactor]) -> Study:
    """The supplier's 4G variant, complete, through the services the pages use: the main study's bill of
    materials and transport, and each stage's 2025 electricity entered by hand on its own line (site)."""
    product = product_create(
        organization=supplier,
        name=data.PRODUCT_VARIANT["name"],
        model_code=data.PRODUCT_VARIANT["model_code"],
        description=data.PRODUCT_VARIANT["description"],
        mass_kg=Decimal(data.PRODUCT_VARIANT["mass_kg"]),
        user=manager,
    )
    site = site_create(organization=supplier, user=manager, **data.SITE_VARIANT)
    name, version = data.DEFAULTS_DATASET
    grid_dataset, grid_version, grid_code = data.GRID_FACTOR_VARIANT
    units = Decimal(data.STUDY_VARIANT["units_produced"])
    study = study_create(
        organization=supplier,
        product=product,
        site=site,
        name=data.STUDY_VARIANT["name"],
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        units_produced=units,
        factor_dataset=FactorDataset.objects.get(organization=None, name=name, version=version),
        electricity_factor=EmissionFactor.objects.get(
            dataset__organization=None, dataset__name=grid_dataset, dataset__version=grid_version, code=grid_code
        ),
        description=data.STUDY_VARIANT["description"],
        user=manager,
    )
    materials = Material.objects.in_bulk(field_name="no")
    for row in data.BOM:
        line = bom_line_set_for_material(
            study=study,
            material=materials[row.material_no],
            quantity=Decimal(row.quantity),
            loss_rate=Decimal(row.loss_rate),
            unit_mass_kg=Decimal(row.unit_mass_kg),
            data_source=row.data_source,
            notes=row.notes,
            user=manager,
        )
        for code, km in row.legs:
            transport_leg_add(
                line=line,
                mode=_mode(code),
                distance_km=Decimal(km),
                mass_kg=Decimal(row.unit_mass_kg) * Decimal(row.quantity),
                factor=factors[code],
                data_source=row.data_source,
                user=manager,
            )
    stages = ProcessStage.objects.in_bulk(field_name="no")
    for stage_row in data.STAGES:
        stage_electricity_manual_set(
            study=study,
            stage=stages[stage_row.no],
            total_kwh=Decimal(stage_row.kwh_per_meter) * units,
            monthly_kwh=None,
            user=manager,
        )
    return study


def _member(user: User, organization: Organization) -> Membership:
    return Membership.objects.select_related("organization", "user").get(user=user, organization=organization)


def _compute(study: Study, user: User) -> FootprintComputation:
    """Compute now, through the path the compute button takes (the worker's message, sent once this load
    commits, then finds the computation done and does nothing)."""
    computation = footprint_compute(computation_id=footprint_request(study=study, requested_by=user).pk)
    if computation.status != ComputationStatus.SUCCEEDED:
        raise RuntimeError(f"The demo study {study.name!r} did not compute: {computation.error_message}")
    study.refresh_from_db()
    return computation


def _comment(reviewer: Membership, submission: Submission, comments: tuple[data.Comment, ...]) -> None:
    labels = {row["key"]: row.get("label", "") for row in submission.result.breakdown}
    for comment in comments:
        comment_add(
            membership=reviewer,
            submission=submission,
            body=comment.body,
            line_key=comment.line_key,
            line_label=labels.get(comment.line_key, ""),
        )


def _request(reviewer: Membership, relationship: SupplyRelationship, row: data.Request) -> FootprintRequest:
    return request_create(
        membership=reviewer,
        relationship=relationship,
        product_type=row.product_type,
        product_code=row.product_code,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        due_date=timezone.localdate() + timedelta(days=row.due_in_days),
        message=row.message,
    )


def _exchange(
    organizations: dict[str, Organization], users: dict[str, User], *, study: Study, variant: Study, compute: bool
) -> FootprintComputation | None:
    """The buyer's exchange with both suppliers; returns the main study's latest computation (None when
    nothing is computed)."""
    supplier, buyer = organizations["supplier"], organizations["buyer"]
    supplier2, body = organizations["supplier2"], organizations["verification_body"]
    reviewer = _member(users["buyer-reviewer"], buyer)
    manager = _member(users["supplier-manager"], supplier)
    relationships = {}
    for organization, manager_name in ((supplier, "supplier-manager"), (supplier2, "supplier2-manager")):
        proposed = relationship_propose(
            membership=reviewer, supplier_identifier=organization.slug, note=data.RELATIONSHIP_NOTE
        )
        relationships[organization.pk] = relationship_accept(
            membership=_member(users[manager_name], organization), relationship=proposed
        )
    main_request = _request(reviewer, relationships[supplier.pk], data.REQUEST_MAIN)
    variant_request = _request(reviewer, relationships[supplier.pk], data.REQUEST_VARIANT)
    _request(reviewer, relationships[supplier2.pk], data.REQUEST_SUPPLIER2)
    if not compute:
        return None

    # Version 1 of the main study, returned: the relay is valued with the library default.
    _compute(study, manager.user)
    first = submission_create(membership=manager, footprint_request=main_request, study=study, note=data.MAIN_V1_NOTE)
    _comment(reviewer, first, data.MAIN_V1_COMMENTS)
    submission_transition(membership=reviewer, submission=first, name="return", comment=data.MAIN_V1_RETURN)

    # The supplier records the relay maker's factor and marks the line supplier-specific, then resubmits.
    study.refresh_from_db()
    relay = Material.objects.get(no=data.RELAY_MATERIAL_NO)
    factor = data.RELAY_FACTOR
    own_factor_create(
        organization=supplier,
        material=relay,
        name_zh=factor["name_zh"],
        name_en=factor["name_en"],
        value=Decimal(factor["value"]),
        unit=factor["unit"],
        low=Decimal(factor["low"]),
        high=Decimal(factor["high"]),
        source=factor["source"],
        notes=factor["notes"],
        user=manager.user,
    )
    line = BomLine.objects.get(study=study, material=relay)
    bom_line_update(
        study=study,
        line=line,
        quantity=line.quantity,
        loss_rate=line.loss_rate,
        factor=None,  # the supplier's own factor for the material now resolves
        data_source=DataSource.SUPPLIER_SPECIFIC,
        unit_mass_kg=line.unit_mass_kg,
        notes=data.RELAY_LINE_NOTES,
        expected_version=None,
        user=manager.user,
    )
    computation = _compute(study, manager.user)
    second = submission_create(membership=manager, footprint_request=main_request, study=study, note=data.MAIN_V2_NOTE)
    submission_transition(membership=reviewer, submission=second, name="start_review")
    submission_transition(membership=reviewer, submission=second, name="accept")
    verification_grant_add(membership=manager, submission=second, verifier_identifier=body.slug)
    verification_statement_record(
        membership=_member(users["auditor"], body),
        submission=second,
        standard=VerificationStandard.ISO_14067,
        assurance_level=AssuranceLevel.LIMITED,
        scope=data.STATEMENT["scope"],
        statement_date=timezone.localdate(),
        opinion=VerificationOpinion.UNMODIFIED,
        opinion_text=data.STATEMENT["opinion_text"],
    )

    # The variant: submitted, commented on a material and a stage, returned; it stays returned.
    _compute(variant, manager.user)
    returned = submission_create(
        membership=manager, footprint_request=variant_request, study=variant, note=data.VARIANT_V1_NOTE
    )
    _comment(reviewer, returned, data.VARIANT_V1_COMMENTS)
    submission_transition(membership=reviewer, submission=returned, name="return")
    return computation


def _exchange_counts(buyer: Organization) -> ExchangeCounts:
    requests = FootprintRequest.objects.filter(organization=buyer)
    versions = Submission.objects.filter(request__organization=buyer)
    return ExchangeCounts(
        relationships=SupplyRelationship.objects.filter(organization=buyer, status=RelationshipStatus.ACTIVE).count(),
        requests=requests.count(),
        open_requests=requests.filter(status=RequestStatus.OPEN).count(),
        fulfilled_requests=requests.filter(status=RequestStatus.FULFILLED).count(),
        versions=versions.count(),
        accepted=versions.filter(state=SubmissionState.ACCEPTED).count(),
        returned=versions.filter(state=SubmissionState.RETURNED).count(),
        statements=VerificationStatement.objects.filter(submission__request__organization=buyer).count(),
    )
