"""The supplier workspace: dashboard, products, sites, studies (create, edit, copy into the next period)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.tenancy import row_version
from apps.catalog.models import Material
from apps.footprints.enums import ComputationStatus
from apps.inventory.enums import StudyStatus
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg
from apps.ledger.models import FuelEntry
from tests import factories
from tests.inventory.builders import fill_study, make_grid_factor, make_series
from tests.web.builders import make_computation, make_computed_study

SECRET = "QQ-foreign-secret"
FOREIGN = "Select a valid choice. That choice is not one of the available choices."


def _client(organization, role=Role.MANAGER) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(factories.make_member(organization, role=role))
    return client


@pytest.fixture
def manager_client(supplier) -> Client:
    return _client(supplier, Role.MANAGER)


@pytest.fixture
def viewer_client(supplier) -> Client:
    return _client(supplier, Role.VIEWER)


@pytest.fixture
def grid(library):
    return make_grid_factor(library.dataset, region="East China grid", code="electricity.east.2023")


@pytest.fixture
def foreign(other_supplier, other_library):
    """Another supplier's study, product, site, dataset, grid factor and series, named with SECRET."""
    study = factories.make_study(other_supplier, other_library, name=f"{SECRET} study")
    Product.objects.filter(pk=study.product_id).update(name=f"{SECRET} product")
    Site.objects.filter(pk=study.site_id).update(name=f"{SECRET} site")
    make_computed_study(study)
    study.refresh_from_db()
    return {
        "study": study,
        "product": study.product,
        "site": study.site,
        "dataset": other_library.dataset,
        "factor": other_library.grid,
        "series": make_series(other_library.dataset, region="East China grid", code="their.series"),
    }


def _html(response) -> str:
    return response.content.decode()


# --- the dashboard --------------------------------------------------------------------------------


def test_dashboard_shows_the_products_studies_with_e_completeness_and_not_another_organizations(
    member_client, supplier, library, foreign
):
    study = factories.make_study(supplier, library, name="Meter FY2025")
    make_computed_study(study)
    Product.objects.create(organization=supplier, name="Concentrator", model_code="JZQ-1")

    response = member_client.get(reverse("web:study-list"))

    html = _html(response)
    assert response.status_code == 200
    assert "<h1>Footprint studies</h1>" in html
    assert "Meter FY2025" in html
    assert 'class="num total-e">1.215<' in html  # E = 1.2151672 kg CO2e per declared unit, 4 significant digits
    assert "kg CO2e per declared unit" in html
    assert f'data-product="{study.product.uuid}"' in html
    assert "Concentrator" in html and "No studies of this product yet." in html
    assert 'class="num completeness">' in html and " %</td>" in html
    assert SECRET not in html


def test_dashboard_lists_what_needs_attention(member_client, supplier, library):
    failed = factories.make_study(supplier, library, name="Failing study")
    make_computation(failed, status=ComputationStatus.FAILED, error_params={"line": "material/20", "label": "20. PCB"})
    changed = factories.make_study(supplier, library, name="Changed study")
    make_computed_study(changed)
    BomLine.objects.create(organization=supplier, study=changed, material=Material.objects.get(no=20), quantity=1)
    returned = factories.make_study(supplier, library, name="Returned study")
    Study.objects.filter(pk=returned.pk).update(status=StudyStatus.RETURNED)
    fresh = factories.make_study(supplier, library, name="Up to date")
    make_computed_study(fresh)
    Study.objects.filter(pk=fresh.pk).update(status=StudyStatus.SUBMITTED)

    html = _html(member_client.get(reverse("web:study-list")))

    attention = html[html.index('id="attention-heading"') : html.index("</section>")]
    assert "Failing study</a>: The latest computation failed: 20. PCB (material/20): no emission factor." in attention
    assert "Changed study</a>: The inputs changed after the latest result: compute again." in attention
    assert "Returned study</a>: Returned for changes." in attention
    assert "blocking problem" in attention  # a draft with no bill of materials cannot be computed
    assert f'href="{reverse("web:study-bom", args=[failed.uuid])}#material-' in attention  # to the material's row
    assert "Up to date" not in attention


