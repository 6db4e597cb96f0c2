from decimal import Decimal

from apps.catalog.models import Material
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor, FactorDataset
from apps.factors.selectors import factor_for_material, factors_for_materials
from tests.document.builders import make_own_dataset


def test_precedence_supplier_factor_beats_the_library(supplier, library):
    _dataset, own_pcb, _mcu = make_own_dataset(supplier)
    pcb = Material.objects.get(no=20)

    assert factor_for_material(organization=supplier, material=pcb, dataset=library.dataset) == own_pcb


def test_precedence_falls_back_to_the_library_then_none(supplier, library):
    case, lcd = Material.objects.get(no=25), Material.objects.get(no=7)

    assert factor_for_material(organization=supplier, material=case, dataset=library.dataset) == library.case
    assert factor_for_material(organization=supplier, material=lcd, dataset=library.dataset) is None


def test_precedence_ignores_other_organizations_and_other_library_versions(supplier, other_supplier, library):
    make_own_dataset(other_supplier)
    pcb = Material.objects.get(no=20)
    newer = FactorDataset.objects.create(name="Test library", version="newer", publisher="x", gwp_basis="AR6")
    EmissionFactor.objects.create(dataset=newer, code="material.pcb", category=FactorCategory.MATERIAL, name_en="pcb",
                                  value=Decimal(9), unit="kgCO2e/piece", source="x", material=pcb)  # fmt: skip

    assert factor_for_material(organization=supplier, material=pcb, dataset=library.dataset) == library.pcb


def test_precedence_newest_own_dataset_wins(supplier, library):
    make_own_dataset(supplier)
    pcb = Material.objects.get(no=20)
    newer = FactorDataset.objects.create(organization=supplier, name="Supplier primary data", version="2026.1",
                                         publisher="x", gwp_basis="AR6")  # fmt: skip
    latest = EmissionFactor.objects.create(dataset=newer, organization=supplier, code="pcb", name_en="pcb",
                                           category=FactorCategory.MATERIAL, value=Decimal("0.6"),
                                           unit="kgCO2e/piece", source="x", material=pcb)  # fmt: skip

    assert factor_for_material(organization=supplier, material=pcb, dataset=library.dataset) == latest


def test_precedence_for_many_materials_is_one_query(supplier, library, django_assert_num_queries):
    make_own_dataset(supplier)
    ids = list(Material.objects.filter(no__in=(2, 7, 20, 25, 28)).values_list("no", "pk"))

    with django_assert_num_queries(1):
        resolved = factors_for_materials(organization=supplier, material_ids=[pk for _no, pk in ids],
                                         dataset=library.dataset)  # fmt: skip

    by_no = {no: resolved.get(pk) for no, pk in ids}
    assert [by_no[no].code if by_no[no] else None for no in (2, 7, 20, 25, 28)] == [
        "material.mcu", None, "material.pcb", "material.case", "material.solder_bar"
    ]  # fmt: skip
    assert by_no[20].dataset.organization == supplier
