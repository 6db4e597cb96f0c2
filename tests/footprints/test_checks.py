"""Completeness and plausibility checks (apps.footprints.checks) on hand-built studies: each blocking problem and
each warning appears when its condition holds and is gone once the input is fixed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from apps.catalog.models import Material, ProcessStage
from apps.factors.enums import FactorCategory, GwpBasis
from apps.factors.models import EmissionFactor, FactorDataset
from apps.footprints.checks import BLOCKING, WARNING, StudyChecks, study_checks, study_checks_many
from apps.inventory.enums import TransportMode
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.enums import ReadingSource
from apps.ledger.models import FuelEntry
from apps.ledger.services import ReadingInput, readings_bulk_insert
from tests import factories
from tests.footprints.check_builders import JANUARY, SHANGHAI, add_reading, complete_study
from tests.web.builders import make_result


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english():
    """The messages are asserted in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


def row(study: Study, material_no: int, field: str) -> str:
    """The field of the grid row of the study's line for a catalogue material: the anchor its problem links to."""
    return f"line-{study.bom_lines.get(material__no=material_no).pk}-{field}"


def codes(checks: StudyChecks) -> list[tuple[str, str, str, str]]:
    return [(p.code, p.severity, p.section, p.anchor) for p in checks.problems]


def test_a_complete_study_has_no_problem_and_can_be_computed(supplier, library):
    study = complete_study(supplier, library)

    checks = study_checks(study=study)

    assert checks.problems == ()
    assert checks.can_compute
    assert checks.completeness == Decimal(1)


def test_a_material_without_a_line_blocks_and_lowers_completeness(supplier, library):
    study = complete_study(supplier, library)
    material = Material.objects.get(no=5)
    study.bom_lines.filter(material=material).delete()

    checks = study_checks(study=study)

    assert codes(checks) == [("material_missing_quantity", BLOCKING, "bom", "material-5-quantity")]
    assert "Enter 0 if the product does not use it" in checks.blocking[0].message
    assert not checks.can_compute
    # 32 materials × (quantity, factor) + the electricity factor + stage 4: 66 inputs, 2 missing.
    assert checks.completeness == Decimal("0.9697")

    BomLine.objects.create(organization=supplier, study=study, material=material, quantity=0, factor=library.pcb)
    assert study_checks(study=study).can_compute


def test_a_line_without_a_resolvable_factor_blocks_until_the_supplier_adds_its_own(supplier, library):
    study = complete_study(supplier, library)
    material = Material.objects.get(no=1)  # the test library has no default for material 1
    study.bom_lines.filter(material=material).update(factor=None)

    checks = study_checks(study=study)

    assert codes(checks) == [("material_missing_factor", BLOCKING, "bom", row(study, 1, "factor"))]
    assert checks.completeness == Decimal("0.9848")  # 65 of 66

    own = factories.make_library(organization=supplier)
    EmissionFactor.objects.create(
        dataset=own.dataset,
        organization=supplier,
        code="material.own",
        category=FactorCategory.MATERIAL,
        name_en="own",
        value=Decimal("1.5"),
        unit=f"kgCO2e/{material.activity_unit}",
        source="upstream supplier",
        material=material,
    )
    assert study_checks(study=study).problems == ()


def test_library_default_resolves_a_line_without_its_own_factor(supplier, library):
    study = complete_study(supplier, library)
    study.bom_lines.filter(material__no=20).update(factor=None)  # library.pcb names material 20

    assert study_checks(study=study).problems == ()


def test_a_per_kg_factor_on_a_piece_line_without_mass_per_unit_blocks(supplier, library):
    study = complete_study(supplier, library)
    line = study.bom_lines.get(material__no=20)  # counted in pieces
    line.factor = library.solder_bar  # 14 kgCO2e/kg
    line.save()

    checks = study_checks(study=study)

    assert codes(checks) == [("unit_mismatch", BLOCKING, "bom", row(study, 20, "unit_mass_kg"))]
    assert "per kg" in checks.problems[0].message

    line.unit_mass_kg = Decimal("0.03")
    line.save()
    assert study_checks(study=study).problems == ()


