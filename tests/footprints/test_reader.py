"""The typed reader of a stored FootprintResult (apps.footprints.reader) and display rounding (apps.footprints.display).

Expected values are computed by hand from tests/web/builders.py: E = 1.2151672 kg CO2e per declared unit,
Em = 0.88 (PCB) + 0.0093472 (transport), Ep = 0.31025 (500 kWh) + 0.01548 (diesel) + 0.00009 (landfill).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import translation

from apps.footprints.display import Amount, display_unit, percent, significant
from apps.footprints.models import FootprintResult
from apps.footprints.reader import localized_label, result_charts, result_read
from tests import factories
from tests.web.builders import BREAKDOWN, DOCUMENT, make_result


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


# --- display -----------------------------------------------------------------------------------------------------


def test_significant_keeps_four_digits_and_all_integer_digits():
    assert significant(Decimal("6.4281234")) == "6.428"
    assert significant(Decimal("0.000123456")) == "0.0001235"
    assert significant(Decimal("123456.7")) == "123457"
    assert significant(Decimal("1000")) == "1000"
    assert significant(Decimal("1E+3")) == "1000"
    assert significant(Decimal("0.880000")) == "0.88"
    assert significant(Decimal("0.31025")) == "0.3103"  # half up
    assert significant(Decimal("0")) == "0"
    assert significant(Decimal("2.5"), digits=1) == "3"


def test_amount_rounds_for_display_only():
    amount = Amount(Decimal("6.4281234"), "kgCO2e")

    assert str(amount) == "6.428 kg CO2e"
    assert amount.display() == "6.428 kg CO2e"
    assert amount.number == "6.428"
    assert amount.value == Decimal("6.4281234")  # full precision stays
    assert str(Amount(Decimal("0.000123456"), "kWh")) == "0.0001235 kWh"
    assert str(Amount(Decimal("123456.7"), "kg CO2e")) == "123457 kg CO2e"


def test_units_and_percentages_as_people_read_them():
    assert display_unit("kgCO2e/kWh") == "kg CO2e/kWh"
    assert display_unit("kgCO2e") == "kg CO2e"
    assert display_unit("t*km") == "t·km"
    assert display_unit("piece") == "piece"
    assert percent(Decimal("0.2681234")) == "26.8 %"
    assert percent(Decimal("0.00049")) == "0.0 %"
    assert percent(Decimal("0.00051"), places=2) == "0.05 %"


# --- reader ------------------------------------------------------------------------------------------------------


def test_totals_per_declared_unit(supplier, library):
    study = factories.make_study(supplier, library)
    view = result_read(result=make_result(study))

    assert view.totals.e == Amount(Decimal("1.2151672"), "kg CO2e")
    assert view.totals.em.value == Decimal("0.8893472")
    assert view.totals.em_materials.value == Decimal("0.880000")
    assert view.totals.em_transport.value == Decimal("0.0093472")
    assert view.totals.ep.value == Decimal("0.32582")
    assert view.totals.eb.value == Decimal("0.01548")
    assert view.totals.edl.value == Decimal("0.31025")
    assert view.totals.ew.value == Decimal("0.00009")
    assert str(view.totals.e) == "1.215 kg CO2e"
    rows = {row.key: row for row in view.totals.rows}
    assert [row.key for row in view.totals.rows] == ["e", "em", "em_materials", "em_transport", "ep", "eb", "edl", "ew"]
    assert rows["e"].share == Decimal(1)
    assert percent(rows["edl"].share) == "25.5 %"  # 0.31025 / 1.2151672 = 0.25531


def test_lines_grouped_by_kind_with_subtotals_and_shares(supplier, library):
    study = factories.make_study(supplier, library)
    view = result_read(result=make_result(study))

    assert [g.kind for g in view.groups] == ["material", "transport", "stage", "fuel", "waste"]
    assert [len(g.lines) for g in view.groups] == [1, 1, 1, 1, 1]
    materials = view.group("material")
    assert materials.subtotal.value == Decimal("0.880000")
    assert percent(materials.share) == "72.4 %"  # 0.88 / 1.2151672 = 0.72418
    pcb = materials.lines[0]
    assert pcb.label == "Printed circuit board"
    assert pcb.activity == Amount(Decimal("1.000000"), "piece")
    assert pcb.factor == Amount(Decimal("0.88"), "kgCO2e/piece")
    assert pcb.factor_key == "Test library@t1/material.pcb"
    assert pcb.factor_code == "material.pcb"
    assert pcb.emission == Amount(Decimal("0.880000"), "kg CO2e")
    assert pcb.data_source == "secondary_default"
    assert not pcb.is_primary
    stage = view.group("stage").lines[0]
    assert stage.activity == Amount(Decimal("500.000000"), "kWh")
    assert stage.plant_emission == Amount(Decimal("310.25"), "kg CO2e")
    assert stage.allocation_share == Decimal(1)
    assert stage.is_primary
    assert view.group("transport").subtotal.value + view.group("fuel").subtotal.value == Decimal("0.0248272")
    # every line's share adds up to E
    assert sum(line.emission.value for line in view.lines) == Decimal("1.2151672")


def test_a_series_valued_stage_shows_its_average_factor(supplier, library):
    study = factories.make_study(supplier, library)
    stage = {**BREAKDOWN[2], "factor_value": None, "average_factor": "0.58123"}
    view = result_read(result=make_result(study, breakdown=[stage]))

    line = view.group("stage").lines[0]
    assert line.factor is None
    assert line.average_factor == Amount(Decimal("0.58123"), "kgCO2e/kWh")


def test_plant_totals_are_for_the_whole_period(supplier, library):
    study = factories.make_study(supplier, library, units_produced="1000")
    view = result_read(result=make_result(study))

    assert view.units_produced == Decimal(1000)
    assert view.plant.declared_units == Decimal(1000)
    assert view.plant.electricity == Amount(Decimal(500), "kWh")
    assert view.plant.electricity_allocated == Amount(Decimal(500), "kWh")
    assert view.plant.emissions.value == Decimal("1215.1672")  # 1.2151672 × 1000
    assert str(view.plant.emissions) == "1215 kg CO2e"
    assert view.electricity_per_declared_unit.value == Decimal("0.5")  # 500 kWh / 1000


def test_study_facts_come_from_the_snapshot_document_when_it_has_them(supplier, library):
    study = factories.make_study(supplier, library, units_produced="1000")
    document = {**DOCUMENT, "study": {"declared_unit": "piece", "declared_unit_amount": "10", "units_produced": "5000"}}
    stage = {**BREAKDOWN[2], "allocation_share": "0.4"}
    view = result_read(result=make_result(study, document=document, breakdown=[*BREAKDOWN[:2], stage]))

    assert view.declared_unit_amount == Decimal(10)
    assert view.units_produced == Decimal(5000)
    assert view.plant.declared_units == Decimal(500)  # 5000 pieces in declared units of 10
    assert view.plant.emissions.value == Decimal("607.5836")  # 1.2151672 × 500
    assert view.plant.electricity_allocated.value == Decimal("200")  # 500 kWh × 0.4
    assert view.electricity_per_declared_unit.value == Decimal("0.4")  # 200 kWh / 500


def test_snapshot_identity_and_primary_share(supplier, library):
    study = factories.make_study(supplier, library)
    result = make_result(study)
    view = result_read(result=result)

    assert view.digest == result.digest
    assert view.method_version == "cf-iso14067-meter/1"
    assert view.engine_version == "1.0.0"
    assert view.computed_at == result.created_at
    assert view.primary_data_share == Decimal("0.2681234")
    assert view.study_id == study.pk


def test_factors_used_from_the_document_with_dataset_and_citation(supplier, library):
    study = factories.make_study(supplier, library)
    view = result_read(result=make_result(study, document=DOCUMENT))

    pcb, series = view.factors
    assert pcb.key == "Test library@t1/material.pcb"
    assert pcb.amount == Amount(Decimal("0.88"), "kgCO2e/piece")
    assert pcb.name == "印制电路板 / printed circuit board"
    assert pcb.dataset == "Test library@t1"
    assert pcb.gwp_basis == "AR6"
    assert pcb.source == "Illustrative PCB factor, test citation"
    assert pcb.lines == 1
    assert series.is_series
    assert series.name == "East China hourly"


def test_factors_used_fall_back_to_the_breakdown(supplier, library):
    study = factories.make_study(supplier, library)
    view = result_read(result=make_result(study))

    assert [f.code for f in view.factors] == [
        "material.pcb",
        "transport.road_heavy",
        "electricity.cn.2023",
        "fuel.diesel",
        "waste.landfill",
    ]
    assert view.factors[1].unit == "kgCO2e/(t*km)"


def test_the_document_is_read_once_per_snapshot(supplier, library, django_assert_num_queries):
    study = factories.make_study(supplier, library)
    result = make_result(study, document=DOCUMENT)

    def fresh() -> FootprintResult:
        loaded = FootprintResult.objects.defer("canonical_inputs_gz").get(pk=result.pk)
        loaded.study = study
        return loaded

    first, second = fresh(), fresh()
    with django_assert_num_queries(1):  # the deferred document, once
        result_read(result=first)
    with django_assert_num_queries(0):
        view = result_read(result=second)
    assert len(view.factors) == 2


def test_labels_follow_the_language():
    label = "20. 印制电路板 / printed circuit board"
    with translation.override("en"):
        assert localized_label(label) == "20. printed circuit board"
        assert localized_label(f"{label} (road_heavy)") == "20. printed circuit board (Road, heavy goods vehicle)"
        assert localized_label("Forklift diesel") == "Forklift diesel"
    with translation.override("zh-hans"):
        assert localized_label(label) == "20. 印制电路板"


def test_charts_are_svg_and_cached_per_language(supplier, library):
    study = factories.make_study(supplier, library)
    view = result_read(result=make_result(study))

    with translation.override("en"):
        english = result_charts(view=view)
        assert result_charts(view=view) is not None
    with translation.override("zh-hans"):
        chinese = result_charts(view=view)

    assert english.contributors.startswith("<svg")
    assert "Printed circuit board" in english.contributors
    assert english.split.startswith("<svg") and english.stages.startswith("<svg")
    assert "Reflow soldering" in english.stages
    assert english.split != chinese.split  # titles in each language
