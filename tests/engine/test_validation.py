"""Input checks: every error code, its params, and the order errors are reported in."""

from __future__ import annotations

import pickle
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from apps.engine import compute_footprint, validate
from apps.engine.errors import (
    AllocationShareOutOfRangeError,
    ElectricityFactorAmbiguousError,
    ElectricityFactorMissingError,
    EngineError,
    InvalidNumberError,
    InvalidRunError,
    InvalidSeriesError,
    LossRateOutOfRangeError,
    MissingFactorError,
    NaiveDatetimeError,
    NegativeFactorError,
    NegativeQuantityError,
    PeriodInvalidError,
    UnitMassNotPositiveError,
    UnitMismatchError,
    UnitsProducedNotPositiveError,
)

from .factories import T0, D, at, entry, factor, leg, material, run, series, stage, study

GRID = factor("0.6205", "kgCO2e/kWh", key="cn/2023")


def codes(inputs):
    return [error.code for error in validate(inputs)]


def test_validate_valid_inputs_is_empty():
    inputs = study(materials=(material(),), stages=(stage(run(energy=(1,))),), electricity_factor=GRID)

    assert validate(inputs) == []


def test_negative_quantity_names_line_and_value():
    with pytest.raises(NegativeQuantityError) as caught:
        compute_footprint(study(materials=(material(key="bom/2", label="MCU", quantity=D("-1")),)))

    assert caught.value.code == "negative_quantity"
    assert caught.value.params == {"line": "bom/2", "label": "MCU", "field": "quantity", "value": "-1"}


@pytest.mark.parametrize("loss_rate", ["1", "-0.1", "1.5"])
def test_loss_rate_out_of_range_is_rejected(loss_rate):
    with pytest.raises(LossRateOutOfRangeError) as caught:
        compute_footprint(study(materials=(material(loss_rate=D(loss_rate)),)))

    assert caught.value.params["value"] == loss_rate


@pytest.mark.parametrize("loss_rate", ["0", "0.999"])
def test_loss_rate_in_range_is_accepted(loss_rate):
    assert validate(study(materials=(material(loss_rate=D(loss_rate)),))) == []


@pytest.mark.parametrize("share", ["0", "1.5", "-0.2"])
def test_stage_allocation_share_out_of_range_is_rejected(share):
    inputs = study(stages=(stage(allocation_share=D(share)),), electricity_factor=GRID)

    with pytest.raises(AllocationShareOutOfRangeError) as caught:
        compute_footprint(inputs)

    assert caught.value.params == {"line": "stage/1", "label": "SMT placement", "value": share}


def test_ledger_allocation_share_out_of_range_is_rejected():
    assert codes(study(fuels=(entry(allocation_share=D(0)),))) == ["allocation_share_out_of_range"]


def test_allocation_share_of_one_is_accepted():
    assert validate(study(stages=(stage(allocation_share=D(1)),), electricity_factor=GRID)) == []


@pytest.mark.parametrize("units_produced", [D(0), D(-5), D("NaN")])
def test_units_produced_not_positive_is_rejected(units_produced):
    with pytest.raises(UnitsProducedNotPositiveError):
        compute_footprint(study(units_produced=units_produced))


def test_period_ending_before_it_starts_is_rejected():
    with pytest.raises(PeriodInvalidError) as caught:
        compute_footprint(study(period_start=at(2), period_end=at(2)))

    assert caught.value.params == {"start": "2025-01-01T02:00:00+00:00", "end": "2025-01-01T02:00:00+00:00"}


def test_naive_period_start_is_rejected():
    with pytest.raises(NaiveDatetimeError) as caught:
        compute_footprint(study(period_start=datetime(2025, 1, 1)))

    assert caught.value.params == {"field": "period_start", "value": "2025-01-01T00:00:00"}


def test_naive_run_start_is_rejected():
    inputs = study(stages=(stage(run(start=datetime(2025, 1, 1), energy=(1,))),), electricity_factor=GRID)

    with pytest.raises(NaiveDatetimeError) as caught:
        compute_footprint(inputs)

    assert caught.value.params["field"] == "stage/1 run 0 start"


def test_naive_series_start_is_rejected():
    inputs = study(stages=(stage(),), electricity_series=series("0.5", "0.5", start=datetime(2025, 1, 1)))

    assert codes(inputs) == ["naive_datetime"]


@pytest.mark.parametrize("step", [0, -900])
def test_run_step_not_positive_is_invalid(step):
    with pytest.raises(InvalidRunError) as caught:
        compute_footprint(study(stages=(stage(run(step=step, energy=(1,))),), electricity_factor=GRID))

    assert caught.value.params["reason"] == "step_not_positive"
    assert caught.value.params["run"] == "0"


def test_run_negative_energy_names_the_reading():
    inputs = study(stages=(stage(run(), run(energy=(5, 7, -3, 2))),), electricity_factor=GRID)

    with pytest.raises(InvalidRunError) as caught:
        compute_footprint(inputs)

    assert caught.value.params == {
        "line": "stage/1",
        "label": "SMT placement",
        "run": "1",
        "reason": "negative_energy",
        "value": "-3",
        "reading": "2",
    }
    assert str(caught.value).endswith("at reading 2")


