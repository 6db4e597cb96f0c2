"""The Content-Security-Policy (carbonfoot/security.py) blocks nothing the pages need: a real browser reports no
violation on the workspace's pages (htmx, the grid's script, charts) nor on the admin's."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Page

from tests import factories
from tests.web.builders import make_computed_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _log_in(page: Page, base_url: str, username: str, url: str = "/accounts/login/") -> None:
    page.goto(f"{base_url}{url}")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def _visit(page: Page, url: str, console: list[str]) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    return [*violations, *(m for m in console if "Content Security Policy" in m)]


def test_no_page_of_the_workspace_or_the_admin_breaks_the_policy(page, live_server, supplier, library):
    study = factories.make_study(supplier, library, name="CSP study")
    make_computed_study(study)
    member = factories.make_member(supplier)
    get_user_model().objects.create_superuser(username="operator", password=factories.PASSWORD)
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    base = live_server.url

    _log_in(page, base, member.username)
    found = {
        url: _visit(page, f"{base}{url}", console)
        for url in (
            reverse("web:study-list"),
            reverse("web:study-detail", args=[study.uuid]),
            reverse("web:study-bom", args=[study.uuid]),
            reverse("web:study-entries", args=[study.uuid]),
        )
    }
    assert page.evaluate("typeof htmx") == "object"  # htmx loaded from /static under the policy
    page.context.clear_cookies()
    _log_in(page, base, "operator", url=reverse("admin:login"))
    for url in (reverse("admin:index"), reverse("admin:accounts_organization_changelist")):
        found[url] = _visit(page, f"{base}{url}", console)

    assert {url: v for url, v in found.items() if v} == {}
