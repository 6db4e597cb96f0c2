import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from apps.engine import compute_footprint
from apps.engine.types import (
    DataSource,
    FactorRef,
    FactorSeries,
    LedgerEntry,
    MaterialLine,
    ReadingRun,
    StageElectricity,
    StudyInputs,
    TransportLeg,
)
from apps.footprints.document.export import study_document_build
from apps.footprints.document.to_engine import engine_inputs_from_document, material_keys
from apps.footprints.document.validation import schema_problems
from tests.document.builders import build_full_study, make_series

DOCS = Path(__file__).resolve().parents[2] / "docs" / "study-format.md"


def _example() -> dict:
    block = re.search(r"## Example.*?```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert block is not None
    return json.loads(block.group(1))


def _ref(code: str, value: str, unit: str) -> FactorRef:
    return FactorRef(key=f"Example defaults@1/{code}", value=Decimal(value), unit=unit, dataset="Example defaults 1",
                     source="example")  # fmt: skip


def test_engine_inputs_of_the_documented_example_are_as_expected():
    document = _example()

    inputs = engine_inputs_from_document(document)

    grid = _ref("electricity.cn", "0.6205", "kgCO2e/kWh")
    assert inputs == StudyInputs(
        period_start=datetime(2024, 12, 31, 16, tzinfo=UTC),
        period_end=datetime(2025, 1, 31, 16, tzinfo=UTC),
        units_produced=Decimal(1000),
        declared_unit="piece",
        materials=(
            MaterialLine(
                key="material/20", label="20. 印制电路板 / printed circuit board", quantity=Decimal(1), unit="piece",
                loss_rate=Decimal("0.02"), factor=_ref("material.pcb", "0.88", "kgCO2e/piece"),
                data_source=DataSource.SECONDARY_DEFAULT, unit_mass_kg=None,
                transport=(TransportLeg(
                    key="material/20/transport/1", mode="road_heavy", distance=Decimal(1200), distance_unit="km",
                    mass=Decimal("0.25"), mass_unit="kg",
                    factor=_ref("transport.road_heavy", "0.1016", "kgCO2e/(t*km)"),
                    data_source=DataSource.SECONDARY_DEFAULT,
                ),),
            ),
        ),
        stages=(
            StageElectricity(
                key="stage/4", label="4. 贴片 / SMT placement", allocation_share=Decimal(1),
                runs=(ReadingRun(start=datetime(2025, 1, 6, tzinfo=UTC), step_seconds=900,
                                 energy=[250_000_000] * 4),),
            ),
        ),
        electricity_factor=grid,
        electricity_series=None,
        fuels=(LedgerEntry(key="fuel/1", label="forklift diesel", quantity=Decimal(100), unit="kg",
                           factor=_ref("fuel.diesel", "3.096", "kgCO2e/kg")),),
        wastes=(LedgerEntry(key="waste/1", label="Example defaults@1/waste.landfill", quantity=Decimal(200), unit="kg",
                            factor=_ref("waste.landfill", "0.009", "kgCO2e/kg")),),
    )  # fmt: skip


def test_engine_inputs_pass_the_reading_lists_through_uncopied():
    document = _example()

    inputs = engine_inputs_from_document(document)

    energies = document["stages"][0]["metering_points"][0]["runs"][0]["milliwatt_hours"]
    assert inputs.stages[0].runs[0].energy is energies


def test_documented_example_is_valid_and_computes_to_the_documented_total():
    document = _example()

    assert schema_problems(document) == []
    assert compute_footprint(engine_inputs_from_document(document)).totals.e == Decimal("1.85998")


def test_engine_inputs_of_an_exported_series_study(supplier, library):
    document = study_document_build(study=build_full_study(supplier, library, series=make_series()))

    inputs = engine_inputs_from_document(document)

    series = inputs.electricity_series
    assert isinstance(series, FactorSeries)
    assert (series.start, series.step_seconds, len(series.values)) == (
        datetime(2024, 12, 31, 16, tzinfo=UTC),
        3600,
        744,
    )
    assert series.values[:2] == (Decimal("0.55"), Decimal("0.56"))
    assert inputs.electricity_factor is None
    assert [m.key for m in inputs.materials] == [
        "material/2",
        "material/7",
        "material/20",
        "material/25",
        "material/28",
    ]
    assert inputs.materials[1].factor is None  # the engine reports the missing factor
    assert [s.key for s in inputs.stages] == ["stage/4", "stage/26"]
    assert len(inputs.stages[0].runs) == 2 and inputs.stages[1].allocation_share == Decimal("0.5")
    assert [f.key for f in inputs.fuels] == ["fuel/1", "fuel/2"]


def test_material_keys_number_repeated_materials():
    lines = [{"material_no": 20}, {"material_no": 25}, {"material_no": 20}, {"material_no": 20}]

    assert material_keys(lines) == ["material/20", "material/25", "material/20/2", "material/20/3"]


def test_verifier_modules_import_without_django():
    code = (
        "import sys; import apps.footprints.document.to_engine, apps.footprints.document.canonical; "
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    root = Path(__file__).resolve().parents[2]

    subprocess.run([sys.executable, "-c", code], cwd=root, env=env, check=True)
