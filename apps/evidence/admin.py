from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.admin_base import ReadOnlyAdminMixin
from apps.evidence.models import EvidenceFile


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Written by apps.evidence.services only (checked type and size); staff look, never edit.

    The admin shows no link to the stored file: files are streamed by the study's download view,
    which checks the reader's access.
    """

    list_display = ("original_name", "kind", "study", "organization", "size_bytes", "uploaded_by", "created_at")
    list_filter = ("kind", "organization")
    list_select_related = ("study", "organization", "uploaded_by")
    search_fields = ("original_name", "description", "sha256", "study__name")
    exclude = ("file",)
    readonly_fields = (
        "uuid",
        "organization",
        "study",
        "kind",
        "description",
        "original_name",
        "content_type",
        "size_bytes",
        "sha256",
        "uploaded_by",
        "created_at",
        "bom_line",
        "transport_leg",
        "study_stage",
        "fuel_entry",
        "waste_entry",
        "factor",
    )
