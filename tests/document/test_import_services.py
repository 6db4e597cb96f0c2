"""The importer writes every row through its write service: what a service refuses is a problem at
the JSON path of the value it refused, and nothing is written; what a page's rules allow (a site
on a grid the document's own factor values, several lines of one material, a few of the 26
stages) an import allows too."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from apps.accounts.enums import OrganizationKind
from apps.catalog.models import Material
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor
from apps.factors.regions import grid_region_choices
from apps.footprints.document.canonical import canonical_bytes
from apps.footprints.document.export import study_document_build
from apps.footprints.document.importer import plan_import, study_document_import
from apps.footprints.document.validation import DocumentError
from apps.inventory.models import BomLine, Site, StudyStage
from tests import factories
from tests.document.builders import make_own_dataset, table_counts


def _rejected(organization, document, **kwargs) -> list[tuple[str, str]]:
    """Import, expect a rejection that wrote nothing, and return its (path, message) pairs."""
    before = table_counts()
    with pytest.raises(DocumentError) as raised:
        study_document_import(organization=organization, document=document, **kwargs)
    assert table_counts() == before
    return raised.value.errors


def _index(document, section: str, key: str) -> int:
    return next(i for i, record in enumerate(document[section]) if record["key"] == key)


def _key(library, code: str) -> str:
    return f"Test library@{library.dataset.version}/{code}"


# --- service refusals at their JSON paths ---------------------------------------------------------


def test_a_line_valued_per_kg_without_the_mass_of_a_piece_is_refused_at_unit_mass_kg(other_supplier, library, document):
    # Material 2 (the MCU) is counted in pieces; the solder bar's factor is 14 kgCO2e/kg.
    document["materials"][0].update(factor=_key(library, "material.solder_bar"), factor_origin="line")
    assert document["materials"][0]["unit_mass_kg"] is None

    assert _rejected(other_supplier, document) == [
        ("$.materials[0].unit_mass_kg", "The factor is in kgCO2e/kg: give the mass of one piece in kg.")
    ]


def test_every_refused_line_leg_and_entry_is_reported_at_once(other_supplier, library, document):
    document["materials"][0].update(factor=_key(library, "material.solder_bar"), factor_origin="line")
    document["materials"][3]["transport"][1]["factor"] = _key(library, "fuel.diesel")
    document["fuels"][1]["unit"] = "L"  # diesel is valued per kg, and the engine does not guess a density

    assert _rejected(other_supplier, document) == [
        ("$.materials[0].unit_mass_kg", "The factor is in kgCO2e/kg: give the mass of one piece in kg."),
        (
            "$.materials[3].transport[1].factor",
            "This is not a transport factor: a transport leg needs a factor per tonne-kilometre.",
        ),
        (
            "$.fuels[1].unit",
            "A quantity in L cannot be valued with a factor in kgCO2e/kg: enter it in kg or a unit that converts "
            "to it.",
        ),
    ]


def test_a_static_electricity_factor_that_is_not_for_electricity_is_refused(other_supplier, library, document):
    document["electricity"]["static_factor"] = _key(library, "fuel.diesel")

    assert _rejected(other_supplier, document) == [
        ("$.electricity.static_factor", "Choose an electricity factor (kg CO2e per kWh).")
    ]


def test_a_new_factor_whose_range_excludes_its_value_is_refused_at_its_field(other_supplier, document):
    i = _index(document, "factors", "Supplier primary data@2025.1/material.pcb")
    assert (document["factors"][i]["value"], document["factors"][i]["high"]) == ("0.7125", "0.75")
    document["factors"][i]["low"] = "0.8"

    assert _rejected(other_supplier, document) == [
        (f"$.factors[{i}].low", "The low end of the range must not be above the value.")
    ]


def test_a_stage_allocated_below_one_needs_its_basis(other_supplier, document):
    assert (document["stages"][1]["stage_no"], document["stages"][1]["allocation_share"]) == (26, "0.5")
    document["stages"][1]["allocation_note"] = "  "
    problem = (
        "$.stages[1].allocation_note",
        "Give the basis of the allocation (for example production hours or units) when the share is below 100 percent.",
    )

    assert _rejected(other_supplier, document) == [problem]
    with pytest.raises(DocumentError) as previewed:
        plan_import(organization=other_supplier, document=document)
    assert previewed.value.errors == [problem]


def test_a_buyer_organization_keeps_no_imported_study(document):
    buyer = factories.make_organization(kind=OrganizationKind.BUYER)
    message = "Only a supplier organization keeps products, sites and footprint studies."

    errors = _rejected(buyer, document)

    assert ("$.product", message) in errors
    assert ("$.site", message) in errors


# --- the site's grid region -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("electricity", "message"),
    [
        ("static", "grid region 'Atlantis grid' has no electricity factor in the factor library, and the file's "
                   "electricity factor is for 'East China'"),
        (None, "grid region 'Atlantis grid' has no electricity factor in the factor library, and the file brings none"),
    ],
)  # fmt: skip
def test_a_site_on_a_grid_nothing_values_is_refused(other_supplier, document, electricity, message):
    document["site"]["grid_region"] = "Atlantis grid"
    if electricity is None:
        document["electricity"] = None

    assert _rejected(other_supplier, document) == [("$.site.grid_region", message)]
    with pytest.raises(DocumentError) as previewed:
        plan_import(organization=other_supplier, document=document)
    assert previewed.value.errors == [("$.site.grid_region", message)]


@pytest.fixture
def zhejiang_study(supplier, library):
    """A study whose plant is on a node grid the library does not know, valued by the supplier's own
    grid factor (its power purchase agreement)."""
    study = factories.make_study(supplier, library, stage_nos=(4,))
    dataset, _pcb, _mcu = make_own_dataset(supplier)
    study.electricity_factor = EmissionFactor.objects.create(
        dataset=dataset, organization=supplier, code="electricity.zj.ppa", category=FactorCategory.ELECTRICITY,
        name_en="Zhejiang node PPA", value=Decimal("0.5246"), unit="kgCO2e/kWh", region="Zhejiang node",
        source="PPA 2025-007",
    )  # fmt: skip
    study.save()
    Site.objects.filter(pk=study.site_id).update(grid_region="Zhejiang node")
    return study


def test_a_site_on_a_grid_only_the_documents_own_factor_values_is_created(zhejiang_study, other_supplier):
    document = json.loads(canonical_bytes(study_document_build(study=zhejiang_study)))
    assert "Zhejiang node" not in grid_region_choices()

    imported = study_document_import(organization=other_supplier, document=copy.deepcopy(document))

    assert imported.site.grid_region == "Zhejiang node"
    factor = imported.electricity_factor
    assert (factor.organization, factor.region, factor.value) == (other_supplier, "Zhejiang node", Decimal("0.5246"))
    assert canonical_bytes(study_document_build(study=imported)) == canonical_bytes(document)


def test_the_documents_own_factor_does_not_value_another_region(zhejiang_study, other_supplier):
    document = json.loads(canonical_bytes(study_document_build(study=zhejiang_study)))
    document["site"]["grid_region"] = "Jiangsu node"

    assert _rejected(other_supplier, document) == [
        (
            "$.site.grid_region",
            "grid region 'Jiangsu node' has no electricity factor in the factor library, and the file's "
            "electricity factor is for 'Zhejiang node'",
        )
    ]


# --- what a document legitimately holds -----------------------------------------------------------


def test_the_documents_stages_are_the_imported_studys_exactly(other_supplier, document):
    study = study_document_import(organization=other_supplier, document=document)

    stages = [
        (s.stage.no, s.allocation_share, s.allocation_note) for s in StudyStage.objects.filter(study=study)
    ]  # ordered by stage number
    assert stages == [(4, Decimal(1), ""), (26, Decimal("0.5"), "forklifts shared with the three-phase line")]


def test_two_lines_of_one_material_are_refused_a_second_part_is_a_line_beyond_the_catalogue(
    supplier, other_supplier, library
):
    study = factories.make_study(supplier, library, stage_nos=(4,))
    pcb = Material.objects.get(no=20)
    for quantity, notes in (("1", "main board"), ("2", "display boards")):
        BomLine.objects.create(
            organization=supplier, study=study, material=pcb, quantity=Decimal(quantity), notes=notes
        )
    document = json.loads(canonical_bytes(study_document_build(study=study)))
    before = table_counts()

    with pytest.raises(DocumentError) as raised:
        study_document_import(organization=other_supplier, document=copy.deepcopy(document))

    assert raised.value.errors == [
        (
            "$.materials[1].material_no",
            "material 20 is listed twice (first at $.materials[0]): a catalogue material has one line; enter "
            "another part of it as a line beyond the catalogue (material_no null)",
        )
    ]
    assert table_counts() == before


def test_the_importing_user_is_recorded_as_creator_and_in_the_history(other_supplier, document):
    user = factories.make_member(other_supplier)

    study = study_document_import(organization=other_supplier, document=document, created_by=user)

    assert study.created_by == user
    assert study.history.get().history_user == user
    for rows in (study.bom_lines.all(), study.stages.all(), study.fuel_entries.all(), study.waste_entries.all()):
        assert rows and {row.history.get().history_user for row in rows} == {user}
    assert {f.history.get().history_user for f in EmissionFactor.objects.filter(organization=other_supplier)} == {user}
