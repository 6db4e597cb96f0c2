"""The review selectors (apps.exchange.review): the inbox, each automatic flag firing and staying quiet, and the
diff of two versions, with numbers worked out by hand from the builder's inputs.

The builder's study (tests/footprints/check_builders.py::complete_study): 32 materials of quantity 1, the 25
counted in pieces valued at 0.88 kg CO2e/piece, the 7 in kg or L at 14 kg CO2e/kg (1 kg per unit): Em = 25 × 0.88
+ 7 × 14 = 120; stage 4 metered 500 kWh over January at 0.6205 kg CO2e/kWh for 1000 pieces: Edl = 0.31025;
E = 120.31025 kg CO2e per piece, electricity 0.5 kWh per piece.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from apps.accounts.enums import Role
from apps.catalog.models import Material, ProcessStage
from apps.exchange.enums import SubmissionState
from apps.exchange.models import Submission
from apps.exchange.review import (
    ADDED,
    CHANGED,
    FieldChange,
    FlagKind,
    inputs_flags,
    review_inbox,
    snapshot_inputs,
    snapshot_inputs_from,
    submission_diff,
    submission_flags,
)
from apps.exchange.services import relationship_accept, relationship_propose, request_create
from apps.exchange.workflow import submission_create, submission_transition
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor
from apps.inventory.models import BomLine, Study, StudyStage
from apps.inventory.services.bom import bom_line_update
from apps.inventory.services.stages import study_stage_include, study_stage_update
from apps.ledger.entries import fuel_entry_add
from apps.ledger.enums import ReadingSource
from apps.ledger.manual import stage_electricity_manual_set
from apps.ledger.models import MeteringPoint
from apps.ledger.services import ReadingInput, readings_bulk_insert
from tests import factories
from tests.exchange.builders import Exchange, build_exchange, compute, membership_of
from tests.footprints.check_builders import SHANGHAI, complete_study

pytestmark = pytest.mark.django_db

FEBRUARY = (datetime(2025, 2, 1, tzinfo=SHANGHAI), datetime(2025, 3, 1, tzinfo=SHANGHAI))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def exchange(supplier, library) -> Exchange:
    return build_exchange(supplier, library)


def _line(study: Study, material_no: int) -> BomLine:
    return BomLine.objects.get(study=study, material=Material.objects.get(no=material_no))


def _update_line(exchange: Exchange, material_no: int, **changes) -> None:
    exchange.study.refresh_from_db()
    line = _line(exchange.study, material_no)
    values = {
        "quantity": line.quantity,
        "loss_rate": line.loss_rate,
        "factor": line.factor,
        "data_source": line.data_source,
        "unit_mass_kg": line.unit_mass_kg,
        "notes": line.notes,
        **changes,
    }
    bom_line_update(study=exchange.study, line=line, expected_version=None, user=exchange.supplier_manager, **values)


def _return(exchange: Exchange, submission: Submission) -> None:
    submission_transition(
        membership=exchange.reviewer_membership(), submission=submission, name="return", comment="Check it."
    )
    exchange.study.refresh_from_db()


def _accept(exchange: Exchange, submission: Submission) -> None:
    submission_transition(membership=exchange.reviewer_membership(), submission=submission, name="accept")


def _ranged_factor(library: factories.Library, *, low: str | None, high: str | None) -> EmissionFactor:
    return EmissionFactor.objects.create(
        dataset=library.dataset,
        code=f"material.pcb.ranged.{low}.{high}",
        category=FactorCategory.MATERIAL,
        name_en="PCB with a range",
        value=Decimal("0.88"),
        unit="kgCO2e/piece",
        low=None if low is None else Decimal(low),
        high=None if high is None else Decimal(high),
        source="test",
        material=Material.objects.get(no=20),
    )


def _kinds(flags) -> list[tuple[str, str]]:
    return [(flag.kind, flag.line_key) for flag in flags]


# -- flags ---------------------------------------------------------------------------------------------------------


def test_a_plain_version_has_no_flag(exchange):
    assert submission_flags(submission=exchange.submit()) == []


def test_a_factor_outside_its_library_range_is_flagged_on_its_line(exchange, library):
    _update_line(exchange, 20, factor=_ranged_factor(library, low="0.9", high="1.2"))
    compute(exchange.study)
    submission = exchange.submit()

    flags = submission_flags(submission=submission)

    assert _kinds(flags) == [(FlagKind.FACTOR_OUT_OF_RANGE, "material/20")]
    assert flags[0].message == (
        "20. printed circuit board: the factor material.pcb.ranged.0.9.1.2 is 0.88 kg CO2e/piece, "
        "outside its range 0.9 – 1.2."
    )
    assert flags[0].anchor == "line-material-20"


def test_the_range_is_read_from_the_snapshot_not_the_library_as_it_is_now(exchange, library):
    factor = _ranged_factor(library, low="0.9", high="1.2")
    _update_line(exchange, 20, factor=factor)
    compute(exchange.study)
    submission = exchange.submit()
    EmissionFactor.objects.filter(pk=factor.pk).update(low=Decimal("0.5"))  # the library is corrected later

    assert _kinds(submission_flags(submission=Submission.objects.get(pk=submission.pk))) == [
        (FlagKind.FACTOR_OUT_OF_RANGE, "material/20")
    ]


@pytest.mark.parametrize(("low", "high"), [("0.8", "1.2"), ("0.6", "0.88"), ("0.88", None), (None, None)])
def test_a_factor_within_its_range_or_on_its_bounds_is_not_flagged(exchange, library, low, high):
    _update_line(exchange, 20, factor=_ranged_factor(library, low=low, high=high))
    compute(exchange.study)

    assert submission_flags(submission=exchange.submit()) == []


def test_a_loss_rate_above_ten_percent_is_flagged(exchange):
    _update_line(exchange, 20, loss_rate=Decimal("0.15"))
    _update_line(exchange, 25, loss_rate=Decimal("0.1"))  # exactly 10 %: not above
    compute(exchange.study)

    flags = submission_flags(submission=exchange.submit())

    assert _kinds(flags) == [(FlagKind.LOSS_RATE_HIGH, "material/20")]
    assert flags[0].message == "20. printed circuit board: a loss rate of 15 % is above 10 %."


def test_a_loss_rate_message_keeps_four_significant_digits(exchange):
    _update_line(exchange, 20, loss_rate=Decimal("0.123456"))
    compute(exchange.study)

    (flag,) = submission_flags(submission=exchange.submit())

    assert flag.message == "20. printed circuit board: a loss rate of 12.35 % is above 10 %."


def test_a_stage_entered_by_hand_is_flagged_and_a_metered_one_is_not(exchange):
    stage = ProcessStage.objects.get(no=5)
    study_stage_include(study=exchange.study, stage=stage, user=exchange.supplier_manager)
    stage_electricity_manual_set(
        study=exchange.study, stage=stage, total_kwh=Decimal("200"), monthly_kwh=None, user=exchange.supplier_manager
    )
    compute(exchange.study)
    submission = exchange.submit()
    # Edl = (500 + 200) kWh × 0.6205 / 1000 pieces = 0.43435: the manual stage was counted.
    assert Decimal(submission.result.totals["edl"]) == Decimal("0.43435")

    flags = submission_flags(submission=submission)

    assert _kinds(flags) == [(FlagKind.STAGE_NOT_METERED, "stage/5")]
    assert flags[0].message == ("5. reflow soldering: no metered data; its electricity (200 kWh) was entered by hand.")


def test_a_stage_without_readings_is_flagged(exchange):
    """A stage with no readings blocks the compute button, so a snapshot holding one comes from elsewhere (an
    imported document): the flag reads the document as it is."""
    result = exchange.submit().result
    document = result.canonical_inputs
    for stage in document["stages"]:
        for point in stage["metering_points"]:
            point["runs"] = []

    flags = inputs_flags(inputs=snapshot_inputs_from(document=document, breakdown=result.breakdown))

    assert _kinds(flags) == [(FlagKind.STAGE_NOT_METERED, "stage/4")]
    assert flags[0].message == "4. SMT placement: no metered data; the stage has no readings in the reporting period."
    # the real snapshot's stage is metered
    assert inputs_flags(inputs=snapshot_inputs(result=result)) == []


def _february_study(exchange: Exchange, library: factories.Library, kwh: str) -> Study:
    """The same product and site in February 2025: the builder's bill of materials, stage 4 metered ``kwh``."""
    january = exchange.study
    study = Study.objects.create(
        organization=january.organization,
        product=january.product,
        site=january.site,
        name="February 2025",
        period_start=date(2025, 2, 1),
        period_end=date(2025, 2, 28),
        units_produced=Decimal(1000),
        factor_dataset=library.dataset,
        electricity_factor=library.grid,
    )
    StudyStage.objects.create(organization=study.organization, study=study, stage=ProcessStage.objects.get(no=4))
    BomLine.objects.bulk_create(
        BomLine(
            organization=study.organization,
            study=study,
            material=line.material,
            quantity=line.quantity,
            factor=line.factor,
            unit_mass_kg=line.unit_mass_kg,
        )
        for line in BomLine.objects.filter(study=january)
    )
    point = MeteringPoint.objects.get(site=january.site, stage__no=4)
    readings_bulk_insert(
        organization=study.organization,
        metering_point=point,
        source=ReadingSource.METER,
        readings=[ReadingInput(*FEBRUARY, kwh)],
    )
    compute(study)
    return study


