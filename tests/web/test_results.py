"""Computing from the page (web:study-compute), the live status fragment (web:study-status) and the overview's
checks panel and result section."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.enums import Role
from apps.catalog.models import ProcessStage
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation
from apps.inventory.models import StudyStage
from tests import factories
from tests.footprints.check_builders import complete_study
from tests.web.builders import DOCUMENT, make_computation, make_computed_study

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def compute_url(study) -> str:
    return reverse("web:study-compute", args=[study.uuid])


def status_url(study) -> str:
    return reverse("web:study-status", args=[study.uuid])


def overview_url(study) -> str:
    return reverse("web:study-detail", args=[study.uuid])


# --- compute -----------------------------------------------------------------------------------------------------


def test_an_editor_queues_a_computation_and_comes_back_to_its_status(member_client, member, supplier, library):
    study = complete_study(supplier, library)

    response = member_client.post(compute_url(study))

    assert response.status_code == 302
    assert response["Location"] == f"{overview_url(study)}#computation"
    computation = FootprintComputation.objects.get(study=study)
    assert computation.status == ComputationStatus.QUEUED
    assert computation.requested_by == member
    assert computation.organization == supplier
    page = member_client.get(response["Location"]).content.decode()
    assert "status-queued" in page
    assert 'hx-trigger="every 1s"' in page
    assert "The computation is queued" in page


def test_an_htmx_compute_returns_the_polling_status_fragment(member_client, supplier, library):
    study = complete_study(supplier, library)

    response = member_client.post(compute_url(study), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="computation"' in html
    assert f'hx-get="{status_url(study)}?polling=1"' in html
    assert 'hx-trigger="every 1s"' in html
    assert "status-queued" in html
    assert "<html" not in html  # a fragment, not a page
    assert FootprintComputation.objects.filter(study=study, status=ComputationStatus.QUEUED).count() == 1


def test_a_second_click_while_queued_queues_nothing_more(member_client, supplier, library):
    study = complete_study(supplier, library)
    member_client.post(compute_url(study))

    member_client.post(compute_url(study))

    assert FootprintComputation.objects.filter(study=study).count() == 1


def test_a_blocked_study_is_refused_and_nothing_is_queued(member_client, supplier, library):
    study = factories.make_study(supplier, library, stage_nos=(4,))  # no bill of materials, no electricity

    response = member_client.post(compute_url(study))

    assert response.status_code == 409
    html = response.content.decode()
    assert "Nothing was computed: fix the blocking problems below first." in html
    assert 'data-code="material_missing_quantity"' in html
    assert 'data-code="stage_electricity_gap"' in html
    assert FootprintComputation.objects.count() == 0


def test_a_blocked_htmx_compute_reloads_the_page_and_queues_nothing(member_client, supplier, library):
    study = factories.make_study(supplier, library)

    response = member_client.post(compute_url(study), **HTMX)

    assert response.status_code == 409
    assert response["HX-Refresh"] == "true"
    assert FootprintComputation.objects.count() == 0


def test_a_viewer_may_not_compute(client, supplier, library):
    study = complete_study(supplier, library)
    client.force_login(factories.make_member(supplier, role=Role.VIEWER))

    response = client.post(compute_url(study))

    assert response.status_code == 403
    assert FootprintComputation.objects.count() == 0
    assert "compute-button" not in client.get(overview_url(study)).content.decode()


def test_another_organizations_study_is_404_to_compute_and_status(member_client, other_supplier, other_library):
    foreign = complete_study(other_supplier, other_library, name="Competitor secret study")
    make_computed_study(foreign)

    for response in (
        member_client.post(compute_url(foreign)),
        member_client.post(compute_url(foreign), **HTMX),
        member_client.get(status_url(foreign)),
        member_client.get(f"{status_url(foreign)}?polling=1", **HTMX),
        member_client.get(overview_url(foreign)),
    ):
        assert response.status_code == 404
        assert b"Competitor secret study" not in response.content
        assert b"1.215" not in response.content
    assert FootprintComputation.objects.filter(study=foreign, status=ComputationStatus.QUEUED).count() == 0


def test_compute_is_post_only_and_needs_a_login(client, member_client, supplier, library):
    study = complete_study(supplier, library)

    assert member_client.get(compute_url(study)).status_code == 405
    client.logout()
    anonymous = client.post(compute_url(study))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert FootprintComputation.objects.count() == 0


# --- status ------------------------------------------------------------------------------------------------------


def test_the_status_of_a_queued_computation_keeps_polling(member_client, supplier, library):
    study = complete_study(supplier, library)
    make_computation(study, status=ComputationStatus.QUEUED)

    html = member_client.get(f"{status_url(study)}?polling=1", **HTMX).content.decode()

    assert "status-queued" in html
    assert 'hx-trigger="every 1s"' in html
    assert "Waiting for a worker" in html
    assert "disabled" in html  # no second computation while one is under way
    assert 'id="result"' not in html


def test_the_status_of_a_running_computation_keeps_polling(member_client, supplier, library):
    study = complete_study(supplier, library)
    make_computation(study, status=ComputationStatus.RUNNING)

    html = member_client.get(f"{status_url(study)}?polling=1", **HTMX).content.decode()

    assert "status-running" in html
    assert 'hx-trigger="every 1s"' in html


def test_the_poll_that_sees_success_stops_and_brings_the_result(member_client, supplier, library):
    study = complete_study(supplier, library)
    make_computed_study(study)

    html = member_client.get(f"{status_url(study)}?polling=1", **HTMX).content.decode()

    assert "status-succeeded" in html
    assert "hx-trigger" not in html
    assert 'id="result" hx-swap-oob="true"' in html
    assert 'data-total="e"' in html
    assert ">1.215<" in html  # E = 1.2151672
    assert "compute-button" in html and "disabled" not in html


def test_the_poll_that_sees_failure_shows_the_error(member_client, supplier, library):
    study = complete_study(supplier, library)
    make_computation(study, status=ComputationStatus.FAILED, error_params={"line": "material/20", "label": "20. PCB"})

    html = member_client.get(f"{status_url(study)}?polling=1", **HTMX).content.decode()

    assert "status-failed" in html
    assert "20. PCB (material/20): no emission factor." in html
    assert "hx-trigger" not in html
    assert "No result yet" in html


def test_a_status_request_without_polling_brings_no_result(member_client, supplier, library):
    study = complete_study(supplier, library)
    make_computed_study(study)

    html = member_client.get(status_url(study)).content.decode()

    assert "status-succeeded" in html
    assert 'id="result"' not in html


def test_a_viewer_sees_the_status(client, supplier, library):
    study = complete_study(supplier, library)
    make_computation(study, status=ComputationStatus.QUEUED)
    client.force_login(factories.make_member(supplier, role=Role.VIEWER))

    response = client.get(status_url(study))

    assert response.status_code == 200
    assert "status-queued" in response.content.decode()
    assert "compute-button" not in response.content.decode()


# --- the overview ------------------------------------------------------------------------------------------------


def test_the_overview_lists_blocking_problems_linked_to_their_fields_and_disables_compute(
    member_client, supplier, library
):
    study = complete_study(supplier, library)
    study.bom_lines.filter(material__no=5).delete()
    StudyStage.objects.create(organization=supplier, study=study, stage=ProcessStage.objects.get(no=7))

    html = member_client.get(overview_url(study)).content.decode()

    assert 'data-code="material_missing_quantity"' in html
    assert 'data-code="stage_electricity_gap"' in html
    bom = reverse("web:study-bom", args=[study.uuid])
    stages = reverse("web:study-stages", args=[study.uuid])
    assert f'href="{bom}#material-5-quantity"' in html
    assert f'href="{stages}#stage-7-electricity"' in html
    assert "2 problems block the computation" in html
    assert 'class="compute-button" disabled' in html


def test_the_overview_of_a_complete_study_enables_compute_and_lists_warnings(member_client, supplier, library):
    study = complete_study(supplier, library)
    study.bom_lines.filter(material__no=3).update(loss_rate="0.2")

    html = member_client.get(overview_url(study)).content.decode()

    assert "Nothing blocks the computation." in html
    assert 'data-code="loss_rate_high"' in html
    assert "1 warning" in html
    assert 'class="compute-button">' in html
    assert "hx-trigger" not in html  # nothing pending: no polling
    assert ">100.0 %<" in html  # completeness


def test_a_long_group_of_the_breakdown_starts_collapsed_with_its_subtotal(member_client, supplier, library):
    from tests.web.builders import BREAKDOWN

    study = complete_study(supplier, library, units_produced="1000")
    material = next(line for line in BREAKDOWN if line["kind"] == "material")
    nine = [{**material, "key": f"material/{no}", "label": f"Part {no}"} for no in range(1, 10)]
    others = [line for line in BREAKDOWN if line["kind"] != "material"]
    make_computed_study(study, document=DOCUMENT, breakdown=nine + others)

    html = member_client.get(overview_url(study)).content.decode()

    assert '<details class="breakdown-group kind-material">' in html  # 9 lines: collapsed
    assert '<span class="group-count">9 lines</span>' in html
    assert '<details class="breakdown-group kind-stage" open>' in html  # 1 line: open
    assert html.count('class="breakdown-row') == 9 + len(others)  # collapsed, not left out


def test_the_overview_shows_the_result_grouped_with_charts_and_plant_totals(member_client, supplier, library):
    study = complete_study(supplier, library, units_produced="1000")
    make_computed_study(study, document=DOCUMENT)

    html = member_client.get(overview_url(study)).content.decode()

    for kind in ("material", "transport", "stage", "fuel", "waste"):
        assert f'<details class="breakdown-group kind-{kind}" open>' in html
    assert html.count('class="breakdown-row') == 5
    assert "0.88 kg CO2e" in html  # the materials subtotal
    assert "72.4 %" in html  # 0.88 of E = 1.2151672
    assert html.count("<svg") == 3
    assert "Largest contributors" in html
    assert "1215 kg CO2e" in html  # plant total: E × 1000 pieces
    assert "500 kWh" in html  # electricity metered in the period
    assert "0.5 kWh" in html  # per declared unit
    assert html.count('class="factor-row"') == 2
    assert "26.8 %" in html  # primary-data share


def test_the_overview_page_reads_in_a_bounded_number_of_queries(
    member_client, supplier, library, django_assert_max_num_queries
):
    small = complete_study(supplier, library)
    make_computed_study(small)
    large = complete_study(supplier, library)
    for no in (5, 6, 7, 8, 9, 10):
        StudyStage.objects.create(organization=supplier, study=large, stage=ProcessStage.objects.get(no=no))
    for _ in range(3):
        make_computed_study(large)
    make_computation(large, status=ComputationStatus.QUEUED)

    # 24, and the header's unread notifications (apps.web.context_processors)
    with django_assert_max_num_queries(25):
        member_client.get(overview_url(small))
    with django_assert_max_num_queries(25):
        response = member_client.get(overview_url(large))
    assert response.status_code == 200
    assert 'data-code="stage_electricity_gap"' in response.content.decode()


def test_the_overview_does_not_reread_the_snapshot_document(member_client, supplier, library):
    study = complete_study(supplier, library)
    make_computed_study(study, document=DOCUMENT)
    member_client.get(overview_url(study))  # warms the caches

    with CaptureQueriesContext(connection) as captured:
        member_client.get(overview_url(study))

    assert not any("canonical_inputs_gz" in q["sql"] for q in captured.captured_queries)


def test_the_overview_speaks_chinese_to_a_chinese_reader(member_client, supplier, library):
    from django.conf import settings

    from apps.catalog.models import Material

    study = complete_study(supplier, library)
    study.bom_lines.filter(material__no=5).delete()
    make_computed_study(study)
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    html = member_client.get(overview_url(study)).content.decode()

    material = Material.objects.get(no=5)
    assert '<html lang="zh-hans">' in html
    assert f"5. {material.name_zh}" in html
    assert html.count("<svg") == 3


def test_every_check_link_lands_on_a_field_with_that_id(member_client, supplier, library):
    """Each problem's link names a page and the id of the field there that fixes it; that id is on the page."""
    from apps.catalog.models import Material
    from apps.footprints.checks import study_checks
    from apps.inventory.models import BomLine, TransportLeg
    from apps.web.presentation import problem_links

    study = factories.make_study(supplier, library, stage_nos=(7,))
    pieces = BomLine.objects.create(
        organization=supplier, study=study, material=Material.objects.get(no=20), quantity=Decimal(1),
        loss_rate=Decimal("0.15"), factor=library.solder_bar,  # per kg on pieces, no mass per piece
    )  # fmt: skip
    TransportLeg.objects.create(
        organization=supplier, bom_line=pieces, mode="road_heavy", distance_km=Decimal(10), mass_kg=Decimal(1),
        factor=library.pcb,  # not per tonne-kilometre
    )  # fmt: skip
    links = problem_links(study=study, problems=study_checks(study=study).problems)
    anchors = {link.problem.anchor for link in links}
    assert {f"line-{pieces.pk}-unit_mass_kg", f"line-{pieces.pk}-loss_rate", f"line-{pieces.pk}-legs",
            "material-5-quantity", "stage-7-electricity"} <= anchors  # fmt: skip

    pages: dict[str, str] = {}
    for link in links:
        page, anchor = link.url.split("#")
        if page not in pages:
            pages[page] = member_client.get(page).content.decode()
        assert f'id="{anchor}"' in pages[page], (link.problem.code, anchor)