def test_the_cached_changed_flag_follows_an_edit_and_the_next_computation(member_client, supplier, library):
    """The flag is cached under the study's inputs and its latest computation: each of them moving is seen."""
    study = factories.make_study(supplier, library, name="Edited then computed")
    result = make_computed_study(study)
    flag = "The inputs changed after the latest result"
    assert flag not in _html(member_client.get(reverse("web:study-list")))

    BomLine.objects.create(organization=supplier, study=study, material=Material.objects.get(no=20), quantity=1)
    assert flag in _html(member_client.get(reverse("web:study-list")))

    make_computation(study, result=result)  # the same snapshot, its inputs read again after the edit
    assert flag not in _html(member_client.get(reverse("web:study-list")))


def test_dashboard_does_not_flag_a_study_computed_after_its_last_change(member_client, supplier, library):
    study = factories.make_study(supplier, library, name="Computed last")
    BomLine.objects.create(organization=supplier, study=study, material=Material.objects.get(no=20), quantity=1)
    make_computed_study(study)

    html = _html(member_client.get(reverse("web:study-list")))

    assert "The inputs changed after the latest result" not in html


def _count_queries(client: Client, *, cold: bool = False) -> int:
    client.get(reverse("web:study-list"))  # warm caches (sessions, coverage, checks)
    if cold:
        cache.clear()  # every study's checks computed again: the path after an edit
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("web:study-list"))
    assert response.status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_studies(
    manager_client, supplier, library, django_assert_max_num_queries
):
    make_computed_study(factories.make_study(supplier, library))
    with_one = _count_queries(manager_client)
    cold_with_one = _count_queries(manager_client, cold=True)
    for _ in range(5):
        make_computed_study(factories.make_study(supplier, library))

    manager_client.get(reverse("web:study-list"))  # the new studies' checks
    with django_assert_max_num_queries(with_one):
        response = manager_client.get(reverse("web:study-list"))

    assert _count_queries(manager_client) == with_one
    assert _count_queries(manager_client, cold=True) == cold_with_one
    assert _html(response).count('class="study-row') == 6
    assert with_one < cold_with_one <= 30


def test_dashboard_query_count_does_not_grow_with_requests_or_proposals(supplier, library):
    """The exchange sections (a supplier's open requests and proposals; a buyer's open requests, versions
    waiting and accepted footprints) cost a fixed number of queries, however many rows they show."""
    from apps.exchange.services import relationship_propose, request_create
    from apps.exchange.workflow import submission_transition
    from tests.exchange.builders import build_exchange, membership_of

    exchange = build_exchange(supplier, library)
    supplier_client = Client()
    supplier_client.cookies["django_language"] = "en"
    supplier_client.force_login(exchange.supplier_manager)
    buyer_client = Client()
    buyer_client.cookies["django_language"] = "en"
    buyer_client.force_login(exchange.reviewer)
    submission_transition(membership=exchange.reviewer_membership(), submission=exchange.submit(), name="accept")
    few = (_count_queries(supplier_client), _count_queries(buyer_client))
    for n in range(4):
        buyer = factories.make_organization(kind=OrganizationKind.BUYER)
        reviewer = factories.make_member(buyer, role=Role.REVIEWER)
        relationship_propose(membership=membership_of(reviewer, buyer), supplier_identifier=supplier.slug)
        request_create(
            membership=exchange.reviewer_membership(),
            relationship=exchange.relationship,
            product_type="Meter",
            product_code=f"M-{n}",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 1, 31),
            due_date=date(2025, 3, 1),
            today=date(2025, 2, 1),
        )

    response = supplier_client.get(reverse("web:study-list"))
    assert _html(response).count('class="request-row') == 4 and len(response.context["proposals"]) == 4
    assert (_count_queries(supplier_client), _count_queries(buyer_client)) == few
    assert few[1] <= 7  # session, user, memberships, open requests, versions waiting, accepted, unread notifications
    assert _count_queries(buyer_client, cold=True) == few[1]  # nothing of a buyer's dashboard is cached


def test_dashboard_buttons_follow_the_role(supplier, library):
    study = factories.make_study(supplier, library)
    copy_url = reverse("web:study-copy", args=[study.uuid])
    pages = {role: _html(_client(supplier, role).get(reverse("web:study-list"))) for role in Role.values}

    assert reverse("web:product-create") in pages[Role.MANAGER]
    assert reverse("web:site-create") in pages[Role.MANAGER]
    assert reverse("web:study-create") in pages[Role.MANAGER] and copy_url in pages[Role.MANAGER]
    assert reverse("web:study-create") in pages[Role.EDITOR] and copy_url in pages[Role.EDITOR]
    assert reverse("web:product-create") not in pages[Role.EDITOR]
    for role in (Role.VIEWER, Role.VERIFIER, Role.REVIEWER):
        assert reverse("web:study-create") not in pages[role]
        assert copy_url not in pages[role]
        assert reverse("web:product-create") not in pages[role]