def _february_submission(exchange: Exchange, library: factories.Library, kwh: str) -> Submission:
    study = _february_study(exchange, library, kwh)
    footprint_request = request_create(
        membership=exchange.reviewer_membership(),
        relationship=exchange.relationship,
        product_type="Single-phase smart meter",
        product_code=study.product.model_code,
        period_start=study.period_start,
        period_end=study.period_end,
        due_date=date(2025, 4, 30),
        today=date(2025, 3, 1),
    )
    return submission_create(membership=exchange.manager_membership(), footprint_request=footprint_request, study=study)


@pytest.mark.parametrize(
    ("kwh", "message"),
    [
        # 700 kWh / 1000 = 0.7 kWh a piece against January's 0.5: (0.7 − 0.5) / 0.5 = +40 %
        (
            "700",
            "Electricity per declared unit is 0.7 kWh, 40 % more than the 0.5 kWh of accepted version 1 "
            "(2025-01-01 – 2025-01-31).",
        ),
        # 300 kWh: 0.3 against 0.5 = −40 %
        (
            "300",
            "Electricity per declared unit is 0.3 kWh, 40 % less than the 0.5 kWh of accepted version 1 "
            "(2025-01-01 – 2025-01-31).",
        ),
        # 700.5 kWh: 0.7005 against 0.5 = +40.1 %, four significant digits
        (
            "700.5",
            "Electricity per declared unit is 0.7005 kWh, 40.1 % more than the 0.5 kWh of accepted version 1 "
            "(2025-01-01 – 2025-01-31).",
        ),
    ],
)
def test_electricity_far_from_the_last_accepted_version_is_flagged(exchange, library, kwh, message):
    _accept(exchange, exchange.submit())

    flags = submission_flags(submission=_february_submission(exchange, library, kwh))

    assert [(f.kind, f.line_key, f.message) for f in flags] == [(FlagKind.ELECTRICITY_CHANGED, "", message)]


