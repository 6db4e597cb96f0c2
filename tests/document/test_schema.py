import json

import pytest

from apps.factors.enums import FactorCategory, GwpBasis
from apps.footprints.document.validation import DocumentError, schema_problems, study_schema, validate_document
from apps.inventory.enums import DataSource, SystemBoundary, TransportMode
from apps.ledger.enums import ReadingSource


def test_schema_accepts_an_exported_document(document):
    assert schema_problems(document) == []


def test_schema_negative_quantity_names_its_path(document):
    document["materials"][0]["quantity"] = "-1"

    assert schema_problems(document) == [("$.materials[0].quantity", "'-1' is less than 0")]


def test_schema_loss_rate_of_one_is_refused(document):
    document["materials"][3]["loss_rate"] = "1"
    document["materials"][4]["loss_rate"] = "1.2"

    assert schema_problems(document) == [
        ("$.materials[3].loss_rate", "'1' is not less than 1"),
        ("$.materials[4].loss_rate", "'1.2' is not less than 1"),
    ]


def test_schema_non_numeric_text_is_refused(document):
    document["study"]["units_produced"] = "abc"

    assert schema_problems(document) == [
        ("$.study.units_produced", "'abc' is not a decimal number written as a string like \"0.88\"")
    ]


def test_schema_number_instead_of_decimal_string_is_explained(document):
    document["fuels"][0]["quantity"] = 100.5

    [(path, message)] = schema_problems(document)
    assert path == "$.fuels[0].quantity"
    assert "write decimals as strings" in message


def test_schema_missing_field_names_the_field(document):
    del document["materials"][1]["loss_rate"]

    assert schema_problems(document) == [("$.materials[1].loss_rate", "this field is required")]


def test_schema_unknown_field_is_refused(document):
    document["site"]["colour"] = "red"

    assert schema_problems(document) == [("$.site.colour", "unknown field")]


def test_schema_wrong_enum_lists_the_choices(document):
    document["stages"][0]["metering_points"][0]["runs"][0]["source"] = "guess"

    [(path, message)] = schema_problems(document)
    assert path == "$.stages[0].metering_points[0].runs[0].source"
    assert message == "'guess' is not one of ['manual', 'import', 'meter']"


def test_schema_share_above_one_and_zero_are_refused(document):
    document["stages"][0]["allocation_share"] = "1.5"
    document["wastes"][0]["allocation_share"] = "0"

    assert schema_problems(document) == [
        ("$.stages[0].allocation_share", "'1.5' is greater than 1"),
        ("$.wastes[0].allocation_share", "'0' is not greater than 0"),
    ]


def test_schema_bad_instants_and_dates_are_refused(document):
    document["stages"][0]["metering_points"][0]["runs"][0]["start"] = "2025-01-06 08:00"
    document["study"]["period"]["end"] = "2025-02-30"

    assert schema_problems(document) == [
        ("$.study.period.end", "'2025-02-30' is not a date like \"2025-01-31\""),
        (
            "$.stages[0].metering_points[0].runs[0].start",
            "'2025-01-06 08:00' is not a UTC date and time like \"2025-01-01T00:00:00Z\"",
        ),
    ]


def test_schema_readings_are_checked_with_their_index(document):
    document["stages"][0]["metering_points"][0]["runs"][0]["milliwatt_hours"][2] = -5
    document["stages"][1]["metering_points"][0]["runs"][0]["milliwatt_hours"][0] = "7"

    assert schema_problems(document) == [
        ("$.stages[0].metering_points[0].runs[0].milliwatt_hours[2]", "-5 is less than the minimum of 0"),
        ("$.stages[1].metering_points[0].runs[0].milliwatt_hours[0]", "'7' is not a whole number of milliwatt-hours"),
    ]


def test_schema_electricity_error_is_reported_inside_the_chosen_form(document):
    document["electricity"] = {"static_factor": 5}

    assert schema_problems(document) == [("$.electricity.static_factor", "5 is not of type 'string'")]


def test_schema_collects_every_problem_and_raises_them_together(document):
    document["format_version"] = 2
    document["materials"][0]["quantity"] = "-1"
    del document["product"]["name"]

    with pytest.raises(DocumentError) as raised:
        validate_document(document)

    assert [path for path, _ in raised.value.errors] == [
        "$.format_version",
        "$.product.name",
        "$.materials[0].quantity",
    ]
    assert "$.materials[0].quantity: '-1' is less than 0" in raised.value.messages


def test_schema_not_an_object_is_refused():
    assert schema_problems([]) == [("$", "[] is not of type 'object'")]


def _enum(*path: str) -> list:
    node = study_schema()
    for part in path:
        node = node[part]
    return node["enum"]


def test_schema_enums_match_the_models():
    props = study_schema()["properties"]
    assert "status" not in props["study"]["properties"]  # workflow state is not an input
    assert props["study"]["properties"]["system_boundary"]["enum"] == SystemBoundary.values
    assert study_schema()["$defs"]["dataSource"]["enum"] == DataSource.values
    factor = props["factors"]["items"]["properties"]
    assert factor["category"]["enum"] == FactorCategory.values
    assert props["factor_datasets"]["items"]["properties"]["gwp_basis"]["enum"] == GwpBasis.values
    leg = props["materials"]["items"]["properties"]["transport"]["items"]["properties"]
    assert leg["mode"]["enum"] == TransportMode.values
    run = props["stages"]["items"]["properties"]["metering_points"]["items"]["properties"]["runs"]["items"]
    assert run["properties"]["source"]["enum"] == [source.name.lower() for source in ReadingSource]


def test_schema_file_is_valid_json_schema_2020_12():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(study_schema())
    assert json.loads(json.dumps(study_schema()))["$schema"].endswith("2020-12/schema")
