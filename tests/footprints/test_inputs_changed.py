"""studies_inputs_changed: each kind of input a computation reads flips it, a recompute clears it, and what
the document does not hold (a status, an edit undone, readings outside the period) leaves it alone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Material, ProcessStage
from apps.factors.models import EmissionFactor
from apps.factors.services import own_factor_create
from apps.footprints.enums import ComputationStatus
from apps.footprints.selectors import studies_inputs_changed
from apps.footprints.services import footprint_compute, footprint_compute_now, footprint_request
from apps.inventory.enums import DataSource, StudyStatus
from apps.inventory.models import BomLine, Study, StudyStage
from apps.inventory.services.bom import bom_line_update, transport_leg_delete
from apps.inventory.services.stages import study_stage_update
from apps.inventory.services.studies import product_update
from apps.ledger.entries import fuel_entry_delete, waste_entry_update
from apps.ledger.enums import ReadingSource
from apps.ledger.manual import stage_electricity_manual_set
from apps.ledger.models import ElectricityReading, FuelEntry, MeteringPoint, WasteEntry
from apps.ledger.services import readings_insert_run
from tests import factories
from tests.footprints.builders import SHANGHAI, build_small_study


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def editor(supplier):
    return factories.make_member(supplier, username="wang.fang")


def _compute(study: Study) -> None:
    computation = footprint_compute(computation_id=footprint_request(study=study).pk)
    assert computation.status == ComputationStatus.SUCCEEDED, computation.error_message


def _changed(study: Study) -> bool:
    return studies_inputs_changed(studies=[Study.objects.get(pk=study.pk)])[study.pk]


@pytest.fixture
def computed(supplier, library) -> Study:
    study = build_small_study(supplier, library)
    _compute(study)
    assert not _changed(study)
    return study


def _smt(study: Study) -> MeteringPoint:
    return MeteringPoint.objects.get(code=f"smt-{study.pk}")


def _more_smt_readings(study: Study, start: datetime) -> None:
    readings_insert_run(
        organization=study.organization, metering_point=_smt(study), start=start, step_seconds=900,
        milliwatt_hours=[1_000_000] * 2, source=ReadingSource.METER,
    )  # fmt: skip


# --- each kind of change, and a recompute clears it ------------------------------------------------------------------


def test_a_study_without_result_is_not_flagged(supplier, library):
    study = build_small_study(supplier, library)

    assert studies_inputs_changed(studies=[study]) == {study.pk: False}
    assert studies_inputs_changed(studies=[]) == {}


def test_a_bom_quantity_edit_flips_it_and_a_recompute_clears_it(computed, editor):
    line = BomLine.objects.get(study=computed, material__no=20)

    bom_line_update(
        study=computed, line=line, quantity=Decimal(2), loss_rate=line.loss_rate, factor=line.factor,
        data_source=line.data_source, unit_mass_kg=None, notes="", expected_version=None, user=editor,
    )  # fmt: skip

    assert _changed(computed)
    _compute(computed)
    assert not _changed(computed)


def test_an_edit_undone_before_the_next_computation_is_no_change(computed, editor):
    line = BomLine.objects.get(study=computed, material__no=20)
    values = {
        "study": computed, "loss_rate": line.loss_rate, "factor": line.factor, "data_source": line.data_source,
        "unit_mass_kg": None, "notes": "", "expected_version": None, "user": editor,
    }  # fmt: skip

    bom_line_update(line=line, quantity=Decimal(3), **values)
    assert _changed(computed)
    bom_line_update(line=BomLine.objects.get(pk=line.pk), quantity=Decimal(1), **values)

    assert not _changed(computed)


def test_a_new_reading_batch_in_the_period_flips_it(computed):
    _more_smt_readings(computed, datetime(2025, 1, 7, 8, 0, tzinfo=SHANGHAI))

    assert _changed(computed)
    _compute(computed)
    assert not _changed(computed)


def test_readings_outside_the_period_or_at_another_site_do_not(computed, supplier, library):
    _more_smt_readings(computed, datetime(2025, 2, 3, 8, 0, tzinfo=SHANGHAI))  # February: after the period
    _more_smt_readings(computed, datetime(2024, 12, 31, 15, 0, tzinfo=SHANGHAI))  # ends before 1 January local
    elsewhere = build_small_study(supplier, library)  # its own site, points and readings

    assert not _changed(computed)
    assert ElectricityReading.objects.filter(metering_point__site=elsewhere.site).count() == 5


def test_a_reading_straddling_the_period_start_counts(computed):
    # 31 December 23:45 to 1 January 00:15 local: two 15-minute readings, the second inside the period.
    _more_smt_readings(computed, datetime(2024, 12, 31, 23, 45, tzinfo=SHANGHAI))

    assert _changed(computed)


def test_a_deleted_fuel_entry_flips_it(computed, editor):
    fuel_entry_delete(study=computed, entry=FuelEntry.objects.get(study=computed), user=editor)

    assert _changed(computed)
    _compute(computed)
    assert not _changed(computed)


def test_a_stage_share_change_flips_it(computed, editor):
    handling = StudyStage.objects.get(study=computed, stage__no=26)

    study_stage_update(
        study=computed, study_stage=handling, allocation_share=Decimal("0.4"), allocation_note="floor area",
        expected_version=None, user=editor,
    )  # fmt: skip

    assert _changed(computed)


def test_a_waste_edit_a_leg_deleted_and_a_product_mass_change_each_flip_it(supplier, library, editor):
    studies = [build_small_study(supplier, library) for _ in range(3)]
    for study in studies:
        _compute(study)
    waste_study, leg_study, product_study = studies

    entry = WasteEntry.objects.get(study=waste_study)
    waste_entry_update(
        study=waste_study, entry=entry, factor=entry.factor, quantity=Decimal(250), unit="kg",
        allocation_share=entry.allocation_share, data_source=entry.data_source, description="", expected_version=None,
        user=editor,
    )  # fmt: skip
    transport_leg_delete(leg=BomLine.objects.get(study=leg_study, material__no=25).transport_legs.get(), user=editor)
    product = product_study.product
    product_update(
        product=product, expected_version=None, user=editor, name=product.name, model_code=product.model_code,
        description=product.description, mass_kg=Decimal("0.7"),
    )  # fmt: skip

    current = studies_inputs_changed(studies=list(Study.objects.filter(pk__in=[s.pk for s in studies])))
    assert current == {waste_study.pk: True, leg_study.pk: True, product_study.pk: True}


def test_a_status_change_is_not_an_input(computed):
    study = Study.objects.get(pk=computed.pk)
    study.status = StudyStatus.RETURNED
    study.save()  # writes a history row, as the review will

    assert not _changed(computed)


# --- factors --------------------------------------------------------------------------------------------------------


@pytest.fixture
def resolved(supplier, library) -> Study:
    """A study whose PCB line has no factor of its own: it resolves to the library's."""
    study = build_small_study(supplier, library)
    BomLine.objects.filter(study=study, material__no=20).update(factor=None)
    _compute(study)
    assert not _changed(study)
    return study


