"""Once the buyer returns a version, the supplier sees each comment at its line in the workspace: on the
overview (each linking to its line's field), in the bill-of-materials grid, the stages and the fuels and
waste; not before the return, not after the next submission, and never in another organization."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.models import Material
from apps.exchange.services import comment_add
from apps.exchange.workflow import submission_transition
from apps.inventory.enums import TransportMode
from apps.inventory.models import BomLine, Study
from apps.inventory.services.bom import bom_line_add_custom, bom_line_delete, bom_line_update, transport_leg_add
from apps.ledger.entries import fuel_entry_add, fuel_entry_delete
from apps.ledger.models import FuelEntry
from tests import factories
from tests.exchange.builders import Exchange, build_exchange, compute

pytestmark = pytest.mark.django_db

PCB_COMMENT = "The PCB weighs twice what the datasheet says."
STAGE_COMMENT = "500 kWh for SMT in January looks high."
FUEL_COMMENT = "Is the forklift diesel allocated by hours?"
RETURN_COMMENT = "Please check the three lines we marked."


@pytest.fixture
def ex(supplier, library) -> Exchange:
    """The exchange's study with two fuel entries, computed again."""
    ex = build_exchange(supplier, library)
    for description, quantity in (("Generator diesel", "40"), ("Forklift diesel", "120")):
        fuel_entry_add(
            study=ex.study, factor=library.diesel, quantity=Decimal(quantity), unit="kg", description=description,
            user=ex.supplier_editor,
        )  # fmt: skip
    compute(ex.study)
    return ex


