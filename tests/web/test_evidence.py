"""The evidence tab: list, upload (page form and the compact include), delete, download; who may do what."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.enums import Role
from apps.evidence.enums import EvidenceKind
from apps.evidence.models import EvidenceFile
from apps.evidence.services import evidence_add
from apps.inventory.enums import StudyStatus
from tests import factories
from tests.evidence.builders import PDF, PNG, make_targets, stored_files, upload, use_tmp_media

SECRET = "QQ-foreign-secret"


@pytest.fixture
def media(settings, tmp_path):
    return use_tmp_media(settings, tmp_path)


@pytest.fixture
def targets(supplier, library):
    return make_targets(supplier, library, name="DDZY meter 2025")


def _add(targets, user, name="invoice.pdf", content=PDF, **kwargs) -> EvidenceFile:
    return evidence_add(
        study=targets.study, upload=upload(name, content), kind=EvidenceKind.INVOICE, user=user, **kwargs
    )


def _client(organization, role=Role.EDITOR, username=None) -> tuple[Client, object]:
    user = factories.make_member(organization, role=role, username=username)
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client, user


def _list_url(study) -> str:
    return reverse("web:study-evidence", args=[study.uuid])


def _add_url(study) -> str:
    return reverse("web:evidence-add", args=[study.uuid])


# -- the list ------------------------------------------------------------------------------------------


def test_the_list_shows_each_file_with_its_target_size_uploader_time_and_hash(media, member_client, member, targets):
    line_file = _add(targets, member, name="pcb-certificate.pdf", target=targets.line, description="From Shengyi")
    fuel_file = _add(targets, member, name="diesel.png", content=PNG, target=targets.fuel)
    EvidenceFile.objects.filter(pk=line_file.pk).update(created_at=datetime(2025, 2, 3, 1, 30, tzinfo=UTC))

    response = member_client.get(_list_url(targets.study))

    assert response.status_code == 200
    html = response.content.decode()
    assert "pcb-certificate.pdf" in html and "From Shengyi" in html
    assert "Material 20 printed circuit board" in html
    assert "Fuel: fuel.diesel 120 kg" in html  # the test library names its factors by code
    assert "Invoice" in html
    assert f"{len(PDF)}\xa0bytes" in html  # filesizeformat
    assert member.username in html
    assert "2025-02-03 09:30" in html  # 01:30 UTC shown in Asia/Shanghai
    assert hashlib.sha256(PDF).hexdigest()[:12] in html
    assert reverse("web:evidence-download", args=[line_file.uuid]) in html
    assert reverse("web:evidence-download", args=[fuel_file.uuid]) in html
    assert "/media/" not in html  # never a public media URL
    assert 'aria-current="page"' in html and ">Evidence<" in html


def test_the_upload_form_lists_the_studys_rows_as_targets(media, member_client, targets):
    html = member_client.get(_list_url(targets.study)).content.decode()

    assert f'value="bom_line:{targets.line.pk}"' in html
    assert f'value="transport_leg:{targets.leg.pk}"' in html
    assert "Transport of Material 20 printed circuit board: Road, heavy goods vehicle, 100 km" in html
    assert f'value="study_stage:{targets.stage.pk}"' in html and "Stage 5. reflow soldering" in html
    assert f'value="fuel_entry:{targets.fuel.pk}"' in html
    assert f'value="waste_entry:{targets.waste.pk}"' in html and "Waste: waste.landfill 5 kg" in html
    assert f'value="factor:{targets.own_factor.pk}"' in html and "PCB from our supplier (0.75 kgCO2e/piece)" in html
    assert "The study as a whole" in html


def test_the_list_page_makes_the_same_queries_for_7_and_21_files(
    media, member_client, member, targets, django_assert_max_num_queries
):
    every_kind = [targets.line, targets.leg, targets.stage, targets.fuel, targets.waste, targets.own_factor, None]
    for target in every_kind:
        _add(targets, member, target=target)
    with CaptureQueriesContext(connection) as few:
        member_client.get(_list_url(targets.study))
    for target in every_kind * 2:
        _add(targets, member, target=target)
    assert EvidenceFile.objects.count() == 21

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = member_client.get(_list_url(targets.study))

    assert response.content.decode().count('href="/evidence/') == 21
    assert len(few.captured_queries) <= 25


# -- upload --------------------------------------------------------------------------------------------


def test_upload_from_the_page_stores_the_file_on_its_target_and_redirects(media, member_client, member, targets):
    response = member_client.post(
        _add_url(targets.study),
        {
            "file": upload("发票.pdf", PDF),
            "kind": EvidenceKind.INVOICE,
            "description": "January diesel",
            "target": f"fuel_entry:{targets.fuel.pk}",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == _list_url(targets.study)
    evidence = EvidenceFile.objects.get()
    assert (evidence.fuel_entry, evidence.original_name, evidence.description) == (
        targets.fuel,
        "发票.pdf",
        "January diesel",
    )
    assert evidence.uploaded_by == member
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert len(stored_files(media)) == 1
    page = member_client.get(response["Location"]).content.decode()
    assert "Evidence file “发票.pdf” added." in page


def test_upload_from_the_compact_form_of_another_page_returns_there(media, member_client, targets):
    next_url = reverse("web:study-detail", args=[targets.study.uuid]) + "?tab=bom"

    response = member_client.post(
        _add_url(targets.study),
        {
            "file": upload("cert.pdf", PDF),
            "kind": EvidenceKind.UPSTREAM_CERTIFICATE,
            "target_kind": "bom_line",
            "target_id": str(targets.line.pk),
            "next": next_url,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == next_url
    evidence = EvidenceFile.objects.get()
    assert evidence.bom_line == targets.line
    assert evidence.kind == EvidenceKind.UPSTREAM_CERTIFICATE


def test_an_outside_next_url_is_not_followed(media, member_client, targets):
    response = member_client.post(
        _add_url(targets.study), {"file": upload("a.pdf", PDF), "kind": "other", "next": "https://evil.example/x"}
    )

    assert response["Location"] == _list_url(targets.study)


def _assert_refused_at(response, field: str, message: str, media) -> None:
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(rf'<p class="field field-{field}">(.*?)</p>', html, re.S)
    assert match is not None, f"no field {field}"
    assert f'<span class="error-message">{message}</span>' in match.group(1)
    assert EvidenceFile.objects.count() == 0
    assert stored_files(media) == []


def test_an_oversized_file_is_refused_at_the_file_field_and_nothing_is_stored(media, member_client, targets, settings):
    settings.EVIDENCE_MAX_BYTES = 2 * 1024 * 1024
    big = PDF + b"0" * (3 * 1024 * 1024 - len(PDF))

    response = member_client.post(_add_url(targets.study), {"file": upload("scan.pdf", big), "kind": "invoice"})

    _assert_refused_at(response, "file", "The file is 3 MB; files of at most 2 MB are accepted.", media)


def test_a_wrong_type_is_refused_at_the_file_field(media, member_client, targets):
    response = member_client.post(_add_url(targets.study), {"file": upload("scan.pdf", PNG), "kind": "invoice"})

    _assert_refused_at(
        response,
        "file",
        "The file&#x27;s name ends in .pdf but its content is a PNG image. Rename it or upload the right file.",
        media,
    )


def test_an_svg_is_refused_naming_the_allowed_types(media, member_client, targets):
    response = member_client.post(
        _add_url(targets.study), {"file": upload("x.svg", b"<svg><script>alert(1)</script></svg>"), "kind": "other"}
    )

    _assert_refused_at(
        response,
        "file",
        "Files of type .svg are not accepted. Allowed types: PDF, PNG, JPEG, Excel workbook (.xlsx), CSV or plain "
        "text (.txt).",
        media,
    )


def test_a_missing_file_is_refused(media, member_client, targets):
    response = member_client.post(_add_url(targets.study), {"kind": "invoice"})

    _assert_refused_at(response, "file", "This field is required.", media)


def test_an_empty_file_is_refused(media, member_client, targets):
    response = member_client.post(_add_url(targets.study), {"file": upload("a.pdf", b""), "kind": "invoice"})

    _assert_refused_at(response, "file", "The file is empty.", media)


def test_an_unknown_kind_is_refused(media, member_client, targets):
    response = member_client.post(_add_url(targets.study), {"file": upload("a.pdf", PDF), "kind": "selfie"})

    _assert_refused_at(response, "kind", "Select a valid choice. selfie is not one of the available choices.", media)


def test_a_description_too_long_is_refused(media, member_client, targets):
    response = member_client.post(
        _add_url(targets.study), {"file": upload("a.pdf", PDF), "kind": "other", "description": "x" * 301}
    )

    _assert_refused_at(response, "description", "Ensure this value has at most 300 characters (it has 301).", media)


def test_a_row_of_another_study_posted_by_hand_is_refused(media, member_client, supplier, library, targets):
    other = make_targets(supplier, library)

    response = member_client.post(
        _add_url(targets.study), {"file": upload("a.pdf", PDF), "kind": "other", "target": f"bom_line:{other.line.pk}"}
    )

    _assert_refused_at(
        response,
        "target",
        f"Select a valid choice. bom_line:{other.line.pk} is not one of the available choices.",
        media,
    )


@pytest.mark.parametrize(
    ("target_kind", "target_id"),
    [("bom_line", "999999"), ("fuel_entry", "abc"), ("study", "1"), ("factor", "-1"), ("bom_line", "")],
)
def test_a_bad_hidden_target_is_refused(media, member_client, targets, target_kind, target_id):
    response = member_client.post(
        _add_url(targets.study),
        {"file": upload("a.pdf", PDF), "kind": "other", "target_kind": target_kind, "target_id": target_id},
    )

    _assert_refused_at(
        response, "target", "Select a valid choice. That choice is not one of the available choices.", media
    )


def test_another_organizations_factor_posted_by_hand_is_refused(media, member_client, targets, other_supplier):
    foreign = make_targets(other_supplier, factories.make_library(organization=other_supplier))

    response = member_client.post(
        _add_url(targets.study),
        {"file": upload("a.pdf", PDF), "kind": "other", "target_kind": "factor", "target_id": foreign.own_factor.pk},
    )

    _assert_refused_at(
        response, "target", "Select a valid choice. That choice is not one of the available choices.", media
    )


def test_a_submitted_study_shows_no_form_and_refuses_an_upload(media, member_client, targets):
    targets.study.status = StudyStatus.SUBMITTED
    targets.study.save()

    page = member_client.get(_list_url(targets.study)).content.decode()
    response = member_client.post(_add_url(targets.study), {"file": upload("a.pdf", PDF), "kind": "other"})

    assert "evidence-form" not in page
    assert "This study can no longer be changed" in page
    assert response.status_code == 200
    assert "This study is Submitted: its data can no longer be changed." in response.content.decode()
    assert EvidenceFile.objects.count() == 0
    assert stored_files(media) == []


# -- delete --------------------------------------------------------------------------------------------


def test_an_editor_deletes_a_file(media, member_client, member, targets, django_capture_on_commit_callbacks):
    evidence = _add(targets, member)

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(reverse("web:evidence-delete", args=[targets.study.uuid, evidence.uuid]))

    assert response.status_code == 302
    assert EvidenceFile.objects.count() == 0
    assert stored_files(media) == []
    assert EvidenceFile.history.filter(history_type="-", history_user=member).count() == 1


def test_delete_of_another_studys_file_through_this_study_is_a_404(
    media, member_client, member, supplier, library, targets
):
    other = make_targets(supplier, library)
    evidence = evidence_add(study=other.study, upload=upload("a.pdf", PDF), kind="other", user=member)

    response = member_client.post(reverse("web:evidence-delete", args=[targets.study.uuid, evidence.uuid]))

    assert response.status_code == 404
    assert EvidenceFile.objects.count() == 1


# -- download ------------------------------------------------------------------------------------------


def test_the_owner_downloads_the_exact_bytes_as_an_attachment(media, member_client, member, targets):
    evidence = _add(targets, member, name="meter.png", content=PNG)

    response = member_client.get(reverse("web:evidence-download", args=[evidence.uuid]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="meter.png"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_chinese_file_name_is_sent_rfc5987_encoded(media, member_client, member, targets):
    evidence = _add(targets, member, name="发票 一月.pdf")

    response = member_client.get(reverse("web:evidence-download", args=[evidence.uuid]))

    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('发票 一月.pdf')}"
    assert quote("发票 一月.pdf") == "%E5%8F%91%E7%A5%A8%20%E4%B8%80%E6%9C%88.pdf"
    assert b"".join(response.streaming_content) == PDF


def test_a_file_missing_from_storage_is_a_404_not_an_error(media, member_client, member, targets):
    evidence = _add(targets, member)
    for path in stored_files(media):
        path.unlink()

    assert member_client.get(reverse("web:evidence-download", args=[evidence.uuid])).status_code == 404


def test_an_unknown_file_is_a_404(member_client, targets):
    from uuid import uuid4

    assert member_client.get(reverse("web:evidence-download", args=[uuid4()])).status_code == 404


# -- who may do what -----------------------------------------------------------------------------------


@pytest.fixture
def foreign(media, other_supplier, other_library):
    """Another supplier's study with a file, its names marked with SECRET."""
    targets = make_targets(other_supplier, other_library, name=f"{SECRET} study")
    user = factories.make_member(other_supplier, username="foreign-editor")
    evidence = evidence_add(
        study=targets.study, upload=upload(f"{SECRET}.pdf", PDF), kind="invoice", description=SECRET, user=user
    )
    return targets, evidence


