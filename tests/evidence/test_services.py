"""evidence_add and evidence_delete: every refused file leaves no row and no stored file."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.evidence.enums import EvidenceKind
from apps.evidence.models import EvidenceFile
from apps.evidence.services import evidence_add, evidence_delete
from apps.inventory.enums import StudyStatus
from tests import factories
from tests.evidence.builders import CSV, JPEG, PDF, PNG, make_targets, stored_files, upload, xlsx_bytes, zip_bytes

ALLOWED = "Allowed types: PDF, PNG, JPEG, Excel workbook (.xlsx), CSV or plain text (.txt)."


@pytest.fixture
def targets(supplier, library):
    return make_targets(supplier, library)


@pytest.fixture
def editor(supplier):
    return factories.make_member(supplier, username="li.ming")


def _refused(study, name: str, content: bytes, user, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        evidence_add(study=study, upload=upload(name, content), kind=EvidenceKind.INVOICE, user=user, **kwargs)
    return caught.value.message_dict


# -- accepted files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("invoice.pdf", PDF, "application/pdf"),
        ("meter-label.PNG", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("bom.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("readings.csv", CSV, "text/csv; charset=utf-8"),
        ("notes.txt", b"calibrated 2025-01-03\n", "text/plain; charset=utf-8"),
    ],
)
def test_an_accepted_file_is_stored_with_its_hash_type_and_size(media, targets, editor, name, content, content_type):
    evidence = evidence_add(
        study=targets.study, upload=upload(name, content), kind=EvidenceKind.INVOICE, description=" Jan ", user=editor
    )

    evidence.refresh_from_db()
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size_bytes == len(content)
    assert evidence.content_type == content_type
    assert evidence.original_name == name
    assert evidence.description == "Jan"
    assert evidence.uploaded_by == editor
    assert evidence.organization == targets.study.organization
    assert evidence.target_field is None
    # evidence/<organization id>/<year>/<uuid><ext>: never the uploader's name
    extension = name[name.rindex(".") :].lower()
    assert evidence.file.name == (
        f"evidence/{targets.study.organization_id}/{timezone.now():%Y}/{evidence.uuid}{extension}"
    )
    (stored,) = stored_files(media)
    assert stored.read_bytes() == content
    assert stored.name == f"{evidence.uuid}{extension}"


def test_the_hash_is_of_the_whole_file_when_it_is_read_in_chunks(media, targets, editor):
    content = PDF + bytes(range(256)) * 1000  # 256 kB: four chunks of 64 kB
    evidence = evidence_add(study=targets.study, upload=upload("big.pdf", content), kind="other", user=editor)

    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size_bytes == 256_000 + len(PDF)


def test_a_chinese_file_name_is_kept_for_download_but_not_used_in_the_path(media, targets, editor):
    evidence = evidence_add(
        study=targets.study, upload=upload("发票 2025年1月.pdf", PDF), kind=EvidenceKind.INVOICE, user=editor
    )

    assert evidence.original_name == "发票 2025年1月.pdf"
    assert "发票" not in evidence.file.name
    assert re.fullmatch(r"evidence/\d+/\d{4}/[0-9a-f-]{36}\.pdf", evidence.file.name)


@pytest.mark.parametrize("attribute", ["line", "leg", "stage", "fuel", "waste", "own_factor"])
def test_a_file_is_attached_to_a_row_of_the_study(media, targets, editor, attribute):
    target = getattr(targets, attribute)

    evidence = evidence_add(study=targets.study, upload=upload("a.pdf", PDF), kind="other", target=target, user=editor)

    field = evidence.target_field
    assert field is not None
    assert getattr(evidence, field) == target
    assert [value for value in evidence.target_values().values() if value is not None] == [target.pk]


def test_adding_records_the_uploader_in_the_history(media, targets, editor):
    evidence = evidence_add(study=targets.study, upload=upload("a.pdf", PDF), kind="other", user=editor)

    (record,) = evidence.history.all()
    assert record.history_type == "+"
    assert record.history_user == editor


# -- refused files: a specific message at "file", no row, no stored file -----------------------------


def _assert_nothing_stored(media) -> None:
    assert EvidenceFile.objects.count() == 0
    assert EvidenceFile.history.count() == 0
    assert stored_files(media) == []


def test_a_file_above_the_limit_is_refused_with_the_limit_and_its_size_in_mb(media, targets, editor, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024  # 1 MB
    content = PDF + b"0" * (1024 * 1024 + 524_288 - len(PDF))  # 1.5 MB

    errors = _refused(targets.study, "scan.pdf", content, editor)

    assert errors == {"file": ["The file is 1.5 MB; files of at most 1 MB are accepted."]}
    _assert_nothing_stored(media)


def test_a_file_one_byte_above_a_small_limit_is_refused(media, targets, editor, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    content = PDF + b"0" * (101 - len(PDF))

    errors = _refused(targets.study, "scan.pdf", content, editor)

    # 101 / 1048576 = 0.0000963211 -> 0.0000963; 100 / 1048576 = 0.0000953674 -> 0.0000954
    assert errors == {"file": ["The file is 0.0000963 MB; files of at most 0.0000954 MB are accepted."]}
    _assert_nothing_stored(media)


def test_a_file_exactly_at_the_limit_is_accepted(media, targets, editor, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    content = PDF + b"0" * (100 - len(PDF))

    evidence = evidence_add(study=targets.study, upload=upload("scan.pdf", content), kind="other", user=editor)

    assert evidence.size_bytes == 100


def test_an_empty_file_is_refused(media, targets, editor):
    assert _refused(targets.study, "empty.pdf", b"", editor) == {"file": ["The file is empty."]}
    _assert_nothing_stored(media)


RENAME = "Rename it or upload the right file."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", b"just some text", "The content of this file is not a PDF document, as its name (.pdf) says."),
        ("label.png", PDF, f"The file's name ends in .png but its content is a PDF document. {RENAME}"),
        ("scan.pdf", PNG, f"The file's name ends in .pdf but its content is a PNG image. {RENAME}"),
        ("photo.jpg", PNG, f"The file's name ends in .jpg but its content is a PNG image. {RENAME}"),
        ("data.csv", PNG, f"The file's name ends in .csv but its content is a PNG image. {RENAME}"),
        ("bom.xlsx", PDF, f"The file's name ends in .xlsx but its content is a PDF document. {RENAME}"),
        (
            "scan.pdf",
            xlsx_bytes(),
            f"The file's name ends in .pdf but its content is an Excel workbook (.xlsx). {RENAME}",
        ),
        (
            "bom.xlsx",
            b"material,quantity\nPCB,1\n",
            "The content of this file is not an Excel workbook (.xlsx), as its name (.xlsx) says.",
        ),
    ],
)
def test_a_file_whose_content_does_not_match_its_name_is_refused(media, targets, editor, name, content, message):
    assert _refused(targets.study, name, content, editor) == {"file": [message]}
    _assert_nothing_stored(media)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("old.xls", "Old Excel files (.xls) are not accepted: save the workbook as .xlsx and upload it again."),
        ("macro.xlsm", "Files with macros (.xlsm) are not accepted: save the workbook as .xlsx without macros."),
        ("logo.svg", "Files of type .svg are not accepted."),
        ("page.html", "Files of type .html are not accepted."),
        ("setup.exe", "Files of type .exe are not accepted."),
        ("README", "The file name has no extension."),
    ],
)
def test_a_type_that_is_not_accepted_is_refused_naming_the_allowed_types(media, targets, editor, name, message):
    # Whatever the content: an .xls is refused even if its bytes would pass as something else.
    assert _refused(targets.study, name, PDF, editor) == {"file": [f"{message} {ALLOWED}"]}
    _assert_nothing_stored(media)


def test_an_svg_with_a_script_is_refused(media, targets, editor):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    assert _refused(targets.study, "drawing.svg", svg, editor) == {
        "file": [f"Files of type .svg are not accepted. {ALLOWED}"]
    }
    _assert_nothing_stored(media)


def test_a_workbook_with_macros_named_xlsx_is_refused(media, targets, editor):
    content = zip_bytes(["[Content_Types].xml", "xl/workbook.xml", "xl/vbaProject.bin"])

    errors = _refused(targets.study, "bom.xlsx", content, editor)

    assert errors == {"file": ["This workbook contains macros and is not accepted: save it as .xlsx without macros."]}
    _assert_nothing_stored(media)


def test_a_word_document_named_xlsx_is_refused(media, targets, editor):
    content = zip_bytes(["[Content_Types].xml", "word/document.xml"])

    errors = _refused(targets.study, "bom.xlsx", content, editor)

    assert errors == {"file": ["The content of this file is not a valid Excel workbook (.xlsx)."]}
    _assert_nothing_stored(media)


def test_a_broken_zip_named_xlsx_is_refused(media, targets, editor):
    errors = _refused(targets.study, "bom.xlsx", b"PK\x03\x04" + b"\x00" * 40, editor)

    assert errors == {"file": ["The content of this file is not a valid Excel workbook (.xlsx)."]}
    _assert_nothing_stored(media)


def test_a_csv_that_is_not_utf8_is_refused(media, targets, editor):
    errors = _refused(targets.study, "readings.csv", "材料,数量\n".encode("gbk"), editor)

    assert errors == {
        "file": ["This text file is not UTF-8 encoded: save it as UTF-8 (CSV UTF-8 in Excel) and upload again."]
    }
    _assert_nothing_stored(media)


def test_a_text_file_with_nul_bytes_is_refused(media, targets, editor):
    errors = _refused(targets.study, "notes.txt", b"abc\x00def", editor)

    assert errors == {"file": ["This is not a text file: it contains binary data."]}
    _assert_nothing_stored(media)


def test_a_utf8_character_split_across_chunks_is_accepted(media, targets, editor):
    content = b"a" * (64 * 1024 - 1) + "数".encode()  # the 3-byte character straddles the chunk boundary

    evidence = evidence_add(study=targets.study, upload=upload("notes.txt", content), kind="other", user=editor)

    assert evidence.sha256 == hashlib.sha256(content).hexdigest()


# -- refused targets and studies ---------------------------------------------------------------------


def test_a_row_of_another_study_is_refused_as_target(media, supplier, library, targets, editor):
    other = make_targets(supplier, library)

    for target in (other.line, other.leg, other.stage, other.fuel, other.waste):
        errors = _refused(targets.study, "a.pdf", PDF, editor, target=target)
        assert errors == {"target": ["Select a valid choice. That choice is not one of the available choices."]}
    _assert_nothing_stored(media)


def test_another_organizations_factor_and_a_library_factor_are_refused_as_target(
    media, targets, editor, library, other_supplier
):
    foreign = make_targets(other_supplier, factories.make_library(organization=other_supplier))

    for factor in (foreign.own_factor, library.pcb):
        errors = _refused(targets.study, "a.pdf", PDF, editor, target=factor)
        assert errors == {"target": ["Select a valid choice. That choice is not one of the available choices."]}
    _assert_nothing_stored(media)


def test_a_bad_kind_is_refused_before_the_file_is_stored(media, targets, editor):
    with pytest.raises(ValidationError) as caught:
        evidence_add(study=targets.study, upload=upload("a.pdf", PDF), kind="photo", user=editor)

    assert caught.value.message_dict == {"kind": ["Value 'photo' is not a valid choice."]}
    _assert_nothing_stored(media)


@pytest.mark.parametrize("status", [StudyStatus.SUBMITTED, StudyStatus.UNDER_REVIEW, StudyStatus.ACCEPTED])
def test_a_study_that_cannot_be_edited_takes_no_file(media, targets, editor, status):
    targets.study.status = status
    targets.study.save()

    with pytest.raises(ValidationError) as caught:
        evidence_add(study=targets.study, upload=upload("a.pdf", PDF), kind="other", user=editor)

    label = {
        StudyStatus.SUBMITTED: "Submitted",
        StudyStatus.UNDER_REVIEW: "Under review",
        StudyStatus.ACCEPTED: "Accepted",
    }
    assert caught.value.messages == [f"This study is {label[status]}: its data can no longer be changed."]
    _assert_nothing_stored(media)


def test_a_returned_study_takes_a_file(media, targets, editor):
    targets.study.status = StudyStatus.RETURNED
    targets.study.save()

    evidence_add(study=targets.study, upload=upload("a.pdf", PDF), kind="other", user=editor)

    assert EvidenceFile.objects.count() == 1


def test_the_database_refuses_two_targets(media, targets):
    evidence = EvidenceFile(
        organization=targets.study.organization,
        study=targets.study,
        bom_line=targets.line,
        fuel_entry=targets.fuel,
        file="evidence/x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
    )

    with pytest.raises(ValidationError) as caught:
        evidence.full_clean()

    assert caught.value.messages == ["An evidence file is attached to at most one line, entry, stage or factor."]


# -- delete --------------------------------------------------------------------------------------------


def test_delete_removes_the_row_and_after_commit_the_file_and_keeps_the_history(
    media, targets, editor, django_capture_on_commit_callbacks
):
    evidence = evidence_add(study=targets.study, upload=upload("a.pdf", PDF), kind="other", user=editor)
    assert len(stored_files(media)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(evidence=evidence, user=editor)

    assert EvidenceFile.objects.count() == 0
    assert stored_files(media) == []
    deleted = EvidenceFile.history.get(history_type="-")
    assert (deleted.original_name, deleted.sha256, deleted.history_user) == (
        "a.pdf",
        hashlib.sha256(PDF).hexdigest(),
        editor,
    )


def test_delete_in_a_submitted_study_is_refused_and_keeps_the_file(media, targets, editor):
    evidence = evidence_add(study=targets.study, upload=upload("a.pdf", PDF), kind="other", user=editor)
    targets.study.status = StudyStatus.SUBMITTED
    targets.study.save()

    with pytest.raises(ValidationError):
        evidence_delete(evidence=evidence, user=editor)

    assert EvidenceFile.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_deleting_the_target_line_keeps_the_file_on_the_study(media, targets, editor):
    evidence = evidence_add(
        study=targets.study, upload=upload("a.pdf", PDF), kind="other", target=targets.line, user=editor
    )

    targets.line.delete()

    evidence.refresh_from_db()
    assert evidence.target_field is None
    assert evidence.study == targets.study
