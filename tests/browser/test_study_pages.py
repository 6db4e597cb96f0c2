from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from tests import factories
from tests.web.builders import make_computed_study

# Transactional (the live server reads from another thread), so pytest-django runs these after the
# tests that roll back, as it does for every transactional test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def computed_study(supplier, library):
    study = factories.make_study(supplier, library, name="DDZY smart meter 2025-01")
    make_computed_study(study)
    return study


def _log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("form.login button[type=submit]")
    expect(page.locator("table.studies, p.notice").first).to_be_visible()


def test_member_logs_in_sees_e_and_opens_the_breakdown(page, live_server, supplier, computed_study):
    user = factories.make_member(supplier)

    _log_in(page, live_server.url, user.username)
    row = page.locator(f'tr.study-row[data-study="{computed_study.uuid}"]')
    expect(row.locator("td.total-e")).to_have_text("1.215")
    row.get_by_role("link", name="DDZY smart meter 2025-01").click()

    expect(page.locator("h1")).to_have_text("DDZY smart meter 2025-01")
    expect(page.locator("tr.breakdown-row")).to_have_count(5)
    expect(page.locator('tr[data-total="e"] td').first).to_have_text("1.215")


def test_member_of_another_organization_sees_no_foreign_study(page, live_server, other_supplier, computed_study):
    outsider = factories.make_member(other_supplier)

    _log_in(page, live_server.url, outsider.username)
    list_text = page.locator("main").inner_text()
    response = page.goto(f"{live_server.url}/studies/{computed_study.uuid}/")

    assert "DDZY smart meter 2025-01" not in list_text
    assert response is not None and response.status == 404


def test_language_switch_shows_english_labels(page, live_server, supplier, computed_study):
    with translation.override("zh-hans"):
        chinese_heading = translation.gettext("Footprint studies")
    user = factories.make_member(supplier)
    _log_in(page, live_server.url, user.username)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text(chinese_heading)

    page.select_option("#language-select", "en")
    page.click("form.language button[type=submit]")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Footprint studies")
    expect(page.locator("#language-select")).to_have_value("en")
