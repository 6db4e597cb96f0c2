"""Writes of evidence files: add one (checked before anything is stored) and delete one.

A file is never changed in place. Both services need a study that can still be edited (draft or
returned for changes); the history keeps who added or deleted which file (name, size, SHA-256). What
happens to the stored file when a transaction rolls back or a row is deleted: apps.evidence.stored.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from apps.accounts.tenancy import require_same_organization, validated_save
from apps.evidence.files import inspect_upload
from apps.evidence.models import EvidenceFile
from apps.evidence.stored import stored_file_delete, stored_file_track
from apps.factors.models import EmissionFactor
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.inventory.services.editable import study_require_editable
from apps.ledger.models import FuelEntry, WasteEntry

EvidenceTarget = BomLine | TransportLeg | StudyStage | FuelEntry | WasteEntry | EmissionFactor
AnyUser = AbstractBaseUser | AnonymousUser | None
_TARGET_FIELD: dict[type, str] = {
    BomLine: "bom_line",
    TransportLeg: "transport_leg",
    StudyStage: "study_stage",
    FuelEntry: "fuel_entry",
    WasteEntry: "waste_entry",
    EmissionFactor: "factor",
}


def _invalid_choice() -> ValidationError:
    return ValidationError({"target": _("Select a valid choice. That choice is not one of the available choices.")})


def _require_target_in_study(*, study: Study, target: EvidenceTarget) -> str:
    """The field the target goes in; a target outside the study is refused like an unknown one."""
    field = _TARGET_FIELD.get(type(target))
    if field is None or target.pk is None:
        raise _invalid_choice()
    try:
        require_same_organization(study.organization, target=target)
    except ValidationError:
        raise _invalid_choice() from None
    if isinstance(target, EmissionFactor):
        # Only the supplier's own factors: a library factor's evidence is the library's citation.
        if target.organization_id != study.organization_id:
            raise _invalid_choice()
    elif isinstance(target, TransportLeg):
        if not BomLine.objects.filter(pk=target.bom_line_id, study=study).exists():
            raise _invalid_choice()
    elif target.study_id != study.pk:
        raise _invalid_choice()
    return field


def evidence_add(
    *,
    study: Study,
    upload: UploadedFile,
    kind: str,
    description: str = "",
    target: EvidenceTarget | None = None,
    user: AnyUser,
) -> EvidenceFile:
    """Check the file (size, type by content, extension), then store it and its row.

    Raises ValidationError keyed by "file", "kind", "description" or "target" (or a non-field
    error when the study cannot be edited); in that case nothing is stored. Called inside a transaction
    of the caller's, the file is stored at once and removed again if that transaction rolls back
    (apps.evidence.stored).
    """
    study_require_editable(study)
    target_field = _require_target_in_study(study=study, target=target) if target is not None else None
    inspected = inspect_upload(upload, max_bytes=settings.EVIDENCE_MAX_BYTES)

    evidence = EvidenceFile(
        organization=study.organization,
        study=study,
        uuid=uuid.uuid4(),
        kind=kind,
        description=description.strip(),
        original_name=inspected.original_name,
        content_type=inspected.content_type,
        size_bytes=inspected.size_bytes,
        sha256=inspected.sha256,
    )
    uploader = _person(user)
    evidence.uploaded_by_id = uploader.pk if uploader is not None else None
    if target_field is not None:
        setattr(evidence, target_field, target)
    # Validate everything but the file itself before the file reaches the storage.
    evidence.full_clean(exclude=["file"])
    upload.seek(0)
    evidence.file = File(upload, name=f"{evidence.uuid}{inspected.extension}")
    evidence._history_user = uploader  # type: ignore[attr-defined]
    in_callers_transaction = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic():
            validated_save(evidence)  # the storage write happens in save(), just before the row insert
    except Exception:
        # The row was not written: do not leave its file behind in the storage.
        if evidence.file and getattr(evidence.file, "_committed", False):
            stored_file_delete(evidence.file.storage, evidence.file.name)
        raise
    if in_callers_transaction:
        stored_file_track(storage=evidence.file.storage, name=evidence.file.name, using=DEFAULT_DB_ALIAS)
    return evidence


def evidence_delete(*, evidence: EvidenceFile, user: AnyUser) -> None:
    """Delete the row (its history record stays) and, once committed, the stored file (the post_delete
    receiver in apps.evidence.apps, which a study's deletion cascading to its files goes through too)."""
    with transaction.atomic():
        locked = (
            EvidenceFile.objects.select_for_update(of=("self",))
            .select_related("study", "study__organization")
            .filter(pk=evidence.pk)
            .first()
        )
        if locked is None:
            return  # someone deleted it first: the outcome the user asked for
        study_require_editable(locked.study)
        locked._history_user = _person(user)
        try:
            with transaction.atomic():
                locked.delete()
        except ProtectedError as exc:  # a submitted version names the file: it is kept as long as that version
            raise ValidationError(
                _("This file is part of a submitted version of the study and is kept with it."), code="protected"
            ) from exc


def _person(user: AnyUser) -> AbstractBaseUser | None:
    """The signed-in user behind a change, or None (a command, an import, an anonymous caller)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    return user
