import gzip
import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from apps.catalog.models import Material
from apps.factors.models import ElectricityFactorSeries
from apps.factors.series import series_points_bulk_upsert
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult, ImmutableRowError
from apps.footprints.services import footprint_compute, footprint_compute_now
from apps.inventory.enums import StudyStatus
from apps.inventory.models import BomLine, Study
from tests.footprints.builders import EXPECTED, build_small_study


def test_compute_gives_the_hand_computed_totals(supplier, library):
    study = build_small_study(supplier, library)

    snapshot, created = footprint_compute_now(study=study)

    assert created
    assert {name: Decimal(value) for name, value in snapshot.totals.items()} == EXPECTED


def test_breakdown_sums_exactly_to_the_totals(supplier, library):
    study = build_small_study(supplier, library)

    snapshot, _ = footprint_compute_now(study=study)

    by_kind: dict[str, Decimal] = {}
    for line in snapshot.breakdown:
        by_kind[line["kind"]] = by_kind.get(line["kind"], Decimal(0)) + Decimal(line["emission"])
    totals = {name: Decimal(value) for name, value in snapshot.totals.items()}
    assert by_kind["material"] == totals["em_materials"]
    assert by_kind["transport"] == totals["em_transport"]
    assert by_kind["stage"] == totals["edl"]
    assert by_kind["fuel"] == totals["eb"]
    assert by_kind["waste"] == totals["ew"]
    assert sum(by_kind.values()) == totals["e"]
    assert len(snapshot.breakdown) == 3 + 1 + 2 + 1 + 1


def test_snapshot_digest_is_the_sha256_of_its_stored_canonical_inputs(supplier, library):
    study = build_small_study(supplier, library)

    snapshot, _ = footprint_compute_now(study=study)

    canonical = gzip.decompress(bytes(snapshot.canonical_inputs_gz))
    assert hashlib.sha256(canonical).hexdigest() == snapshot.digest
    assert snapshot.canonical_inputs["format"] == "carbonfoot.study"


def test_recompute_with_unchanged_inputs_reuses_the_snapshot(supplier, library):
    study = build_small_study(supplier, library)
    first, _ = footprint_compute_now(study=study)

    second, created = footprint_compute_now(study=study)

    assert not created
    assert second.pk == first.pk
    assert FootprintResult.objects.filter(study=study).count() == 1


def test_recompute_after_an_input_changes_stores_a_new_snapshot(supplier, library):
    study = build_small_study(supplier, library)
    first, _ = footprint_compute_now(study=study)
    BomLine.objects.filter(study=study, material__no=25).update(quantity=Decimal(2))

    second, created = footprint_compute_now(study=study)

    assert created
    assert second.digest != first.digest
    assert Decimal(second.totals["e"]) == EXPECTED["e"] + Decimal("2.1")


def test_snapshot_cannot_be_changed(supplier, library):
    snapshot, _ = footprint_compute_now(study=build_small_study(supplier, library))
    snapshot.totals = {"e": "0"}

    with pytest.raises(ImmutableRowError):
        snapshot.save()


def test_computation_with_a_missing_factor_fails_readably_and_stores_nothing(supplier, library):
    study = build_small_study(supplier, library)
    BomLine.objects.create(
        organization=supplier, study=study, material=Material.objects.get(no=7), quantity=Decimal(1)
    )  # the LCD has no factor in this library
    computation = FootprintComputation.objects.create(organization=supplier, study=study)

    footprint_compute(computation_id=computation.pk)

    computation.refresh_from_db()
    assert computation.status == ComputationStatus.FAILED
    assert computation.error_code == "missing_factor"
    assert computation.result is None
    assert not FootprintResult.objects.filter(study=study).exists()
    with translation.override("en"):
        assert "LCD display" in computation.error_display()
    with translation.override("zh-hans"):
        assert "排放因子" in computation.error_display()


def test_workflow_status_does_not_change_the_digest(supplier, library):
    study = build_small_study(supplier, library)
    draft, _ = footprint_compute_now(study=study)
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.SUBMITTED)
    study.refresh_from_db()

    submitted, created = footprint_compute_now(study=study)

    assert not created
    assert submitted.digest == draft.digest


def test_declared_unit_of_two_pieces_allocates_the_plant_ledger_over_half_as_many_units(supplier, library):
    study = build_small_study(supplier, library)
    Study.objects.filter(pk=study.pk).update(declared_unit_amount=Decimal(2))
    study.refresh_from_db()

    snapshot, _ = footprint_compute_now(study=study)

    totals = {name: Decimal(value) for name, value in snapshot.totals.items()}
    assert totals["em"] == EXPECTED["em"]  # BOM quantities are entered per declared unit
    assert totals["edl"] == 2 * EXPECTED["edl"]  # 1000 pieces make 500 declared units
    assert totals["eb"] == 2 * EXPECTED["eb"]
    assert totals["ew"] == 2 * EXPECTED["ew"]


def test_factor_series_with_a_gap_in_the_period_fails_naming_the_gap(supplier, library):
    study = build_small_study(supplier, library)
    series = ElectricityFactorSeries.objects.create(
        dataset=library.dataset, code="grid.hourly", name="hourly", region="East China", source="test"
    )
    period_start = datetime(2024, 12, 31, 16, tzinfo=UTC)  # 2025-01-01 00:00 Asia/Shanghai
    missing = datetime(2025, 1, 10, 3, tzinfo=UTC)
    hours = [period_start + timedelta(hours=h) for h in range(31 * 24)]
    series_points_bulk_upsert(series=series, points=[(hour, "0.6") for hour in hours if hour != missing])
    Study.objects.filter(pk=study.pk).update(electricity_factor=None, electricity_series=series)
    computation = FootprintComputation.objects.create(organization=supplier, study=study)

    footprint_compute(computation_id=computation.pk)

    computation.refresh_from_db()
    assert computation.status == ComputationStatus.FAILED
    assert computation.error_code == "series_gap"
    with translation.override("en"):
        message = computation.error_display()
    assert "2025-01-10T11:00:00+08:00" in message and "2025-01-10T12:00:00+08:00" in message
    assert not FootprintResult.objects.filter(study=study).exists()
