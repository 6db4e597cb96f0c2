"""The bill-of-materials page: the grid (one form for every row, and htmx row saves), stale edits,
the pasted column, lines beyond the catalogue, transport legs, own factors, and who may do what."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import OrganizationKind, Role
from apps.accounts.tenancy import row_version
from apps.catalog.models import Material
from apps.evidence.models import EvidenceFile
from apps.factors.models import EmissionFactor, FactorDataset
from apps.factors.services import own_factor_create
from apps.inventory.enums import DataSource, TransportMode
from apps.inventory.models import BomLine, Study, TransportLeg
from apps.inventory.services.bom import bom_line_add_custom, transport_leg_add
from tests import factories

GRID = "bom-grid"


class _GridInputs(HTMLParser):
    """What a browser would post for the grid form: every input and select that names it."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._first: str | None = None
        self._chosen: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("form") == GRID and a.get("name"):
            self.values.append((str(a["name"]), a.get("value") or ""))
        elif tag == "select" and a.get("form") == GRID:
            self._select, self._first, self._chosen = a.get("name"), None, None
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            self._first = value if self._first is None else self._first
            if "selected" in a:
                self._chosen = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            self.values.append((self._select, self._chosen if self._chosen is not None else self._first or ""))
            self._select = None


def grid_data(html: str, **changes: str) -> dict[str, Any]:
    """The grid form as the page rendered it, with some inputs changed (``line-3-quantity="2"``)."""
    parser = _GridInputs()
    parser.feed(html)
    data: dict[str, Any] = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name.replace("__", "-")] = [value]
    return data


def material(no: int) -> Material:
    return Material.objects.get(no=no)


def add_line(study: Study, no: int, quantity: str = "1", **extra: Any) -> BomLine:
    return BomLine.objects.create(
        organization=study.organization, study=study, material=material(no), quantity=Decimal(quantity), **extra
    )


@pytest.fixture
def study(supplier, library) -> Study:
    return factories.make_study(supplier, library, name="DDZY meter, January")


def bom_url(study: Study) -> str:
    return reverse("web:study-bom", args=[study.uuid])


def client_for(organization, role: str = Role.EDITOR) -> Client:
    client = Client()
    client.force_login(factories.make_member(organization, role=role))
    client.cookies["django_language"] = "en"
    return client


def quantities(study: Study) -> dict[int | str, Decimal]:
    return {(line.material.no if line.material else line.name): line.quantity for line in study.bom_lines.all()}


# --- the grid -------------------------------------------------------------------------------


def test_grid_shows_the_32_materials_and_the_custom_lines_with_their_defaults(member_client, study, library):
    add_line(study, 20, "1", loss_rate=Decimal("0.02"))
    add_line(study, 28, "0.004", factor=library.solder_bar, unit_mass_kg=Decimal(1))
    bom_line_add_custom(
        study=study, name="carton", activity_unit="kg", quantity=Decimal("0.05"), loss_rate=Decimal(0),
        factor=library.solder_bar, user=None,
    )  # fmt: skip

    response = member_client.get(bom_url(study))

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'<tbody id="((?:material|line)-\d+)"', html)
    assert len(rows) == 33  # 32 catalogue materials (two with a line) and one line of its own
    assert len([r for r in rows if r.startswith("material-")]) == 30
    assert "印制电路板" in html and "printed circuit board" in html
    assert 'value="carton"' in html
    pcb = study.bom_lines.get(material__no=20)
    assert f'name="line-{pcb.pk}-loss_rate" value="2"' in html  # 0.02 shown as 2 %
    assert "Applies: 0.88 kgCO2e/piece · Test library" in html  # the PCB's library default
    assert f"/factors/new/?material=21&amp;study={study.uuid}&amp;next={bom_url(study)}" in html
    assert f'<form id="{GRID}" method="post"' in html  # works without JavaScript


