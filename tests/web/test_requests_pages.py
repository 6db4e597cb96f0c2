"""Footprint requests through the pages: the buyer -> supplier flow (propose, accept, request, submit a
study, decline), bad inputs at their fields with nothing written, who sees a request and who may answer it,
and the dashboards' exchange sections."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.enums import OrganizationKind, Role
from apps.exchange.enums import EventKind, RequestStatus, SubmissionState
from apps.exchange.models import ExchangeEvent, FootprintRequest, Submission, SupplyRelationship
from apps.exchange.services import relationship_end, relationship_propose, request_create
from apps.exchange.workflow import submission_create, submission_transition
from apps.footprints.models import FootprintResult
from apps.inventory.enums import StudyStatus
from apps.inventory.models import BomLine, Study
from apps.web.templatetags.cf_format import sig4
from tests import factories
from tests.exchange.builders import Exchange, build_exchange, compute, membership_of
from tests.footprints.check_builders import complete_study

FOREIGN = "Select a valid choice. That choice is not one of the available choices."


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _due(days: int = 30) -> date:
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def exchange(supplier, library) -> Exchange:
    """Buyer and supplier with an active relationship, an open request (due 2025-03-31: overdue now) and a
    complete, computed study of its product and period."""
    return build_exchange(supplier, library)


@pytest.fixture
def reviewer(exchange) -> Client:
    return _client(exchange.reviewer)


@pytest.fixture
def manager(exchange) -> Client:
    return _client(exchange.supplier_manager)


def _request_data(exchange: Exchange, **changes) -> dict[str, str]:
    data = {
        "supplier": str(exchange.relationship.uuid),
        "product_type": "Three-phase smart meter",
        "product_code": exchange.study.product.model_code,
        "product_description": "DTZY three-phase meter",
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "declared_unit": "piece",
        "due_date": _due().isoformat(),
        "message": "For the 2026 framework tender",
    }
    data.update(changes)
    return data


def _written() -> tuple[int, int, int]:
    return FootprintRequest.objects.count(), Submission.objects.count(), ExchangeEvent.objects.count()


# --- the whole flow ---------------------------------------------------------------------------------


def test_the_whole_flow_through_the_pages(supplier, library):
    buyer = factories.make_organization(kind=OrganizationKind.BUYER, name="Grid buyer")
    reviewer = _client(factories.make_member(buyer, role=Role.REVIEWER))
    manager = _client(factories.make_member(supplier, role=Role.MANAGER))
    study = complete_study(supplier, library)
    compute(study)

    # The buyer proposes, the supplier's manager accepts.
    assert reviewer.post(reverse("web:relationship-propose"), {"supplier": supplier.slug}).status_code == 302
    relationship = SupplyRelationship.objects.get()
    assert manager.post(reverse("web:relationship-accept", args=[relationship.uuid])).status_code == 302

    # The buyer requests a footprint; the form offers the supplier now that it is active.
    form_page = _html(reviewer.get(reverse("web:request-create")))
    assert f'value="{relationship.uuid}"' in form_page
    response = reviewer.post(
        reverse("web:request-create"),
        {
            "supplier": str(relationship.uuid),
            "product_type": "Single-phase smart meter",
            "product_code": study.product.model_code,
            "product_description": "",
            "period_start": "2025-01-01",
            "period_end": "2025-01-31",
            "declared_unit": "piece",
            "due_date": _due(20).isoformat(),
            "message": "Please include the SMT line.",
        },
    )
    footprint_request = FootprintRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:request-detail", args=[footprint_request.uuid])
    assert (footprint_request.organization, footprint_request.supplier, footprint_request.status) == (
        buyer,
        supplier,
        RequestStatus.OPEN,
    )
    assert footprint_request.due_date == _due(20) and footprint_request.message == "Please include the SMT line."

    # The supplier sees it in its list and on its page, with the study offered as ready.
    listed = _html(manager.get(reverse("web:request-list")))
    assert reverse("web:request-detail", args=[footprint_request.uuid]) in listed and "Grid buyer" in listed
    detail = manager.get(reverse("web:request-detail", args=[footprint_request.uuid]))
    (row,) = detail.context["studies"]
    assert row.study == study and row.ready and row.reasons == ()
    assert f'value="{study.uuid}"' in _html(detail)

    # It submits the study from the page: version 1, frozen at the study's latest result.
    response = manager.post(
        reverse("web:request-submit", args=[footprint_request.uuid]), {"study": str(study.uuid), "note": "v1"}
    )
    assert response.status_code == 302
    submission = Submission.objects.get()
    latest = FootprintResult.objects.filter(study=study).latest("created_at")
    assert (submission.version, submission.state, submission.result, submission.note) == (
        1,
        SubmissionState.SUBMITTED,
        latest,
        "v1",
    )
    study.refresh_from_db()
    assert study.status == StudyStatus.SUBMITTED

    # The buyer sees version 1 and its state on the request and in its list.
    buyer_detail = reviewer.get(reverse("web:request-detail", args=[footprint_request.uuid]))
    assert [v.version for v in buyer_detail.context["versions"]] == [1]
    assert "Submitted" in _html(buyer_detail)
    assert buyer_detail.context["submit_form"] is None and buyer_detail.context["decline_form"] is None
    (buyer_row,) = reviewer.get(reverse("web:request-list")).context["rows"]
    assert (buyer_row.latest_version, buyer_row.latest_state) == (1, SubmissionState.SUBMITTED)
    kinds = list(ExchangeEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        EventKind.RELATIONSHIP_PROPOSED,
        EventKind.RELATIONSHIP_ACCEPTED,
        EventKind.REQUEST_CREATED,
        EventKind.SUBMITTED,
    ]


def test_the_request_form_suggests_the_buyers_earlier_product_types(exchange, reviewer):
    html = _html(reviewer.get(reverse("web:request-create")))

    assert '<datalist id="product-types"><option value="Single-phase smart meter"></datalist>' in html
    assert 'list="product-types"' in html


def test_the_supplier_list_links_an_active_supplier_to_a_preselected_request_form(exchange, reviewer):
    link = f"{reverse('web:request-create')}?supplier={exchange.relationship.uuid}"

    assert link in _html(reviewer.get(reverse("web:supplier-list")))
    html = _html(reviewer.get(link))
    assert f'<option value="{exchange.relationship.uuid}" selected>' in html


def test_the_request_form_offers_only_active_relationships(exchange, reviewer, other_supplier):
    pending = relationship_propose(membership=exchange.reviewer_membership(), supplier_identifier=other_supplier.slug)

    form = reviewer.get(reverse("web:request-create")).context["form"]

    offered = [value for value, _label in form.fields["supplier"].widget.choices if value]
    assert offered == [str(exchange.relationship.uuid)]
    assert str(pending.uuid) not in offered


# --- bad inputs at the request form -----------------------------------------------------------------


def test_a_due_date_in_the_past_is_an_error_at_the_field(exchange, reviewer):
    before = _written()
    yesterday = _due(-1)

    response = reviewer.post(reverse("web:request-create"), _request_data(exchange, due_date=yesterday.isoformat()))

    assert response.status_code == 200
    assert response.context["form"].errors == {"due_date": [f"The due date {yesterday} is in the past."]}
    assert _written() == before


def test_a_supplier_that_has_not_accepted_is_an_error_at_the_supplier(exchange, reviewer, other_supplier):
    pending = relationship_propose(membership=exchange.reviewer_membership(), supplier_identifier=other_supplier.slug)
    before = _written()

    response = reviewer.post(reverse("web:request-create"), _request_data(exchange, supplier=str(pending.uuid)))

    assert response.context["form"].errors == {
        "supplier": [f"{other_supplier.name} has not accepted your supply relationship yet."]
    }
    assert _written() == before


def test_an_ended_relationship_is_an_error_at_the_supplier(exchange, reviewer):
    buyer_manager = factories.make_member(exchange.buyer, role=Role.MANAGER)
    relationship_end(membership=membership_of(buyer_manager, exchange.buyer), relationship=exchange.relationship)
    before = _written()

    response = reviewer.post(reverse("web:request-create"), _request_data(exchange))

    assert response.context["form"].errors == {
        "supplier": [f"Your supply relationship with {exchange.supplier.name} has ended."]
    }
    assert _written() == before


def test_another_buyers_relationship_or_an_unknown_one_is_an_error_at_the_supplier(exchange, reviewer, library):
    other = build_exchange(factories.make_organization(), library)
    before = _written()

    for value in (str(other.relationship.uuid), "00000000-0000-0000-0000-000000000000", "not-a-uuid", ""):
        response = reviewer.post(reverse("web:request-create"), _request_data(exchange, supplier=value))
        expected = FOREIGN if value else "This field is required."
        assert response.context["form"].errors == {"supplier": [expected]}, value
    assert other.supplier.name not in _html(response)
    assert _written() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"period_start": "2025-02-01", "period_end": "2025-01-31"},
            "period_end",
            "The reporting period must end on or after the day it starts.",
        ),
        (
            {"product_code": "", "product_description": ""},
            "product_code",
            "Name the product: the supplier's model code or a description.",
        ),
        ({"product_type": ""}, "product_type", "This field is required."),
        ({"due_date": "31/03/2026"}, "due_date", "Enter a valid date."),
        ({"declared_unit": "kg"}, "declared_unit", "Select a valid choice. kg is not one of the available choices."),
    ],
)
def test_request_form_bad_inputs_at_the_field_and_nothing_written(exchange, reviewer, changes, field, message):
    before = _written()

    response = reviewer.post(reverse("web:request-create"), _request_data(exchange, **changes))

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert f'id="field-{field}"' in _html(response)
    assert _written() == before


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (OrganizationKind.BUYER, Role.VIEWER),
        (OrganizationKind.BUYER, Role.EDITOR),
        (OrganizationKind.SUPPLIER, Role.MANAGER),
        (OrganizationKind.VERIFIER, Role.MANAGER),
    ],
)
def test_only_a_buyers_reviewer_or_manager_may_request(exchange, kind, role):
    organization = exchange.buyer if kind == OrganizationKind.BUYER else factories.make_organization(kind=kind)
    client = _client(factories.make_member(organization, role=role))
    before = _written()

    assert client.get(reverse("web:request-create")).status_code == 403
    assert client.post(reverse("web:request-create"), _request_data(exchange)).status_code == 403
    assert reverse("web:request-create") not in _html(client.get(reverse("web:request-list")))
    assert _written() == before


def test_a_buyers_manager_may_request(exchange):
    client = _client(factories.make_member(exchange.buyer, role=Role.MANAGER))

    response = client.post(reverse("web:request-create"), _request_data(exchange))

    assert response.status_code == 302
    assert FootprintRequest.objects.filter(product_type="Three-phase smart meter").count() == 1


# --- who sees a request -----------------------------------------------------------------------------


def test_a_supplier_without_a_relationship_gets_404_and_learns_nothing(exchange, other_supplier):
    outsider = _client(factories.make_member(other_supplier, role=Role.MANAGER))
    other_buyer = _client(factories.make_member(factories.make_organization(kind=OrganizationKind.BUYER)))
    before = _written()

    for client in (outsider, other_buyer):
        detail = reverse("web:request-detail", args=[exchange.request.uuid])
        assert client.get(detail).status_code == 404
        for name in ("web:request-submit", "web:request-decline"):
            response = client.post(reverse(name, args=[exchange.request.uuid]), {"study": str(exchange.study.uuid)})
            assert response.status_code == 404
        listed = _html(client.get(reverse("web:request-list")))
        assert exchange.request.product_label not in listed
    assert _written() == before


def test_the_supplier_loses_the_request_when_the_relationship_ends(exchange, manager, reviewer):
    detail = reverse("web:request-detail", args=[exchange.request.uuid])
    assert manager.get(detail).status_code == 200
    relationship_end(membership=exchange.manager_membership(), relationship=exchange.relationship)

    assert manager.get(detail).status_code == 404
    assert manager.get(reverse("web:request-list")).context["rows"] == []
    assert reviewer.get(detail).status_code == 200  # the buyer keeps its own request


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.VERIFIER])
def test_a_supplier_member_who_is_not_a_manager_reads_but_cannot_answer(exchange, role):
    client = _client(factories.make_member(exchange.supplier, role=role))
    before = _written()

    page = client.get(reverse("web:request-detail", args=[exchange.request.uuid]))
    submit = client.post(
        reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(exchange.study.uuid)}
    )
    decline = client.post(reverse("web:request-decline", args=[exchange.request.uuid]), {"reason": "No."})

    assert page.status_code == 200
    assert page.context["submit_form"] is None and page.context["decline_form"] is None
    assert reverse("web:request-submit", args=[exchange.request.uuid]) not in _html(page)
    assert "Only a manager of your organization" in _html(page)
    assert (submit.status_code, decline.status_code) == (403, 403)
    assert _written() == before
    exchange.request.refresh_from_db()
    assert exchange.request.status == RequestStatus.OPEN


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.MANAGER])
def test_the_buyer_cannot_answer_its_own_request(exchange, role):
    client = _client(factories.make_member(exchange.buyer, role=role))
    before = _written()

    submit = client.post(
        reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(exchange.study.uuid)}
    )
    decline = client.post(reverse("web:request-decline", args=[exchange.request.uuid]), {"reason": "No."})

    assert (submit.status_code, decline.status_code) == (403, 403)
    assert _written() == before


def test_the_pages_only_take_their_methods(exchange, manager):
    detail = reverse("web:request-detail", args=[exchange.request.uuid])

    assert manager.post(detail).status_code == 405
    assert manager.get(reverse("web:request-submit", args=[exchange.request.uuid])).status_code == 405
    assert manager.get(reverse("web:request-decline", args=[exchange.request.uuid])).status_code == 405
    assert manager.post(reverse("web:request-list")).status_code == 405


# --- submitting from the page -----------------------------------------------------------------------


def _same_product(study: Study, exchange: Exchange) -> Study:
    """Another study of the requested product (model codes are unique in an organization)."""
    Study.objects.filter(pk=study.pk).update(product=exchange.study.product)
    study.refresh_from_db()
    return study


def test_a_study_that_is_not_ready_is_offered_disabled_and_the_workflow_says_why(exchange, manager, library):
    uncomputed = _same_product(complete_study(exchange.supplier, library), exchange)
    before = _written()

    page = manager.get(reverse("web:request-detail", args=[exchange.request.uuid]))
    rows = {row.study: row for row in page.context["studies"]}
    response = manager.post(
        reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(uncomputed.uuid)}
    )

    assert rows[exchange.study].ready
    assert rows[uncomputed].reasons == ("It has not been computed.",)
    assert f'<option value="{uncomputed.uuid}" disabled>' in _html(page)
    assert response.status_code == 200
    assert response.context["submit_form"].errors == {"study": ["Compute the study before submitting it."]}
    assert 'id="field-study"' in _html(response)
    assert _written() == before


def test_a_study_changed_after_its_computation_is_refused_with_the_workflows_words(exchange, manager):
    line = BomLine.objects.filter(study=exchange.study).first()
    line.quantity = Decimal(2)
    line.save()
    before = _written()

    page = manager.get(reverse("web:request-detail", args=[exchange.request.uuid]))
    response = manager.post(
        reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(exchange.study.uuid)}
    )

    (row,) = page.context["studies"]
    assert row.reasons == ("It changed after its latest computation.",)
    assert response.context["submit_form"].errors == {
        "study": [
            "The study changed after its latest computation. Compute it again so the result shows what you submit."
        ]
    }
    assert _written() == before


def test_a_study_of_another_period_or_organization_is_not_a_choice(exchange, manager, library, other_supplier):
    other_period = factories.make_study(exchange.supplier, library, period=(date(2024, 1, 1), date(2024, 12, 31)))
    foreign = factories.make_study(other_supplier, factories.make_library(organization=other_supplier))
    before = _written()

    page = manager.get(reverse("web:request-detail", args=[exchange.request.uuid]))
    for study in (other_period, foreign):
        response = manager.post(reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(study.uuid)})
        assert response.context["submit_form"].errors == {"study": [FOREIGN]}
        assert str(study.uuid) not in _html(page)
    assert _written() == before


def test_the_second_version_waits_until_the_first_is_reviewed(exchange, manager):
    manager.post(reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(exchange.study.uuid)})

    page = manager.get(reverse("web:request-detail", args=[exchange.request.uuid]))
    again = manager.post(
        reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(exchange.study.uuid)}
    )

    (row,) = page.context["studies"]
    assert row.reasons == ("The study is Submitted.",)
    assert again.context["submit_form"].errors == {
        "study": ["The study is Submitted. Only a draft or a returned study can be submitted."]
    }
    assert Submission.objects.count() == 1


def test_a_returned_version_is_answered_with_version_2(exchange, manager, reviewer):
    first = exchange.submit()
    submission_transition(
        membership=exchange.reviewer_membership(), submission=first, name="return", comment="Meter the SMT line."
    )
    compute(exchange.study)

    response = manager.post(
        reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(exchange.study.uuid)}
    )

    assert response.status_code == 302
    versions = reviewer.get(reverse("web:request-detail", args=[exchange.request.uuid])).context["versions"]
    assert [(v.version, v.state) for v in versions] == [(2, SubmissionState.SUBMITTED), (1, SubmissionState.RETURNED)]
    assert versions[0].preceding == first


# --- declining --------------------------------------------------------------------------------------


def test_declining_without_a_reason_is_an_error_at_the_reason(exchange, manager):
    before = _written()

    response = manager.post(reverse("web:request-decline", args=[exchange.request.uuid]), {"reason": "  "})

    assert response.status_code == 200
    assert response.context["decline_form"].errors == {"reason": ["Say why you decline: the buyer reads it."]}
    assert 'id="field-reason"' in _html(response)
    exchange.request.refresh_from_db()
    assert exchange.request.status == RequestStatus.OPEN
    assert _written() == before


def test_declining_with_a_reason_closes_the_request_and_the_buyer_reads_why(exchange, manager, reviewer):
    response = manager.post(
        reverse("web:request-decline", args=[exchange.request.uuid]),
        {"reason": "We stopped making this model in 2024."},
    )

    assert response.status_code == 302
    exchange.request.refresh_from_db()
    assert exchange.request.status == RequestStatus.DECLINED
    assert exchange.request.decline_reason == "We stopped making this model in 2024."
    buyer_page = reviewer.get(reverse("web:request-detail", args=[exchange.request.uuid]))
    assert "We stopped making this model in 2024." in _html(buyer_page)
    assert "Declined by the supplier" in _html(buyer_page)
    supplier_page = manager.get(reverse("web:request-detail", args=[exchange.request.uuid]))
    assert supplier_page.context["submit_form"] is None and supplier_page.context["decline_form"] is None
    assert ExchangeEvent.objects.filter(kind=EventKind.REQUEST_DECLINED).count() == 1


def test_a_request_with_a_version_waiting_cannot_be_declined(exchange, manager):
    exchange.submit()
    before = _written()

    response = manager.post(reverse("web:request-decline", args=[exchange.request.uuid]), {"reason": "No."})

    assert response.context["decline_form"].errors == {
        "reason": ["A version is waiting for the buyer's review: withdraw it before declining."]
    }
    assert _written() == before


def test_a_declined_request_takes_no_submission_and_says_so(exchange, manager):
    manager.post(reverse("web:request-decline", args=[exchange.request.uuid]), {"reason": "No capacity."})

    response = manager.post(
        reverse("web:request-submit", args=[exchange.request.uuid]), {"study": str(exchange.study.uuid)}
    )
    again = manager.post(reverse("web:request-decline", args=[exchange.request.uuid]), {"reason": "Still no."})

    assert response.context["submit_form"].errors == {
        "study": ["This request is Declined by the supplier: it takes no more submissions."]
    }
    assert again.context["decline_form"].errors == {
        "reason": ["This request cannot be declined: it is Declined by the supplier."]
    }
    assert Submission.objects.count() == 0


# --- the lists --------------------------------------------------------------------------------------


def test_the_suppliers_list_puts_open_requests_first_by_due_date_and_marks_overdue(exchange, manager):
    membership = exchange.reviewer_membership()

    def ask(due: date, code: str):
        return request_create(
            membership=membership,
            relationship=exchange.relationship,
            product_type="Meter",
            product_code=code,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 1, 31),
            due_date=due,
            today=date(2025, 1, 1),
        )

    later, sooner = ask(_due(60), "LATER"), ask(_due(5), "SOONER")
    declined = ask(_due(1), "DECLINED")
    FootprintRequest.objects.filter(pk=declined.pk).update(status=RequestStatus.DECLINED)

    response = manager.get(reverse("web:request-list"))

    rows = response.context["rows"]
    assert [row.request for row in rows] == [exchange.request, sooner, later, declined]
    assert [row.overdue for row in rows] == [True, False, False, False]
    assert _html(response).count('class="request-row overdue"') == 1
    open_only = manager.get(reverse("web:request-list") + "?status=open").context["rows"]
    assert [row.request for row in open_only] == [exchange.request, sooner, later]


def test_the_buyers_list_shows_the_latest_versions_state(exchange, reviewer):
    exchange.submit()

    response = reviewer.get(reverse("web:request-list"))

    (row,) = response.context["rows"]
    assert (row.request, row.latest_version, row.latest_state) == (exchange.request, 1, SubmissionState.SUBMITTED)
    assert "v1" in _html(response) and "Submitted" in _html(response)


def test_the_lists_take_a_fixed_number_of_queries(exchange, manager, reviewer):
    def count(client: Client) -> int:
        client.get(reverse("web:request-list"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("web:request-list")).status_code == 200
        return len(queries)

    few = (count(manager), count(reviewer))
    for n in range(4):
        request_create(
            membership=exchange.reviewer_membership(),
            relationship=exchange.relationship,
            product_type="Meter",
            product_code=f"M-{n}",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 1, 31),
            due_date=_due(n + 1),
        )
    exchange.submit()

    assert (count(manager), count(reviewer)) == few


def test_the_request_page_takes_a_fixed_number_of_queries(exchange, manager, library):
    detail = reverse("web:request-detail", args=[exchange.request.uuid])
    manager.get(detail)
    with CaptureQueriesContext(connection) as few:
        manager.get(detail)
    for _ in range(3):
        compute(_same_product(complete_study(exchange.supplier, library), exchange))
    manager.get(detail)  # the new studies' checks

    with CaptureQueriesContext(connection) as many:
        response = manager.get(detail)

    assert len(response.context["studies"]) == 4
    assert len(many) == len(few)


# --- dashboards -------------------------------------------------------------------------------------


def test_the_suppliers_dashboard_starts_with_open_requests_and_proposals(exchange, manager):
    other_buyer = factories.make_organization(kind=OrganizationKind.BUYER, name="Southern grid buyer")
    other_reviewer = factories.make_member(other_buyer, role=Role.REVIEWER)
    relationship_propose(
        membership=membership_of(other_reviewer, other_buyer), supplier_identifier=exchange.supplier.slug, note="Hi"
    )

    response = manager.get(reverse("web:study-list"))
    html = _html(response)

    assert [row.request for row in response.context["open_requests"]] == [exchange.request]
    assert [row.counterpart for row in response.context["proposals"]] == [other_buyer]
    assert "Southern grid buyer proposes to keep you as a supplier." in html
    assert reverse("web:request-detail", args=[exchange.request.uuid]) in html
    assert "2025-03-31" in html and 'class="request-row overdue"' in html
    assert html.index("Open requests") < html.index(exchange.study.name)


def test_a_supplier_without_requests_sees_no_exchange_sections(supplier, library):
    client = _client(factories.make_member(supplier, role=Role.MANAGER))

    html = _html(client.get(reverse("web:study-list")))

    assert "Open requests" not in html and "proposes to keep you" not in html


def test_the_buyers_dashboard_shows_requests_waiting_versions_and_accepted_footprints(exchange, reviewer, library):
    accepted = exchange.submit()
    submission_transition(membership=exchange.reviewer_membership(), submission=accepted, name="accept")
    study = complete_study(exchange.supplier, library)
    compute(study)
    waiting = request_create(
        membership=exchange.reviewer_membership(),
        relationship=exchange.relationship,
        product_type="Single-phase smart meter",
        product_code=study.product.model_code,
        period_start=study.period_start,
        period_end=study.period_end,
        due_date=_due(10),
    )
    submission_create(membership=exchange.manager_membership(), footprint_request=waiting, study=study)

    response = reviewer.get(reverse("web:study-list"))
    html = _html(response)

    assert response.context["waiting_count"] == 1
    assert "1 submitted version waits for review." in html
    assert [row.request for row in response.context["open_requests"]] == [waiting]
    assert [s.pk for s in response.context["accepted"]] == [accepted.pk]
    accepted_row = html[html.index(f'data-submission="{accepted.uuid}"') :]
    accepted_row = accepted_row[: accepted_row.index("</tr>")]
    assert exchange.supplier.name in accepted_row and "Single-phase smart meter" in accepted_row
    assert f'<td class="num total-e">{sig4(accepted.result.totals["e"])}</td>' in accepted_row
    assert "buyer organization" in html
    assert reverse("web:study-create") not in html


def test_an_ended_relationship_leaves_the_buyers_dashboard_counts(exchange, reviewer):
    exchange.submit()
    relationship_end(membership=exchange.manager_membership(), relationship=exchange.relationship)

    response = reviewer.get(reverse("web:study-list"))

    assert response.context["waiting_count"] == 0