def test_a_factor_that_cannot_value_the_unit_at_all_blocks(supplier, library):
    study = complete_study(supplier, library)
    study.bom_lines.filter(material__no=20).update(factor=library.grid)  # kgCO2e/kWh on pieces

    assert codes(study_checks(study=study)) == [("unit_mismatch", BLOCKING, "bom", row(study, 20, "factor"))]


def test_a_transport_leg_with_a_factor_not_per_tonne_kilometre_blocks(supplier, library):
    study = complete_study(supplier, library)
    line = study.bom_lines.get(material__no=25)
    leg = TransportLeg.objects.create(
        organization=supplier,
        bom_line=line,
        mode=TransportMode.ROAD_HEAVY,
        distance_km=Decimal(100),
        mass_kg=Decimal(1),
        factor=library.pcb,
    )

    assert codes(study_checks(study=study)) == [("unit_mismatch", BLOCKING, "bom", f"line-{line.pk}-legs")]

    leg.factor = library.truck
    leg.save()
    assert study_checks(study=study).problems == ()


def test_a_stage_without_electricity_blocks(supplier, library):
    study = complete_study(supplier, library)
    StudyStage.objects.create(organization=supplier, study=study, stage=ProcessStage.objects.get(no=7))

    checks = study_checks(study=study)

    assert codes(checks) == [("stage_electricity_gap", BLOCKING, "stages", "stage-7-electricity")]
    assert "no electricity" in checks.problems[0].message
    assert checks.completeness == Decimal("0.9851")  # 66 of 67


def test_a_stage_with_electricity_for_part_of_the_period_blocks_until_the_rest_is_entered(supplier, library):
    study = complete_study(supplier, library)
    StudyStage.objects.create(organization=supplier, study=study, stage=ProcessStage.objects.get(no=7))
    # 1-10 January: 9 of 31 days (the period is [1 Jan, 1 Feb) Shanghai time)
    add_reading(study, 7, JANUARY[0], datetime(2025, 1, 10, tzinfo=SHANGHAI), "90", code="reflow")

    checks = study_checks(study=study)

    assert codes(checks) == [("stage_electricity_gap", BLOCKING, "stages", "stage-7-electricity")]
    assert "29.0 %" in checks.problems[0].message  # 9/31 = 0.2903
    # 66 whole inputs + 9/31 of stage 7, over 67
    assert checks.completeness == ((Decimal(66) + Decimal(9) / Decimal(31)) / 67).quantize(Decimal("0.0001"))

    point = study.site.metering_points.get(code="reflow")
    readings_bulk_insert(
        organization=supplier,
        metering_point=point,
        source=ReadingSource.METER,
        readings=[ReadingInput(datetime(2025, 1, 10, tzinfo=SHANGHAI), JANUARY[1], "220")],
    )
    assert study_checks(study=study).problems == ()


def test_the_dashboard_checks_see_the_same_gap(supplier, library):
    study = complete_study(supplier, library)
    StudyStage.objects.create(organization=supplier, study=study, stage=ProcessStage.objects.get(no=7))
    add_reading(study, 7, JANUARY[0], datetime(2025, 1, 10, tzinfo=SHANGHAI), "90", code="reflow")
    other = complete_study(supplier, library)

    many = study_checks_many(studies=[study, other])

    assert codes(many[study.pk]) == [("stage_electricity_gap", BLOCKING, "stages", "stage-7-electricity")]
    assert many[study.pk].completeness == study_checks(study=study).completeness
    assert many[other.pk].problems == ()


def test_no_electricity_factor_blocks(supplier, library):
    study = complete_study(supplier, library)
    Study.objects.filter(pk=study.pk).update(electricity_factor=None)
    study.refresh_from_db()

    checks = study_checks(study=study)

    assert codes(checks) == [("electricity_factor_missing", BLOCKING, "study", "id_electricity_factor")]


def test_a_fuel_in_a_unit_its_factor_cannot_value_blocks(supplier, library):
    study = complete_study(supplier, library)
    entry = FuelEntry.objects.create(
        organization=supplier, study=study, factor=library.diesel, quantity=Decimal(10), unit="kWh"
    )

    assert codes(study_checks(study=study)) == [("unit_mismatch", BLOCKING, "entries", f"fuel-{entry.pk}")]

    entry.unit = "kg"
    entry.save()
    assert study_checks(study=study).problems == ()