def _client(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _get(client: Client, name: str, study: Study) -> str:
    response = client.get(reverse(name, args=[study.uuid]))
    assert response.status_code == 200
    return response.content.decode()


def _block(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found is not None, pattern
    return found.group(0)


def _grid_row(html: str, key: str) -> str:
    return _block(html, rf'<tbody id="{key}".*?</tbody>')


def _table_row(html: str, row_id: str) -> str:
    return _block(html, rf'<tr id="{row_id}"[ >].*?</tr>')


def _pcb(study: Study) -> BomLine:
    return BomLine.objects.get(study=study, material=Material.objects.get(no=20))


def _fuels(study: Study) -> list[FuelEntry]:
    return list(FuelEntry.objects.filter(study=study).order_by("id"))


def _under_review(ex: Exchange):
    reviewer = ex.reviewer_membership()
    submission = ex.submit()
    comment_add(
        membership=reviewer, submission=submission, body=PCB_COMMENT, line_key="material/20",
        line_label="20. printed circuit board",
    )  # fmt: skip
    comment_add(membership=reviewer, submission=submission, body=STAGE_COMMENT, line_key="stage/4", line_label="4. SMT")
    comment_add(
        membership=reviewer, submission=submission, body=FUEL_COMMENT, line_key="fuel/2", line_label="Forklift diesel"
    )
    return submission


def _return(ex: Exchange, submission) -> None:
    submission_transition(
        membership=ex.reviewer_membership(), submission=submission, name="return", comment=RETURN_COMMENT
    )
    ex.study.refresh_from_db()


def _links(overview: str) -> dict[str, str]:
    """The panel's links, by the comment they lead from."""
    panel = _block(overview, r'<section class="buyer-comments-panel".*?</section>')
    return {
        body: href
        for href, body in re.findall(
            r'<a href="([^"]+)">[^<]*</a>.*?<blockquote class="buyer-comment-body">(.*?)</blockquote>', panel, re.S
        )
    }


def test_a_returned_versions_comments_show_at_their_lines_and_link_to_their_fields(ex):
    _return(ex, _under_review(ex))
    client = _client(ex.supplier_editor)
    pcb, (generator, forklift) = _pcb(ex.study), _fuels(ex.study)

    overview = _get(client, "web:study-detail", ex.study)
    assert '<h2 id="buyer-comments-heading">Buyer\'s comments</h2>' in overview
    panel = _block(overview, r'<section class="buyer-comments-panel".*?</section>')
    assert f"{ex.buyer.name}, version 1" in panel
    assert ex.reviewer.username in panel
    assert RETURN_COMMENT in panel and "The whole version" in panel
    links = _links(overview)
    bom, stages, entries = (reverse(n, args=[ex.study.uuid]) for n in ("web:study-bom", "web:study-stages",
                                                                         "web:study-entries"))  # fmt: skip
    assert links == {
        PCB_COMMENT: f"{bom}#line-{pcb.pk}-quantity",
        STAGE_COMMENT: f"{stages}#stage-4-electricity",
        FUEL_COMMENT: f"{entries}#fuel-{forklift.pk}",
    }
    for href in links.values():  # each lands on an element with that id
        path, anchor = href.split("#")
        page = client.get(path).content.decode()
        assert f'id="{anchor}"' in page, href

    grid = _get(client, "web:study-bom", ex.study)
    pcb_row = _grid_row(grid, f"line-{pcb.pk}")
    assert PCB_COMMENT in pcb_row and "has-buyer-comment" in pcb_row
    assert f"Comment of {ex.buyer.name} on version 1:" in pcb_row
    assert grid.count('class="buyer-comment"') == 1

    stage_page = _get(client, "web:study-stages", ex.study)
    assert STAGE_COMMENT in _table_row(stage_page, "stage-4")
    assert stage_page.count('class="buyer-comment"') == 1

    entries_page = _get(client, "web:study-entries", ex.study)
    assert FUEL_COMMENT in _table_row(entries_page, f"fuel-{forklift.pk}")
    assert FUEL_COMMENT not in _table_row(entries_page, f"fuel-{generator.pk}")
    edit = client.get(reverse("web:fuel-entry-edit", args=[ex.study.uuid, forklift.pk])).content.decode()
    assert FUEL_COMMENT in edit


def test_a_grid_rendered_before_the_return_does_not_hide_the_comment_after_it(ex):
    submission = _under_review(ex)
    client = _client(ex.supplier_editor)
    pcb = _pcb(ex.study)
    with CaptureQueriesContext(connection) as rendered:
        before = _get(client, "web:study-bom", ex.study)  # cached under the study's mark
    assert PCB_COMMENT not in before
    with CaptureQueriesContext(connection) as cached:
        _get(client, "web:study-bom", ex.study)
    assert len(cached.captured_queries) < len(rendered.captured_queries)  # served from the cache

    _return(ex, submission)

    after = _get(client, "web:study-bom", ex.study)
    assert PCB_COMMENT in _grid_row(after, f"line-{pcb.pk}")


def test_nothing_shows_while_the_version_is_under_review_nor_once_the_study_is_submitted_again(ex):
    client = _client(ex.supplier_manager)
    submission = _under_review(ex)
    pages = ("web:study-detail", "web:study-bom", "web:study-stages", "web:study-entries")
    for name in pages:
        html = _get(client, name, ex.study)
        assert not any(text in html for text in (PCB_COMMENT, STAGE_COMMENT, FUEL_COMMENT)), name
        assert "buyer-comment" not in html, name

    _return(ex, submission)
    assert all(PCB_COMMENT in _get(client, name, ex.study) for name in ("web:study-detail", "web:study-bom"))

    pcb = _pcb(ex.study)
    bom_line_update(
        study=ex.study, line=pcb, quantity=Decimal("0.5"), loss_rate=pcb.loss_rate, factor=pcb.factor,
        data_source=pcb.data_source, unit_mass_kg=pcb.unit_mass_kg, notes=pcb.notes, expected_version=None,
        user=ex.supplier_manager,
    )  # fmt: skip
    compute(ex.study)
    ex.submit()
    for name in pages:
        html = _get(client, name, ex.study)
        assert "buyer-comment" not in html and PCB_COMMENT not in html, name


def test_a_user_of_another_supplier_or_the_buyer_sees_none_of_it(ex, other_supplier, library):
    _return(ex, _under_review(ex))
    outsider = _client(factories.make_member(other_supplier))
    buyer = _client(ex.reviewer)
    for name in ("web:study-detail", "web:study-bom", "web:study-stages", "web:study-entries"):
        url = reverse(name, args=[ex.study.uuid])
        assert outsider.get(url).status_code == 404
        assert buyer.get(url).status_code == 404
    # And the other supplier's own study shows no comment of anyone.
    own = factories.make_study(other_supplier, factories.make_library(organization=other_supplier))
    html = _get(outsider, "web:study-detail", own)
    assert "buyer-comment" not in html and PCB_COMMENT not in html


def test_a_comment_stays_with_its_line_when_earlier_lines_are_deleted_or_its_line_is(ex):
    _return(ex, _under_review(ex))
    generator, forklift = _fuels(ex.study)
    fuel_entry_delete(study=ex.study, entry=generator, user=ex.supplier_editor)
    client = _client(ex.supplier_editor)

    # fuel/2 was the forklift when the version was submitted: now the first entry, still the forklift.
    entries_page = _get(client, "web:study-entries", ex.study)
    assert FUEL_COMMENT in _table_row(entries_page, f"fuel-{forklift.pk}")
    assert _links(_get(client, "web:study-detail", ex.study))[FUEL_COMMENT].endswith(f"#fuel-{forklift.pk}")

    # The PCB line deleted: the comment goes to the material's row as it is now (no line: the empty row).
    pcb = _pcb(ex.study)
    bom_line_delete(study=ex.study, line=pcb, user=ex.supplier_editor)
    grid = _get(client, "web:study-bom", ex.study)
    assert PCB_COMMENT in _grid_row(grid, "material-20")
    link = _links(_get(client, "web:study-detail", ex.study))[PCB_COMMENT]
    assert link.endswith("#material-20-quantity") and 'id="material-20-quantity"' in grid

    # The forklift deleted too: its comment stays on the overview, without a link.
    fuel_entry_delete(study=ex.study, entry=forklift, user=ex.supplier_editor)
    overview = _get(client, "web:study-detail", ex.study)
    assert FUEL_COMMENT in overview and FUEL_COMMENT not in _links(overview)
    assert "no longer in the study" in overview


def test_the_pages_with_comments_read_in_a_fixed_number_of_queries(ex):
    submission = _under_review(ex)
    _return(ex, submission)
    client = _client(ex.supplier_editor)
    pages = ("web:study-detail", "web:study-bom", "web:study-stages", "web:study-entries")

    def counts() -> list[int]:
        """Each page rendered afresh (nothing served from the fragment cache)."""
        result = []
        for name in pages:
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                _get(client, name, ex.study)
            result.append(len(captured.captured_queries))
        return result

    few = counts()
    # More comments on the same version (written directly: a returned version takes no more through the
    # service), on more lines of each kind.
    from apps.exchange.models import ReviewComment

    for no in (1, 2, 3, 5, 8, 13, 21):
        ReviewComment.objects.create(
            organization=ex.buyer, submission=submission, target="material", line_key=f"material/{no}",
            line_label=f"material {no}", body=f"comment on {no}", author=ex.reviewer,
        )  # fmt: skip
    many = counts()
    assert many == few
    assert _get(client, "web:study-bom", ex.study).count('class="buyer-comment"') == 8


def test_comments_on_a_line_beyond_the_catalogue_and_on_a_transport_leg_land_on_their_rows(ex, library):
    packaging = bom_line_add_custom(
        study=ex.study, name="Carton box", activity_unit="piece", quantity=Decimal(1), loss_rate=Decimal(0),
        factor=library.case, user=ex.supplier_editor,
    )  # fmt: skip
    pcb = _pcb(ex.study)
    transport_leg_add(
        line=pcb, mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(300), mass_kg=Decimal("0.2"),
        factor=library.truck, user=ex.supplier_editor,
    )  # fmt: skip
    compute(ex.study)
    submission = ex.submit()
    reviewer = ex.reviewer_membership()
    comment_add(membership=reviewer, submission=submission, body="Which carton grade?", line_key="custom/1")
    comment_add(membership=reviewer, submission=submission, body="300 km by truck?", line_key="material/20/transport/1")
    _return(ex, submission)
    client = _client(ex.supplier_editor)

    links = _links(_get(client, "web:study-detail", ex.study))
    bom = reverse("web:study-bom", args=[ex.study.uuid])
    assert links == {
        "Which carton grade?": f"{bom}#line-{packaging.pk}-quantity",
        "300 km by truck?": f"{bom}#line-{pcb.pk}-legs",
    }
    grid = _get(client, "web:study-bom", ex.study)
    assert "Which carton grade?" in _grid_row(grid, f"line-{packaging.pk}")
    assert "300 km by truck?" in _grid_row(grid, f"line-{pcb.pk}")
    assert f'id="line-{pcb.pk}-legs"' in grid and f'id="line-{packaging.pk}-quantity"' in grid