def test_a_new_own_factor_that_now_wins_the_resolution_flips_it(resolved, supplier, editor):
    own_factor_create(
        organization=supplier, material=Material.objects.get(no=20), name_zh="印制电路板", name_en="PCB",
        value=Decimal("0.5"), unit="kgCO2e/piece", source="Upstream EPD", user=editor,
    )  # fmt: skip

    assert _changed(resolved)
    _compute(resolved)
    assert not _changed(resolved)


def test_the_winning_own_factor_deleted_flips_it_though_the_library_factor_now_used_is_unchanged(
    supplier, library, editor
):
    study = build_small_study(supplier, library)
    BomLine.objects.filter(study=study, material__no=20).update(factor=None)
    own = own_factor_create(
        organization=supplier, material=Material.objects.get(no=20), name_zh="印制电路板", name_en="PCB",
        value=Decimal("0.5"), unit="kgCO2e/piece", source="Upstream EPD", user=editor,
    )  # fmt: skip
    _compute(study)
    assert not _changed(study)

    own.delete()

    assert _changed(study)


def test_a_used_factor_edited_flips_it_an_unused_one_does_not(resolved, library, other_supplier):
    unused = factories.make_library()  # another library dataset, none of whose factors the study uses
    unused.pcb.value = Decimal("0.99")
    unused.pcb.save()
    assert not _changed(resolved)

    library.pcb.value = Decimal("0.9")  # the factor the PCB line resolves to
    library.pcb.save()
    assert _changed(resolved)


def test_the_grid_factor_edited_flips_it(computed, library):
    EmissionFactor.objects.get(pk=library.grid.pk).save()  # saved unchanged: a history row, same values
    assert not _changed(computed)

    library.grid.value = Decimal("0.6")
    library.grid.save()
    assert _changed(computed)