@pytest.mark.parametrize("kwh", ["625", "375", "550"])  # +25 %, −25 % (not more than 25 %), +10 %
def test_electricity_within_a_quarter_of_the_last_accepted_is_not_flagged(exchange, library, kwh):
    _accept(exchange, exchange.submit())

    assert submission_flags(submission=_february_submission(exchange, library, kwh)) == []


def test_only_an_accepted_version_is_compared(exchange, library):
    _return(exchange, exchange.submit())  # January was returned, never accepted

    assert submission_flags(submission=_february_submission(exchange, library, "700")) == []


# -- the diff ------------------------------------------------------------------------------------------------------


def test_the_diff_of_one_changed_quantity_is_that_line_and_its_totals(exchange):
    v1 = exchange.submit()
    _return(exchange, v1)
    _update_line(exchange, 20, quantity=Decimal(3))
    compute(exchange.study)
    v2 = exchange.submit()

    diff = submission_diff(old=v2.preceding, new=v2)

    assert (diff.old_version, diff.new_version) == (1, 2)
    assert [(c.key, c.status) for c in diff.inputs] == [("material/20", CHANGED)]
    assert diff.inputs[0].changes == (FieldChange("quantity", Decimal(1), Decimal(3), "piece", "piece"),)
    # material 20: 3 × 0.88 = 2.64 instead of 0.88, so Em and E rise by 1.76
    assert [(t.key, t.old, t.new, t.difference) for t in diff.totals] == [
        ("e", Decimal("120.31025"), Decimal("122.07025"), Decimal("1.76")),
        ("em", Decimal("120"), Decimal("121.76"), Decimal("1.76")),
        ("ep", Decimal("0.31025"), Decimal("0.31025"), Decimal(0)),
        ("eb", Decimal(0), Decimal(0), Decimal(0)),
        ("edl", Decimal("0.31025"), Decimal("0.31025"), Decimal(0)),
        ("ew", Decimal(0), Decimal(0), Decimal(0)),
    ]
    assert [(line.key, line.old, line.new, line.difference) for line in diff.lines] == [
        ("material/20", Decimal("0.88"), Decimal("2.64"), Decimal("1.76"))
    ]


