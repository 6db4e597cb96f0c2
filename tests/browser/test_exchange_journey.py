"""The whole footprint exchange in a real browser, four people in four browser sessions, with a real
Celery worker computing the corrected footprint.

The buyer proposes the supplier, the supplier's manager accepts, the buyer requests a footprint; the
supplier submits its computed study; the buyer comments on the PCB line and returns it; the supplier
fixes that line in the grid, computes again and resubmits; the buyer sees what changed and accepts; the
supplier gives a verification body access and its verifier records a statement; the buyer's comparison
lists the accepted, verified footprint.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from apps.accounts.enums import OrganizationKind, Role
from apps.exchange.enums import RequestStatus, SubmissionState
from apps.exchange.models import FootprintRequest, ReviewComment, Submission, SupplyRelationship, VerificationStatement
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation
from apps.inventory.models import BomLine
from tests import factories
from tests.exchange.builders import compute
from tests.footprints.check_builders import complete_study
from tests.footprints.conftest import celery_worker, wait_for  # noqa: F401 (the worker fixture)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PCB = 20  # material 20, the printed circuit board: 0.88 kg CO2e a piece in the test library


def _session(browser: Browser, base_url: str, username: str) -> Page:
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "django_language", "value": "en", "url": base_url}])
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("form.login button[type=submit]")
    expect(page.locator("header nav")).to_contain_text(username)
    return page


@pytest.mark.usefixtures("celery_worker")
def test_request_review_return_resubmit_accept_verify_compare(browser, live_server, supplier, library):
    base = live_server.url
    buyer = factories.make_organization(kind=OrganizationKind.BUYER, name="Grid Procurement")
    body = factories.make_organization(kind=OrganizationKind.VERIFIER, name="Certification Centre")
    reviewer = factories.make_member(buyer, role=Role.REVIEWER)
    manager = factories.make_member(supplier, role=Role.MANAGER)
    auditor = factories.make_member(body, role=Role.VERIFIER)
    study = complete_study(supplier, library)  # January 2025, 32 materials of quantity 1, stage 4 metered
    compute(study)
    model_code = study.product.model_code

    buyer_page = _session(browser, base, reviewer.username)
    supplier_page = _session(browser, base, manager.username)

    # 1. The buyer proposes the supplier by its short name; the supplier's manager accepts.
    buyer_page.goto(f"{base}/suppliers/")
    buyer_page.get_by_label("Supplier's short name or unified social credit code").fill(supplier.slug)
    buyer_page.get_by_role("button", name="Propose").click()
    expect(buyer_page.locator("tr.relationship-row")).to_contain_text("Waiting for the supplier")
    supplier_page.goto(f"{base}/suppliers/")
    supplier_page.get_by_role("button", name="Accept").click()
    expect(supplier_page.locator("tr.relationship-row")).to_contain_text("Active")
    assert SupplyRelationship.objects.get().status == "active"

    # 2. The buyer requests the footprint of the supplier's model for January 2025.
    buyer_page.goto(f"{base}/requests/new/")
    buyer_page.locator("#id_supplier").select_option(label=supplier.name)
    buyer_page.get_by_label("Product type").fill("Single-phase smart meter")
    buyer_page.get_by_label("Supplier's model code").fill(model_code)
    buyer_page.get_by_label("Reporting period start").fill("2025-01-01")
    buyer_page.get_by_label("Reporting period end (inclusive)").fill("2025-01-31")
    buyer_page.get_by_label("Due date").fill((timezone.localdate() + timedelta(days=30)).isoformat())
    buyer_page.get_by_label("Message to the supplier").fill("For the 2026 framework tender.")
    buyer_page.get_by_role("button", name="Send the request").click()
    footprint_request = wait_for(lambda: FootprintRequest.objects.first())
    assert (footprint_request.period_start, footprint_request.period_end) == (date(2025, 1, 1), date(2025, 1, 31))

    # 3. The supplier sees it on its dashboard and answers with its computed study.
    supplier_page.goto(f"{base}/")
    supplier_page.get_by_role("link", name=re.compile(model_code)).first.click()
    supplier_page.locator("#id_study").select_option(str(study.uuid))
    supplier_page.get_by_label("Note to the buyer").fill("Primary data for the PCB to follow.")
    supplier_page.locator("form.submit-form button[type=submit]").click()
    first = wait_for(lambda: Submission.objects.filter(version=1).first())
    first_e = Decimal(first.result.totals["e"])

    # 4. The buyer opens it from the inbox, comments on the PCB line and returns it.
    buyer_page.goto(f"{base}/review/")
    buyer_page.get_by_role("link", name=re.compile(model_code)).first.click()
    expect(buyer_page.locator("body")).to_contain_text("Version 1")
    buyer_page.get_by_label("About").select_option(f"material/{PCB}")
    buyer_page.locator("form.comment-form textarea").fill("Two PCBs per meter, not one: please correct.")
    buyer_page.get_by_role("button", name="Add the comment").click()
    expect(buyer_page.locator("body")).to_contain_text("Two PCBs per meter, not one")
    buyer_page.get_by_role("button", name="Return for changes").click()
    wait_for(lambda: Submission.objects.get(pk=first.pk).state == SubmissionState.RETURNED or None)
    comment = ReviewComment.objects.get()
    assert comment.line_key == f"material/{PCB}"

    # 5. The supplier sees the comment at the PCB row of its grid, fixes the quantity and computes again.
    pcb = BomLine.objects.get(study=study, material__no=PCB)
    supplier_page.goto(f"{base}/studies/{study.uuid}/bom/")
    row = supplier_page.locator(f"tbody#line-{pcb.pk}")
    expect(row).to_contain_text("Two PCBs per meter, not one")
    row.locator(f"#line-{pcb.pk}-quantity").fill("2")
    row.get_by_role("button", name="Save").click()
    wait_for(lambda: BomLine.objects.filter(pk=pcb.pk, quantity=2).first())
    supplier_page.goto(f"{base}/studies/{study.uuid}/")
    supplier_page.get_by_role("button", name="Compute the footprint").click()
    computed = wait_for(
        lambda: FootprintComputation.objects.filter(study=study, status=ComputationStatus.SUCCEEDED)
        .exclude(result=first.result)
        .first(),
        timeout=120,
    )
    assert Decimal(computed.result.totals["e"]) - first_e == Decimal("0.88")

    # ... and resubmits: version 2 of the same answer.
    supplier_page.goto(f"{base}/requests/{footprint_request.uuid}/")
    supplier_page.locator("#id_study").select_option(str(study.uuid))
    supplier_page.locator("form.submit-form button[type=submit]").click()
    second = wait_for(lambda: Submission.objects.filter(version=2).first())
    assert second.preceding_id == first.pk

    # 6. The buyer sees what changed between the versions and accepts version 2.
    buyer_page.goto(f"{base}/submissions/{second.uuid}/")
    changes = buyer_page.locator("section.review-diff")
    expect(changes).to_contain_text("Changes from version 1 to version 2")
    expect(changes.locator("table.diff-totals")).to_contain_text("+0.88")
    expect(changes.locator("table.diff-inputs")).to_contain_text("2")
    buyer_page.get_by_role("button", name="Accept this version").click()
    wait_for(lambda: Submission.objects.get(pk=second.pk).state == SubmissionState.ACCEPTED or None)
    assert FootprintRequest.objects.get().status == RequestStatus.FULFILLED

    # 7. The supplier gives the verification body access to version 2; its verifier records a statement.
    supplier_page.goto(f"{base}/submissions/{second.uuid}/")
    supplier_page.get_by_label("Verification body").fill(body.slug)
    supplier_page.get_by_role("button", name="Give access to this version").click()
    expect(supplier_page.locator("#verification-grants")).to_contain_text(body.name)
    auditor_page = _session(browser, base, auditor.username)
    auditor_page.goto(f"{base}/verification/")
    auditor_page.get_by_role("link", name="Record a statement").click()
    auditor_page.get_by_label("Standard").select_option("iso_14067")
    auditor_page.get_by_label("Level of assurance").select_option("limited")
    auditor_page.get_by_label("Scope").fill("Cradle to gate, January 2025, all 32 materials and stage 4.")
    auditor_page.get_by_label("Date of the statement").fill(timezone.localdate().isoformat())
    auditor_page.locator("#id_opinion").select_option("unmodified")
    auditor_page.get_by_label("Opinion, as worded in the statement").fill("Fairly stated in all material respects.")
    auditor_page.locator("form").filter(has=auditor_page.get_by_label("Scope")).locator("button[type=submit]").click()
    statement = wait_for(lambda: VerificationStatement.objects.first())
    assert statement.submission_id == second.pk

    # 8. The buyer's comparison lists the accepted, verified footprint with its E.
    buyer_page.goto(f"{base}/comparison/")
    footprint = buyer_page.locator(f"tr#footprint-{second.uuid}")
    expect(footprint).to_contain_text(supplier.name)
    expect(footprint).to_contain_text("Limited assurance")
    expect(footprint.locator("td.num").first).to_have_attribute("title", computed.result.totals["e"])