def test_the_grid_does_not_need_more_queries_for_more_lines(client, supplier, library, django_assert_max_num_queries):
    few = factories.make_study(supplier, library)
    many = factories.make_study(supplier, library)
    for no in (20, 25):
        add_line(few, no)
    for no in range(1, 33):
        line = add_line(many, no, factor=library.pcb if no % 2 else None)
        TransportLeg.objects.create(
            organization=supplier, bom_line=line, mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(10),
            mass_kg=Decimal(1), factor=library.truck,
        )  # fmt: skip
    client.force_login(factories.make_member(supplier))

    for study in (few, many):
        with django_assert_max_num_queries(12):  # 11, and the header's unread notifications
            response = client.get(bom_url(study))
        assert response.status_code == 200


def test_saving_the_whole_grid_writes_every_changed_row(member_client, study, library):
    pcb = add_line(study, 20, "1")
    html = member_client.get(bom_url(study)).content.decode()
    data = grid_data(html, **{
        f"line-{pcb.pk}-quantity": "2.5", f"line-{pcb.pk}-loss_rate": "2", f"line-{pcb.pk}-notes": "two boards",
        "material-25-quantity": "1", "material-25-factor": str(library.case.pk),
        "material-28-quantity": "０．００４", "material-28-loss_rate": "5",
        "material-28-data_source": DataSource.SUPPLIER_SPECIFIC,
    })  # fmt: skip

    response = member_client.post(bom_url(study), data)

    assert response.status_code == 302
    pcb.refresh_from_db()
    assert (pcb.quantity, pcb.loss_rate, pcb.notes) == (Decimal("2.5"), Decimal("0.02"), "two boards")
    case = study.bom_lines.get(material__no=25)
    solder = study.bom_lines.get(material__no=28)
    assert (case.quantity, case.factor) == (Decimal(1), library.case)
    assert (solder.quantity, solder.loss_rate, solder.data_source) == (
        Decimal("0.004"),
        Decimal("0.05"),
        DataSource.SUPPLIER_SPECIFIC,
    )
    assert study.bom_lines.count() == 3  # the 29 untouched materials got no line


@pytest.mark.parametrize(
    ("value_field", "value", "message"),
    [
        ("quantity", "-1", "The quantity must not be negative."),
        ("quantity", "abc", "Enter a number."),
        ("quantity", "1,5", "Use a point for decimals and no thousands separators (1234.5, not 1,234.5)."),
        ("quantity", "", "Enter a quantity (0 if the material is not used), or delete the line."),
        ("loss_rate", "100", "The loss rate must be at least 0 and below 100 percent."),
        ("loss_rate", "-1", "The loss rate must be at least 0 and below 100 percent."),
        ("factor", "999999", "Select a valid choice. 999999 is not one of the available choices."),
    ],
)
def test_a_bad_cell_is_shown_at_its_cell_and_nothing_is_written(member_client, study, value_field, value, message):
    pcb = add_line(study, 20, "1")
    html = member_client.get(bom_url(study)).content.decode()
    # A good change on another row, and the bad one: all or nothing.
    data = grid_data(html, **{"material-25-quantity": "3", f"line-{pcb.pk}-{value_field}": value})

    response = member_client.post(bom_url(study), data)

    assert response.status_code == 200
    body = response.content.decode()
    cell = re.search(rf'name="line-{pcb.pk}-{value_field}".*?</td>', body, re.S)
    assert cell is not None and message in cell.group(0)
    assert "Nothing was saved: correct the marked cells and save again." in body
    assert quantities(study) == {20: Decimal(1)}
    pcb.refresh_from_db()
    assert (pcb.loss_rate, pcb.factor_id) == (0, None)


def test_a_foreign_or_transport_factor_posted_by_hand_is_refused(member_client, study, library, other_supplier):
    foreign = factories.make_library(organization=other_supplier)
    html = member_client.get(bom_url(study)).content.decode()

    for factor in (foreign.pcb, library.truck):
        data = grid_data(html, **{"material-20-quantity": "1", "material-20-factor": str(factor.pk)})
        response = member_client.post(bom_url(study), data)
        assert f"Select a valid choice. {factor.pk} is not one of the available choices." in response.content.decode()
    assert not study.bom_lines.exists()


