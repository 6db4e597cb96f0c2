"""Cached page fragments (apps.web.fragments): the bill-of-materials grid and the result section are served from
the cache until their inputs change, each user gets their own CSRF token in the shared HTML, and what a role
or a language shows is never served to another role or language. Transport legs load when opened."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import Role
from apps.catalog.models import Material
from apps.inventory.enums import TransportMode
from apps.inventory.models import BomLine, Study, TransportLeg
from apps.web.fragments import CSRF_PLACEHOLDER
from tests import factories
from tests.web.builders import make_result

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def study(supplier, library) -> Study:
    study = factories.make_study(supplier, library, name="cached grid")
    line = BomLine.objects.create(
        organization=supplier, study=study, material=Material.objects.get(no=20), quantity=Decimal("1.25"),
        factor=library.pcb,
    )  # fmt: skip
    TransportLeg.objects.create(
        organization=supplier, bom_line=line, mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(321),
        mass_kg=Decimal("0.04"), factor=library.truck,
    )  # fmt: skip
    return study


def _client(organization, role: str = Role.EDITOR, *, language: str = "en", csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(factories.make_member(organization, role=role))
    client.cookies["django_language"] = language
    return client


def _grid(client: Client, study: Study) -> str:
    response = client.get(reverse("web:study-bom", args=[study.uuid]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_user_gets_their_own_csrf_token_in_the_cached_grid_and_it_works(study, supplier):
    first, second = _client(supplier, csrf=True), _client(supplier, csrf=True)
    first_tokens = set(TOKEN.findall(_grid(first, study)))  # fills the cache
    page = _grid(second, study)
    line = study.bom_lines.get()

    assert CSRF_PLACEHOLDER not in page
    tokens = set(TOKEN.findall(page))
    assert tokens and not tokens & first_tokens
    delete = reverse("web:bom-line-delete", args=[study.uuid, line.pk])
    form = re.search(rf'<form method="post" action="{delete}".*?</form>', page, re.S).group(0)
    token, version = TOKEN.search(form).group(1), re.search(r'name="version" value="([^"]+)"', form).group(1)
    response = second.post(delete, {"csrfmiddlewaretoken": token, "version": version})

    assert response.status_code == 302
    assert not study.bom_lines.exists()


def test_an_edit_shows_on_the_next_cached_grid(study, supplier):
    client = _client(supplier)
    assert 'value="1.25"' in _grid(client, study)
    BomLine.objects.filter(study=study).get().save()  # no change: the page stays as it was
    line = study.bom_lines.get()
    line.quantity = Decimal("7.5")
    line.save()

    page = _grid(client, study)

    assert 'value="7.5"' in page and 'value="1.25"' not in page


def test_a_viewer_never_gets_the_editors_grid_nor_a_chinese_reader_the_english_one(study, supplier):
    editor_page = _grid(_client(supplier), study)
    viewer_page = _grid(_client(supplier, Role.VIEWER), study)
    chinese_page = _grid(_client(supplier, language="zh-hans"), study)

    assert "Save all lines" in editor_page
    assert "Save all lines" not in viewer_page and "your role does not allow changes" in viewer_page
    assert "保存所有行" in chinese_page
    assert "Save all lines" not in chinese_page


def test_the_transport_legs_load_when_opened(study, supplier):
    client = _client(supplier)
    line = study.bom_lines.get()
    page = _grid(client, study)
    legs_url = reverse("web:bom-line-legs", args=[study.uuid, line.pk])

    assert 'value="321"' not in page  # not in the grid itself
    assert f'hx-get="{legs_url}"' in page and "Transport: 1 leg" in page
    fragment = client.get(legs_url, headers={"HX-Request": "true"}).content.decode()
    assert 'value="321"' in fragment and "leg-new-" in fragment
    # Without JavaScript, the link opens the grid with that line's legs shown.
    plain = client.get(legs_url)
    assert plain.status_code == 302 and plain["Location"].endswith(f"?legs={line.pk}#line-{line.pk}")
    assert 'value="321"' in client.get(plain["Location"]).content.decode()


def test_another_organizations_line_legs_are_a_404(study, other_supplier):
    line = study.bom_lines.get()
    response = _client(other_supplier).get(
        reverse("web:bom-line-legs", args=[study.uuid, line.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 404


def test_the_result_section_follows_the_latest_result(study, supplier):
    client = _client(supplier)
    url = reverse("web:study-detail", args=[study.uuid])
    make_result(study, totals={"e": "1.234567", "em": "1", "ep": "0.234567", "eb": "0", "edl": "0", "ew": "0"})
    assert "1.235" in client.get(url).content.decode()

    make_result(study, totals={"e": "9.876543", "em": "9", "ep": "0.876543", "eb": "0", "edl": "0", "ew": "0"})
    page = client.get(url).content.decode()

    assert "9.877" in page and "1.235" not in page
