"""The study import refuses, never crashes (issue 7, section 3).

Every class of malformed document that crashed the import or was wrongly accepted, and more of the
same classes, is refused with a DocumentError naming the JSON path, and writes nothing: the file's
bytes (size, encoding, JSON syntax, duplicate keys, NaN, integers too long to read, nesting), its
size in lines, runs and readings (checked before the schema), text that no database holds (NUL,
lone surrogates), numbers beyond their columns, dates beyond the calendar, a period ending before it
starts, a catalogue material listed twice. An empty study imports as a draft, and computing it is
refused as incomplete.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from apps.footprints.document.canonical import canonical_bytes
from apps.footprints.document.export import study_document_build
from apps.footprints.document.importer import plan_import, study_document_import
from apps.footprints.document.parse import study_document_parse, study_document_read
from apps.footprints.document.to_engine import IncompleteStudyError
from apps.footprints.document.validation import DocumentError, validate_document
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintResult
from apps.footprints.services import footprint_compute, footprint_compute_now, footprint_request
from apps.inventory.enums import StudyStatus
from apps.inventory.models import Study
from tests.document.builders import build_full_study, make_series, table_counts

RUN = "$.stages[0].metering_points[0].runs[0]"
NOT_UTF8 = "the file is in %s: a study document is UTF-8, with or without a byte order mark"
DUPLICATE = "this key appears more than once in its object"


def _rejected(organization, document) -> list[tuple[str, str]]:
    """Import a parsed document, expect a rejection that wrote nothing; its (path, message) pairs."""
    before = table_counts()
    with pytest.raises(DocumentError) as raised:
        study_document_import(organization=organization, document=document)
    assert table_counts() == before
    return raised.value.errors


def _file_rejected(organization, data: bytes) -> list[tuple[str, str]]:
    """Parse and import a file's bytes, expect a rejection that wrote nothing."""
    before = table_counts()
    with pytest.raises(DocumentError) as raised:
        study_document_import(organization=organization, document=study_document_parse(data))
    assert table_counts() == before
    return raised.value.errors


def _text(document) -> str:
    return canonical_bytes(document).decode()


def _run(document) -> dict:
    return document["stages"][0]["metering_points"][0]["runs"][0]


@pytest.fixture
def series_document(supplier, library) -> dict:
    study = build_full_study(supplier, library, name="With a series", series=make_series())
    return json.loads(canonical_bytes(study_document_build(study=study)))


# --- the file: encoding -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf-8", "utf-8 with bom"])
def test_utf8_with_or_without_a_byte_order_mark_is_imported(other_supplier, document, bom):
    document["study"]["description"] = "印制电路板 😀"  # beyond the BMP: a surrogate pair in JSON escapes

    study = study_document_import(
        organization=other_supplier, document=study_document_parse(bom + _text(document).encode())
    )

    assert study.description == "印制电路板 😀"
    assert canonical_bytes(study_document_build(study=study)) == canonical_bytes(document)


def test_an_escaped_surrogate_pair_is_one_character(other_supplier, document):
    data = _text(document).replace('"description":"Full test study', '"description":"\\ud83d\\ude00 Full test study', 1)

    study = study_document_import(organization=other_supplier, document=study_document_parse(data.encode()))

    assert study.description.startswith("😀 Full test study")


@pytest.mark.parametrize(
    ("codec", "name"),
    [
        ("utf-16", "UTF-16"),  # with its byte order mark
        ("utf-16-le", "UTF-16"),  # without: recognized by its zero bytes
        ("utf-16-be", "UTF-16"),
        ("utf-32", "UTF-32"),
        ("utf-32-le", "UTF-32"),
        ("utf-32-be", "UTF-32"),
    ],
)
def test_utf16_and_utf32_files_are_refused_naming_the_encoding(other_supplier, document, codec, name):
    data = _text(document).encode(codec)

    assert _file_rejected(other_supplier, data) == [("$", NOT_UTF8 % name)]


def test_bytes_that_are_not_utf8_are_refused_with_their_line(other_supplier, document):
    document["study"]["description"] = "Qualität"
    text = json.dumps(document, indent=1, ensure_ascii=False)
    line = text[: text.index("Qualität")].count("\n") + 1
    data = text.encode().replace("Qualität".encode(), b"Qualit\xe4t")  # one Latin-1 byte in UTF-8

    assert _file_rejected(other_supplier, data) == [
        (
            "$",
            f"the file is not valid UTF-8 (byte 0xE4 on line {line}): a study document is UTF-8, with or without a "
            "byte order mark",
        )
    ]


