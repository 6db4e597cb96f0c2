"""Stage services: include a catalogue stage, set its allocation share and basis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.accounts.tenancy import StaleEditError, row_version
from apps.catalog.models import ProcessStage
from apps.inventory.enums import StudyStatus
from apps.inventory.models import StudyStage
from apps.inventory.services.stages import study_stage_include, study_stage_update
from tests import factories


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def study(supplier, library):
    return factories.make_study(supplier, library, stage_nos=(5,))


def five(study) -> StudyStage:
    return StudyStage.objects.get(study=study, stage__no=5)


def test_including_a_stage_creates_it_once_at_100_percent(study):
    stage = ProcessStage.objects.get(no=12)
    row = study_stage_include(study=study, stage=stage, user=None)
    again = study_stage_include(study=study, stage=stage, user=None)
    assert row.pk == again.pk
    assert (row.allocation_share, row.allocation_note, row.organization_id) == (Decimal(1), "", study.organization_id)
    assert StudyStage.objects.filter(study=study).count() == 2


def test_update_stores_the_share_as_a_fraction_with_its_basis(study):
    row = five(study)
    study_stage_update(
        study=study, study_stage=row, allocation_share=Decimal("0.375"), allocation_note="  hours on the line ",
        expected_version=row_version(row), user=None,
    )  # fmt: skip
    assert (five(study).allocation_share, five(study).allocation_note) == (Decimal("0.375"), "hours on the line")


def test_a_full_share_needs_no_basis(study):
    study_stage_update(
        study=study, study_stage=five(study), allocation_share=Decimal(1), allocation_note="", expected_version=None,
        user=None,
    )  # fmt: skip
    assert five(study).allocation_share == 1


@pytest.mark.parametrize(
    ("share", "note", "field", "message"),
    [
        (Decimal(0), "x", "allocation_share", "The allocation share must be above 0 and at most 100 percent."),
        (Decimal("1.5"), "x", "allocation_share", "The allocation share must be above 0 and at most 100 percent."),
        (Decimal(-1), "x", "allocation_share", "The allocation share must be above 0 and at most 100 percent."),
        (None, "x", "allocation_share", "Enter the allocation share as a number."),
        (Decimal("0.5"), "   ", "allocation_note", "Give the basis of the allocation"),
        (Decimal("0.1234567"), "x", "allocation_share", "6 decimal places"),
    ],
)
def test_bad_allocations_are_refused_at_their_field(study, share, note, field, message):
    with pytest.raises(ValidationError) as caught:
        study_stage_update(
            study=study, study_stage=five(study), allocation_share=share, allocation_note=note,
            expected_version=None, user=None,
        )  # fmt: skip
    assert message in " ".join(caught.value.message_dict[field])
    assert (five(study).allocation_share, five(study).allocation_note) == (Decimal(1), "")


def test_a_stale_update_is_refused_with_the_current_values(study):
    row = five(study)
    seen = row_version(row)
    study_stage_update(
        study=study, study_stage=row, allocation_share=Decimal("0.6"), allocation_note="units", expected_version=seen,
        user=None,
    )  # fmt: skip
    with pytest.raises(StaleEditError) as caught:
        study_stage_update(
            study=study, study_stage=row, allocation_share=Decimal("0.2"), allocation_note="area",
            expected_version=seen, user=None,
        )  # fmt: skip
    assert caught.value.current == {"allocation_share": Decimal("0.6"), "allocation_note": "units"}
    assert five(study).allocation_note == "units"


def test_another_studys_stage_is_not_found(study, supplier, library):
    other = factories.make_study(supplier, library, stage_nos=(5,))
    with pytest.raises(StudyStage.DoesNotExist):
        study_stage_update(
            study=study, study_stage=five(other), allocation_share=Decimal("0.5"), allocation_note="x",
            expected_version=None, user=None,
        )  # fmt: skip
    assert five(other).allocation_share == 1


def test_a_foreign_organizations_stage_is_refused(study, other_supplier):
    foreign = factories.make_study(other_supplier, factories.make_library(), stage_nos=(5,))
    with pytest.raises(ValidationError) as caught:
        study_stage_update(
            study=study, study_stage=five(foreign), allocation_share=Decimal("0.5"), allocation_note="x",
            expected_version=None, user=None,
        )  # fmt: skip
    assert "study_stage" in caught.value.message_dict
    assert five(foreign).allocation_share == 1


@pytest.mark.parametrize(
    ("status", "editable"),
    [(StudyStatus.DRAFT, True), (StudyStatus.RETURNED, True), (StudyStatus.SUBMITTED, False),
     (StudyStatus.UNDER_REVIEW, False), (StudyStatus.ACCEPTED, False)],
)  # fmt: skip
def test_only_draft_and_returned_studies_change(study, status, editable):
    study.status = status
    study.save()
    stage = ProcessStage.objects.get(no=9)
    if editable:
        study_stage_include(study=study, stage=stage, user=None)
        assert StudyStage.objects.filter(study=study, stage=stage).exists()
        return
    with pytest.raises(ValidationError) as caught:
        study_stage_include(study=study, stage=stage, user=None)
    assert "can no longer be changed" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        study_stage_update(
            study=study, study_stage=five(study), allocation_share=Decimal("0.5"), allocation_note="x",
            expected_version=None, user=None,
        )  # fmt: skip
    assert not StudyStage.objects.filter(study=study, stage=stage).exists()