def test_a_supplier_factor_outside_the_library_range_warns(supplier, library):
    library.pcb.low, library.pcb.high = Decimal("0.5"), Decimal("1.2")
    library.pcb.save()
    own = FactorDataset.objects.create(
        organization=supplier, name="Upstream data", version="1", publisher="us", gwp_basis=GwpBasis.AR6
    )
    own_pcb = EmissionFactor.objects.create(
        dataset=own,
        organization=supplier,
        code="material.pcb.upstream",
        category=FactorCategory.MATERIAL,
        name_en="PCB from our supplier",
        value=Decimal("2.5"),
        unit="kgCO2e/piece",
        source="upstream certificate",
        material=Material.objects.get(no=20),
    )
    study = complete_study(supplier, library)
    study.bom_lines.filter(material__no=20).update(factor=None)  # resolves to the supplier's own factor

    checks = study_checks(study=study)

    assert codes(checks) == [("factor_out_of_range", WARNING, "bom", row(study, 20, "factor"))]
    assert "0.5 – 1.2" in checks.problems[0].message
    assert checks.can_compute  # a warning does not block

    own_pcb.value = Decimal("1.1")
    own_pcb.save()
    assert study_checks(study=study).problems == ()


def test_a_loss_rate_above_ten_percent_warns(supplier, library):
    study = complete_study(supplier, library)
    study.bom_lines.filter(material__no=25).update(loss_rate=Decimal("0.15"))

    checks = study_checks(study=study)

    assert codes(checks) == [("loss_rate_high", WARNING, "bom", row(study, 25, "loss_rate"))]
    assert "15 %" in checks.problems[0].message

    line = study.bom_lines.get(material__no=25)
    line.loss_rate = Decimal("0.10")
    line.save()  # as every service saves: updated_at moves, so the cached checks are not reused
    assert study_checks(study=study).problems == ()


def _previous_study(study: Study, library: factories.Library, *, kwh: str, units: str) -> Study:
    """The same product's December study, computed: one stage line of `kwh` at share 0.5, `units` produced."""
    previous = Study.objects.create(
        organization=study.organization,
        product=study.product,
        site=study.site,
        name=f"{study.name} (previous)",
        period_start=date(2024, 12, 1),
        period_end=date(2024, 12, 31),
        units_produced=Decimal(units),
        factor_dataset=library.dataset,
        electricity_factor=library.grid,
    )
    stage_line = {"kind": "stage", "key": "stage/4", "activity": kwh, "allocation_share": "0.5", "emission": "0"}
    make_result(previous, breakdown=[stage_line])
    return previous


def test_electricity_per_unit_far_from_the_previous_period_warns(supplier, library):
    study = complete_study(supplier, library)  # 500 kWh at share 1, 1000 units: 0.5 kWh per unit
    # previous: 600 kWh × 0.5 / 1000 units = 0.3 kWh per unit; 0.5 is 66.7 % above it
    _previous_study(study, library, kwh="600", units="1000")

    checks = study_checks(study=study)

    assert codes(checks) == [("electricity_far_from_previous", WARNING, "stages", "stage-4-electricity")]
    assert "0.5 kWh" in checks.problems[0].message
    assert "0.3 kWh" in checks.problems[0].message
    assert "67 %" in checks.problems[0].message


def test_electricity_per_unit_close_to_the_previous_period_does_not_warn(supplier, library):
    study = complete_study(supplier, library)
    # 800 kWh × 0.5 / 1000 = 0.4 kWh per unit: 0.5 is 25 % above it
    _previous_study(study, library, kwh="800", units="1000")

    assert study_checks(study=study).problems == ()


def test_a_later_study_is_not_the_previous_period(supplier, library):
    study = complete_study(supplier, library)
    later = _previous_study(study, library, kwh="6000", units="1000")
    Study.objects.filter(pk=later.pk).update(period_start=date(2025, 2, 1), period_end=date(2025, 2, 28))

    assert study_checks(study=study).problems == ()


def test_a_line_beyond_the_catalogue_is_checked_by_its_own_unit(supplier, library):
    study = complete_study(supplier, library)
    line = BomLine.objects.create(
        organization=supplier,
        study=study,
        name="Carton",
        activity_unit="piece",
        quantity=Decimal(1),
        factor=library.solder_bar,  # per kg
    )

    assert codes(study_checks(study=study)) == [("unit_mismatch", BLOCKING, "bom", f"line-{line.pk}-unit_mass_kg")]

    line.unit_mass_kg = Decimal("0.2")
    line.save()
    assert study_checks(study=study).problems == ()


