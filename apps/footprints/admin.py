from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_base import ReadOnlyAdminMixin
from apps.footprints.models import FootprintComputation, FootprintResult


@admin.register(FootprintResult)
class FootprintResultAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Immutable snapshots: shown, never added, changed or deleted here."""

    list_display = (
        "study",
        "organization",
        "total_e",
        "short_digest",
        "method_version",
        "engine_version",
        "created_at",
    )
    list_filter = ("method_version", "organization")
    list_select_related = ("study", "organization")
    search_fields = ("study__name", "digest")
    exclude = ("canonical_inputs_gz",)
    readonly_fields = ("canonical_inputs_size",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[FootprintResult]:
        # The compressed inputs can be large; they are only ever measured here.
        return super().get_queryset(request).defer("canonical_inputs_gz")

    @admin.display(description=_("E (kg CO2e per declared unit)"))
    def total_e(self, obj: FootprintResult) -> str:
        return str((obj.totals or {}).get("e", ""))

    @admin.display(description=_("digest"))
    def short_digest(self, obj: FootprintResult) -> str:
        return obj.digest[:12]

    @admin.display(description=_("canonical inputs (gzip bytes)"))
    def canonical_inputs_size(self, obj: FootprintResult) -> int:
        return len(obj.canonical_inputs_gz or b"")


@admin.register(FootprintComputation)
class FootprintComputationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("study", "organization", "status", "requested_by", "created_at", "finished_at", "error_code")
    list_filter = ("status", "reused_existing_result", "organization")
    list_select_related = ("study", "organization", "requested_by")
    search_fields = ("study__name", "error_code", "error_message")
