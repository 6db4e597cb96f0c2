"""Totals (E = Em + Ep, Em = materials + transport, Ep = Eb + Edl + Ew) and the primary-data share."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from apps.engine import ContributionKind, DataSource, compute_footprint

from .factories import D, entry, factor, leg, material, run, series, stage, study


def mixed_study(**overrides):
    fields = {
        "units_produced": D(7),
        "materials": (
            material(key="bom/1", quantity=D("1.5"), loss_rate=D("0.03"), factor=factor("0.88")),
            material(
                key="bom/2",
                quantity=D(3),
                factor=factor("0.05"),
                data_source=DataSource.SUPPLIER_SPECIFIC,
                transport=(leg(mass=D("0.003"), distance=D(1234)),),
            ),
        ),
        "stages": (
            stage(run(energy=(1_234_567, 7_654_321)), key="stage/1", allocation_share=D("0.3")),
            stage(run(energy=(3, 5)), key="stage/2"),
        ),
        "electricity_factor": factor("0.6205", "kgCO2e/kWh"),
        "fuels": (entry(quantity=D("2.5"), allocation_share=D("0.9")),),
        "wastes": (entry(key="waste/1", quantity=D(2), factor=factor("2.75", "kgCO2e/kg")),),
    }
    return study(**{**fields, **overrides})


def test_breakdown_sums_exactly_to_every_total():
    result = compute_footprint(mixed_study())

    totals = result.totals
    exact = [
        (totals.em_materials, [ContributionKind.MATERIAL]),
        (totals.em_transport, [ContributionKind.TRANSPORT]),
        (totals.eb, [ContributionKind.FUEL]),
        (totals.edl, [ContributionKind.STAGE]),
        (totals.ew, [ContributionKind.WASTE]),
        (totals.em, [ContributionKind.MATERIAL, ContributionKind.TRANSPORT]),
        (totals.ep, [ContributionKind.FUEL, ContributionKind.STAGE, ContributionKind.WASTE]),
        (totals.e, list(ContributionKind)),
    ]
    # Fractions, not Decimal "+": the default 28-digit context would round these 50-digit parts.
    for total, kinds in exact:
        parts = [c.emission for c in result.contributions if c.kind in kinds]
        assert sum(map(Fraction, parts)) == Fraction(total)
    assert Fraction(totals.e) == Fraction(totals.em) + Fraction(totals.ep)


def test_totals_keep_more_than_fifty_digits_rather_than_round():
    # 1/7 of a plant-level kilogram has 50 significant digits far below the materials' 1.32 kg.
    result = compute_footprint(mixed_study())

    fuel = next(c for c in result.contributions if c.kind is ContributionKind.FUEL)
    assert len(fuel.emission.as_tuple().digits) == 50
    assert len(result.totals.e.as_tuple().digits) > 50


def test_ledger_entry_is_allocated_by_share_and_units():
    result = compute_footprint(study(units_produced=D(1000), fuels=(entry(quantity=D(4), allocation_share=D("0.5")),)))

    (fuel,) = result.contributions
    # 4 kg diesel × 3.186 = 12.744 kg for the plant; × 0.5 / 1000 = 0.006372
    assert (fuel.plant_emission, fuel.allocation_share, fuel.emission) == (D("12.744"), D("0.5"), D("0.006372"))
    assert result.totals.eb == result.totals.ep == result.totals.e == D("0.006372")


def test_primary_share_counts_supplier_and_measured_lines():
    inputs = study(
        materials=(
            material(key="bom/1", factor=factor("3"), data_source=DataSource.SUPPLIER_SPECIFIC),
            material(key="bom/2", factor=factor("1"), data_source=DataSource.SECONDARY_DEFAULT),
        ),
        wastes=(entry(key="waste/1", quantity=D(1), factor=factor("4", "kgCO2e/kg")),),  # measured primary
    )

    result = compute_footprint(inputs)

    assert result.totals.e == D(8)
    assert result.primary_data_share == D("0.875")  # (3 + 4) / 8


def test_primary_share_of_transport_uses_the_leg_source():
    line = material(
        factor=factor("1"),
        data_source=DataSource.SUPPLIER_SPECIFIC,
        transport=(leg(mass=D(1000), distance=D(10), factor=factor("0.1", "kgCO2e/(t*km)")),),  # 1 kg, secondary
    )

    result = compute_footprint(study(materials=(line,)))

    assert result.primary_data_share == D("0.5")  # 1 / (1 + 1)


def test_primary_share_is_zero_when_nothing_is_emitted():
    result = compute_footprint(study(materials=(material(factor=factor("0")),)))

    assert result.totals.e == 0
    assert result.primary_data_share == 0


def test_empty_study_computes_to_zero():
    result = compute_footprint(study())

    assert result.contributions == ()
    assert result.totals.e == result.totals.em == result.totals.ep == 0


def test_result_carries_method_and_engine_versions():
    result = compute_footprint(study())

    assert result.method_version == "cf-iso14067-meter/1"
    assert result.engine_version == "1.0.0"


def test_same_inputs_give_identical_results():
    assert compute_footprint(mixed_study()) == compute_footprint(mixed_study())


def test_integer_inputs_are_exact_numbers_too():
    hourly = replace(series("0", "0"), values=(1, 2))
    inputs = study(
        units_produced=4,
        materials=(material(quantity=3, loss_rate=0, factor=factor("2")),),
        stages=(stage(run(energy=(2_000_000, 1_000_000)), allocation_share=1),),
        electricity_series=hourly,
    )

    result = compute_footprint(inputs)

    # material 3 × 2 / 1 = 6 per unit (materials are per unit already); stage 2 × 1 + 1 × 2 = 4 kg / 4 = 1
    assert [c.emission for c in result.contributions] == [D(6), D(1)]
    assert result.contributions[1].allocation_share == D(1)
    assert isinstance(result.contributions[1].allocation_share, Decimal)