@pytest.mark.parametrize("data", [b"", b"  \n\t ", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data):
    with pytest.raises(DocumentError) as raised:
        study_document_parse(data)

    assert raised.value.errors == [("$", "the file is empty")]


# --- the file: JSON ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{\n  "format": "carbonfoot.study",\n  "format_version" 1\n}', "line 3, column 20: a colon was expected"),
        (b'{"format": "carbonfoot.study",}', "line 1, column 31: a key in double quotes was expected"),
        (b'{"format": "carbonfoot.study"}\n{}', "line 2, column 1: more data follows the end of the document"),
        (b'{"format": "carbon', "line 1, column 12: a text is not closed"),
        (
            b'{"format": "a\tb"}',
            "line 1, column 14: a text holds a control character: write it as an escape such as \\n",
        ),
        (b'{"format": "\\x41"}', "line 1, column 13: a text holds an invalid escape"),
        (b'{"format": [1, 2', "line 1, column 17: a comma was expected"),
        (b"\xef\xbb\xbf\xef\xbb\xbf{}", "line 1, column 1: a second byte order mark"),
        (b"{'format': 1}", "line 1, column 2: a key in double quotes was expected"),
    ],
)
def test_json_syntax_errors_name_line_and_column(data, expected):
    with pytest.raises(DocumentError) as raised:
        study_document_parse(data)

    assert raised.value.errors == [("$", f"not valid JSON at {expected}")]


@pytest.mark.parametrize("value", [[], None, "carbonfoot.study", 1, True])
def test_a_file_holding_no_object_is_refused(other_supplier, value):
    errors = _file_rejected(other_supplier, json.dumps(value).encode())

    assert errors == [
        ("$", f"{json.dumps(value) if not isinstance(value, str) else repr(value)} is not of type 'object'")
    ]


def test_a_key_repeated_in_an_object_is_refused_at_its_path(other_supplier, document):
    text = _text(document)
    text = text.replace('"declared_unit":"piece"', '"declared_unit":"piece","declared_unit":"piece"', 1)
    text = text.replace('"step_seconds":900', '"step_seconds":900,"step_seconds":60', 1)
    text = text.replace('{"electricity":', '{"format":"carbonfoot.study","electricity":', 1)

    errors = _file_rejected(other_supplier, text.encode())

    assert sorted(errors) == [
        ("$.format", DUPLICATE),
        (f"{RUN}.step_seconds", DUPLICATE),
        ("$.study.declared_unit", DUPLICATE),
    ]


# --- numbers ----------------------------------------------------------------------------------------------------------


def test_a_5000_digit_integer_is_a_validation_error_at_its_path(other_supplier, document):
    text = _text(document).replace('"step_seconds":900', '"step_seconds":' + "9" * 5000, 1)
    text = text.replace('"milliwatt_hours":[250000000', '"milliwatt_hours":[' + "1" * 5000, 1)

    errors = _file_rejected(other_supplier, text.encode())

    assert sorted(errors) == [
        (f"{RUN}.milliwatt_hours[0]", "a whole number of 5000 digits is too long to be read"),
        (f"{RUN}.step_seconds", "a whole number of 5000 digits is too long to be read"),
    ]
    assert "sys.set_int_max_str_digits" not in str(errors)


def test_a_huge_integer_in_a_document_built_in_python_is_a_validation_error(other_supplier, document):
    _run(document)["step_seconds"] = 10**5000  # str() of it raises: the message must not need it
    document["factors"][0]["year"] = 10**50

    errors = _rejected(other_supplier, document)

    assert errors == [(f"{RUN}.step_seconds", "a whole number of 5001 digits is too long to be read")]
    del _run(document)["step_seconds"]
    assert ("$.factors[0].year", f"{10**50} is more than the maximum of 32767") in _rejected(other_supplier, document)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_at_their_path(other_supplier, document, constant):
    text = _text(document).replace('"step_seconds":900', f'"step_seconds":{constant}', 1)

    assert _file_rejected(other_supplier, text.encode()) == [
        (f"{RUN}.step_seconds", f"{constant} is not a JSON number (JSON has no NaN or Infinity)")
    ]


