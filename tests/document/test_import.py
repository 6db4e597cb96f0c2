import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.catalog.models import Material, ProcessStage
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor, FactorDataset
from apps.footprints.document.canonical import canonical_bytes
from apps.footprints.document.export import study_document_build
from apps.footprints.document.importer import plan_import, study_document_import
from apps.footprints.document.validation import DocumentError
from apps.inventory.models import Site
from apps.ledger.enums import ReadingSource
from apps.ledger.services import metering_point_create, readings_insert_run
from tests.document.builders import build_full_study, make_series, table_counts


def _rejected(organization, document) -> list[tuple[str, str]]:
    """Import, expect a rejection that wrote nothing, and return its (path, message) pairs."""
    before = table_counts()
    with pytest.raises(DocumentError) as raised:
        study_document_import(organization=organization, document=document)
    assert table_counts() == before
    return raised.value.errors


def _factor_index(document, key: str) -> int:
    return next(i for i, factor in enumerate(document["factors"]) if factor["key"] == key)


def test_import_schema_failure_writes_nothing(other_supplier, document):
    document["materials"][0]["loss_rate"] = "1"

    assert _rejected(other_supplier, document) == [("$.materials[0].loss_rate", "'1' is not less than 1")]


def test_import_unknown_factor_key_is_refused(other_supplier, document):
    document["materials"][0]["factor"] = "Nowhere@1/material.mcu"
    document["wastes"][0]["factor"] = "Nowhere@1/waste.landfill"

    assert _rejected(other_supplier, document) == [
        ("$.materials[0].factor", "factor 'Nowhere@1/material.mcu' is not listed in $.factors"),
        ("$.wastes[0].factor", "factor 'Nowhere@1/waste.landfill' is not listed in $.factors"),
    ]


def test_import_library_value_mismatch_names_both_values(other_supplier, library, document):
    key = f"Test library@{library.dataset.version}/material.case"
    i = _factor_index(document, key)
    document["factors"][i]["value"] = "2.20"

    assert _rejected(other_supplier, document) == [
        (f"$.factors[{i}].value", f"factor {key} in the file has value 2.2, the library has 2.1")
    ]


def test_import_library_without_the_factor_is_refused(other_supplier, library, document):
    i = _factor_index(document, f"Test library@{library.dataset.version}/material.case")
    document["factors"][i]["code"] = "material.case2"
    document["factors"][i]["key"] += "2"

    errors = _rejected(other_supplier, document)

    assert (f"$.factors[{i}].code", f"the library dataset {document['factors'][i]['dataset']} has no factor "
            "'material.case2'") in errors  # fmt: skip


def test_import_duplicate_study_name_is_refused(supplier, document):
    name = document["study"]["name"]

    assert ("$.study.name", f"a study named '{name}' already exists in this organization") in _rejected(
        supplier, document
    )


def test_import_unknown_material_and_duplicate_stage_are_refused(other_supplier, document):
    document["materials"][0]["material_no"] = 99
    document["stages"][1]["stage_no"] = document["stages"][0]["stage_no"]

    errors = _rejected(other_supplier, document)

    assert ("$.materials[0].material_no", "there is no material number 99 in the catalogue") in errors
    assert ("$.stages[1].stage_no", "stage 4 is listed twice (first at $.stages[0])") in errors


def test_import_material_in_the_wrong_unit_is_refused(other_supplier, document):
    document["materials"][0]["unit"] = "kg"

    assert _rejected(other_supplier, document) == [("$.materials[0].unit", "material 2 is counted in piece, not kg")]


def test_import_overlapping_readings_are_refused(other_supplier, document):
    runs = document["stages"][0]["metering_points"][0]["runs"]
    runs.append({**copy.deepcopy(runs[0]), "start": "2025-01-06T00:30:00Z"})  # inside the first run

    assert _rejected(other_supplier, document) == [
        (
            "$.stages[0].metering_points[0].runs[2]",
            "this run overlaps the run at $.stages[0].metering_points[0].runs[0]",
        )
    ]


def test_import_readings_in_the_future_are_refused(other_supplier, document):
    run = document["stages"][0]["metering_points"][0]["runs"][0]
    before = table_counts()

    with pytest.raises(DocumentError) as raised:
        study_document_import(
            organization=other_supplier, document=document, now=datetime(2025, 1, 6, 0, 30, tzinfo=UTC)
        )

    assert table_counts() == before
    assert ("$.stages[0].metering_points[0].runs[0]", "the run ends at 2025-01-06T01:00:00Z, in the future") in (
        raised.value.errors
    )
    assert run["start"] == "2025-01-06T00:00:00Z"


def test_import_metering_point_of_another_site_is_refused(other_supplier, document):
    code = document["stages"][0]["metering_points"][0]["code"]
    elsewhere = Site.objects.create(organization=other_supplier, code="elsewhere", name="Elsewhere", grid_region="N")
    metering_point_create(organization=other_supplier, site=elsewhere, stage=ProcessStage.objects.get(no=4), code=code,
                          name="SMT line meter")  # fmt: skip

    assert _rejected(other_supplier, document) == [
        ("$.stages[0].metering_points[0].code", f"metering point {code} belongs to another site (elsewhere)")
    ]


