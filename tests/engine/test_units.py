from __future__ import annotations

from decimal import Decimal

from apps.engine import units

D = Decimal


def test_conversion_factor_milliwatt_hours_to_kilowatt_hours_is_exact():
    assert units.conversion_factor("mWh", "kWh") == D("1E-6")


def test_conversion_factor_megawatt_hours_to_kilowatt_hours_is_exact():
    assert units.conversion_factor("MWh", "kWh") == D(1000)


def test_conversion_factor_tonne_co2e_to_kilograms():
    assert units.conversion_factor("tCO2e", "kgCO2e") == D(1000)
    assert units.conversion_factor("gCO2e", "kgCO2e") == D("0.001")


def test_conversion_factor_pc_is_a_piece_not_a_parsec():
    assert units.conversion_factor("pcs", "piece") == D(1)
    assert units.conversion_factor("pc", "piece") == D(1)
    assert units.conversion_factor("pc", "m") is None


def test_conversion_factor_normal_cubic_metre_is_a_cubic_metre():
    assert units.conversion_factor("Nm3", "L") == D(1000)


def test_conversion_factor_incompatible_dimensions_is_none():
    assert units.conversion_factor("kg", "L") is None
    assert units.conversion_factor("piece", "kg") is None


def test_valuation_factor_per_tonne_kilometre_divides_by_1000():
    # kg × km × kgCO2e/(t·km) = kgCO2e / 1000
    assert units.valuation_factor("kg", "km", "kgCO2e/(t*km)") == D("0.001")


def test_valuation_factor_without_co2e_result_is_none():
    assert units.valuation_factor("piece", "kgCO2e/kg") is None


def test_parse_unknown_or_empty_unit_is_none():
    assert units.parse("furlongs-per-widget") is None
    assert units.parse("") is None
    assert units.parse("kg/") is None
    assert units.parse("kgCO2") is None  # CO2 alone is not CO2e: no silent aliasing


def test_parse_is_cached():
    units.parse("kgCO2e/(t*km)")
    hits_before = units.parse.cache_info().hits

    units.parse("kgCO2e/(t*km)")

    assert units.parse.cache_info().hits == hits_before + 1