def test_a_per_kg_factor_on_pieces_asks_for_the_mass_per_piece(member_client, study, library):
    html = member_client.get(bom_url(study)).content.decode()
    data = grid_data(html, **{"material-20-quantity": "1"})
    data["material-20-factor"] = [str(library.solder_bar.pk)]  # offered for material 28 only
    response = member_client.post(bom_url(study), data)
    assert f"Select a valid choice. {library.solder_bar.pk} is not one of the available choices." in (
        response.content.decode()
    )

    line = add_line(study, 28, "0.004")  # solder bar, counted in kg: no mass needed, none shown
    html = member_client.get(bom_url(study)).content.decode()
    assert f'name="line-{line.pk}-unit_mass_kg"' not in html


def test_an_htmx_row_save_returns_the_row_with_its_saved_values(member_client, study):
    pcb = add_line(study, 20, "1")
    html = member_client.get(bom_url(study)).content.decode()
    data = grid_data(html, **{f"line-{pcb.pk}-quantity": "1.25"})
    data["row"] = f"line-{pcb.pk}"

    response = member_client.post(reverse("web:bom-row-save", args=[study.uuid]), data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tbody id="line-{pcb.pk}"')
    assert f'name="line-{pcb.pk}-quantity" value="1.25"' in body
    assert "Saved" in body
    pcb.refresh_from_db()
    assert pcb.quantity == Decimal("1.25")


def test_an_htmx_row_save_of_a_new_material_creates_its_line(member_client, study):
    html = member_client.get(bom_url(study)).content.decode()
    data = grid_data(html, **{"material-7-quantity": "1", "material-25-quantity": "9"})
    data["row"] = "material-7"

    response = member_client.post(reverse("web:bom-row-save", args=[study.uuid]), data, HTTP_HX_REQUEST="true")

    line = study.bom_lines.get()
    assert (line.material.no, line.quantity) == (7, 1)  # only the row that was saved
    assert f'<tbody id="line-{line.pk}"' in response.content.decode()


def test_an_htmx_row_save_with_a_bad_value_returns_the_row_with_its_error(member_client, study):
    pcb = add_line(study, 20, "1")
    html = member_client.get(bom_url(study)).content.decode()
    data = grid_data(html, **{f"line-{pcb.pk}-quantity": "-2"})
    data["row"] = f"line-{pcb.pk}"

    response = member_client.post(reverse("web:bom-row-save", args=[study.uuid]), data, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "The quantity must not be negative." in body and 'value="-2"' in body
    assert study.bom_lines.get().quantity == 1


# --- two people editing one line -------------------------------------------------------------


def test_a_second_save_over_someone_elses_change_is_refused_and_shows_the_current_value(study, supplier):
    pcb = add_line(study, 20, "1")
    alice, bob = client_for(supplier), client_for(supplier)
    alice_page = alice.get(bom_url(study)).content.decode()
    bob_page = bob.get(bom_url(study)).content.decode()  # both load version v1

    saved = alice.post(bom_url(study), grid_data(alice_page, **{f"line-{pcb.pk}-quantity": "2"}))
    refused = bob.post(bom_url(study), grid_data(bob_page, **{f"line-{pcb.pk}-quantity": "3"}))

    assert saved.status_code == 302
    body = refused.content.decode()
    assert "Someone else changed this line after you opened the page." in body
    assert f'name="line-{pcb.pk}-quantity" value="2"' in body  # Alice's value, shown to Bob
    assert "You entered quantity 3" in body
    pcb.refresh_from_db()
    assert pcb.quantity == 2
    # Bob saves again from the refreshed row: now it applies.
    again = bob.post(bom_url(study), grid_data(body, **{f"line-{pcb.pk}-quantity": "3"}))
    assert again.status_code == 302
    pcb.refresh_from_db()
    assert pcb.quantity == 3


def test_a_stale_htmx_row_save_is_refused_with_the_current_value(study, supplier):
    pcb = add_line(study, 20, "1")
    alice, bob = client_for(supplier), client_for(supplier)
    bob_page = bob.get(bom_url(study)).content.decode()
    alice_data = grid_data(alice.get(bom_url(study)).content.decode(), **{f"line-{pcb.pk}-quantity": "2"})
    alice.post(reverse("web:bom-row-save", args=[study.uuid]), {**alice_data, "row": f"line-{pcb.pk}"})

    bob_data = grid_data(bob_page, **{f"line-{pcb.pk}-quantity": "5"})
    response = bob.post(
        reverse("web:bom-row-save", args=[study.uuid]), {**bob_data, "row": f"line-{pcb.pk}"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert "Someone else changed this line after you opened the page." in body
    assert f'name="line-{pcb.pk}-quantity" value="2"' in body
    pcb.refresh_from_db()
    assert pcb.quantity == 2


def test_two_people_entering_the_same_new_material_second_is_refused(study, supplier):
    alice, bob = client_for(supplier), client_for(supplier)
    alice_page, bob_page = (c.get(bom_url(study)).content.decode() for c in (alice, bob))

    alice.post(bom_url(study), grid_data(alice_page, **{"material-20-quantity": "2"}))
    refused = bob.post(bom_url(study), grid_data(bob_page, **{"material-20-quantity": "4"}))

    assert "Someone else changed this line after you opened the page." in refused.content.decode()
    assert quantities(study) == {20: Decimal(2)}


# --- paste ----------------------------------------------------------------------------------


def test_a_pasted_column_fills_the_rows_from_the_chosen_one(member_client, study):
    add_line(study, 2, "7")

    response = member_client.post(
        reverse("web:bom-paste", args=[study.uuid]), {"paste-start": "1", "paste-values": "1\r\n\r\n２．５\r\n"}
    )

    assert response.status_code == 302
    assert quantities(study) == {1: Decimal(1), 2: Decimal(7), 3: Decimal("2.5")}


def test_a_pasted_column_with_a_bad_row_writes_nothing_and_names_the_row(member_client, study):
    response = member_client.post(
        reverse("web:bom-paste", args=[study.uuid]), {"paste-start": "20", "paste-values": "1\n2\nx7\n4"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f"Material 22 ({material(22).name_en}): &#x27;x7&#x27;: not a number." in body
    assert not study.bom_lines.exists()


# --- lines beyond the catalogue ------------------------------------------------------------


def test_a_custom_line_is_added_and_edited_in_the_grid(member_client, study, library):
    response = member_client.post(reverse("web:bom-custom-add", args=[study.uuid]), {
        "custom-name": "carton", "custom-activity_unit": "kg", "custom-quantity": "0.05", "custom-loss_rate": "1",
        "custom-factor": str(library.solder_bar.pk), "custom-data_source": DataSource.SECONDARY_DEFAULT,
    })  # fmt: skip
    assert response.status_code == 302
    line = study.bom_lines.get(material__isnull=True)
    assert (line.name, line.activity_unit, line.quantity, line.loss_rate) == (
        "carton",
        "kg",
        Decimal("0.05"),
        Decimal("0.01"),
    )

    html = member_client.get(bom_url(study)).content.decode()
    member_client.post(bom_url(study), grid_data(html, **{f"line-{line.pk}-name": "carton box"}))

    line.refresh_from_db()
    assert line.name == "carton box"


def test_a_custom_line_without_a_factor_is_refused(member_client, study):
    response = member_client.post(reverse("web:bom-custom-add", args=[study.uuid]), {
        "custom-name": "carton", "custom-activity_unit": "kg", "custom-quantity": "0.05",
        "custom-data_source": DataSource.SECONDARY_DEFAULT,
    })  # fmt: skip

    assert "A line beyond the catalogue has no default factor: choose its factor." in response.content.decode()
    assert not study.bom_lines.exists()


# --- transport legs -------------------------------------------------------------------------


def _leg_data(prefix: str, library, **changes: str) -> dict[str, str]:
    data = {
        f"{prefix}-mode": TransportMode.ROAD_HEAVY, f"{prefix}-distance_km": "1200", f"{prefix}-mass_kg": "0.25",
        f"{prefix}-factor": str(library.truck.pk), f"{prefix}-data_source": DataSource.SECONDARY_DEFAULT,
    }  # fmt: skip
    data.update({f"{prefix}-{name}": value for name, value in changes.items()})
    return data


def test_transport_legs_are_added_changed_and_deleted(member_client, study, library):
    line = add_line(study, 25)
    prefix = f"leg-new-{line.pk}"

    added = member_client.post(reverse("web:transport-leg-add", args=[study.uuid, line.pk]), _leg_data(prefix, library))
    leg = line.transport_legs.get()
    changed = member_client.post(
        reverse("web:transport-leg-update", args=[study.uuid, leg.pk]),
        {**_leg_data(f"leg-{leg.pk}", library, distance_km="35.5"), f"leg-{leg.pk}-version": row_version(leg)},
        HTTP_HX_REQUEST="true",
    )

    assert added.status_code == 302
    assert changed.status_code == 200 and changed.content.decode().lstrip().startswith(f'<tbody id="line-{line.pk}"')
    leg.refresh_from_db()
    assert (leg.distance_km, leg.mass_kg, leg.factor) == (Decimal("35.5"), Decimal("0.25"), library.truck)
    member_client.post(reverse("web:transport-leg-delete", args=[study.uuid, leg.pk]))
    assert not line.transport_legs.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"distance_km": "-5"}, "The distance must not be negative."),
        ({"mass_kg": "abc"}, "Enter a number."),
        ({"factor": ""}, "Choose the transport factor."),
    ],
)
def test_a_bad_transport_leg_is_refused_at_its_field(member_client, study, library, changes, message):
    line = add_line(study, 25)

    response = member_client.post(
        reverse("web:transport-leg-add", args=[study.uuid, line.pk]),
        _leg_data(f"leg-new-{line.pk}", library, **changes),
    )

    assert message in response.content.decode()
    assert not TransportLeg.objects.exists()


def test_a_material_or_foreign_factor_on_a_leg_is_refused(member_client, study, library, other_supplier):
    line = add_line(study, 25)
    foreign = factories.make_library(organization=other_supplier)

    for factor in (library.case, foreign.truck):
        response = member_client.post(
            reverse("web:transport-leg-add", args=[study.uuid, line.pk]),
            _leg_data(f"leg-new-{line.pk}", library, factor=str(factor.pk)),
        )
        assert f"Select a valid choice. {factor.pk} is not one of the available choices." in response.content.decode()
    assert not TransportLeg.objects.exists()


# --- own factors ----------------------------------------------------------------------------


def test_the_add_own_factor_page_starts_from_the_material(member_client):
    response = member_client.get(reverse("web:factor-create") + "?material=20&next=/studies/")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="kgCO2e/piece"' in body and 'value="印制电路板"' in body
    assert '<option value="20" selected>' in body


def test_an_own_factor_is_saved_and_becomes_the_materials_default(member_client, supplier, study):
    response = member_client.post(reverse("web:factor-create"), {
        "material": "20", "name_zh": "印制电路板", "name_en": "PCB (supplier EPD)", "value": "0.7125",
        "unit": "kgCO2e/piece", "low": "0.70", "high": "0.75", "source": "EPD 2024-001", "next": bom_url(study),
    })  # fmt: skip

    assert response.status_code == 302 and response["Location"] == bom_url(study)
    factor = EmissionFactor.objects.get(organization=supplier)
    assert (factor.value, factor.low, factor.high, factor.material.no) == (
        Decimal("0.7125"),
        Decimal("0.70"),
        Decimal("0.75"),
        20,
    )
    html = member_client.get(bom_url(study)).content.decode()
    assert "Applies: 0.7125 kgCO2e/piece · own factor" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"unit": "kg"}, "A factor is an amount of CO2e per activity unit, e.g. kgCO2e/kg or kgCO2e/piece."),
        ({"value": "-1"}, "An emission factor must not be negative."),
        ({"value": "abc"}, "Enter a number."),
        ({"low": "0.9"}, "The low end of the range must not be above the value."),
        ({"source": ""}, "Cite the source of this factor"),
    ],
)
def test_a_bad_own_factor_is_refused_at_its_field(member_client, supplier, changes, message):
    data = {"material": "20", "name_en": "PCB", "value": "0.7125", "unit": "kgCO2e/piece", "source": "EPD"}
    data.update(changes)

    response = member_client.post(reverse("web:factor-create"), data)

    assert response.status_code == 200
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not EmissionFactor.objects.filter(organization=supplier).exists()
    assert not FactorDataset.objects.filter(organization=supplier).exists()