def test_messages_follow_the_active_language(supplier, library):
    from django.utils import translation

    study = complete_study(supplier, library)
    study.bom_lines.filter(material__no=5).delete()

    material = Material.objects.get(no=5)

    with translation.override("en"):
        english = study_checks(study=study).problems[0].message
    with translation.override("zh-hans"):
        chinese = study_checks(study=study).problems[0].message

    assert english.startswith(f"5. {material.name_en}: ")
    assert "no quantity entered" in english
    assert material.name_zh not in english
    assert chinese.startswith(f"5. {material.name_zh}")
    assert material.name_en not in chinese or material.name_en in material.name_zh


def test_checks_of_many_studies_take_the_same_number_of_queries_for_one_or_five(supplier, library):
    other = factories.make_organization()
    other_library = factories.make_library(organization=other, version="o1")
    studies = [complete_study(supplier, library) for _ in range(4)] + [complete_study(other, other_library)]
    for study in studies:
        _previous_study(study, library if study.organization == supplier else other_library, kwh="1000", units="1000")
        study.bom_lines.filter(material__no=3).update(loss_rate=Decimal("0.2"))

    def queries(batch: list[Study]) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            result = study_checks_many(studies=batch)
        assert all(codes(result[s.pk]) == [("loss_rate_high", WARNING, "bom", row(s, 3, "loss_rate"))] for s in batch)
        return len(captured.captured_queries)

    one = queries(studies[:1])
    assert queries(studies) == one
    assert one <= 16


def test_factor_precedence_matches_the_factor_selector(supplier, library):
    """The checks resolve a line's factor as apps.factors.selectors.factors_for_materials does."""
    from apps.factors.selectors import factors_for_materials

    newer = FactorDataset.objects.create(
        organization=supplier, name="Own", version="2", publisher="us", gwp_basis=GwpBasis.AR6
    )
    material = Material.objects.get(no=20)
    chosen = EmissionFactor.objects.create(
        dataset=newer,
        organization=supplier,
        code="a",
        category=FactorCategory.MATERIAL,
        name_en="own PCB",
        value=Decimal("9"),
        unit="kgCO2e/kWh",  # deliberately unable to value pieces: the check then names it
        source="s",
        material=material,
    )
    study = complete_study(supplier, library)
    study.bom_lines.filter(material=material).update(factor=None)

    assert (
        factors_for_materials(organization=supplier, material_ids=[material.pk], dataset=library.dataset)[material.pk]
        == chosen
    )
    assert codes(study_checks(study=study)) == [("unit_mismatch", BLOCKING, "bom", row(study, 20, "factor"))]


def test_cached_coverage_follows_deleted_readings_once_the_point_is_touched(supplier, library):
    study = complete_study(supplier, library)
    assert study_checks(study=study).can_compute  # coverage now cached
    assert study_checks_many(studies=[study])[study.pk].can_compute
    point = study.site.metering_points.get()

    point.readings.all().delete()
    point.save()  # what a service that clears readings does (a new updated_at)

    assert codes(study_checks(study=study)) == [("stage_electricity_gap", BLOCKING, "stages", "stage-4-electricity")]
    assert not study_checks_many(studies=[study])[study.pk].can_compute


def test_the_dashboard_checks_clip_a_reading_that_crosses_the_period_start(supplier, library):
    study = complete_study(supplier, library)
    StudyStage.objects.create(organization=supplier, study=study, stage=ProcessStage.objects.get(no=7))
    # 31 Dec 12:00 to 16 Jan 12:00 Shanghai time: 15.5 of January's 31 days are covered
    add_reading(
        study, 7, datetime(2024, 12, 31, 12, tzinfo=SHANGHAI), datetime(2025, 1, 16, 12, tzinfo=SHANGHAI), "160"
    )

    many = study_checks_many(studies=[study])[study.pk]

    assert codes(many) == [("stage_electricity_gap", BLOCKING, "stages", "stage-7-electricity")]
    assert "50.0 %" in many.problems[0].message
    assert "50.0 %" in study_checks(study=study).problems[0].message
