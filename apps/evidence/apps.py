from typing import Any

from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "apps.evidence"
    verbose_name = _("Evidence files")

    def ready(self) -> None:
        """A deleted row's file goes once the deletion commits, whichever way the row went (evidence_delete,
        a study's cascade, the admin); a file a rolled-back request stored goes when the request ends."""
        from apps.evidence.models import EvidenceFile

        post_delete.connect(_evidence_file_deleted, sender=EvidenceFile, dispatch_uid="evidence-file-deleted")
        request_started.connect(_request_started, dispatch_uid="evidence-request-started")
        request_finished.connect(_request_finished, dispatch_uid="evidence-request-finished")


def _evidence_file_deleted(sender: type, instance: Any, using: str, **kwargs: Any) -> None:
    from apps.evidence.stored import stored_file_delete_on_commit

    if instance.file and instance.file.name:
        stored_file_delete_on_commit(storage=instance.file.storage, name=instance.file.name, using=using)


def _request_started(**kwargs: Any) -> None:
    from apps.evidence.stored import stored_files_forget

    stored_files_forget()


def _request_finished(**kwargs: Any) -> None:
    from apps.evidence.stored import stored_files_settle

    stored_files_settle()