def test_import_readings_overlapping_stored_ones_are_refused(supplier, other_supplier, document):
    first = study_document_import(organization=other_supplier, document=copy.deepcopy(document))
    point = first.site.metering_points.get(stage__no=4)
    readings_insert_run(organization=other_supplier, metering_point=point, start=datetime(2025, 1, 10, tzinfo=UTC),
                        step_seconds=900, milliwatt_hours=[5], source=ReadingSource.METER)  # fmt: skip
    document["study"]["name"] = "Same plant, second study"

    assert _rejected(other_supplier, document) == [
        (
            "$.stages[0].metering_points[0].runs",
            f"metering point {point.code} already holds readings in the reporting period that differ from the file's",
        )
    ]


def test_import_where_an_own_factor_would_take_precedence_rolls_back(other_supplier, document):
    own = FactorDataset.objects.create(organization=other_supplier, name="Own", version="1", publisher="x",
                                       gwp_basis="AR6")  # fmt: skip
    EmissionFactor.objects.create(dataset=own, organization=other_supplier, code="case", name_en="case",
                                  category=FactorCategory.MATERIAL, value=Decimal(3), unit="kgCO2e/piece",
                                  source="x", material=Material.objects.get(no=25))  # fmt: skip

    [(path, message)] = _rejected(other_supplier, document)

    assert path == "$.materials[3].factor"
    assert "material 25 would be valued with factor Own@1/case" in message


def test_import_value_too_precise_for_the_database_is_refused(other_supplier, document):
    document["materials"][0]["loss_rate"] = "0.1234567"

    [(path, message)] = _rejected(other_supplier, document)
    assert path == "$.materials[0].loss_rate"
    assert "6 decimal places" in message


def test_import_period_in_another_time_zone_is_refused(other_supplier, document):
    document["study"]["period"]["time_zone"] = "Europe/Berlin"

    errors = _rejected(other_supplier, document)

    assert errors[0] == (
        "$.study.period.time_zone",
        "the period is given in Europe/Berlin, but this organization works in Asia/Shanghai",
    )
    assert errors[1][0] == "$.study.period.start_utc"  # the UTC bounds no longer follow either


def test_import_reuses_identical_product_site_meters_and_readings(other_supplier, document):
    first = study_document_import(organization=other_supplier, document=copy.deepcopy(document))
    document["study"]["name"] = "Same plant, second study"
    before = table_counts()

    second = study_document_import(organization=other_supplier, document=copy.deepcopy(document))

    after = table_counts()
    assert (second.product_id, second.site_id) == (first.product_id, first.site_id)
    assert after["ledger.ElectricityReading"] == before["ledger.ElectricityReading"]
    assert after["ledger.MeteringPoint"] == before["ledger.MeteringPoint"]
    assert after["factors.EmissionFactor"] == before["factors.EmissionFactor"]
    assert canonical_bytes(study_document_build(study=second)) == canonical_bytes(document)


def test_import_of_a_library_this_database_lacks_creates_it_as_the_organizations_own(other_supplier, document):
    old = document["study"]["factor_dataset"]
    new = "Library from elsewhere@2030"
    text = json.dumps(document).replace(json.dumps(old)[:-1], json.dumps(new)[:-1])
    document = json.loads(text.replace('"name": "Test library"', '"name": "Library from elsewhere"').replace(
        f'"version": "{old.split("@")[1]}"', '"version": "2030"'))  # fmt: skip

    study = study_document_import(organization=other_supplier, document=document)

    again = study_document_build(study=study)
    assert study.factor_dataset.organization == other_supplier
    assert next(d for d in again["factor_datasets"] if d["key"] == new)["owner"] == "organization"
    next(d for d in document["factor_datasets"] if d["key"] == new)["owner"] = "organization"
    for section in ("factor_datasets", "factors"):  # listed by key, and the new key sorts elsewhere
        document[section].sort(key=lambda entry: entry["key"])
    assert canonical_bytes(again) == canonical_bytes(document)


def test_import_series_values_must_match_the_stored_series(supplier, other_supplier, library):
    document = study_document_build(study=build_full_study(supplier, library, series=make_series()))
    document["electricity"]["series"]["values"][30] = "0.99"

    assert _rejected(other_supplier, document) == [
        (
            "$.electricity.series.values[30]",
            f"series {document['electricity']['series']['key']} in the file has 0.99 here, this database has 0.61",
        )
    ]


def test_plan_import_previews_what_is_reused_and_created_without_writing(other_supplier, library, document):
    before = table_counts()

    plan = plan_import(organization=other_supplier, document=document)

    assert table_counts() == before
    library_key = f"Test library@{library.dataset.version}"
    assert plan.datasets == {"Supplier primary data@2025.1": None, library_key: library.dataset}
    assert plan.factors[f"{library_key}/material.case"] == library.case
    assert plan.factors["Supplier primary data@2025.1/material.pcb"] is None  # to be created
    assert plan.product is None and plan.site is None and set(plan.points.values()) == {None}