def test_dashboard_for_a_user_without_organization_says_why_it_is_empty(client, supplier, library):
    factories.make_study(supplier, library, name="Someone's study")
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user(username="staff", password="x", is_staff=True))

    html = _html(client.get(reverse("web:study-list")))

    assert "belongs to no organization" in html
    assert "Someone" not in html


# --- a buyer --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.REVIEWER])
def test_a_buyer_sees_no_supplier_data_and_cannot_create(db, foreign, role, grid):
    buyer = _client(factories.make_organization(kind=OrganizationKind.BUYER), role)
    before = (Product.objects.count(), Site.objects.count(), Study.objects.count())

    html = _html(buyer.get(reverse("web:study-list")))
    assert SECRET not in html
    assert reverse("web:product-create") not in html
    assert "buyer organization" in html
    for name in ("web:product-create", "web:site-create", "web:study-create"):
        assert buyer.get(reverse(name)).status_code == 403
        response = buyer.post(
            reverse(name),
            {
                "name": "x", "model_code": "x", "code": "x", "grid_region": "East China grid",
                "product": foreign["product"].pk, "site": foreign["site"].pk,
            },
        )  # fmt: skip
        assert response.status_code == 403
    assert (Product.objects.count(), Site.objects.count(), Study.objects.count()) == before


# --- products -------------------------------------------------------------------------------------


def test_create_a_product(manager_client, supplier):
    response = manager_client.post(
        reverse("web:product-create"),
        {"name": "Three-phase meter", "model_code": "DTZY-1", "mass_kg": "1.35", "description": "CT"},
    )

    assert response.status_code == 302
    product = Product.objects.get(organization=supplier)
    assert (product.name, product.model_code, product.mass_kg, product.description) == (
        "Three-phase meter",
        "DTZY-1",
        Decimal("1.35"),
        "CT",
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"mass_kg": "-1"}, "mass_kg", "The mass must not be negative."),
        ({"mass_kg": "heavy"}, "mass_kg", "Enter a number."),
        ({"name": ""}, "name", "This field is required."),
        ({"model_code": "DDZY-OLD"}, "model_code", "Your organization already has a product with this model code."),
    ],
)
def test_product_form_bad_inputs_at_the_field_and_nothing_written(manager_client, supplier, data, field, message):
    Product.objects.create(organization=supplier, name="Old", model_code="DDZY-OLD")

    response = manager_client.post(reverse("web:product-create"), {"name": "Meter", "model_code": "NEW", **data})

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Product.objects.count() == 1


def test_edit_a_product_and_a_stale_save_is_refused_with_the_current_value(manager_client, supplier):
    product = Product.objects.create(organization=supplier, name="Meter", model_code="DDZY-1")
    url = reverse("web:product-edit", args=[product.uuid])
    opened = row_version(product)

    first = manager_client.post(url, {"name": "Meter A", "model_code": "DDZY-1", "version": opened})
    second = manager_client.post(url, {"name": "Meter B", "model_code": "DDZY-1", "version": opened})

    assert first.status_code == 302
    assert second.status_code == 200
    html = _html(second)
    assert "Someone else changed this line after you opened the page." in html
    assert "<dd>Meter A</dd>" in html
    assert Product.objects.get(pk=product.pk).name == "Meter A"


def test_an_editor_may_not_create_or_edit_products_and_sites(member_client, supplier, grid):
    product = Product.objects.create(organization=supplier, name="Meter", model_code="DDZY-1")
    site = Site.objects.create(organization=supplier, code="p1", name="Plant", grid_region="East China grid")

    for url in (
        reverse("web:product-create"),
        reverse("web:site-create"),
        reverse("web:product-edit", args=[product.uuid]),
        reverse("web:site-edit", args=[site.uuid]),
    ):
        assert member_client.get(url).status_code == 403
        assert member_client.post(url, {"name": "x", "model_code": "x", "code": "x"}).status_code == 403
    assert Product.objects.get(pk=product.pk).name == "Meter"