@pytest.mark.parametrize("odd", [1.5, D("1.5"), "7", None])
def test_run_non_integer_energy_is_invalid(odd):
    inputs = study(stages=(stage(run(energy=(5, odd))),), electricity_factor=GRID)

    with pytest.raises(InvalidRunError) as caught:
        compute_footprint(inputs)

    assert caught.value.params["reason"] == "energy_not_integer"
    assert caught.value.params["reading"] == "1"


def test_run_in_litres_is_a_unit_mismatch():
    inputs = study(stages=(stage(run(energy=(1,), unit="L")),), electricity_factor=GRID)

    with pytest.raises(UnitMismatchError) as caught:
        compute_footprint(inputs)

    assert caught.value.params["unit"] == "L"


def test_electricity_factor_missing_when_stages_exist():
    with pytest.raises(ElectricityFactorMissingError) as caught:
        compute_footprint(study(stages=(stage(), stage(key="stage/2"))))

    assert caught.value.params == {"stages": "2"}


def test_electricity_factor_not_needed_without_stages():
    assert validate(study(materials=(material(),))) == []


def test_electricity_factor_and_series_together_are_ambiguous():
    inputs = study(stages=(stage(),), electricity_factor=GRID, electricity_series=series("0.5", "0.5"))

    with pytest.raises(ElectricityFactorAmbiguousError) as caught:
        compute_footprint(inputs)

    assert caught.value.params == {"factor": "cn/2023", "series": "grid/hourly"}


def test_electricity_factor_per_kg_is_a_unit_mismatch():
    inputs = study(stages=(stage(),), electricity_factor=factor("0.6", "kgCO2e/kg", key="bad"))

    assert codes(inputs) == ["unit_mismatch"]


def test_series_step_not_positive_is_invalid():
    inputs = study(stages=(stage(),), electricity_series=series("0.5", step=0))

    with pytest.raises(InvalidSeriesError):
        compute_footprint(inputs)


def test_series_negative_value_is_rejected():
    inputs = study(stages=(stage(),), electricity_series=series("0.5", "-0.1"))

    with pytest.raises(NegativeFactorError) as caught:
        compute_footprint(inputs)

    assert caught.value.params["factor"] == "value 1"


def test_negative_material_factor_is_rejected():
    assert codes(study(materials=(material(factor=factor("-0.2")),))) == ["negative_factor"]


def test_float_quantity_is_an_invalid_number():
    with pytest.raises(InvalidNumberError) as caught:
        compute_footprint(study(materials=(material(quantity=0.1),)))

    assert caught.value.params["field"] == "quantity"


def test_unit_mass_zero_is_rejected():
    line = material(unit_mass_kg=D(0), factor=factor("1", "kgCO2e/kg"))

    with pytest.raises(UnitMassNotPositiveError):
        compute_footprint(study(materials=(line,)))


def test_ledger_missing_factor():
    assert codes(study(wastes=(entry(key="waste/1", factor=None),))) == ["missing_factor"]


def test_ledger_unit_mismatch():
    assert codes(study(fuels=(entry(unit="L", factor=factor("3.186", "kgCO2e/kg")),))) == ["unit_mismatch"]


def test_validate_reports_every_error_in_input_order():
    inputs = study(
        period_start=at(2),
        period_end=at(1),
        units_produced=D(0),
        materials=(
            material(key="bom/1", quantity=D(-1), loss_rate=D(1)),
            material(key="bom/2", factor=None, transport=(leg(distance=D(-5)),)),
        ),
        stages=(stage(allocation_share=D(2)),),
        fuels=(entry(unit="widgets"),),
    )

    errors = validate(inputs)

    assert [(error.code, error.params.get("line", "")) for error in errors] == [
        ("period_invalid", ""),
        ("units_produced_not_positive", ""),
        ("negative_quantity", "bom/1"),
        ("loss_rate_out_of_range", "bom/1"),
        ("missing_factor", "bom/2"),
        ("negative_quantity", "bom/1/leg/1"),
        ("allocation_share_out_of_range", "stage/1"),
        ("electricity_factor_missing", ""),
        ("unknown_unit", "fuel/1"),
    ]


def test_compute_raises_the_first_error_of_validate():
    inputs = study(materials=(material(key="bom/1", factor=None), material(key="bom/2", quantity=D(-1))))

    with pytest.raises(MissingFactorError) as caught:
        compute_footprint(inputs)

    assert caught.value == validate(inputs)[0]


def test_engine_error_survives_pickling():
    error = NegativeQuantityError(line="bom/1", label="PCB", field="quantity", value=D(-1))

    restored = pickle.loads(pickle.dumps(error))

    assert restored == error
    assert str(restored) == str(error)


def test_engine_error_as_dict_carries_code_params_and_message():
    error = MissingFactorError(line="bom/1", label="PCB")

    assert error.as_dict() == {
        "code": "missing_factor",
        "params": {"line": "bom/1", "label": "PCB"},
        "message": "PCB (bom/1): no emission factor",
    }
    assert isinstance(error, EngineError)


def test_every_error_class_has_a_distinct_snake_case_code():
    classes = EngineError.__subclasses__()

    found = [cls.code for cls in classes]

    assert len(found) == len(set(found)) >= 17
    assert all(code.isidentifier() and code == code.lower() for code in found)


def test_series_origin_in_another_time_zone_is_fine():
    shanghai = series("0.5", "0.5", start=T0.astimezone(ZoneInfo("Asia/Shanghai")))

    assert validate(study(stages=(stage(),), electricity_series=shanghai)) == []