def test_a_float_beyond_range_is_refused_at_its_path(other_supplier, document):
    text = _text(document).replace('"step_seconds":900', '"step_seconds":1e999', 1)

    assert _file_rejected(other_supplier, text.encode()) == [
        (f"{RUN}.step_seconds", "the number is too large to be read")
    ]


def test_a_step_or_resolution_of_ten_to_the_thirty_is_refused(other_supplier, series_document):
    _run(series_document)["step_seconds"] = 10**30
    series_document["electricity"]["series"]["resolution_seconds"] = 10**30

    assert _rejected(other_supplier, series_document) == [
        ("$.electricity.series.resolution_seconds", f"{10**30} is more than the maximum of 31622400"),
        (f"{RUN}.step_seconds", f"{10**30} is more than the maximum of 31622400"),
    ]


def test_a_gwp_horizon_of_a_billion_years_is_refused(other_supplier, document):
    document["factor_datasets"][0]["gwp_horizon_years"] = 10**9

    assert _rejected(other_supplier, document) == [
        ("$.factor_datasets[0].gwp_horizon_years", "1000000000 is more than the maximum of 1000")
    ]


def test_catalogue_numbers_beyond_their_column_are_refused(other_supplier, document):
    document["materials"][0]["material_no"] = 10**30
    document["stages"][0]["stage_no"] = 2**15
    document["fuels"][0]["stage_no"] = -(10**30)

    assert _rejected(other_supplier, document) == [
        ("$.materials[0].material_no", f"{10**30} is more than the maximum of 32767"),
        ("$.stages[0].stage_no", "32768 is more than the maximum of 32767"),
        ("$.fuels[0].stage_no", f"{-(10**30)} is less than the minimum of 1"),
    ]


@pytest.mark.parametrize(("value", "shown"), [(900.0, "900.0"), (True, "true"), ("900", "'900'")])
def test_an_integer_field_takes_only_integers(other_supplier, document, value, shown):
    _run(document)["step_seconds"] = value

    assert _rejected(other_supplier, document) == [(f"{RUN}.step_seconds", f"{shown} is not of type 'integer'")]


def test_a_whole_float_is_not_a_year(other_supplier, document):
    document["factors"][0]["year"] = 2023.0

    assert _rejected(other_supplier, document) == [("$.factors[0].year", "2023.0 is not of type ['integer', 'null']")]


# --- text -------------------------------------------------------------------------------------------------------------


def test_a_nul_character_in_a_text_is_refused(other_supplier, document):
    document["study"]["description"] = "a\x00b"
    document["materials"][0]["notes"] = "\x00"

    assert _rejected(other_supplier, document) == [
        ("$.materials[0].notes", "the text holds a NUL character (U+0000) at character 1, which text cannot hold"),
        ("$.study.description", "the text holds a NUL character (U+0000) at character 2, which text cannot hold"),
    ]


def test_escaped_nul_and_lone_surrogates_in_a_file_are_refused(other_supplier, document):
    text = _text(document).replace('"description":"Full test study', '"description":"x\\u0000 Full test study', 1)
    text = text.replace('"name":"SMT line meter"', '"name":"SMT \\ud800 meter"', 1)
    text = text.replace('"device_serial":"DTSD-0042"', '"device_serial":"DTSD\\udfff"', 1)

    assert _file_rejected(other_supplier, text.encode()) == [
        (
            "$.stages[0].metering_points[0].device_serial",
            "the text holds a lone surrogate (U+DFFF) at character 5, which is not valid Unicode",
        ),
        (
            "$.stages[0].metering_points[0].name",
            "the text holds a lone surrogate (U+D800) at character 5, which is not valid Unicode",
        ),
        ("$.study.description", "the text holds a NUL character (U+0000) at character 2, which text cannot hold"),
    ]


def test_nul_and_surrogates_in_keys_are_refused_and_shown_escaped(other_supplier, document):
    document["study"]["colour\x00"] = "red"
    document["site"]["\ud800"] = "x"

    errors = _rejected(other_supplier, document)

    assert errors == [
        ("$.site.\\ud800", "the key holds a lone surrogate (U+D800) at character 1, which is not valid Unicode"),
        ("$.study.colour\\x00", "the key holds a NUL character (U+0000) at character 7, which text cannot hold"),
    ]
    "\n".join(f"{path}: {message}" for path, message in errors).encode("utf-8")  # printable as UTF-8


