"""The worked example of docs/methodology.md, number for number.

If this test changes, the table in the document must change with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from apps.engine import (
    ContributionKind,
    DataSource,
    FactorRef,
    FactorSeries,
    LedgerEntry,
    MaterialLine,
    ReadingRun,
    StageElectricity,
    StudyInputs,
    TransportLeg,
    compute_footprint,
)

D = Decimal
CST = timezone(timedelta(hours=8))


def t(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, 3, hour, minute, tzinfo=CST)


def example_inputs(*, static: bool = False) -> StudyInputs:
    hgv = FactorRef(key="desnz2025/hgv-average-laden", value=D("0.1016"), unit="kgCO2e/(t*km)")
    materials = (
        MaterialLine(
            key="bom/20",
            label="PCB",
            quantity=D(1),
            unit="piece",
            loss_rate=D("0.02"),
            factor=FactorRef(key="supplier/pcb", value=D("0.88"), unit="kgCO2e/piece"),
            data_source=DataSource.SUPPLIER_SPECIFIC,
        ),
        MaterialLine(
            key="bom/30",
            label="solder paste",
            quantity=D("0.002"),
            unit="L",
            loss_rate=D("0.05"),
            factor=FactorRef(key="default/solder-paste", value=D(55), unit="kgCO2e/L"),
            data_source=DataSource.SECONDARY_DEFAULT,
        ),
        MaterialLine(
            key="bom/25",
            label="meter case",
            quantity=D(1),
            unit="piece",
            loss_rate=D("0.01"),
            factor=FactorRef(key="default/pc-moulded", value=D("8.4"), unit="kgCO2e/kg"),
            data_source=DataSource.SECONDARY_DEFAULT,
            unit_mass_kg=D("0.25"),
            transport=(
                TransportLeg(
                    key="bom/25/leg/1",
                    mode="road_heavy",
                    distance=D(500),
                    distance_unit="km",
                    mass=D("0.25"),
                    mass_unit="kg",
                    factor=hgv,
                ),
            ),
        ),
    )
    stages = (
        StageElectricity(
            key="stage/4",
            label="SMT placement",
            allocation_share=D(1),
            runs=(ReadingRun(start=t(8), step_seconds=3600, energy=(12_000_000, 8_000_000)),),
        ),
        StageElectricity(
            key="stage/5",
            label="reflow soldering",
            allocation_share=D("0.8"),
            runs=(
                ReadingRun(start=t(7, 30), step_seconds=3600, energy=(6_000_000,)),
                ReadingRun(start=t(8, 30), step_seconds=5400, energy=(9_000_000,)),
            ),
        ),
    )
    grid_2023 = FactorRef(key="mee2025/cn-electricity-footprint-2023", value=D("0.6205"), unit="kgCO2e/kWh")
    hourly = FactorSeries(
        key="example/hourly", start=t(8), step_seconds=3600, values=(D("0.64"), D("0.58")), unit="kgCO2e/kWh"
    )
    return StudyInputs(
        period_start=t(8),
        period_end=t(10),
        units_produced=D(1000),
        materials=materials,
        stages=stages,
        electricity_factor=grid_2023 if static else None,
        electricity_series=None if static else hourly,
        fuels=(
            LedgerEntry(
                key="fuel/diesel",
                label="forklift diesel",
                quantity=D(4),
                unit="kg",
                factor=FactorRef(key="ipcc2006/diesel", value=D("3.186"), unit="tCO2e/t"),
            ),
        ),
        wastes=(
            LedgerEntry(
                key="waste/plastic",
                label="plastic scrap, incinerated",
                quantity=D(2),
                unit="kg",
                factor=FactorRef(key="ipcc2006/plastics-incineration", value=D("2.75"), unit="kgCO2e/kg"),
            ),
        ),
    )


def by_key(result):
    return {c.key: c for c in result.contributions}


def test_example_materials_match_the_document():
    lines = by_key(compute_footprint(example_inputs()))

    # PCB: 1 × 1.02 = 1.02 pieces; 1.02 × 0.88 = 0.8976
    assert (lines["bom/20"].activity, lines["bom/20"].emission) == (D("1.02"), D("0.8976"))
    # solder paste: 0.002 × 1.05 = 0.0021 L; 0.0021 × 55 = 0.1155
    assert (lines["bom/30"].activity, lines["bom/30"].emission) == (D("0.0021"), D("0.1155"))
    # meter case: 1 × 1.01 = 1.01 pieces × 0.25 kg = 0.2525 kg; 0.2525 × 8.4 = 2.121
    assert (lines["bom/25"].activity, lines["bom/25"].emission) == (D("1.01"), D("2.121"))
    # transport: 0.25 kg × 500 km = 125 kg·km = 0.125 t·km; 0.125 × 0.1016 = 0.0127
    assert (lines["bom/25/leg/1"].activity, lines["bom/25/leg/1"].emission) == (D(125), D("0.0127"))


def test_example_stages_match_the_document():
    lines = by_key(compute_footprint(example_inputs()))
    smt, reflow = lines["stage/4"], lines["stage/5"]

    # SMT: 12 kWh × 0.64 + 8 kWh × 0.58 = 7.68 + 4.64 = 12.32; 12.32 / 20 = 0.616; 12.32 × 1 / 1000
    assert (smt.activity, smt.plant_emission, smt.average_factor) == (D(20), D("12.32"), D("0.616"))
    assert smt.emission == D("0.01232")
    # reflow: 07:30-08:30 reading, half in period: 3 kWh × 0.64 = 1.92
    #         08:30-10:00 reading of 9 kWh: 3 kWh × 0.64 + 6 kWh × 0.58 = 1.92 + 3.48 = 5.40
    #         12 kWh, 7.32 kg; 7.32 / 12 = 0.61; 7.32 × 0.8 / 1000 = 0.005856
    assert (reflow.activity, reflow.plant_emission, reflow.average_factor) == (D(12), D("7.32"), D("0.61"))
    assert reflow.emission == D("0.005856")


def test_example_fuel_and_waste_match_the_document():
    lines = by_key(compute_footprint(example_inputs()))

    # diesel: 4 kg × 3.186 t/t = 12.744 kg; / 1000 = 0.012744
    assert (lines["fuel/diesel"].plant_emission, lines["fuel/diesel"].emission) == (D("12.744"), D("0.012744"))
    # plastic scrap: 2 kg × 2.75 = 5.5 kg; / 1000 = 0.0055
    assert (lines["waste/plastic"].plant_emission, lines["waste/plastic"].emission) == (D("5.5"), D("0.0055"))


def test_example_totals_match_the_document():
    result = compute_footprint(example_inputs())

    totals = result.totals
    assert totals.em_materials == D("3.1341")  # 0.8976 + 0.1155 + 2.121
    assert totals.em_transport == D("0.0127")
    assert totals.em == D("3.1468")
    assert totals.eb == D("0.012744")
    assert totals.edl == D("0.018176")  # 0.01232 + 0.005856
    assert totals.ew == D("0.0055")
    assert totals.ep == D("0.03642")  # 0.012744 + 0.018176 + 0.0055
    assert totals.e == D("3.18322")
    # primary: PCB 0.8976 + stages 0.018176 + diesel 0.012744 + scrap 0.0055 = 0.93402; / 3.18322
    assert result.primary_data_share == D("0.29341987044564937390441125652641036434805008764710")


def test_example_contributions_come_in_formula_order():
    result = compute_footprint(example_inputs())

    kinds = [c.kind for c in result.contributions]

    assert kinds == [ContributionKind.MATERIAL] * 3 + [ContributionKind.TRANSPORT] + [ContributionKind.STAGE] * 2 + [
        ContributionKind.FUEL,
        ContributionKind.WASTE,
    ]


def test_example_with_static_factor_matches_the_document():
    result = compute_footprint(example_inputs(static=True))

    lines = by_key(result)
    # 20 kWh × 0.6205 = 12.41 → 0.01241; 12 kWh × 0.6205 = 7.446, × 0.8 / 1000 = 0.0059568
    assert (lines["stage/4"].plant_emission, lines["stage/4"].emission) == (D("12.41"), D("0.01241"))
    assert (lines["stage/5"].plant_emission, lines["stage/5"].emission) == (D("7.446"), D("0.0059568"))
    assert result.totals.edl == D("0.0183668")
    assert result.totals.e == D("3.1834108")  # 3.1468 + 0.012744 + 0.0183668 + 0.0055
