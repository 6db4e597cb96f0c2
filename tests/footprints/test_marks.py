"""Input marks (apps.footprints.marks): every kind of change to what a study's checks and grid read gives the
study a new mark, an unrelated change (another study, another organization) does not, and the marks of many
studies take one query."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Material, ProcessStage
from apps.factors.services import own_factor_create
from apps.footprints.checks import study_checks
from apps.footprints.marks import study_input_marks
from apps.inventory.enums import TransportMode
from apps.inventory.models import BomLine, Study, StudyStage
from apps.inventory.services.bom import bom_line_update, transport_leg_add
from apps.inventory.services.stages import study_stage_update
from apps.ledger.entries import fuel_entry_add, fuel_entry_delete
from apps.ledger.models import FuelEntry
from tests import factories
from tests.footprints.check_builders import SHANGHAI, add_reading, complete_study
from tests.web.builders import make_result


def _mark(study: Study) -> str:
    return study_input_marks(studies=[Study.objects.get(pk=study.pk)])[study.pk]


@pytest.fixture
def world(supplier, library):
    user = factories.make_member(supplier, username="marks-editor")
    study = complete_study(supplier, library)
    other = complete_study(factories.make_organization(name="Other supplier"), library)
    return {"study": study, "other": other, "user": user, "library": library, "supplier": supplier}


def _line(study: Study) -> BomLine:
    return study.bom_lines.select_related("material").order_by("material__no").first()


def _edit_quantity(w) -> None:
    line = _line(w["study"])
    bom_line_update(
        study=w["study"], line=line, quantity=Decimal("2.5"), loss_rate=line.loss_rate, factor=line.factor,
        data_source=line.data_source, unit_mass_kg=line.unit_mass_kg, notes=line.notes, expected_version=None,
        user=w["user"],
    )  # fmt: skip


def _add_leg(w) -> None:
    transport_leg_add(
        line=_line(w["study"]), mode=TransportMode.ROAD_HEAVY, distance_km=Decimal(100), mass_kg=Decimal("0.1"),
        factor=w["library"].truck, user=w["user"],
    )  # fmt: skip


def _stage_share(w) -> None:
    stage = StudyStage.objects.filter(study=w["study"]).select_related("stage").first()
    study_stage_update(
        study=w["study"], study_stage=stage, allocation_share=Decimal("0.5"), allocation_note="half of the hall",
        expected_version=None, user=w["user"],
    )  # fmt: skip


def _fuel_added(w) -> None:
    fuel_entry_add(
        study=w["study"], factor=w["library"].diesel, quantity=Decimal(10), unit="kg", allocation_share=Decimal(1),
        data_source="measured_primary", description="forklift", stage=None, user=w["user"],
    )  # fmt: skip


def _fuel_deleted(w) -> None:
    entry = FuelEntry.objects.get(study=w["study"])
    fuel_entry_delete(study=w["study"], entry=entry, user=w["user"])


def _readings(w) -> None:
    add_reading(w["study"], 4, datetime(2025, 3, 1, tzinfo=SHANGHAI), datetime(2025, 3, 2, tzinfo=SHANGHAI), "5",
                code="late-meter")  # fmt: skip


def _own_factor(w) -> None:
    own_factor_create(
        organization=w["supplier"], material=Material.objects.get(no=1), name_zh="自有", name_en="own",
        value=Decimal("1.5"), unit="kgCO2e/piece", source="upstream EPD", user=w["user"],
    )  # fmt: skip


def _library_factor_edited(w) -> None:
    factor = w["library"].pcb
    factor.value = Decimal("9.9")
    factor.save()  # an operator's edit in the admin: it writes a history row


def _study_edited(w) -> None:
    study = Study.objects.get(pk=w["study"].pk)
    study.units_produced = Decimal(12345)
    study.save()


def _previous_result(w) -> None:
    earlier = factories.make_study(w["supplier"], w["library"], name="earlier period")
    Study.objects.filter(pk=earlier.pk).update(product=w["study"].product)
    make_result(Study.objects.get(pk=earlier.pk))


def _line_deleted(w) -> None:
    _line(w["study"]).delete()


CHANGES: dict[str, Callable] = {
    "a quantity edited": _edit_quantity,
    "a transport leg added": _add_leg,
    "a stage's allocation share": _stage_share,
    "a fuel entry added": _fuel_added,
    "readings imported": _readings,
    "an own factor created": _own_factor,
    "a library factor edited": _library_factor_edited,
    "the study edited": _study_edited,
    "the product's earlier study computed": _previous_result,
    "a line deleted": _line_deleted,
}


@pytest.mark.django_db
@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_each_kind_of_change_gives_a_new_mark_and_leaves_another_organizations_alone(world, change):
    before, other_before = _mark(world["study"]), _mark(world["other"])
    assert _mark(world["study"]) == before  # reading twice changes nothing

    CHANGES[change](world)

    assert _mark(world["study"]) != before
    if change not in ("a library factor edited",):  # the shared library is the other supplier's input too
        assert _mark(world["other"]) == other_before


@pytest.mark.django_db
def test_a_deleted_fuel_entry_gives_a_new_mark(world):
    _fuel_added(world)
    before = _mark(world["study"])
    _fuel_deleted(world)
    assert _mark(world["study"]) != before


@pytest.mark.django_db
def test_the_marks_of_many_studies_take_one_query(supplier, library):
    studies = [complete_study(supplier, library, name=f"study {i}") for i in range(4)]
    fresh = list(Study.objects.filter(pk__in=[s.pk for s in studies]))
    with CaptureQueriesContext(connection) as queries:
        marks = study_input_marks(studies=fresh)
    assert len(queries) == 1
    assert len(set(marks.values())) == 4


@pytest.mark.django_db
def test_cached_checks_follow_an_edit(world):
    """The checks are cached under the mark: a fix made after they were read shows on the next read."""
    study = world["study"]
    line = _line(study)
    BomLine.objects.filter(pk=line.pk).delete()  # a material without a line blocks
    blocked = study_checks(study=Study.objects.get(pk=study.pk))
    assert [(p.code, p.anchor) for p in blocked.blocking] == [
        ("material_missing_quantity", f"material-{line.material.no}-quantity")
    ]
    assert study_checks(study=Study.objects.get(pk=study.pk)) == blocked  # from the cache

    BomLine.objects.create(
        organization=study.organization, study=study, material=line.material, quantity=Decimal(1), factor=line.factor,
        unit_mass_kg=line.unit_mass_kg,
    )  # fmt: skip

    assert not study_checks(study=Study.objects.get(pk=study.pk)).blocking


@pytest.mark.django_db
def test_a_stage_added_to_the_study_gives_a_new_mark(world):
    before = _mark(world["study"])
    StudyStage.objects.create(
        organization=world["study"].organization, study=world["study"], stage=ProcessStage.objects.get(no=9),
        allocation_share=Decimal(1),
    )  # fmt: skip
    assert _mark(world["study"]) != before


@pytest.mark.django_db
def test_an_edit_of_the_static_grid_factor_from_another_dataset_gives_a_new_mark(world, supplier):
    other_library = factories.make_library(version="grid-2")
    study = Study.objects.get(pk=world["study"].pk)
    study.electricity_factor = other_library.grid
    study.save()
    before = _mark(study)

    other_library.grid.value = Decimal("0.9")
    other_library.grid.save()

    assert _mark(study) != before