# --- nesting ----------------------------------------------------------------------------------------------------------


def test_a_file_nested_ten_thousand_deep_is_refused(other_supplier, document):
    text = _text(document).replace('"description":""', '"description":' + "[" * 10_000 + "]" * 10_000, 1)

    assert _file_rejected(other_supplier, text.encode()) == [("$", "the document is nested more than 16 levels deep")]


def test_nesting_deeper_than_any_study_is_refused_at_its_path(other_supplier, document):
    text = _text(document).replace('"product":{"description":""', '"product":{"description":' + "[" * 100 + "]" * 100)

    [(path, message)] = _file_rejected(other_supplier, text.encode())

    assert message == "nested more than 16 levels deep"
    assert path == "$.product.description" + "[0]" * 14  # the value at depth 16


def test_a_document_built_ten_thousand_deep_in_python_is_refused(document):
    deep: list = []
    for _level in range(10_000):
        deep = [deep]
    document["materials"][0]["notes"] = deep

    with pytest.raises(DocumentError) as raised:
        validate_document(document)

    assert raised.value.errors == [("$.materials[0].notes" + "[0]" * 13, "nested more than 16 levels deep")]


# --- dates and the period ---------------------------------------------------------------------------------------------


def test_a_period_that_ends_before_it_starts_is_refused(other_supplier, series_document):
    period = series_document["study"]["period"]
    period["end"], period["end_utc"] = "2024-12-01", "2024-12-01T16:00:00Z"

    assert _rejected(other_supplier, series_document) == [
        ("$.study.period.end", "the period ends (2024-12-01) before it starts (2025-01-01)")
    ]


@pytest.mark.parametrize(
    ("place", "value"),
    [
        (("study", "period", "end"), "9999-12-31"),
        (("study", "period", "start"), "0001-01-01"),
        (("study", "period", "start_utc"), "0001-01-01T00:00:00Z"),
        (("factors", 0, "valid_to"), "9999-12-31"),
    ],
)
def test_dates_beyond_the_years_of_any_study_are_refused(other_supplier, document, place, value):
    record = document
    for part in place[:-1]:
        record = record[part]
    record[place[-1]] = value
    path = "$." + ".".join(str(p) for p in place).replace(".0.", "[0].")

    assert _rejected(other_supplier, document) == [(path, f"'{value}' lies outside the years 1900 to 2999")]


def test_a_run_starting_in_the_year_9999_is_refused(other_supplier, document):
    _run(document)["start"] = "9999-12-31T23:00:00Z"

    assert _rejected(other_supplier, document) == [
        (f"{RUN}.start", "'9999-12-31T23:00:00Z' lies outside the years 1900 to 2999")
    ]


def test_an_impossible_date_is_refused(other_supplier, document):
    document["study"]["period"]["end"] = "2025-02-30"

    assert _rejected(other_supplier, document) == [
        ("$.study.period.end", "'2025-02-30' is not a date like \"2025-01-31\"")
    ]


def test_a_run_ending_after_the_year_9999_is_refused(other_supplier, document):
    run = _run(document)
    run["step_seconds"], run["milliwatt_hours"] = 31_622_400, [1] * 8_000  # 8,000 readings of 366 days

    errors = _rejected(other_supplier, document)

    assert (RUN, "the run ends after the year 9999, in the future") in errors


# --- the catalogue ----------------------------------------------------------------------------------------------------


def test_a_catalogue_material_listed_twice_is_refused(other_supplier, document):
    document["materials"].append(copy.deepcopy(document["materials"][1]))
    no = document["materials"][1]["material_no"]

    assert _rejected(other_supplier, document) == [
        (
            "$.materials[5].material_no",
            f"material {no} is listed twice (first at $.materials[1]): a catalogue material has one line; enter "
            "another part of it as a line beyond the catalogue (material_no null)",
        )
    ]


# --- limits, before the expensive work --------------------------------------------------------------------------------


def _lines(document) -> int:
    return sum(
        [
            len(document["factor_datasets"]),
            len(document["factors"]),
            len(document["materials"]),
            sum(len(line["transport"]) for line in document["materials"]),
            len(document["stages"]),
            sum(len(stage["metering_points"]) for stage in document["stages"]),
            len(document["fuels"]),
            len(document["wastes"]),
        ]
    )