def use_tmp_media(settings, tmp_path):
    """Evidence files of these tests go to the test's own directory."""
    root = tmp_path / "media"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_an_own_factor_opened_from_a_study_takes_its_evidence_file(member_client, supplier, study, settings, tmp_path):
    root = use_tmp_media(settings, tmp_path)
    url = reverse("web:factor-create") + f"?material=20&study={study.uuid}"
    assert 'name="evidence"' in member_client.get(url).content.decode()

    response = member_client.post(url, {
        "material": "20", "name_en": "PCB (supplier EPD)", "value": "0.7125", "unit": "kgCO2e/piece",
        "source": "EPD 2024-001", "study": str(study.uuid), "evidence": SimpleUploadedFile("epd.pdf", PDF),
    })  # fmt: skip

    assert response.status_code == 302
    factor = EmissionFactor.objects.get(organization=supplier)
    evidence = EvidenceFile.objects.get(factor=factor)
    assert (evidence.study, evidence.original_name, evidence.kind) == (study, "epd.pdf", "upstream_certificate")
    assert len([p for p in root.rglob("*") if p.is_file()]) == 1


def test_a_wrong_evidence_file_keeps_the_factor_from_being_saved(member_client, supplier, study, settings, tmp_path):
    root = use_tmp_media(settings, tmp_path)

    response = member_client.post(reverse("web:factor-create"), {
        "name_en": "carton", "value": "1.2", "unit": "kgCO2e/kg", "source": "declaration", "study": str(study.uuid),
        "evidence": SimpleUploadedFile("epd.pdf", b"MZ not a pdf at all"),
    })  # fmt: skip

    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'name="evidence".*?errorlist', body, re.S)
    assert not EmissionFactor.objects.filter(organization=supplier).exists()
    assert not EvidenceFile.objects.exists()
    assert not [p for p in root.rglob("*") if p.is_file()]