# --- manual electricity ---------------------------------------------------------------------------------------------


def test_removing_a_manual_value_flips_it_and_only_for_the_study_whose_period_it_was(supplier, library, editor):
    january = build_small_study(supplier, library)
    stage = ProcessStage.objects.get(no=10)
    stage_electricity_manual_set(study=january, stage=stage, total_kwh=Decimal(120), monthly_kwh=None, user=editor)
    february = Study.objects.create(
        organization=supplier, product=january.product, site=january.site, name="February",
        period_start=date(2025, 2, 1), period_end=date(2025, 2, 28), units_produced=Decimal(1000),
        factor_dataset=library.dataset, electricity_factor=library.grid,
    )  # fmt: skip
    StudyStage.objects.create(organization=supplier, study=february, stage=stage)
    FuelEntry.objects.create(  # something to compute: a study with no input at all is refused as incomplete
        organization=supplier, study=february, factor=library.diesel, quantity=Decimal(100), unit="kg"
    )
    _compute(january)
    _compute(february)

    stage_electricity_manual_set(study=january, stage=stage, total_kwh=None, monthly_kwh=None, user=editor)

    # The point was touched: January's snapshot held its reading, February's held none there.
    changed = studies_inputs_changed(studies=list(Study.objects.filter(pk__in=[january.pk, february.pk])))
    assert changed == {january.pk: True, february.pk: False}
    assert not ElectricityReading.objects.filter(metering_point__site=january.site, metering_point__is_manual=True)


def test_a_result_computed_without_a_computation_is_based_on_the_snapshot(supplier, library, editor):
    study = build_small_study(supplier, library)
    footprint_compute_now(study=study)  # manage.py compute_footprint: no computation row
    assert not _changed(study)

    fuel_entry_delete(study=study, entry=FuelEntry.objects.get(study=study), user=editor)

    assert _changed(study)


# --- cost -----------------------------------------------------------------------------------------------------------


def _dashboard_queries(studies: list[Study]) -> tuple[int, dict[int, bool]]:
    cache.clear()
    fresh = list(Study.objects.filter(pk__in=[s.pk for s in studies]))
    with CaptureQueriesContext(connection) as queries:
        answer = studies_inputs_changed(studies=fresh)
    return len(queries), answer


def _change_everything(study: Study, editor, library) -> None:
    """One change of every kind the selector reads separately."""
    _more_smt_readings(study, datetime(2025, 1, 8, 8, 0, tzinfo=SHANGHAI))
    line = BomLine.objects.get(study=study, material__no=28)
    bom_line_update(
        study=study, line=line, quantity=line.quantity, loss_rate=line.loss_rate, factor=line.factor,
        data_source=DataSource.MEASURED_PRIMARY, unit_mass_kg=None, notes="", expected_version=None, user=editor,
    )  # fmt: skip
    point = _smt(study)
    point.name = "SMT line meter (replaced)"
    point.save()


def test_the_number_of_queries_does_not_grow_with_the_studies(supplier, library, editor):
    # Changes of every kind, in every study: the most work the selector can have. The factor is one they
    # all use, so it is edited once after every study was computed.
    studies = [build_small_study(supplier, library) for _ in range(5)]
    for study in studies:
        _compute(study)
    library.diesel.notes = "re-cited"
    library.diesel.save()
    for study in studies:
        _change_everything(study, editor, library)

    with_one, answer_one = _dashboard_queries(studies[:1])
    with_five, answer_five = _dashboard_queries(studies)

    assert answer_one == {studies[0].pk: True}
    assert answer_five == {study.pk: True for study in studies}
    assert with_five == with_one


def test_the_number_of_queries_does_not_grow_when_shared_rows_and_readings_change(supplier, library, editor):
    # Nothing of the studies' own rows changed: the points, the factors and the readings must be read.
    studies = [build_small_study(supplier, library) for _ in range(5)]
    for study in studies:
        _compute(study)
    library.landfill.notes = "re-cited"
    library.landfill.save()
    for study in studies[1:]:
        _more_smt_readings(study, datetime(2025, 1, 9, 8, 0, tzinfo=SHANGHAI))

    with_one, answer_one = _dashboard_queries(studies[:1])
    with_five, answer_five = _dashboard_queries(studies)

    assert answer_one == {studies[0].pk: True}  # the factor's notes are in the document
    assert answer_five == {study.pk: True for study in studies}
    assert with_five == with_one
    assert with_five <= 12
