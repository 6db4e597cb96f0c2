"""Writes to a study's stages: which of the 26 catalogue stages are in scope and their allocation.

A stage's allocation share is the part of the stage's plant-level energy (and of a fuel or waste
entry) that belongs to the studied product, stored as a fraction in (0, 1]; the page shows it as a
percentage. Below 100 % the basis of the split (production hours, units, floor area ...) must be
given: ISO 14067 asks for allocation to be justified.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.tenancy import history_user_set, require_row_version, require_same_organization, validated_save
from apps.catalog.models import ProcessStage
from apps.inventory.models import Study, StudyStage
from apps.inventory.services.editable import study_lock_editable, study_require_editable

STAGE_FIELDS = ["allocation_share", "allocation_note"]


def allocation_share_checked(share: Decimal | None) -> Decimal:
    """A fraction in (0, 1]: raises a ValidationError on ``allocation_share`` otherwise."""
    if share is None or not isinstance(share, Decimal) or not share.is_finite():
        raise ValidationError({"allocation_share": [_("Enter the allocation share as a number.")]})
    if not Decimal(0) < share <= Decimal(1):
        message = _("The allocation share must be above 0 and at most 100 percent.")
        raise ValidationError({"allocation_share": [message]})
    return share


def stage_allocation_errors(*, allocation_share: Decimal | None, allocation_note: str) -> dict[str, list[str]]:
    """What a stage's allocation must be, keyed by field (empty when it is right): a share in (0, 1],
    and below 1 the basis of the split. Also used where a study is created with its stages (an
    imported study document) and by the importer's checks."""
    try:
        allocation_share_checked(allocation_share)
    except ValidationError as exc:
        return dict(exc.message_dict)
    assert allocation_share is not None  # checked above
    if allocation_share < 1 and not (allocation_note or "").strip():
        return {
            "allocation_note": [
                _(
                    "Give the basis of the allocation (for example production hours or units) when the share is "
                    "below 100 percent."
                )
            ]
        }
    return {}


def study_stage_include(
    *, study: Study, stage: ProcessStage, user: AbstractBaseUser | AnonymousUser | None
) -> StudyStage:
    """Bring a catalogue stage into the study's scope (100 % allocated); an included stage is returned as is."""
    study_require_editable(study)
    with transaction.atomic():
        study_lock_editable(study)
        existing = StudyStage.objects.filter(study=study, stage=stage).first()
        if existing is not None:
            return existing
        row = StudyStage(organization=study.organization, study=study, stage=stage, allocation_share=Decimal(1))
        history_user_set(row, user)
        validated_save(row)
    return row


def study_stage_update(
    *,
    study: Study,
    study_stage: StudyStage,
    allocation_share: Decimal,
    allocation_note: str,
    expected_version: str | None,
    user: AbstractBaseUser | AnonymousUser | None,
) -> StudyStage:
    """Set a stage's allocation share (a fraction in (0, 1]) and its basis (required below 1)."""
    study_require_editable(study)
    require_same_organization(study.organization, study_stage=study_stage)
    allocation_note = (allocation_note or "").strip()
    errors = stage_allocation_errors(allocation_share=allocation_share, allocation_note=allocation_note)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        study_lock_editable(study)
        row = StudyStage.objects.select_for_update().filter(study=study, pk=study_stage.pk).first()
        if row is None:
            raise StudyStage.DoesNotExist("No such stage in this study")
        require_row_version(row, expected_version, fields=STAGE_FIELDS)
        row.allocation_share = allocation_share
        row.allocation_note = allocation_note
        history_user_set(row, user)
        validated_save(row)
    return row