def test_evidence_of_a_foreign_study_is_a_404(member_client, supplier, other_supplier, library):
    foreign = factories.make_study(other_supplier, library)

    response = member_client.get(reverse("web:factor-create") + f"?study={foreign.uuid}")

    assert response.status_code == 404


def test_an_unsafe_next_is_not_followed(member_client):
    response = member_client.post(reverse("web:factor-create"), {
        "name_en": "carton", "value": "1.2", "unit": "kgCO2e/kg", "source": "declaration",
        "next": "https://evil.example/",
    })  # fmt: skip

    assert response.status_code == 302 and response["Location"] == reverse("web:study-list")


# --- who may do what ------------------------------------------------------------------------

SECRET = "ZZ-owner-secret"


@pytest.fixture
def owner_study(library) -> Study:
    owner = factories.make_organization(name=f"{SECRET} org")
    study = factories.make_study(owner, library, name=f"{SECRET} study")
    line = add_line(study, 20, notes=SECRET)
    transport_leg_add(
        line=line, mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(10), mass_kg=Decimal(1), factor=library.truck,
        user=None,
    )  # fmt: skip
    own_factor_create(
        organization=owner, material=material(20), name_zh="", name_en=SECRET, value=Decimal(1), unit="kgCO2e/piece",
        source=SECRET, user=None,
    )  # fmt: skip
    return study


