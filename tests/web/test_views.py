from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.footprints.services import footprint_compute_now
from tests import factories
from tests.footprints.builders import build_small_study
from tests.web.builders import DOCUMENT, make_computation, make_computed_study, make_result


def test_study_list_anonymous_redirects_to_login(client, supplier, library):
    factories.make_study(supplier, library)

    response = client.get(reverse("web:study-list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_study_list_shows_latest_result_rounded_and_status(member_client, supplier, library):
    study = factories.make_study(supplier, library, name="DDZY meter, January")
    make_computed_study(study)

    response = member_client.get(reverse("web:study-list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "DDZY meter, January" in html
    assert reverse("web:study-detail", args=[study.uuid]) in html
    assert ">1.215<" in html  # E = 1.2151672, shown with 4 significant digits
    assert ">0.8893<" in html  # Em
    assert ">0.3258<" in html  # Ep
    assert "status-succeeded" in html


def test_study_list_shows_failed_computation_with_its_error(member_client, supplier, library):
    study = factories.make_study(supplier, library)
    make_computation(
        study,
        status=ComputationStatus.FAILED,
        error_message="stored text in the worker's language",
        error_params={"line": "material/20", "label": "20. PCB"},
    )

    html = member_client.get(reverse("web:study-list")).content.decode()

    assert "status-failed" in html
    assert "20. PCB (material/20): no emission factor." in html  # worded in the reader's language
    assert "No result yet" in html


def test_failed_computation_is_worded_in_chinese_for_a_chinese_reader(member_client, supplier, library):
    study = factories.make_study(supplier, library)
    make_computation(study, status=ComputationStatus.FAILED, error_params={"line": "material/20", "label": "20. PCB"})
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    html = member_client.get(reverse("web:study-list")).content.decode()

    assert "20. PCB（material/20）" in html
    assert "排放因子" in html


def test_study_list_keeps_previous_result_while_a_computation_is_queued(member_client, supplier, library):
    study = factories.make_study(supplier, library)
    make_computed_study(study)
    make_computation(study, status=ComputationStatus.QUEUED)

    html = member_client.get(reverse("web:study-list")).content.decode()

    assert "status-queued" in html
    assert ">1.215<" in html


def test_study_list_shows_the_snapshot_a_reusing_computation_points_to(member_client, supplier, library):
    study = factories.make_study(supplier, library)
    first = make_result(study, totals={"e": "1.111", "em": "1", "ep": "0.111"})
    make_result(study, totals={"e": "2.222", "em": "2", "ep": "0.222"})  # newer row, inputs since reverted
    FootprintComputation.objects.create(
        organization=supplier,
        study=study,
        status=ComputationStatus.SUCCEEDED,
        result=first,
        reused_existing_result=True,
    )

    html = member_client.get(reverse("web:study-list")).content.decode()

    assert ">1.111<" in html
    assert ">2.222<" not in html


def test_study_list_hides_other_organizations_studies(member_client, supplier, library, other_supplier, other_library):
    make_computed_study(factories.make_study(other_supplier, other_library, name="Competitor secret study"))
    make_computed_study(factories.make_study(supplier, library, name="Our study"))

    html = member_client.get(reverse("web:study-list")).content.decode()

    assert "Our study" in html
    assert "Competitor secret study" not in html


# The home page is the workspace dashboard now: its query-count guard is in tests/web/test_workspace.py.


def test_study_list_user_without_organization_sees_why_it_is_empty(client, supplier, library):
    make_computed_study(factories.make_study(supplier, library, name="Someone's study"))
    staff = get_user_model().objects.create_user(username="operator", password=factories.PASSWORD, is_staff=True)
    client.force_login(staff)

    response = client.get(reverse("web:study-list"))

    assert response.status_code == 200
    assert "belongs to no organization" in response.content.decode()
    assert "Someone&#x27;s study" not in response.content.decode()


def test_study_detail_shows_totals_snapshot_factors_and_breakdown(member_client, supplier, library):
    study = factories.make_study(supplier, library, name="Detail study")
    result = make_computed_study(study)

    response = member_client.get(reverse("web:study-detail", args=[study.uuid]))

    assert response.status_code == 200
    html = response.content.decode()
    for total in ("e", "em", "em_materials", "em_transport", "ep", "eb", "edl", "ew"):
        assert f'data-total="{total}"' in html
    assert ">0.3103<" in html  # Edl = 0.31025, rounded half up for display
    assert html.count('class="breakdown-row') == 5
    assert "Printed circuit board" in html
    assert "Test library@t1/material.pcb" in html
    assert html.count('class="factor-row"') == 5  # no document factors stored: one per factor in the breakdown
    assert "kg CO2e/(t*km)" in html  # the unit as people read it
    assert 'title="0.1016 kgCO2e/(t*km)"' in html  # the factor exactly as stored
    assert "Measured primary data" in html
    assert result.digest in html
    assert result.method_version in html
    assert result.engine_version in html
    assert "26.8 %" in html  # primary_data_share 0.2681234


def test_study_detail_lists_the_factors_of_the_snapshots_inputs(member_client, supplier, library):
    study = factories.make_study(supplier, library)
    make_computed_study(study, document=DOCUMENT)

    html = member_client.get(reverse("web:study-detail", args=[study.uuid])).content.decode()

    assert html.count('class="factor-row"') == 2  # the PCB factor and the hourly grid series
    assert "印制电路板 / printed circuit board" in html
    assert "Illustrative PCB factor, test citation" in html
    assert "East China hourly" in html
    assert "AR6" in html


def test_study_detail_of_another_organization_is_404(member_client, supplier, library, other_supplier, other_library):
    foreign = factories.make_study(other_supplier, other_library, name="Competitor secret study")
    make_computed_study(foreign)

    response = member_client.get(reverse("web:study-detail", args=[foreign.uuid]))

    assert response.status_code == 404
    assert b"Competitor secret study" not in response.content


def test_study_detail_without_result_says_so(member_client, supplier, library):
    study = factories.make_study(supplier, library)
    make_computation(study, status=ComputationStatus.RUNNING)

    response = member_client.get(reverse("web:study-detail", args=[study.uuid]))

    assert response.status_code == 200
    assert "status-running" in response.content.decode()
    assert "No result yet" in response.content.decode()


def test_study_detail_times_are_in_the_organizations_time_zone(member_client, supplier, library):
    study = factories.make_study(supplier, library)
    result = make_computed_study(study)
    FootprintResult.objects.filter(pk=result.pk).update(created_at=datetime(2025, 3, 1, 0, 30, tzinfo=UTC))
    url = reverse("web:study-detail", args=[study.uuid])

    shanghai = member_client.get(url).content.decode()
    supplier.timezone = "Europe/London"
    supplier.save()
    london = member_client.get(url).content.decode()

    assert "2025-03-01 08:30:00 CST" in shanghai
    assert "2025-03-01 00:30:00 GMT" in london


def test_pages_start_in_chinese_and_follow_the_chosen_language(member_client: Client, supplier, library):
    factories.make_study(supplier, library)
    del member_client.cookies[settings.LANGUAGE_COOKIE_NAME]

    chinese = member_client.get(reverse("web:study-list")).content.decode()
    member_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = member_client.get(reverse("web:study-list")).content.decode()

    with translation.override("zh-hans"):
        chinese_heading = translation.gettext("Footprint studies")
    assert '<html lang="zh-hans">' in chinese
    assert f"<h1>{chinese_heading}</h1>" in chinese
    assert '<html lang="en">' in english
    assert "<h1>Footprint studies</h1>" in english


def test_study_detail_shows_a_snapshot_stored_by_the_compute_service(member_client, supplier, library):
    study = build_small_study(supplier, library, name="Computed for real")
    footprint_compute_now(study=study)  # no computation row: the page falls back to the newest snapshot

    html = member_client.get(reverse("web:study-detail", args=[study.uuid])).content.decode()

    assert ">4.143<" in html  # E = 4.14288 (tests/footprints/builders.py)
    assert html.count('class="breakdown-row') == 8  # 3 materials, 1 transport leg, 2 stages, 1 fuel, 1 waste
    assert html.count('class="factor-row"') == 7
    assert f"{library.dataset.name}@{library.dataset.version}" in html
    assert "Not computed" in html