def test_another_organization_gets_404_everywhere_and_learns_nothing(media, member_client, foreign):
    targets, evidence = foreign
    before = (EvidenceFile.objects.count(), len(stored_files(media)))

    responses = [
        member_client.get(reverse("web:evidence-download", args=[evidence.uuid])),
        member_client.get(_list_url(targets.study)),
        member_client.post(_add_url(targets.study), {"file": upload("a.pdf", PDF), "kind": "other"}),
        member_client.post(reverse("web:evidence-delete", args=[targets.study.uuid, evidence.uuid])),
        member_client.get(reverse("web:study-timeline", args=[targets.study.uuid])),
    ]

    for response in responses:
        assert response.status_code == 404
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET.encode() not in body
        assert PDF not in body
    assert (EvidenceFile.objects.count(), len(stored_files(media))) == before


def test_own_study_with_another_organizations_file_id_is_a_404(media, member_client, targets, foreign):
    _targets, evidence = foreign

    response = member_client.post(reverse("web:evidence-delete", args=[targets.study.uuid, evidence.uuid]))

    assert response.status_code == 404
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists()


def test_a_viewer_may_list_and_download_but_not_add_or_delete(media, supplier, member, targets):
    evidence = _add(targets, member)
    viewer, _user = _client(supplier, role=Role.VIEWER)

    page = viewer.get(_list_url(targets.study))
    download = viewer.get(reverse("web:evidence-download", args=[evidence.uuid]))
    added = viewer.post(_add_url(targets.study), {"file": upload("b.pdf", PDF), "kind": "other"})
    deleted = viewer.post(reverse("web:evidence-delete", args=[targets.study.uuid, evidence.uuid]))

    assert page.status_code == 200
    assert "invoice.pdf" in page.content.decode()
    assert "evidence-form" not in page.content.decode()
    assert "Delete" not in page.content.decode()
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert added.status_code == 403
    assert deleted.status_code == 403
    assert EvidenceFile.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_anonymous_is_sent_to_log_in(media, client, member, targets):
    evidence = _add(targets, member)

    response = client.get(reverse("web:evidence-download", args=[evidence.uuid]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_download_takes_get_only(media, member_client, member, targets):
    evidence = _add(targets, member)

    assert member_client.post(reverse("web:evidence-download", args=[evidence.uuid])).status_code == 405


# -- the include for other pages ----------------------------------------------------------------------


def test_the_attach_include_posts_one_target_with_every_kind(targets):
    request = RequestFactory().get("/studies/x/bom/")
    html = render_to_string(
        "web/evidence/_attach.html",
        {"study": targets.study, "attach_target_kind": "bom_line", "attach_target_id": targets.line.pk},
        request=request,
    )

    assert f'action="{_add_url(targets.study)}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="target_kind" value="bom_line"' in html
    assert f'name="target_id" value="{targets.line.pk}"' in html
    assert 'name="next" value="/studies/x/bom/"' in html
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', html)
    assert [(value, label.replace("&#x27;", "'")) for value, label in options] == [
        (value, str(label)) for value, label in EvidenceKind.choices
    ]


def test_a_chinese_reader_sees_the_chinese_names_of_the_targets(media, member_client, member, targets):
    _add(targets, member, target=targets.line)
    member_client.cookies["django_language"] = "zh-hans"

    html = member_client.get(_list_url(targets.study)).content.decode()

    assert "印制电路板" in html
    assert "printed circuit board" not in html
    assert "回流焊" in html  # stage 5 in the target choices
