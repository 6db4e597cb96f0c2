from __future__ import annotations

import json

import pytest

from apps.engine import compute_footprint
from apps.engine.serialize import decimal_to_str, result_to_dict

from .factories import D, factor, material, run, stage, study
from .test_methodology_example import example_inputs


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1E+2", "100"),
        ("100.00", "100"),
        ("2.500", "2.5"),
        ("1E-7", "0.0000001"),
        ("0E-7", "0"),
        ("-0", "0"),
        ("-0.0127", "-0.0127"),
        ("12.744", "12.744"),
    ],
)
def test_decimal_to_str_is_canonical_positional(value, text):
    assert decimal_to_str(D(value)) == text


def test_result_to_dict_is_json_ready():
    result = compute_footprint(example_inputs())

    data = result_to_dict(result)

    assert json.loads(json.dumps(data)) == data
    assert data["totals"]["e"] == "3.18322"
    assert data["primary_data_share"] == "0.2934198704456493739044112565264103643480500876471"
    assert data["method_version"] == "cf-iso14067-meter/1"


def test_result_to_dict_contribution_uses_enum_values_and_keeps_none():
    result = compute_footprint(
        study(materials=(material(),), stages=(stage(run(energy=(1,))),), electricity_factor=factor("1", "kgCO2e/kWh"))
    )

    material_line, stage_line = result_to_dict(result)["contributions"]

    assert material_line["kind"] == "material"
    assert material_line["data_source"] == "secondary_default"
    assert material_line["plant_emission"] is None
    assert stage_line["activity"] == "0.000001"  # 1 mWh, never "1E-6"
    assert stage_line["data_source"] == "measured_primary"
