"""Raw-material acquisition (Em): materials with losses, unit bridging, and transport per t·km."""

from __future__ import annotations

import pytest

from apps.engine import compute_footprint
from apps.engine.errors import MissingFactorError, UnitMismatchError, UnknownUnitError

from .factories import D, factor, leg, material, study


def only(result):
    (contribution,) = result.contributions
    return contribution


def test_material_emission_includes_loss():
    line = material(quantity=D(3), loss_rate=D("0.05"), factor=factor("0.15"))

    contribution = only(compute_footprint(study(materials=(line,))))

    # 3 × 1.05 = 3.15 pieces consumed; 3.15 × 0.15 = 0.4725 kg CO2e
    assert contribution.activity == D("3.15")
    assert contribution.emission == D("0.4725")


def test_material_zero_loss_is_accepted():
    line = material(quantity=D(2), loss_rate=D(0), factor=factor("0.25"))

    assert only(compute_footprint(study(materials=(line,)))).emission == D("0.5")  # 2 × 0.25


def test_material_per_kg_factor_on_pieces_without_mass_is_a_unit_mismatch():
    line = material(key="bom/25", label="meter case", unit="piece", factor=factor("8.4", "kgCO2e/kg"))

    with pytest.raises(UnitMismatchError) as caught:
        compute_footprint(study(materials=(line,)))

    assert caught.value.code == "unit_mismatch"
    assert caught.value.params == {"line": "bom/25", "label": "meter case", "unit": "piece", "factor_unit": "kgCO2e/kg"}
    message = str(caught.value)
    assert "bom/25" in message and "meter case" in message
    assert "piece" in message and "kgCO2e/kg" in message


def test_material_per_kg_factor_on_pieces_bridged_by_unit_mass():
    line = material(
        unit="piece", quantity=D(2), loss_rate=D("0.01"), unit_mass_kg=D("0.25"), factor=factor("8.4", "kgCO2e/kg")
    )

    contribution = only(compute_footprint(study(materials=(line,))))

    # 2 × 1.01 = 2.02 pieces; × 0.25 kg = 0.505 kg; × 8.4 = 4.242 kg CO2e
    assert contribution.activity == D("2.02")
    assert contribution.activity_unit == "piece"
    assert contribution.emission == D("4.242")


def test_material_litres_bridged_by_density_to_per_kg_factor():
    # flux: 0.01 L at 0.79 kg/L against isopropanol at 3.37 kg CO2e/kg
    line = material(unit="L", quantity=D("0.01"), unit_mass_kg=D("0.79"), factor=factor("3.37", "kgCO2e/kg"))

    contribution = only(compute_footprint(study(materials=(line,))))

    # 0.01 × 0.79 = 0.0079 kg; 0.0079 × 3.37 = 0.026623
    assert contribution.emission == D("0.026623")


def test_material_unit_conversion_without_bridge():
    # 5 mL against a per-litre factor: 0.005 L × 55 = 0.275
    line = material(unit="mL", quantity=D(5), factor=factor("55", "kgCO2e/L"))

    assert only(compute_footprint(study(materials=(line,)))).emission == D("0.275")


def test_material_factor_in_grams_converted_to_kilograms():
    line = material(quantity=D(4), factor=factor("150", "gCO2e/piece"))

    assert only(compute_footprint(study(materials=(line,)))).emission == D("0.6")  # 4 × 150 g = 600 g


def test_material_direct_units_win_over_the_bridge():
    # A per-piece factor stays per piece even when a unit mass is given.
    line = material(quantity=D(2), unit_mass_kg=D(5), factor=factor("0.3"))

    assert only(compute_footprint(study(materials=(line,)))).emission == D("0.6")


def test_material_unknown_activity_unit_names_line_and_unit():
    line = material(key="bom/7", label="LCD", unit="widgets")

    with pytest.raises(UnknownUnitError) as caught:
        compute_footprint(study(materials=(line,)))

    assert caught.value.code == "unknown_unit"
    assert caught.value.params == {"line": "bom/7", "label": "LCD", "unit": "widgets"}
    assert "bom/7" in str(caught.value) and "widgets" in str(caught.value)


def test_material_unknown_factor_unit_is_reported():
    line = material(factor=factor("1", "kgCO2/piece"))

    with pytest.raises(UnknownUnitError) as caught:
        compute_footprint(study(materials=(line,)))

    assert caught.value.params["unit"] == "kgCO2/piece"


def test_material_missing_factor():
    line = material(key="bom/3", label="isolation chip", factor=None)

    with pytest.raises(MissingFactorError) as caught:
        compute_footprint(study(materials=(line,)))

    assert caught.value.code == "missing_factor"
    assert caught.value.params == {"line": "bom/3", "label": "isolation chip"}


def test_transport_per_tonne_kilometre():
    line = material(factor=factor("0"), transport=(leg(mass=D("0.25"), distance=D(500)),))

    transport = compute_footprint(study(materials=(line,))).contributions[1]

    # 0.25 kg × 500 km = 125 kg·km = 0.125 t·km; × 0.1016 = 0.0127 kg CO2e
    assert transport.activity == D(125)
    assert transport.activity_unit == "kg*km"
    assert transport.emission == D("0.0127")


def test_transport_in_tonnes_and_miles():
    # 0.001 t × 10 mi = 0.001 × 16.09344 t·km = 0.01609344 t·km; × 0.1 = 0.001609344
    hop = leg(mass=D("0.001"), mass_unit="t", distance=D(10), distance_unit="mi", factor=factor("0.1", "kgCO2e/(t*km)"))

    transport = compute_footprint(study(materials=(material(factor=factor("0"), transport=(hop,)),))).contributions[1]

    assert transport.emission == D("0.001609344")


def test_transport_mass_and_distance_swapped_is_a_unit_mismatch():
    hop = leg(key="bom/1/leg/9", mass_unit="km", distance_unit="kg")

    with pytest.raises(UnitMismatchError) as caught:
        compute_footprint(study(materials=(material(transport=(hop,)),)))

    assert caught.value.params["line"] == "bom/1/leg/9"
    assert caught.value.params["unit"] == "km"


def test_transport_factor_written_without_parentheses_is_a_unit_mismatch():
    # "kgCO2e/t*km" reads as kgCO2e·km/t: exactly the slip unit checking is there to catch.
    hop = leg(factor=factor("0.1016", "kgCO2e/t*km"))

    with pytest.raises(UnitMismatchError) as caught:
        compute_footprint(study(materials=(material(transport=(hop,)),)))

    assert caught.value.params["unit"] == "kg*km"
    assert caught.value.params["factor_unit"] == "kgCO2e/t*km"
