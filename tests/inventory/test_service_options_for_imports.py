"""The keyword options the study-document importer uses on the page services: a study created with
its own stages, a site on a grid valued outside the library, a second line of one material."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.tenancy import StaleEditError
from apps.catalog.models import Material, ProcessStage
from apps.inventory.models import BomLine, Site, Study, StudyStage
from apps.inventory.services.bom import bom_line_set_for_material
from apps.inventory.services.studies import product_create, site_create, study_create
from tests import factories
from tests.inventory.builders import make_grid_factor

BASIS = "Give the basis of the allocation (for example production hours or units) when the share is below 100 percent."


@pytest.fixture
def user(supplier):
    return factories.make_member(supplier)


@pytest.fixture
def site(supplier, user, library):
    make_grid_factor(library.dataset, region="East China grid", code="electricity.east")
    return site_create(organization=supplier, code="plant", name="Plant", grid_region="East China grid", user=user)


@pytest.fixture
def product(supplier, user):
    return product_create(organization=supplier, name="Smart meter", model_code="DDZY-1", user=user)


def _study(supplier, product, site, library, user, stages):
    return study_create(
        organization=supplier, product=product, site=site, name="Imported 2025", period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31), units_produced=Decimal(1000), factor_dataset=library.dataset,
        electricity_factor=library.grid, stages=stages, user=user,
    )  # fmt: skip


def _stage(no: int) -> ProcessStage:
    return ProcessStage.objects.get(no=no)


def test_a_study_created_with_its_stages_has_exactly_those(supplier, product, site, library, user):
    study = _study(supplier, product, site, library, user, [
        (_stage(26), Decimal("0.5"), " forklifts shared "), (_stage(4), Decimal(1), ""),
    ])  # fmt: skip

    stages = [(s.stage.no, s.allocation_share, s.allocation_note) for s in StudyStage.objects.filter(study=study)]
    assert stages == [(4, Decimal(1), ""), (26, Decimal("0.5"), "forklifts shared")]
    assert {s.organization_id for s in study.stages.all()} == {supplier.pk}
    assert {s.history.get().history_user for s in study.stages.all()} == {user}


def test_bad_stages_are_refused_naming_each_stage_and_nothing_is_written(supplier, product, site, library, user):
    with pytest.raises(ValidationError) as caught:
        _study(supplier, product, site, library, user, [
            (_stage(4), Decimal("0.5"), ""), (_stage(5), Decimal("1.5"), "x"), (_stage(6), Decimal("0.1234567"), "x"),
            (_stage(4), Decimal(1), ""),
        ])  # fmt: skip

    assert caught.value.message_dict == {
        "stages": [
            f"Stage 4: {BASIS}",
            "Stage 5: The allocation share must be above 0 and at most 100 percent.",
            "Stage 6: Ensure that there are no more than 6 decimal places.",
            "Stage 4: The stage is listed more than once.",
        ]
    }
    assert not Study.objects.exists()
    assert not StudyStage.objects.exists()


def test_without_stages_a_study_still_gets_all_26(supplier, product, site, library, user):
    study = _study(supplier, product, site, library, user, None)

    assert study.stages.count() == 26


def test_a_site_on_a_region_valued_outside_the_library_needs_the_region_named(supplier, user):
    with pytest.raises(ValidationError) as caught:
        site_create(organization=supplier, code="zj", name="Node plant", grid_region="Zhejiang node", user=user)
    assert list(caught.value.message_dict) == ["grid_region"]
    with pytest.raises(ValidationError):  # naming other regions does not help
        site_create(
            organization=supplier, code="zj", name="Node plant", grid_region="Zhejiang node",
            extra_grid_regions=["Jiangsu node"], user=user,
        )  # fmt: skip

    site = site_create(
        organization=supplier, code="zj", name="Node plant", grid_region="Zhejiang node",
        extra_grid_regions=["Zhejiang node"], user=user,
    )  # fmt: skip

    assert Site.objects.get(pk=site.pk).grid_region == "Zhejiang node"


def test_add_line_adds_another_line_of_a_material_that_has_one(supplier, library, user):
    study = factories.make_study(supplier, library)
    pcb = Material.objects.get(no=20)
    first = bom_line_set_for_material(study=study, material=pcb, quantity=Decimal(1), user=user)
    with pytest.raises(StaleEditError):  # the grid's rule: the page showed the material without a line
        bom_line_set_for_material(study=study, material=pcb, quantity=Decimal(2), user=user)

    second = bom_line_set_for_material(study=study, material=pcb, quantity=Decimal(2), add_line=True, user=user)

    assert list(BomLine.objects.filter(study=study).order_by("id").values_list("pk", "quantity")) == [
        (first.pk, Decimal(1)),
        (second.pk, Decimal(2)),
    ]