def test_a_file_above_the_size_limit_is_refused_naming_the_limit(other_supplier, document):
    data = canonical_bytes(document)

    with override_settings(STUDY_IMPORT_MAX_BYTES=1000):
        errors = _file_rejected(other_supplier, data)

    assert errors == [
        ("$", f"the file has {len(data):,} bytes, more than the limit of 1,000 bytes (setting STUDY_IMPORT_MAX_BYTES)")
    ]


def test_a_200_mb_file_is_refused_before_it_is_read(tmp_path: Path):
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: reading it would take seconds and 200 MB
    started = time.perf_counter()

    with pytest.raises(DocumentError) as raised:
        study_document_read(big)

    assert time.perf_counter() - started < 0.5
    assert raised.value.errors == [
        (
            "$",
            "the file has 209,715,200 bytes, more than the limit of 67,108,864 bytes (setting STUDY_IMPORT_MAX_BYTES)",
        )
    ]


def test_a_million_bom_lines_are_refused_at_once_naming_the_limit(other_supplier, document):
    document["materials"] = [document["materials"][0]] * 1_000_000
    lines = _lines(document)
    started = time.perf_counter()

    errors = _rejected(other_supplier, document)

    assert time.perf_counter() - started < 2
    assert errors == [
        (
            "$.materials",
            f"the document has {lines:,} lines (materials, transport legs, fuels, wastes, factors, datasets, stages "
            "and metering points), more than the limit of 10,000 (setting STUDY_IMPORT_MAX_LINES)",
        )
    ]


def test_the_lines_limit_is_checked_before_the_schema(other_supplier, document):
    document["wastes"] = [{}] * 20  # the schema would refuse each of them

    with override_settings(STUDY_IMPORT_MAX_LINES=30):
        errors = _rejected(other_supplier, document)

    assert errors == [
        (
            "$.wastes",
            f"the document has {_lines(document):,} lines (materials, transport legs, fuels, wastes, factors, "
            "datasets, stages and metering points), more than the limit of 30 (setting STUDY_IMPORT_MAX_LINES)",
        )
    ]


def test_the_runs_and_readings_limits_name_their_settings(other_supplier, document):
    runs = [run for stage in document["stages"] for point in stage["metering_points"] for run in point["runs"]]
    readings = sum(len(run["milliwatt_hours"]) for run in runs)

    with override_settings(STUDY_IMPORT_MAX_RUNS=len(runs) - 1):
        assert _rejected(other_supplier, document) == [
            (
                "$.stages[*].metering_points[*].runs",
                f"the document has {len(runs)} reading runs, more than the limit of {len(runs) - 1} (setting "
                "STUDY_IMPORT_MAX_RUNS)",
            )
        ]
    with override_settings(STUDY_IMPORT_MAX_READINGS=readings - 1):
        assert _rejected(other_supplier, document) == [
            (
                "$.stages[*].metering_points[*].runs",
                f"the document has {readings} readings and factor series values, more than the limit of "
                f"{readings - 1} (setting STUDY_IMPORT_MAX_READINGS)",
            )
        ]


def test_six_million_readings_are_refused_at_once(other_supplier, document):
    _run(document)["milliwatt_hours"] = [1] * 6_000_000
    started = time.perf_counter()

    [(path, message)] = _rejected(other_supplier, document)

    assert time.perf_counter() - started < 1
    assert path == "$.stages[*].metering_points[*].runs"
    assert message.endswith("more than the limit of 5,000,000 (setting STUDY_IMPORT_MAX_READINGS)")


# --- an empty study: a draft to import, not a footprint to compute ----------------------------------------------------


def test_an_empty_study_imports_as_a_draft_and_computing_it_is_refused(other_supplier, document):
    document["materials"], document["fuels"], document["wastes"] = [], [], []
    for stage in document["stages"]:
        for point in stage["metering_points"]:
            point["runs"] = []

    study = study_document_import(organization=other_supplier, document=document)
    assert study.status == StudyStatus.DRAFT

    computation = footprint_compute(computation_id=footprint_request(study=study).pk)

    assert computation.status == ComputationStatus.FAILED
    assert computation.error_code == "incomplete_study"
    assert computation.error_message == (
        "The study has nothing to compute yet: no bill of materials, no electricity readings, no fuel and no "
        "waste. Enter its inputs first."
    )
    assert not FootprintResult.objects.filter(study=study).exists()
    with pytest.raises(IncompleteStudyError):
        footprint_compute_now(study=study)
    with pytest.raises(CommandError, match="nothing to compute yet"):
        call_command("compute_footprint", str(study.pk))