# --- sites ----------------------------------------------------------------------------------------


def test_create_a_site_with_a_region_the_library_knows(manager_client, supplier, grid):
    page = _html(manager_client.get(reverse("web:site-create")))
    assert '<option value="East China grid">East China grid</option>' in page

    response = manager_client.post(
        reverse("web:site-create"),
        {"code": "plant-hz", "name": "Hangzhou plant", "address": "Binjiang", "grid_region": "East China grid"},
    )

    assert response.status_code == 302
    site = Site.objects.get(organization=supplier)
    assert (site.code, site.name, site.address, site.grid_region) == (
        "plant-hz",
        "Hangzhou plant",
        "Binjiang",
        "East China grid",
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"grid_region": "Atlantis"},
            "grid_region",
            "Select a valid choice. Atlantis is not one of the available choices.",
        ),
        ({"code": "plant hz!"}, "code", "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."),
        ({"code": "taken"}, "code", "Your organization already has a site with this code."),
    ],
)
def test_site_form_bad_inputs_at_the_field_and_nothing_written(manager_client, supplier, grid, data, field, message):
    Site.objects.create(organization=supplier, code="taken", name="Old", grid_region="East China grid")

    response = manager_client.post(
        reverse("web:site-create"), {"code": "p2", "name": "Plant 2", "grid_region": "East China grid", **data}
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Site.objects.count() == 1


def test_edit_a_site(manager_client, supplier, grid, library):
    make_grid_factor(library.dataset, region="South China grid", code="e.south")
    site = Site.objects.create(organization=supplier, code="p1", name="Plant", grid_region="East China grid")

    response = manager_client.post(
        reverse("web:site-edit", args=[site.uuid]),
        {"code": "p1", "name": "Plant one", "grid_region": "South China grid", "version": row_version(site)},
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.name, site.grid_region) == ("Plant one", "South China grid")


# --- studies --------------------------------------------------------------------------------------


@pytest.fixture
def master(supplier, grid):
    product = Product.objects.create(organization=supplier, name="Smart meter", model_code="DDZY-1")
    site = Site.objects.create(organization=supplier, code="p1", name="Plant", grid_region="East China grid")
    return product, site


def _study_data(product_, site_, library, **overrides):
    data = {
        "product": product_.uuid,
        "site": site_.uuid,
        "name": "Smart meter 2025",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "units_produced": "120000",
        "declared_unit_amount": "1",
        "factor_dataset": library.dataset.pk,
        "electricity_factor": library.grid.pk,
        "electricity_series": "",
        "description": "",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def test_create_a_study(member_client, supplier, library, master):
    product, site = master

    response = member_client.post(reverse("web:study-create"), _study_data(product, site, library))

    study = Study.objects.get(organization=supplier)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:study-detail", args=[study.uuid])
    assert (study.product, study.site, study.name, study.status) == (product, site, "Smart meter 2025", "draft")
    assert (study.period_start, study.period_end, study.units_produced) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        Decimal("120000"),
    )
    assert (study.factor_dataset, study.electricity_factor) == (library.dataset, library.grid)
    assert study.stages.count() == 26


def test_new_study_from_a_products_row_preselects_the_product(member_client, master):
    product, _site = master

    response = member_client.get(reverse("web:study-create") + f"?product={product.uuid}")

    assert f'<option value="{product.uuid}" selected>Smart meter (DDZY-1)</option>' in _html(response)


def test_the_study_form_offers_only_the_organizations_choices(member_client, supplier, library, master, foreign):
    response = member_client.get(reverse("web:study-create"))

    html = _html(response)
    fields = response.context["form"].fields
    assert "Smart meter (DDZY-1)" in html
    assert SECRET not in html
    assert list(fields["product"].queryset) == [master[0]]
    assert list(fields["site"].queryset) == [master[1]]
    assert foreign["dataset"] not in fields["factor_dataset"].queryset
    assert library.dataset in fields["factor_dataset"].queryset
    assert foreign["factor"] not in fields["electricity_factor"].queryset
    assert library.grid in fields["electricity_factor"].queryset
    assert library.diesel not in fields["electricity_factor"].queryset  # only electricity factors
    assert foreign["series"] not in fields["electricity_series"].queryset


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ("product", "product", FOREIGN),
        ("site", "site", FOREIGN),
        ("dataset", "factor_dataset", FOREIGN),
        ("factor", "electricity_factor", FOREIGN),
        ("series", "electricity_series", FOREIGN),
    ],
)
def test_a_foreign_id_posted_by_hand_fails_at_its_field(
    member_client, supplier, library, master, foreign, override, field, message
):
    product, site = master
    row = foreign[override]
    data = _study_data(product, site, library, **{field: row.uuid if field in ("product", "site") else row.pk})
    if field == "electricity_series":
        data["electricity_factor"] = ""

    response = member_client.post(reverse("web:study-create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Study.objects.filter(organization=supplier).count() == 0
    assert StudyStage.objects.filter(organization=supplier).count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"units_produced": "-5"}, "units_produced", "Units produced in the period must be greater than zero."),
        ({"units_produced": "0"}, "units_produced", "Units produced in the period must be greater than zero."),
        ({"units_produced": "many"}, "units_produced", "Enter a number."),
        ({"period_end": "2024-12-31"}, "period_end", "The reporting period must end on or after the day it starts."),
        ({"period_start": "2025-13-01"}, "period_start", "Enter a valid date."),
        ({"declared_unit_amount": "0"}, "declared_unit_amount", "The declared unit amount must be greater than zero."),
        ({"electricity_factor": "999999"}, "electricity_factor", FOREIGN),
        ({"product": "not-a-uuid"}, "product", FOREIGN),
        ({"site": "00000000-0000-0000-0000-000000000000"}, "site", FOREIGN),
    ],
)
def test_study_form_bad_inputs_at_the_field_and_nothing_written(
    member_client, supplier, library, master, overrides, field, message
):
    product, site = master

    response = member_client.post(reverse("web:study-create"), _study_data(product, site, library, **overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Study.objects.count() == 0


def test_study_form_refuses_a_static_factor_and_a_series_together(member_client, library, master):
    product, site = master
    series = make_series(library.dataset, region="East China grid")

    response = member_client.post(
        reverse("web:study-create"), _study_data(product, site, library, electricity_series=series.pk)
    )

    assert response.context["form"].errors["electricity_series"] == [
        "Choose either a static electricity factor or a factor series, not both."
    ]
    assert Study.objects.count() == 0


def test_a_duplicate_study_name_is_an_error_at_the_name(member_client, supplier, library, master):
    product, site = master
    factories.make_study(supplier, library, name="Smart meter 2025")

    response = member_client.post(reverse("web:study-create"), _study_data(product, site, library))

    assert response.context["form"].errors["name"] == ["Your organization already has a study with this name."]
    assert Study.objects.count() == 1


def test_edit_a_study_and_refuse_a_stale_save(member_client, supplier, library):
    study = factories.make_study(supplier, library, name="Meter")
    url = reverse("web:study-edit", args=[study.uuid])
    opened = row_version(study)
    data = {
        "name": "Meter",
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "declared_unit_amount": "1",
        "factor_dataset": library.dataset.pk,
        "electricity_factor": library.grid.pk,
        "version": opened,
    }
    page = member_client.get(url)
    assert page.status_code == 200 and page.context["tab"] == "edit"

    first = member_client.post(url, {**data, "units_produced": "4500"})
    second = member_client.post(url, {**data, "units_produced": "9999"})

    assert first.status_code == 302
    assert second.status_code == 200
    assert "Someone else changed this line" in _html(second)
    assert "<dd>4500</dd>" in _html(second)
    assert Study.objects.get(pk=study.pk).units_produced == Decimal("4500")


def test_a_submitted_study_cannot_be_edited_from_the_page(member_client, supplier, library):
    study = factories.make_study(supplier, library, name="Sent")
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.SUBMITTED)
    study.refresh_from_db()

    page = _html(member_client.get(reverse("web:study-edit", args=[study.uuid])))
    response = member_client.post(
        reverse("web:study-edit", args=[study.uuid]),
        {
            "name": "Changed", "period_start": "2025-01-01", "period_end": "2025-01-31", "units_produced": "1",
            "declared_unit_amount": "1", "factor_dataset": library.dataset.pk, "version": row_version(study),
        },
    )  # fmt: skip

    assert "can no longer be changed" in page
    assert response.status_code == 200
    assert "can no longer be changed" in _html(response)
    assert Study.objects.get(pk=study.pk).name == "Sent"


# --- copying a study ------------------------------------------------------------------------------


def test_start_the_next_period_from_a_study(member_client, supplier, library):
    source = factories.make_study(supplier, library, name="Meter 2025-01", stage_nos=tuple(range(1, 27)))
    fill_study(source, library)
    url = reverse("web:study-copy", args=[source.uuid])

    form = member_client.get(url).context["form"]
    assert (form.initial["name"], form.initial["period_start"], form.initial["period_end"]) == (
        "Single-phase smart meter 2025-02",
        date(2025, 2, 1),
        date(2025, 2, 28),
    )

    response = member_client.post(
        url,
        {"name": "Meter 2025-02", "period_start": "2025-02-01", "period_end": "2025-02-28", "units_produced": "900"},
    )

    copy = Study.objects.get(name="Meter 2025-02")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:study-detail", args=[copy.uuid])
    assert (copy.product_id, copy.site_id, copy.status, copy.units_produced) == (
        source.product_id,
        source.site_id,
        "draft",
        Decimal("900"),
    )
    assert BomLine.objects.filter(study=copy).count() == 3
    assert TransportLeg.objects.filter(bom_line__study=copy).count() == 2
    assert FuelEntry.objects.filter(study=copy).count() == 2
    assert BomLine.objects.filter(study=source).count() == 3


def test_copy_form_bad_inputs_write_nothing(member_client, supplier, library):
    source = factories.make_study(supplier, library, name="Meter 2025-01")
    fill_study_count = Study.objects.count()

    response = member_client.post(
        reverse("web:study-copy", args=[source.uuid]),
        {"name": "Meter 2025-01", "period_start": "2025-02-01", "period_end": "2025-02-28", "units_produced": "-1"},
    )

    errors = response.context["form"].errors
    assert errors["units_produced"] == ["Units produced in the period must be greater than zero."]
    assert Study.objects.count() == fill_study_count


# --- ownership and roles --------------------------------------------------------------------------


def _foreign_urls(foreign) -> list[str]:
    return [
        reverse("web:product-edit", args=[foreign["product"].uuid]),
        reverse("web:site-edit", args=[foreign["site"].uuid]),
        reverse("web:study-edit", args=[foreign["study"].uuid]),
        reverse("web:study-copy", args=[foreign["study"].uuid]),
    ]


@pytest.mark.parametrize("kind", [OrganizationKind.SUPPLIER, OrganizationKind.BUYER])
def test_another_organizations_objects_are_404_and_nothing_is_written(db, foreign, kind):
    outsider = _client(factories.make_organization(kind=kind), Role.MANAGER)
    before = (Product.objects.count(), Site.objects.count(), Study.objects.count(), BomLine.objects.count())

    for url in _foreign_urls(foreign):
        for response in (
            outsider.get(url),
            outsider.post(url, {"name": "x", "model_code": "x", "code": "x", "units_produced": "1"}),
        ):
            assert response.status_code == 404, url
            assert SECRET not in _html(response)
    assert (Product.objects.count(), Site.objects.count(), Study.objects.count(), BomLine.objects.count()) == before
    assert Product.objects.get(pk=foreign["product"].pk).name == f"{SECRET} product"


def test_a_viewer_gets_403_on_every_write_page(viewer_client, supplier, library, grid):
    study = factories.make_study(supplier, library)
    urls = [
        reverse("web:product-create"),
        reverse("web:site-create"),
        reverse("web:study-create"),
        reverse("web:product-edit", args=[study.product.uuid]),
        reverse("web:site-edit", args=[study.site.uuid]),
        reverse("web:study-edit", args=[study.uuid]),
        reverse("web:study-copy", args=[study.uuid]),
    ]
    before = (Product.objects.count(), Site.objects.count(), Study.objects.count())

    for url in urls:
        assert viewer_client.get(url).status_code == 403, url
        response = viewer_client.post(
            url,
            {
                "name": "x", "model_code": "x", "code": "x", "grid_region": "East China grid",
                "product": study.product.pk, "site": study.site.pk, "period_start": "2025-01-01",
                "period_end": "2025-12-31", "units_produced": "1", "declared_unit_amount": "1",
                "factor_dataset": library.dataset.pk,
            },
        )  # fmt: skip
        assert response.status_code == 403, url
    assert (Product.objects.count(), Site.objects.count(), Study.objects.count()) == before
    assert Study.objects.get(pk=study.pk).name == study.name