def _urls(study: Study) -> list[str]:
    line = study.bom_lines.get()
    leg = line.transport_legs.get()
    u = study.uuid
    return [
        reverse("web:study-bom", args=[u]),
        reverse("web:bom-row-save", args=[u]),
        reverse("web:bom-paste", args=[u]),
        reverse("web:bom-custom-add", args=[u]),
        reverse("web:bom-line-delete", args=[u, line.pk]),
        reverse("web:transport-leg-add", args=[u, line.pk]),
        reverse("web:transport-leg-update", args=[u, leg.pk]),
        reverse("web:transport-leg-delete", args=[u, leg.pk]),
    ]


def _everything(study: Study) -> tuple:
    lines = list(BomLine.objects.values_list("id", "quantity", "notes", "updated_at"))
    legs = list(TransportLeg.objects.values_list("id", "distance_km", "updated_at"))
    return lines, legs, EmissionFactor.objects.count(), FactorDataset.objects.count()


def _post_data(study: Study) -> dict[str, str]:
    line = study.bom_lines.get()
    leg = line.transport_legs.get()
    return {
        "rows": f"line-{line.pk}", "row": f"line-{line.pk}", f"line-{line.pk}-quantity": "99",
        "paste-start": "1", "paste-values": "5", "custom-name": "x", "custom-activity_unit": "kg",
        "custom-quantity": "1", f"leg-new-{line.pk}-distance_km": "1", f"leg-{leg.pk}-distance_km": "1",
        "name_en": "x", "value": "1", "unit": "kgCO2e/kg", "source": "x",
    }  # fmt: skip


