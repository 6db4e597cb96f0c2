"""The stages page: allocation per stage, electricity coverage with its gaps, electricity entered by hand."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import Role
from apps.accounts.tenancy import row_version
from apps.catalog.models import ProcessStage
from apps.inventory.enums import StudyStatus
from apps.inventory.models import Study, StudyStage
from apps.ledger.enums import ReadingSource
from apps.ledger.models import ElectricityReading, MeteringPoint
from apps.ledger.services import metering_point_create, readings_insert_run
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
KWH = 1_000_000  # mWh


def stage(no: int) -> ProcessStage:
    return ProcessStage.objects.get(no=no)


def daily(study: Study, no: int, code: str, *, start: datetime, kwh: list[int]) -> MeteringPoint:
    point = metering_point_create(
        organization=study.organization, site=study.site, stage=stage(no), code=code, name=f"{code} meter"
    )
    readings_insert_run(
        organization=study.organization, metering_point=point, start=start, step_seconds=86_400,
        milliwatt_hours=[k * KWH for k in kwh], source=ReadingSource.METER,
    )  # fmt: skip
    return point


@pytest.fixture
def study(supplier, library) -> Study:
    """January 2025 (local), 1000 units; stage 5 at 50 % by hours, stage 6 at 100 %."""
    study = factories.make_study(supplier, library, name="Meter study", stage_nos=(5, 6))
    StudyStage.objects.filter(study=study, stage__no=5).update(allocation_share=Decimal("0.5"), allocation_note="hours")
    return study


@pytest.fixture
def year_study(supplier, library) -> Study:
    return factories.make_study(supplier, library, period=(date(2024, 1, 1), date(2024, 12, 31)), stage_nos=(5,))


def url(name: str, study: Study, no: int | None = None) -> str:
    kwargs = {"study_uuid": study.uuid} if no is None else {"study_uuid": study.uuid, "stage_no": no}
    return reverse(f"web:{name}", kwargs=kwargs)


def client_for(organization, role: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(factories.make_member(organization, role=role))
    return client


def allocation_post(study_stage: StudyStage, share: str, note: str = "", version: str | None = None) -> dict[str, str]:
    p = f"s{study_stage.stage.no}"
    return {
        f"{p}-allocation_share": share,
        f"{p}-allocation_note": note,
        f"{p}-row_version": row_version(study_stage) if version is None else version,
    }


def stored(study: Study, no: int) -> tuple[Decimal, str]:
    row = StudyStage.objects.get(study=study, stage__no=no)
    return row.allocation_share, row.allocation_note


# --- the page -----------------------------------------------------------------------------------


def test_the_page_lists_all_stages_with_coverage_gaps_and_kwh_per_unit(member_client, study):
    # Stage 5: daily readings of 10 kWh for January 1 to 30 (local), nothing on the 31st.
    daily(study, 5, "smt", start=datetime(2025, 1, 1, tzinfo=SHANGHAI), kwh=[10] * 30)

    response = member_client.get(url("study-stages", study))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="stage-row') == 26
    assert "Reflow soldering" in html or stage(5).name_en in html
    row5 = html[html.index('id="stage-5"') : html.index('id="stage-6"')]
    assert 'value="50"' in row5  # 0.5 shown as 50 %
    assert 'value="hours"' in row5
    assert "Meters" in row5
    assert ">300<" in row5  # 30 × 10 kWh
    assert ">0.15<" in row5  # 300 kWh × 50 % / 1000 units
    assert "96.8 %" in row5  # 30 of 31 days
    assert "1 gap" in row5
    assert "2025-01-31 00:00 –<br>2025-02-01 00:00" in row5  # local time
    row6 = html[html.index('id="stage-6"') : html.index('id="stage-7"')]
    assert 'value="100"' in row6
    assert "None" in row6
    row7 = html[html.index('id="stage-7"') : html.index('id="stage-8"')]
    assert "Not in this study" in row7
    assert url("study-stage-include", study, 7) in row7
    assert 'aria-current="page"' in html and url("study-stages", study) in html


def test_a_viewer_sees_the_page_without_forms(study, supplier):
    html = client_for(supplier, Role.VIEWER).get(url("study-stages", study)).content.decode()
    assert "alloc-5" not in html
    assert url("study-stage-include", study, 7) not in html
    assert ">50<" in html  # the share, read only


def test_the_page_takes_a_fixed_number_of_queries(member_client, study, django_assert_max_num_queries):
    daily(study, 5, "smt", start=datetime(2025, 1, 1, tzinfo=SHANGHAI), kwh=[1] * 2)
    with django_assert_max_num_queries(16) as few:
        member_client.get(url("study-stages", study))
    for no in range(6, 16):
        daily(study, no, f"m{no}", start=datetime(2025, 1, 1, tzinfo=SHANGHAI), kwh=[1] * 31)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = member_client.get(url("study-stages", study))
    assert response.status_code == 200


# --- allocation ---------------------------------------------------------------------------------


def test_htmx_saves_a_row_and_returns_it(member_client, study):
    row = StudyStage.objects.get(study=study, stage__no=6)

    response = member_client.post(
        url("study-stage-update", study, 6), allocation_post(row, "12.5", "floor area"), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<tr") and 'id="stage-6"' in html
    assert 'value="12.5"' in html and "Saved" in html
    assert stored(study, 6) == (Decimal("0.125"), "floor area")


def test_a_plain_post_saves_and_redirects(member_client, study):
    row = StudyStage.objects.get(study=study, stage__no=5)
    response = member_client.post(url("study-stage-update", study, 5), allocation_post(row, "100"))
    assert response.status_code == 302
    assert response["Location"].endswith("#stage-5")
    assert stored(study, 5) == (Decimal(1), "")


@pytest.mark.parametrize(
    ("share", "note", "field", "message"),
    [
        ("0", "hours", "allocation_share", "The allocation share must be above 0 and at most 100 percent."),
        ("150", "hours", "allocation_share", "The allocation share must be above 0 and at most 100 percent."),
        ("-5", "hours", "allocation_share", "The allocation share must be above 0 and at most 100 percent."),
        ("abc", "hours", "allocation_share", "Enter the allocation share as a number of percent, for example 50."),
        ("", "hours", "allocation_share", "Enter the allocation share in percent"),
        ("12.34567", "hours", "allocation_share", "at most 4 decimal places"),
        ("40", "", "allocation_note", "Give the basis of the allocation"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_allocation_is_shown_at_its_field_and_nothing_is_written(
    member_client, study, share, note, field, message, htmx
):
    row = StudyStage.objects.get(study=study, stage__no=5)
    headers = {"HX-Request": "true"} if htmx else {}

    response = member_client.post(
        url("study-stage-update", study, 5), allocation_post(row, share, note), headers=headers
    )

    assert response.status_code == 200
    html = response.content.decode()
    row_html = html[html.index('id="stage-5"') :]
    row_html = row_html[: row_html.index("</tr>")]
    cell = row_html[row_html.index(f'name="s5-{field}"') :]
    assert message in cell[: cell.index("</td>")]
    assert stored(study, 5) == (Decimal("0.5"), "hours")


def test_a_stale_allocation_is_refused_with_the_current_values(member_client, study):
    row = StudyStage.objects.get(study=study, stage__no=5)
    page_version = row_version(row)
    # Someone else saves first.
    member_client.post(url("study-stage-update", study, 5), allocation_post(row, "30", "units"))
    assert stored(study, 5) == (Decimal("0.3"), "units")

    response = member_client.post(
        url("study-stage-update", study, 5),
        allocation_post(row, "70", "hours", page_version),
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "Someone else changed this line" in html
    assert 'value="30"' in html and 'value="units"' in html  # the current values
    assert stored(study, 5) == (Decimal("0.3"), "units")


def test_a_stage_is_included_at_100_percent(member_client, study):
    response = member_client.post(url("study-stage-include", study, 7))
    assert response.status_code == 302
    assert stored(study, 7) == (Decimal(1), "")
    html = member_client.post(url("study-stage-include", study, 8), headers={"HX-Request": "true"}).content.decode()
    assert 'id="stage-8"' in html and "alloc-8" in html


def test_a_submitted_study_refuses_changes(member_client, study):
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.SUBMITTED)
    row = StudyStage.objects.get(study=study, stage__no=5)

    html = member_client.get(url("study-stages", study)).content.decode()
    assert "alloc-5" not in html

    response = member_client.post(url("study-stage-update", study, 5), allocation_post(row, "20", "x"))
    assert "can no longer be changed" in response.content.decode()
    assert stored(study, 5) == (Decimal("0.5"), "hours")
    member_client.post(url("study-stage-include", study, 7))
    assert not StudyStage.objects.filter(study=study, stage__no=7).exists()


def test_an_unknown_stage_number_or_a_stage_outside_the_study_is_404(member_client, study):
    assert member_client.get(url("stage-electricity", study, 27)).status_code == 404
    assert member_client.post(url("study-stage-update", study, 9), {"s9-allocation_share": "50"}).status_code == 404


# --- electricity entered by hand ----------------------------------------------------------------


def test_the_electricity_page_labels_twelve_months(member_client, year_study):
    html = member_client.get(url("stage-electricity", year_study, 5)).content.decode()
    assert html.count('name="monthly_kwh"') == 12
    assert "January 2024" in html and "December 2024" in html


def test_monthly_values_are_saved_as_twelve_readings(member_client, year_study):
    values = ["10", "20", "30", "40", "50", "60", "70", "80", "90", "100", "110", "120.5"]

    response = member_client.post(url("stage-electricity", year_study, 5), {"mode": "monthly", "monthly_kwh": values})

    assert response.status_code == 302
    readings = ElectricityReading.objects.filter(metering_point__is_manual=True).order_by("start")
    assert [r.milliwatt_hours for r in readings] == [int(Decimal(v) * KWH) for v in values]
    assert sum(r.milliwatt_hours for r in readings) == 780_500_000  # 10 + 20 + ... + 110 + 120.5 = 780.5 kWh
    page = member_client.get(url("stage-electricity", year_study, 5)).content.decode()
    assert 'value="120.5"' in page
    stages_page = member_client.get(url("study-stages", year_study)).content.decode()
    row5 = stages_page[stages_page.index('id="stage-5"') : stages_page.index('id="stage-6"')]
    assert "Entered by hand" in row5 and ">780.5<" in row5 and "100.0 %" in row5


def test_a_total_is_saved_and_can_be_removed(member_client, year_study):
    response = member_client.post(url("stage-electricity", year_study, 5), {"mode": "total", "total_kwh": "1200"})
    assert response.status_code == 302
    assert list(ElectricityReading.objects.values_list("milliwatt_hours", flat=True)) == [1_200_000_000]
    page = member_client.get(url("stage-electricity", year_study, 5)).content.decode()
    assert 'value="1200"' in page

    member_client.post(url("stage-electricity", year_study, 5), {"action": "clear"})
    assert ElectricityReading.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"mode": "total", "total_kwh": "-5"}, "total_kwh", "-5 kWh is negative"),
        ({"mode": "total", "total_kwh": "abc"}, "total_kwh", "“abc” is not a number of kWh."),
        ({"mode": "total", "total_kwh": ""}, "total_kwh", "Enter the electricity of the period in kWh."),
        ({"mode": "total", "total_kwh": "1.1234567"}, "total_kwh", "more than 6 decimal places"),
        ({"mode": "total", "total_kwh": "1234567890.123456"}, "total_kwh", "more than 15 significant digits"),
        (
            {"mode": "monthly", "monthly_kwh": ["1"] * 13},
            "monthly_kwh",
            "Enter exactly 12 monthly values; 13 were given.",
        ),
        ({"mode": "monthly", "monthly_kwh": ["1"] * 11 + ["x"]}, "monthly_kwh", "2024-12: “x” is not a number of kWh."),
        ({"mode": "monthly", "monthly_kwh": ["-1"] + ["1"] * 11}, "monthly_kwh", "2024-01: -1 kWh is negative"),
        ({"mode": "monthly", "monthly_kwh": [""] + ["1"] * 11}, "monthly_kwh", "2024-01: enter a value"),
        ({"mode": "sideways", "total_kwh": "1"}, "mode", "Select a valid choice"),
    ],
)
def test_bad_electricity_is_shown_at_its_field_and_nothing_is_written(member_client, year_study, data, field, message):
    response = member_client.post(url("stage-electricity", year_study, 5), data)

    assert response.status_code == 200
    html = response.content.decode()
    block = html[html.index(f'id="field-{field}"') if field != "mode" else html.index("<legend>Entered as") :]
    assert message in block[: block.index("</fieldset>") if "fieldset" in block[:4000] else 4000]
    assert MeteringPoint.objects.count() == 0
    assert ElectricityReading.objects.count() == 0


def test_monthly_values_for_a_period_that_is_not_twelve_months_are_refused(member_client, study):
    html = member_client.get(url("stage-electricity", study, 5)).content.decode()
    assert 'name="monthly_kwh"' not in html
    assert "enter a total for the period instead" in html

    response = member_client.post(url("stage-electricity", study, 5), {"mode": "monthly", "monthly_kwh": ["1"] * 12})

    html = response.content.decode()
    block = html[html.index('id="field-monthly_kwh"') :]
    assert "exactly twelve calendar months" in block[: block.index("</fieldset>")]
    assert ElectricityReading.objects.count() == 0


def test_manual_electricity_is_refused_where_meters_report(member_client, year_study):
    daily(year_study, 5, "smt", start=datetime(2024, 3, 1, tzinfo=SHANGHAI), kwh=[5])

    page = member_client.get(url("stage-electricity", year_study, 5)).content.decode()
    assert "would be counted twice" in page
    response = member_client.post(url("stage-electricity", year_study, 5), {"mode": "total", "total_kwh": "100"})

    html = response.content.decode()
    block = html[html.index('id="field-total_kwh"') :]
    assert "already has meter readings" in block[: block.index("</div>")]
    assert ElectricityReading.objects.count() == 1
    assert not MeteringPoint.objects.filter(is_manual=True).exists()


# --- who may see and do what --------------------------------------------------------------------


def _all_urls(study: Study) -> list[tuple[str, dict]]:
    return [
        (url("study-stages", study), {}),
        (url("study-stage-update", study, 5), {"s5-allocation_share": "50", "s5-allocation_note": "x"}),
        (url("study-stage-include", study, 7), {}),
        (url("stage-electricity", study, 5), {"mode": "total", "total_kwh": "1"}),
    ]


def test_another_organization_gets_404_everywhere_and_sees_nothing(study, other_supplier):
    daily(study, 5, "secret-meter", start=datetime(2025, 1, 1, tzinfo=SHANGHAI), kwh=[1])
    outsider = client_for(other_supplier, Role.MANAGER)
    for address, data in _all_urls(study):
        for response in (outsider.get(address), outsider.post(address, data)):
            assert response.status_code in (404, 405), address
            body = response.content.decode()
            assert "Meter study" not in body and "secret-meter" not in body
    assert stored(study, 5) == (Decimal("0.5"), "hours")
    assert not StudyStage.objects.filter(study=study, stage__no=7).exists()
    assert ElectricityReading.objects.count() == 1


@pytest.mark.parametrize("role", [Role.VIEWER, Role.VERIFIER, Role.REVIEWER])
def test_a_read_only_role_gets_403_on_every_write(study, supplier, role):
    reader = client_for(supplier, role)
    for address, data in _all_urls(study):
        expected = 405 if address == url("study-stages", study) else 403  # the page takes no POST
        assert reader.post(address, data).status_code == expected, address
    assert stored(study, 5) == (Decimal("0.5"), "hours")
    assert not StudyStage.objects.filter(study=study, stage__no=7).exists()
    assert ElectricityReading.objects.count() == 0


def test_anonymous_is_sent_to_log_in(client, study):
    for address, _data in _all_urls(study):
        response = client.get(address)
        assert response.status_code in (302, 405)
