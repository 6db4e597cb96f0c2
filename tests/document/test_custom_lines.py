"""Lines beyond the catalogue (packaging, a second PCB) in the study document: exported with no
material number, their own name and unit and their own factor; computed by the engine; imported back.
Studies without such lines keep their bytes and digests (pinned in test_same_digits_everywhere)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from apps.catalog.models import Material
from apps.engine import compute_footprint
from apps.factors.services import own_factor_create
from apps.footprints.document.canonical import canonical_bytes
from apps.footprints.document.export import study_document_build
from apps.footprints.document.importer import plan_import, study_document_import
from apps.footprints.document.to_engine import engine_inputs_from_document, material_keys
from apps.footprints.document.validation import DocumentError, schema_problems
from apps.inventory.enums import TransportMode
from apps.inventory.models import BomLine
from apps.inventory.services.bom import bom_line_add_custom, bom_line_set_for_material, transport_leg_add
from tests import factories
from tests.document.builders import table_counts


@pytest.fixture
def carton_study(supplier, library):
    """The PCB (library default 0.88 kgCO2e/piece) and a carton beyond the catalogue: 0.05 kg per
    meter with a 2 % loss, valued with the supplier's own 1.2 kgCO2e/kg, trucked 100 km."""
    study = factories.make_study(supplier, library, name="Meter with its carton")
    carton_factor = own_factor_create(
        organization=supplier, name_zh="瓦楞纸箱", name_en="corrugated carton", value=Decimal("1.2"),
        unit="kgCO2e/kg", source="carton supplier declaration 2025", user=None,
    )  # fmt: skip
    carton = bom_line_add_custom(
        study=study, name="carton", activity_unit="kg", quantity=Decimal("0.05"), loss_rate=Decimal("0.02"),
        factor=carton_factor, user=None,
    )  # fmt: skip
    transport_leg_add(
        line=carton, mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(100), mass_kg=Decimal("0.05"),
        factor=library.truck, user=None,
    )  # fmt: skip
    bom_line_set_for_material(study=study, material=Material.objects.get(no=20), quantity=Decimal(1), user=None)
    return study


def test_a_custom_line_is_exported_after_the_catalogue_lines_with_its_own_name_unit_and_factor(carton_study):
    document = study_document_build(study=carton_study)

    assert schema_problems(json.loads(canonical_bytes(document))) == []
    pcb, carton = document["materials"]
    assert pcb["material_no"] == 20
    assert {key: carton[key] for key in ("material_no", "name_zh", "name_en", "unit", "quantity", "loss_rate")} == {
        "material_no": None, "name_zh": "carton", "name_en": "carton", "unit": "kg", "quantity": "0.05",
        "loss_rate": "0.02",
    }  # fmt: skip
    assert carton["factor_origin"] == "line"
    assert carton["factor"] == f"{carton_study.organization.name} supplier data@1/own.material.other.1"
    assert material_keys(document["materials"]) == ["material/20", "custom/1"]


def test_the_engine_values_a_custom_line_computed_by_hand(carton_study):
    document = json.loads(canonical_bytes(study_document_build(study=carton_study)))

    result = compute_footprint(engine_inputs_from_document(document))

    emissions = {c.key: (c.label, c.activity, c.emission) for c in result.contributions}
    # carton: 0.05 kg × (1 + 0.02) = 0.051 kg consumed; × 1.2 kgCO2e/kg = 0.0612 kg CO2e per meter
    assert emissions["custom/1"] == ("carton", Decimal("0.051"), Decimal("0.0612"))
    # its truck leg: 0.05 kg × 100 km = 5 kg·km = 0.005 t·km; × 0.1016 kgCO2e/(t·km) = 0.000508
    assert emissions["custom/1/transport/1"][2] == Decimal("0.000508")
    # the PCB: 1 piece × 0.88 = 0.88; Em = 0.88 + 0.0612 + 0.000508 = 0.941708
    assert emissions["material/20"][2] == Decimal("0.88")
    assert result.totals.em == Decimal("0.941708")


def test_a_custom_line_round_trips_byte_for_byte(carton_study, other_supplier):
    document = study_document_build(study=carton_study)

    imported = study_document_import(organization=other_supplier, document=json.loads(canonical_bytes(document)))

    line = imported.bom_lines.get(material__isnull=True)
    assert (line.name, line.activity_unit, line.quantity, line.factor.value) == (
        "carton",
        "kg",
        Decimal("0.05"),
        Decimal("1.2"),
    )
    assert line.transport_legs.count() == 1
    assert canonical_bytes(study_document_build(study=imported)) == canonical_bytes(document)


def _carton_document(carton_study) -> dict:
    return json.loads(canonical_bytes(study_document_build(study=carton_study)))


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"name_en": "box"}, "$.materials[1].name_en",
         "a line beyond the catalogue has one name, given as both name_zh and name_en ('carton', 'box')"),
        ({"unit": "bananas"}, "$.materials[1].unit", "'bananas' is not a unit the engine can read"),
        ({"factor": None, "factor_origin": None}, "$.materials[1].factor_origin",
         'a line beyond the catalogue has no default factor: it needs a factor of its own (origin "line")'),
    ],
)  # fmt: skip
def test_import_refuses_a_bad_custom_line_and_writes_nothing(carton_study, other_supplier, change, path, message):
    document = _carton_document(carton_study)
    document["materials"][1].update(change)
    before = table_counts()

    with pytest.raises(DocumentError) as excinfo:
        study_document_import(organization=other_supplier, document=document)

    assert (path, message) in excinfo.value.errors
    assert table_counts() == before


def test_a_custom_line_is_valid_without_a_material_but_a_catalogue_line_still_needs_its_number(carton_study):
    document = _carton_document(carton_study)
    document["materials"][0]["material_no"] = "20"

    problems = schema_problems(document)

    assert [path for path, _message in problems] == ["$.materials[0].material_no"]


def test_plan_import_accepts_a_custom_line(carton_study, other_supplier):
    plan = plan_import(organization=other_supplier, document=_carton_document(carton_study))

    assert plan.problems == []
    assert BomLine.objects.filter(study__organization=other_supplier).count() == 0
