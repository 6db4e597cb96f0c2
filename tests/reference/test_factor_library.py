"""The factor library files and their loader (apps/factors/library.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.catalog.models import Material
from apps.engine import units
from apps.factors.enums import FactorCategory
from apps.factors.library import (
    FACTORS_DIR,
    DatasetVersionConflict,
    FactorFileError,
    library_load,
    library_load_all,
)
from apps.factors.models import EmissionFactor, FactorDataset

DEFAULTS = FACTORS_DIR / "illustrative_defaults_2026.1.json"
GRID = FACTORS_DIR / "china_grid_electricity_2026.1.json"


def _documents() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(FACTORS_DIR.glob("*.json"))]


def _write_variant(tmp_path: Path, change) -> Path:
    document = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "variant.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_defaults_hold_one_sourced_ranged_factor_per_catalogue_material(db):
    dataset = library_load(DEFAULTS)

    materials = EmissionFactor.objects.filter(dataset=dataset, category=FactorCategory.MATERIAL)
    assert materials.count() == 32
    assert {f.material_id for f in materials} == set(Material.objects.values_list("pk", flat=True))
    for factor in materials:
        assert factor.source.strip(), factor.code
        assert factor.low is not None and factor.high is not None, factor.code
        assert factor.low <= factor.value <= factor.high, factor.code
        assert factor.unit == f"kgCO2e/{factor.material.activity_unit}", factor.code
    assert dataset.is_illustrative
    assert dataset.gwp_basis == "mixed"


def test_defaults_keep_the_reference_values(db):
    dataset = library_load(DEFAULTS)

    values = dict(EmissionFactor.objects.filter(dataset=dataset).values_list("code", "value"))
    assert values["material.20_pcb"] == Decimal("0.88")
    assert values["material.30_solder_paste"] == Decimal("55")
    assert values["transport.road_heavy"] == Decimal("0.10")
    assert values["transport.road_heavy.wtw"] == Decimal("0.125")
    assert values["fuel.diesel"] == Decimal("3.096")
    assert values["fuel.diesel.per_litre"] == Decimal("2.62")
    assert values["fuel.natural_gas"] == Decimal("2.162")
    assert values["waste.incineration.plastics"] == Decimal("2.75")
    assert values["waste.landfill.ci_mixed"] == Decimal("0.52")


def test_defaults_sum_the_meters_direct_materials_as_documented(db):
    """docs/factors.md, "A worked check": 6.317 kgCO2e per meter, low 2.400, high 15.600."""
    dataset = library_load(DEFAULTS)
    quantities = {3: 2, 11: 2, 12: 100, 13: 6, 14: 80, 17: 2}  # one of every other direct material
    direct = EmissionFactor.objects.filter(dataset=dataset, material__category="direct").select_related("material")

    totals = [sum(getattr(f, k) * quantities.get(f.material.no, 1) for f in direct) for k in ("value", "low", "high")]

    assert direct.count() == 25
    assert totals == [Decimal("6.317"), Decimal("2.400"), Decimal("15.600")]


def test_grid_dataset_recommends_the_life_cycle_factor(db):
    dataset = library_load(GRID)

    factor = EmissionFactor.objects.get(dataset=dataset, code="electricity.cn.lifecycle.2023")
    assert factor.value == Decimal("0.6205")
    assert factor.unit == "kgCO2e/kWh"
    assert factor.year == 2023
    assert "ISO 14067" in factor.notes
    national = EmissionFactor.objects.get(dataset=dataset, code="electricity.cn.national.2023")
    assert national.value == Decimal("0.5306")
    assert "CO2 only" in national.notes
    assert EmissionFactor.objects.filter(dataset=dataset, region="East China grid").count() == 2


def test_every_fixture_unit_parses_as_co2e_per_activity_unit():
    for document in _documents():
        for factor in document["factors"]:
            parsed = units.parse(factor["unit"])
            assert parsed is not None, factor["code"]
            assert parsed.dimensionality.get("[co2e]") == 1, factor["code"]


def test_every_fixture_number_is_a_decimal_string():
    for document in _documents():
        for factor in document["factors"]:
            for key in ("value", "low", "high"):
                assert factor[key] is None or isinstance(factor[key], str), (factor["code"], key)


def test_library_load_is_idempotent(db):
    first = library_load(DEFAULTS)
    history = EmissionFactor.history.count()

    second = library_load(DEFAULTS)

    assert second.pk == first.pk
    assert FactorDataset.objects.filter(name=first.name, version=first.version).count() == 1
    assert EmissionFactor.objects.filter(dataset=first).count() == 53
    assert EmissionFactor.history.count() == history


def test_library_load_refuses_a_changed_value_under_the_same_version(db, tmp_path):
    dataset = library_load(DEFAULTS)
    changed = _write_variant(tmp_path, lambda doc: doc["factors"][19].update(value="0.95"))

    with pytest.raises(DatasetVersionConflict, match=r"material\.20_pcb\.value"):
        library_load(changed)

    assert EmissionFactor.objects.get(dataset=dataset, code="material.20_pcb").value == Decimal("0.88")
    assert FactorDataset.objects.count() == 1
    assert EmissionFactor.objects.count() == 53


def test_library_load_refuses_an_added_factor_under_the_same_version(db, tmp_path):
    library_load(DEFAULTS)
    extra = {**json.loads(DEFAULTS.read_text(encoding="utf-8"))["factors"][0], "code": "material.extra"}
    added = _write_variant(tmp_path, lambda doc: doc["factors"].append(extra))

    with pytest.raises(DatasetVersionConflict, match="in the file but not stored"):
        library_load(added)

    assert EmissionFactor.objects.count() == 53


def test_library_load_accepts_a_change_under_a_new_version(db, tmp_path):
    library_load(DEFAULTS)

    def bump(doc):
        doc["dataset"]["version"] = "2026.2"
        doc["factors"][19]["value"] = "0.95"

    newer = library_load(_write_variant(tmp_path, bump))

    assert EmissionFactor.objects.get(dataset=newer, code="material.20_pcb").value == Decimal("0.95")
    assert FactorDataset.objects.count() == 2


def test_library_load_reports_every_problem_and_writes_nothing(db, tmp_path):
    def spoil(doc):
        doc["dataset"]["version"] = "broken"
        doc["factors"][0].update(unit="kgCO2e/parsec-ish", value="9")
        doc["factors"][1].update(value="abc")
        doc["factors"][2].update(material_no=99)

    with pytest.raises(FactorFileError) as raised:
        library_load(_write_variant(tmp_path, spoil))

    assert [p.split(":")[0] for p in raised.value.problems] == [
        "factors[0].unit",
        "factors[0]",
        "factors[1].value",
    ]
    assert FactorDataset.objects.count() == 0

    with pytest.raises(FactorFileError, match="material_no 99 is not in the catalogue"):
        library_load(_write_variant(tmp_path, lambda doc: doc["factors"][2].update(material_no=99)))
    assert FactorDataset.objects.count() == 0


def test_library_load_all_loads_every_file(db):
    outcomes = library_load_all()

    assert [outcome.created for _path, outcome in outcomes] == [True, True]
    assert {outcome.dataset.name for _path, outcome in outcomes} == {
        "carbonfoot illustrative defaults",
        "China grid electricity factors",
    }
    assert all(outcome.dataset.organization_id is None for _path, outcome in outcomes)


def test_load_reference_command_prints_a_summary(db, capsys):
    call_command("load_reference")
    call_command("load_reference")

    out = capsys.readouterr().out
    assert "Catalogue: 32 materials, 26 stages" in out
    assert out.count("loaded    ") == 2
    assert "unchanged carbonfoot illustrative defaults 2026.1 (illustrative): 53 factors" in out