def test_the_diff_shows_an_added_fuel_a_stage_share_and_a_loss_rate(exchange, library):
    v1 = exchange.submit()
    _return(exchange, v1)
    _update_line(exchange, 25, loss_rate=Decimal("0.05"))
    fuel_entry_add(
        study=exchange.study,
        factor=library.diesel,
        quantity=Decimal(100),
        unit="kg",
        description="forklift diesel",
        user=exchange.supplier_manager,
    )
    stage = StudyStage.objects.get(study=exchange.study, stage__no=4)
    study_stage_update(
        study=exchange.study,
        study_stage=stage,
        allocation_share=Decimal("0.8"),
        allocation_note="production hours",
        expected_version=None,
        user=exchange.supplier_manager,
    )
    compute(exchange.study)
    v2 = exchange.submit()

    diff = submission_diff(old=v1, new=v2)

    assert [(c.key, c.status) for c in diff.inputs] == [
        ("material/25", CHANGED),
        ("stage/4", CHANGED),
        ("fuel/1", ADDED),
    ]
    changes = {c.key: c.changes for c in diff.inputs}
    assert changes["material/25"] == (FieldChange("loss_rate", Decimal(0), Decimal("0.05"), style="share"),)
    assert changes["stage/4"] == (FieldChange("allocation_share", Decimal(1), Decimal("0.8"), style="share"),)
    assert [(f.name, f.old, f.new) for f in changes["fuel/1"]] == [
        ("quantity", None, Decimal(100)),
        ("allocation_share", None, Decimal(1)),
        ("factor", None, "fuel.diesel"),
        ("factor_value", None, Decimal("3.096")),
    ]
    totals = {t.key: t for t in diff.totals}
    # case: 1 × 1.05 × 0.88 = 0.924 (+0.044); stage 4: 500 × 0.8 × 0.6205 / 1000 = 0.24820 (−0.06205);
    # diesel: 100 × 3.096 / 1000 = 0.3096 (new)
    assert totals["em"].difference == Decimal("0.044")
    assert totals["edl"].difference == Decimal("-0.06205")
    assert totals["eb"].difference == Decimal("0.3096")
    assert totals["ep"].difference == Decimal("0.24755")
    assert totals["e"].difference == Decimal("0.29155")
    assert totals["e"].new == Decimal("120.6018")
    assert [(line.key, line.status, line.difference) for line in diff.lines] == [
        ("material/25", CHANGED, Decimal("0.044")),
        ("stage/4", CHANGED, Decimal("-0.06205")),
        ("fuel/1", ADDED, Decimal("0.3096")),
    ]


