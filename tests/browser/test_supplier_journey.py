"""The supplier's journey in a real browser, with a real Celery worker computing the footprint.

Start the 2025 study from the 2024 one, paste the quantities copied from Excel, add a transport leg,
enter a stage's electricity month by month, add a fuel and a waste entry, attach an invoice,
compute, and read the result: every step through the pages, as an editor would.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from apps.accounts.enums import Role
from apps.catalog.models import Material, ProcessStage
from apps.demo import data as demo_data
from apps.evidence.models import EvidenceFile
from apps.factors.library import library_load_all
from apps.factors.models import EmissionFactor, FactorDataset
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.ledger.enums import ReadingSource
from apps.ledger.models import ElectricityReading, FuelEntry, WasteEntry
from apps.ledger.services import ReadingInput, metering_point_create, readings_bulk_insert
from tests import factories
from tests.footprints.conftest import celery_worker, wait_for  # noqa: F401 (the worker fixture)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MONTHLY_KWH = 100  # stage 5, every month of 2025, entered by hand
METERED_MONTHLY_KWH = 10  # each of the other 25 stages, from the plant's meters
UNITS = 1000
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def previous_study(supplier):
    """Last year's study: the demo's 32 materials with their masses, valued by the library's defaults,
    one stage in scope (reflow soldering), on the East China grid factor."""
    library_load_all()
    defaults = FactorDataset.objects.get(organization=None, name="carbonfoot illustrative defaults", version="2026.1")
    grid = EmissionFactor.objects.get(dataset__organization=None, code="electricity.cn.east.2023")
    product = Product.objects.create(organization=supplier, name="Journey meter", model_code="JM-1")
    site = Site.objects.create(
        organization=supplier, code="journey", name="Journey plant", grid_region="East China grid"
    )
    study = Study.objects.create(
        organization=supplier,
        product=product,
        site=site,
        name="Journey meter 2024",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        units_produced=Decimal(UNITS),
        factor_dataset=defaults,
        electricity_factor=grid,
    )
    materials = Material.objects.in_bulk(field_name="no")
    for row in demo_data.BOM:
        BomLine.objects.create(
            organization=supplier,
            study=study,
            material=materials[row.material_no],
            quantity=Decimal(row.quantity),
            loss_rate=Decimal(0),
            unit_mass_kg=Decimal(row.unit_mass_kg),
        )
    for stage in ProcessStage.objects.all():
        StudyStage.objects.create(organization=supplier, study=study, stage=stage)
        if stage.no == 5:
            continue  # its meter is broken: the editor enters it by hand
        point = metering_point_create(
            organization=supplier, site=site, stage=stage, code=f"jm-{stage.no}", name=stage.name_en
        )
        months = [datetime(2025, m, 1, tzinfo=SHANGHAI) for m in range(1, 13)] + [datetime(2026, 1, 1, tzinfo=SHANGHAI)]
        readings_bulk_insert(
            organization=supplier,
            metering_point=point,
            readings=[ReadingInput(start=months[i], end=months[i + 1], kwh=METERED_MONTHLY_KWH) for i in range(12)],
            source=ReadingSource.METER,
        )
    return study


def _log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("form.login button[type=submit]")
    expect(page.locator("tr.study-row").first).to_be_visible()


@pytest.mark.usefixtures("celery_worker")
def test_an_editor_enters_a_year_and_computes_it(page, live_server, supplier, previous_study):
    editor = factories.make_member(supplier, role=Role.EDITOR)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    _log_in(page, live_server.url, editor.username)

    # 1. The next period from last year's study.
    page.locator(f'tr.study-row[data-study="{previous_study.uuid}"]').get_by_role(
        "link", name="Start next period from this study"
    ).click()
    page.get_by_role("button", name="Create the new study").click()
    study = wait_for(lambda: Study.objects.exclude(pk=previous_study.pk).first())
    assert (study.period_start, study.period_end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert BomLine.objects.filter(study=study).count() == 32

    # 2. Quantities pasted as a column copied from Excel (full-width digits and blank-padded lines too).
    page.goto(f"{live_server.url}/studies/{study.uuid}/bom/")
    pasted = [row.quantity for row in demo_data.BOM]
    pasted[0] = "２"  # full-width 2: two microcontrollers this year
    page.locator("section.bom-paste textarea").fill("\n".join(f" {value} " for value in pasted))
    page.get_by_role("button", name="Fill the quantities").click()
    first = BomLine.objects.get(study=study, material__no=1)
    expect(page.locator(f"tbody#line-{first.pk} input.qty")).to_have_value("2")
    first.refresh_from_db()
    assert first.quantity == Decimal(2)

    # 3. A transport leg on the PCB line.
    pcb = BomLine.objects.get(study=study, material__no=20)
    row = page.locator(f"tbody#line-{pcb.pk}")
    row.locator("tr.legs summary").click()
    leg_form = row.locator("form.new-leg")
    leg_form.locator("select[name$='-mode']").select_option("road_heavy")
    leg_form.locator("input[name$='-distance_km']").fill("250")
    leg_form.locator("input[name$='-mass_kg']").fill("0.038")
    leg_form.locator("select[name$='-factor']").select_option(
        str(EmissionFactor.objects.get(dataset=study.factor_dataset, code="transport.road_heavy").pk)
    )
    leg_form.get_by_role("button", name="Add leg").click()
    wait_for(lambda: TransportLeg.objects.filter(bom_line=pcb).exists())
    assert TransportLeg.objects.get(bom_line=pcb).distance_km == Decimal(250)

    # 4. Stage 5's electricity, twelve monthly values entered by hand.
    page.goto(f"{live_server.url}/studies/{study.uuid}/stages/5/electricity/")
    page.check("input[name='mode'][value='monthly']")
    months = page.locator("input[name='monthly_kwh']")
    expect(months).to_have_count(12)
    for i in range(12):
        months.nth(i).fill(str(MONTHLY_KWH))
    page.locator("form.electricity-form").get_by_role("button", name="Save").click()
    wait_for(lambda: ElectricityReading.objects.filter(metering_point__is_manual=True).count() == 12)

    # 5. A fuel and a waste entry.
    page.goto(f"{live_server.url}/studies/{study.uuid}/entries/")
    diesel = EmissionFactor.objects.get(dataset=study.factor_dataset, code="fuel.diesel")
    page.select_option("#id_fuel-factor", str(diesel.pk))
    page.fill("#id_fuel-quantity", "1200")
    page.fill("#id_fuel-unit", "kg")
    page.locator("form.entry-form").nth(0).get_by_role("button", name="Add").click()
    wait_for(lambda: FuelEntry.objects.filter(study=study).exists())
    page.goto(f"{live_server.url}/studies/{study.uuid}/entries/")
    waste = EmissionFactor.objects.filter(dataset=study.factor_dataset, category="waste").order_by("code").first()
    page.select_option("#id_waste-factor", str(waste.pk))
    page.fill("#id_waste-quantity", "300")
    page.fill("#id_waste-unit", "kg")
    page.locator("form.entry-form").nth(1).get_by_role("button", name="Add").click()
    wait_for(lambda: WasteEntry.objects.filter(study=study).exists())

    # 6. The diesel invoice as evidence.
    page.goto(f"{live_server.url}/studies/{study.uuid}/evidence/")
    page.set_input_files(
        "form.evidence-form input[type=file]",
        files=[{"name": "diesel-invoice.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}],
    )
    page.locator("form.evidence-form button[type=submit]").click()
    expect(page.get_by_role("link", name="diesel-invoice.pdf")).to_be_visible()
    assert EvidenceFile.objects.get(study=study).size_bytes == len(b"%PDF-1.4\n%%EOF\n")

    # 7. Compute from the page: the status moves on and the result appears without a reload.
    page.goto(f"{live_server.url}/studies/{study.uuid}/")
    button = page.get_by_role("button", name="Compute the footprint")
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator("section.result tr[data-total='e']")).to_be_visible(timeout=60_000)
    computation = FootprintComputation.objects.get(study=study)
    assert computation.status == ComputationStatus.SUCCEEDED

    # Edl by hand: 12 x 100 kWh by hand plus 25 stages x 12 x 10 kWh metered, over 1000 meters,
    # shares 1, times the East China factor.
    grid = study.electricity_factor.value
    edl = Decimal(12 * MONTHLY_KWH + 25 * 12 * METERED_MONTHLY_KWH) / UNITS * grid
    expect(page.locator("section.result tr[data-total='edl'] td").first).to_have_text(
        re.compile("^" + re.escape(_four_significant(edl)))
    )
    assert Decimal(computation.result.totals["edl"]) == edl


def _four_significant(value: Decimal) -> str:
    """Independent of the app's display code: Python's general format, trailing zeros dropped."""
    text = format(value, ".4g")
    return text.rstrip("0").rstrip(".") if "." in text else text
