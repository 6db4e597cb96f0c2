"""When a study may change: while its supplier works on it (a draft, or returned for changes by the
buyer). Once submitted it is a record (issue "Footprint requests and review"). Every service that
writes a study's inputs checks this twice: before any work, and again under a row lock inside its
transaction, so a submission racing an edit is serialized and the edit then sees the new status."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from apps.inventory.enums import StudyStatus
from apps.inventory.models import Study

STUDY_EDITABLE_STATUSES = frozenset({StudyStatus.DRAFT, StudyStatus.RETURNED})


def study_is_editable(study: Study) -> bool:
    return study.status in STUDY_EDITABLE_STATUSES


def _not_editable(status: str) -> ValidationError:
    label = StudyStatus(status).label if status in StudyStatus.values else status
    return ValidationError(
        {
            NON_FIELD_ERRORS: [
                ValidationError(
                    _("This study is %(status)s: its data can no longer be changed."),
                    code="not_editable",
                    params={"status": label},
                )
            ]
        }
    )


def study_require_editable(study: Study) -> None:
    """Before any work: the status the caller holds."""
    if not study_is_editable(study):
        raise _not_editable(study.status)


def study_lock_editable(study: Study) -> None:
    """Inside the service's transaction: lock the study row and check its stored status again."""
    status = Study.objects.select_for_update().filter(pk=study.pk).values_list("status", flat=True).first()
    if status is not None and status != study.status:
        study.status = status
    study_require_editable(study)