def test_a_study_with_only_a_fuel_is_computed(other_supplier, document):
    document["materials"], document["wastes"], document["stages"] = [], [], []

    study = study_document_import(organization=other_supplier, document=document)

    snapshot, _created = footprint_compute_now(study=study)
    assert snapshot.totals["e"] != "0"


# --- the report: header and language ----------------------------------------------------------------------------------


def test_the_command_reports_the_header_and_every_problem(other_supplier, document, tmp_path):
    document["study"]["description"] = "\x00"
    target = tmp_path / "bad.json"
    target.write_bytes(canonical_bytes(document))
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(_text(document).encode("utf-16"))
    before = table_counts()

    with pytest.raises(CommandError) as raised:
        call_command("import_study", str(target), "--organization", other_supplier.slug)
    with pytest.raises(CommandError) as refused:
        call_command("import_study", str(utf16), "--organization", other_supplier.slug)

    assert str(raised.value) == (
        "The document was not imported:\n"
        "$.study.description: the text holds a NUL character (U+0000) at character 1, which text cannot hold"
    )
    assert str(refused.value) == "The document was not imported:\n$: " + NOT_UTF8 % "UTF-16"
    assert table_counts() == before


def test_a_long_report_lists_a_hundred_problems_and_counts_the_rest(other_supplier, document):
    document["materials"] = [{"material_no": "x"} for _i in range(150)]

    with pytest.raises(DocumentError) as raised:
        plan_import(organization=other_supplier, document=document)

    report = raised.value.report().splitlines()
    assert len(raised.value.errors) > 100
    assert len(report) == 102
    assert report[0] == "The document was not imported:"
    assert report[-1] == f"… and {len(raised.value.errors) - 100} more problems"


def test_messages_and_header_are_in_chinese(other_supplier, document, tmp_path):
    text = _text(document).replace('"declared_unit":"piece"', '"declared_unit":"piece","declared_unit":"piece"', 1)
    document["study"]["description"] = "\x00"
    target = tmp_path / "bad.json"
    target.write_bytes(canonical_bytes(document))
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(_text(document).encode("utf-16"))

    with translation.override("zh-hans"):
        with pytest.raises(CommandError) as raised:
            call_command("import_study", str(target), "--organization", other_supplier.slug)
        with pytest.raises(CommandError) as refused:
            call_command("import_study", str(utf16), "--organization", other_supplier.slug, "--language", "zh-hans")
        with pytest.raises(DocumentError) as duplicated:
            plan_import(organization=other_supplier, document=study_document_parse(text.encode()))
        with override_settings(STUDY_IMPORT_MAX_RUNS=1), pytest.raises(DocumentError) as limited:
            plan_import(organization=other_supplier, document=document)

    assert (
        str(raised.value)
        == "文档未导入：\n$.study.description: 文本在第 1 个字符处含有 NUL 字符（U+0000），文本不能包含它"
    )
    assert (
        str(refused.value) == "文档未导入：\n$: 文件是 UTF-16 编码：研究文档必须是 UTF-8 编码（带或不带字节顺序标记）"
    )
    assert duplicated.value.errors == [("$.study.declared_unit", "此键在其对象中出现了不止一次")]
    assert limited.value.errors == [
        ("$.stages[*].metering_points[*].runs", "文档有 3 个读数段，超过了 1 的上限（设置 STUDY_IMPORT_MAX_RUNS）")
    ]


def test_the_command_speaks_english_when_asked(other_supplier, document, tmp_path):
    target = tmp_path / "utf16.json"
    target.write_bytes(_text(document).encode("utf-16"))

    with translation.override("zh-hans"), pytest.raises(CommandError) as raised:
        call_command("import_study", str(target), "--organization", other_supplier.slug, "--language", "en")

    assert str(raised.value) == "The document was not imported:\n$: " + NOT_UTF8 % "UTF-16"


def test_a_refused_study_leaves_the_organization_without_it(other_supplier, document):
    document["study"]["description"] = "\x00"
    _rejected(other_supplier, document)

    assert not Study.objects.filter(organization=other_supplier).exists()