def test_two_versions_of_the_same_inputs_differ_in_nothing(exchange):
    v1 = exchange.submit()
    _return(exchange, v1)
    v2 = exchange.submit()

    diff = submission_diff(old=v1, new=v2)

    assert diff.unchanged
    assert diff.inputs == () and diff.lines == ()


# -- the inbox -----------------------------------------------------------------------------------------------------


def _second_supplier_exchange(exchange: Exchange, library: factories.Library) -> tuple[object, object, object]:
    """Another supplier of the same buyer, with an accepted relationship; returns (supplier, manager, relationship)."""
    other = factories.make_organization(name="Alpha Meters")
    manager = factories.make_member(other, role=Role.MANAGER)
    relationship = relationship_propose(membership=exchange.reviewer_membership(), supplier_identifier=other.slug)
    relationship = relationship_accept(membership=membership_of(manager, other), relationship=relationship)
    return other, manager, relationship


def _submit_new(supplier, manager, relationship, exchange, library, due: date) -> Submission:
    study = complete_study(supplier, library)
    compute(study)
    footprint_request = request_create(
        membership=exchange.reviewer_membership(),
        relationship=relationship,
        product_type="Single-phase smart meter",
        product_code=study.product.model_code,
        period_start=study.period_start,
        period_end=study.period_end,
        due_date=due,
        today=date(2025, 2, 1),
    )
    return submission_create(
        membership=membership_of(manager, supplier), footprint_request=footprint_request, study=study
    )


def test_the_inbox_lists_waiting_versions_by_due_date_then_supplier(exchange, library, django_assert_num_queries):
    exchange.supplier.name = "Beta Meters"
    exchange.supplier.save()
    beta_march_31 = exchange.submit()  # due 2025-03-31
    alpha, alpha_manager, alpha_relationship = _second_supplier_exchange(exchange, library)
    alpha_march_31 = _submit_new(alpha, alpha_manager, alpha_relationship, exchange, library, date(2025, 3, 31))
    alpha_march_10 = _submit_new(alpha, alpha_manager, alpha_relationship, exchange, library, date(2025, 3, 10))
    under_review = _submit_new(
        exchange.supplier, exchange.supplier_manager, exchange.relationship, exchange, library, date(2025, 3, 20)
    )
    submission_transition(membership=exchange.reviewer_membership(), submission=under_review, name="start_review")
    returned = _submit_new(alpha, alpha_manager, alpha_relationship, exchange, library, date(2025, 3, 1))
    _return(exchange, returned)
    other_buyer = build_exchange(factories.make_organization(), library)  # someone else's inbox
    other_buyer.submit()

    with django_assert_num_queries(1):
        rows = review_inbox(organization=exchange.buyer)

    assert [(row.uuid, row.due_date, row.supplier, row.state) for row in rows] == [
        (alpha_march_10.uuid, date(2025, 3, 10), "Alpha Meters", SubmissionState.SUBMITTED),
        (under_review.uuid, date(2025, 3, 20), "Beta Meters", SubmissionState.UNDER_REVIEW),
        (alpha_march_31.uuid, date(2025, 3, 31), "Alpha Meters", SubmissionState.SUBMITTED),
        (beta_march_31.uuid, date(2025, 3, 31), "Beta Meters", SubmissionState.SUBMITTED),
    ]
    first = rows[0]
    assert first.product == alpha_march_10.request.product_code
    assert first.version == 1
    assert first.submitted_at == alpha_march_10.created_at
    assert first.state_label == "Submitted"
