"""The study's timeline: who changed what and when, old -> new, newest first, in bounded queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.enums import Role
from apps.catalog.models import Material
from apps.evidence.enums import EvidenceKind
from apps.evidence.services import evidence_add
from apps.inventory.enums import StudyStatus
from apps.inventory.models import BomLine
from apps.ledger.models import FuelEntry
from tests import factories
from tests.evidence.builders import PDF, make_targets, upload, use_tmp_media


@pytest.fixture
def media(settings, tmp_path):
    return use_tmp_media(settings, tmp_path)


@pytest.fixture
def targets(supplier, library):
    return make_targets(supplier, library, name="DDZY meter 2025")


def _timeline(client: Client, study, page: int | None = None) -> str:
    url = reverse("web:study-timeline", args=[study.uuid])
    response = client.get(url, {"page": page} if page else None)
    assert response.status_code == 200
    return response.content.decode()


def _save_as(instance, user, *, when: datetime | None = None, **changes) -> None:
    """A change made outside a request (no HistoryRequestMiddleware): the user is set on the instance."""
    for field, value in changes.items():
        setattr(instance, field, value)
    instance._history_user = user
    if when is not None:
        instance._history_date = when
    instance.save()


def _entries(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", item)
        for item in re.findall(r'<li class="timeline-entry.*?</li>\s*(?=<li class="timeline-entry|</ol>)', html, re.S)
    ]


def test_a_quantity_change_shows_old_and_new_value_with_the_users_name(member_client, supplier, targets):
    editor = factories.make_member(supplier, username="wang.fang")
    _save_as(targets.line, editor, quantity=Decimal("2"))
    _save_as(targets.line, editor, quantity=Decimal("3.500000"), when=datetime(2030, 3, 1, 2, 5, tzinfo=UTC))

    html = _timeline(member_client, targets.study)

    newest = _entries(html)[0]
    assert "wang.fang" in newest
    assert ">changed<" in newest
    assert "Bill-of-materials line: Material 20 printed circuit board" in newest
    assert (
        '<span class="field">Net quantity per declared unit</span>: '
        '<span class="old">2</span> → <span class="new">3.5</span>'
    ) in newest
    assert "2030-03-01 10:05" in newest  # 02:05 UTC in the organization's time zone (Asia/Shanghai)
    assert 'aria-current="page"' in html and ">Timeline<" in html


def test_the_time_follows_the_organizations_time_zone(member_client, supplier, targets, member):
    supplier.timezone = "Europe/Berlin"
    supplier.save()
    _save_as(targets.line, member, quantity=Decimal(4), when=datetime(2030, 3, 1, 2, 5, tzinfo=UTC))

    newest = _entries(_timeline(member_client, targets.study))[0]

    assert "2030-03-01 03:05" in newest


def test_loss_rate_as_percent_choices_as_labels_and_factors_by_name(member_client, member, library, targets):
    _save_as(targets.line, member, loss_rate=Decimal("0.02"), factor=library.pcb)
    _save_as(
        targets.line, member, loss_rate=Decimal("0.055"), factor=targets.own_factor, data_source="supplier_specific"
    )

    newest = _entries(_timeline(member_client, targets.study))[0]

    assert '<span class="old">2 %</span> → <span class="new">5.5 %</span>' in newest
    assert '<span class="old">Secondary default</span> → <span class="new">Supplier-specific data</span>' in newest
    assert (
        '<span class="old">material.pcb (0.88 kgCO2e/piece)</span> → '
        '<span class="new">PCB from our supplier (0.75 kgCO2e/piece)</span>'
    ) in newest
    # the fields in the model's order: loss rate, factor, data source
    assert newest.index("Loss (scrap) rate") < newest.index("Emission factor") < newest.index("Data source")


def test_study_status_and_creations_and_deletions_are_listed(media, member_client, member, targets):
    evidence_add(study=targets.study, upload=upload("cert.pdf", PDF), kind=EvidenceKind.INVOICE, user=member)
    fuel = FuelEntry.objects.get(pk=targets.fuel.pk)
    fuel._history_user = member
    fuel.delete()
    _save_as(targets.study, member, status=StudyStatus.SUBMITTED)

    entries = _entries(_timeline(member_client, targets.study))

    assert '<span class="old">Draft</span> → <span class="new">Submitted</span>' in entries[0]
    assert ">deleted<" in entries[1] and "Fuel entry: Fuel: fuel.diesel 120 kg" in entries[1]
    assert ">created<" in entries[2] and "Evidence file: File cert.pdf" in entries[2]
    assert all(member.username in entry for entry in entries[:3])
    # then the rows the builder made, with no user: "system"
    created = [entry for entry in entries if ">created<" in entry]
    assert any(
        "Transport leg: Transport of Material 20 printed circuit board: Road, heavy goods vehicle, 100 km" in e
        for e in created
    )
    assert any("Study stage: Stage 5. reflow soldering" in e for e in created)
    assert any("Footprint study: DDZY meter 2025" in e and "system" in e for e in created)


def test_a_deleted_line_keeps_its_name_in_its_legs_entries(member_client, member, targets):
    line = BomLine.objects.get(pk=targets.line.pk)
    line._history_user = member
    line.delete()  # deletes its transport leg too

    entries = _entries(_timeline(member_client, targets.study))

    assert any("deleted" in e and "Bill-of-materials line: Material 20 printed circuit board" in e for e in entries)
    assert any("deleted" in e and "Transport of Material 20 printed circuit board" in e for e in entries)


def test_changes_in_another_study_are_not_shown(member_client, member, supplier, library, targets):
    other = make_targets(supplier, library, name="Other study")
    _save_as(other.line, member, quantity=Decimal("77"))

    html = _timeline(member_client, targets.study)

    assert ">77<" not in html
    assert "Other study" not in html


def _make_changes(line: BomLine, user, count: int) -> None:
    for n in range(count):
        _save_as(line, user, quantity=Decimal(n + 10))


def test_fifty_per_page_newest_first(member_client, member, targets):
    _make_changes(targets.line, member, 60)

    first = _entries(_timeline(member_client, targets.study))
    second = _entries(_timeline(member_client, targets.study, page=2))

    assert len(first) == 50
    assert '<span class="old">68</span> → <span class="new">69</span>' in first[0]
    # 60 changes + 6 creations (study, stage, line, leg, fuel, waste; the factor is not the study's) = 66
    assert len(second) == 66 - 50
    assert "Page 2 of 2" in _timeline(member_client, targets.study, page=2)


def test_the_page_makes_the_same_queries_for_5_and_50_changes(media, member_client, member, targets, library):
    def touch_everything(n: int) -> None:
        """n changes of the line, then one change of every other kind of row: all on the first page."""
        _make_changes(targets.line, member, n)
        _save_as(targets.leg, member, distance_km=Decimal(200 + n))
        _save_as(targets.stage, member, allocation_share=Decimal(n) / 100)
        _save_as(targets.fuel, member, quantity=Decimal(130 + n), factor=library.diesel)
        _save_as(targets.waste, member, quantity=Decimal(6 + n))
        _save_as(targets.study, member, description=f"round {n}")
        evidence_add(study=targets.study, upload=upload("a.pdf", PDF), kind="other", target=targets.leg, user=member)

    touch_everything(5)
    with CaptureQueriesContext(connection) as few:
        _timeline(member_client, targets.study)
    touch_everything(50)

    with CaptureQueriesContext(connection) as many:
        html = _timeline(member_client, targets.study)

    assert len(_entries(html)) == 50
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 30


def test_another_organization_gets_404_and_a_viewer_may_read(member, supplier, other_supplier, targets):
    _save_as(targets.line, member, quantity=Decimal(9), notes="secret-note-123")
    outsider = Client()
    outsider.force_login(factories.make_member(other_supplier, role=Role.MANAGER))
    viewer = Client()
    viewer.cookies["django_language"] = "en"
    viewer.force_login(factories.make_member(supplier, role=Role.VIEWER))
    url = reverse("web:study-timeline", args=[targets.study.uuid])

    refused = outsider.get(url)
    read = viewer.get(url)

    assert refused.status_code == 404
    assert b"secret-note-123" not in refused.content and b"DDZY meter 2025" not in refused.content
    assert outsider.post(url).status_code in (404, 405)
    assert read.status_code == 200 and "secret-note-123" in read.content.decode()
    assert viewer.post(url).status_code == 405


def test_a_line_beyond_the_catalogue_is_named_by_its_own_name(member_client, member, supplier, library, targets):
    if not hasattr(BomLine, "name"):
        pytest.skip("lines beyond the catalogue are not in this tree yet")
    line = BomLine(organization=supplier, study=targets.study, material=None, name="Carton", activity_unit="piece",
                   quantity=Decimal(1), factor=library.case)  # fmt: skip
    _save_as(line, member)

    newest = _entries(_timeline(member_client, targets.study))[0]

    assert "Line Carton" in newest
    assert Material.objects.filter(name_en="Carton").count() == 0


def test_a_chinese_reader_sees_the_chinese_material_name(member_client, member, targets):
    _save_as(targets.line, member, quantity=Decimal(8))
    member_client.cookies["django_language"] = "zh-hans"

    newest = _entries(_timeline(member_client, targets.study))[0]

    assert "印制电路板" in newest
    assert "printed circuit board" not in newest