@pytest.mark.parametrize("kind", [OrganizationKind.SUPPLIER, OrganizationKind.BUYER])
def test_another_organization_gets_404_on_every_url_and_sees_nothing(owner_study, kind):
    outsider = client_for(factories.make_organization(kind=kind), role=Role.MANAGER)
    before = _everything(owner_study)

    for url in _urls(owner_study):
        for method in ("get", "post"):
            response = getattr(outsider, method)(url, _post_data(owner_study) if method == "post" else None)
            assert response.status_code == 404, (method, url)
            assert SECRET not in response.content.decode()
    assert _everything(owner_study) == before


def test_another_organizations_own_factors_are_not_offered(owner_study, study, member_client):
    html = member_client.get(bom_url(study)).content.decode()

    assert SECRET not in html


def test_a_viewer_reads_the_grid_but_gets_403_on_every_write(owner_study):
    viewer = client_for(owner_study.organization, role=Role.VIEWER)
    before = _everything(owner_study)

    page = viewer.get(bom_url(owner_study))
    assert page.status_code == 200 and SECRET in page.content.decode()
    assert "Save all lines" not in page.content.decode()
    for url in [*_urls(owner_study), reverse("web:factor-create")]:
        assert viewer.post(url, _post_data(owner_study)).status_code == 403, url
    assert viewer.get(reverse("web:factor-create")).status_code == 403
    assert _everything(owner_study) == before


def test_a_member_gets_405_for_a_get_on_a_write_url(owner_study):
    manager = client_for(owner_study.organization, role=Role.MANAGER)

    assert manager.get(reverse("web:bom-paste", args=[owner_study.uuid])).status_code == 405


def test_a_line_of_another_study_is_a_404_within_this_one(member_client, study, supplier, library):
    other_study = factories.make_study(supplier, library)
    foreign_line = add_line(other_study, 20)

    response = member_client.post(reverse("web:bom-line-delete", args=[study.uuid, foreign_line.pk]))

    assert response.status_code == 404
    assert BomLine.objects.filter(pk=foreign_line.pk).exists()


def test_a_submitted_study_is_read_only(member_client, study):
    add_line(study, 20)
    study.status = "submitted"
    study.save()

    html = member_client.get(bom_url(study)).content.decode()
    response = member_client.post(
        reverse("web:bom-paste", args=[study.uuid]), {"paste-start": "1", "paste-values": "5"}, follow=True
    )

    assert "its bill of materials can no longer be changed" in html
    assert 'name="rows"' in html and "Save all lines" not in html
    assert "This study is Submitted: its data can no longer be changed." in response.content.decode()
    assert quantities(study) == {20: Decimal(1)}
