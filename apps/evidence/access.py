"""Access to an evidence file goes through its study: whoever may see the study may read the file.

The file is found by its public id, then its study is opened with ``study_access`` for the
request's membership; a file of a study the member cannot see is a 404, exactly like an unknown
id. Writes (add, delete) need ``Action.EDIT`` on that study (403 for a viewer).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.http import Http404

from apps.accounts.access import Access
from apps.accounts.models import Membership
from apps.evidence.models import EvidenceFile
from apps.inventory.access import study_access
from apps.inventory.models import Study


@dataclass(frozen=True)
class EvidenceAccess:
    evidence: EvidenceFile
    study: Access[Study]


def evidence_access(*, membership: Membership, evidence_uuid: UUID) -> EvidenceAccess:
    study_uuid = EvidenceFile.objects.filter(uuid=evidence_uuid).values_list("study__uuid", flat=True).first()
    if study_uuid is None:
        raise Http404("No such evidence file")
    access = study_access(membership=membership, study_uuid=study_uuid)
    evidence = access.obj.evidence_files.select_related("uploaded_by").filter(uuid=evidence_uuid).first()
    if evidence is None:
        raise Http404("No such evidence file")
    return EvidenceAccess(evidence=evidence, study=access)


def evidence_in_study(*, study: Study, evidence_uuid: UUID) -> EvidenceFile:
    """A file of a study the caller already opened with study_access; another study's is a 404."""
    evidence = study.evidence_files.filter(uuid=evidence_uuid).first()
    if evidence is None:
        raise Http404("No such evidence file")
    return evidence
