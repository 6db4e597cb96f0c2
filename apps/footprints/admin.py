from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_base import ReadOnlyAdminMixin
from apps.footprints.display import percent, significant, to_decimal
from apps.footprints.models import FootprintComputation, FootprintResult

TOTAL_KEYS = ("e", "em", "em_materials", "em_transport", "ep", "eb", "edl", "ew")


def _rounded(value: object) -> str:
    """Four significant digits for reading (the engine's 50 are in the row and in compute_footprint --json)."""
    number = to_decimal(value)
    return "" if number is None else significant(number)


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
    # The numbers are shown rounded (full precision stays in the row); the compressed inputs only measured.
    exclude = ("canonical_inputs_gz", "totals", "breakdown", "primary_data_share")
    readonly_fields = ("totals_rounded", "breakdown_rounded", "primary_data_share_rounded", "canonical_inputs_size")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FootprintResult]:
        # The compressed inputs can be large; they are only ever measured here.
        return super().get_queryset(request).defer("canonical_inputs_gz")

    @admin.display(description=_("E (kg CO2e per declared unit)"))
    def total_e(self, obj: FootprintResult) -> str:
        return _rounded((obj.totals or {}).get("e"))

    @admin.display(description=_("totals (kg CO2e per declared unit)"))
    def totals_rounded(self, obj: FootprintResult) -> SafeString:
        totals = obj.totals or {}
        rows = ((key.upper(), _rounded(totals.get(key))) for key in TOTAL_KEYS if key in totals)
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description=_("contribution of every line"))
    def breakdown_rounded(self, obj: FootprintResult) -> SafeString:
        lines = [row for row in obj.breakdown or [] if isinstance(row, dict)]
        rows = (
            (row.get("key", ""), row.get("label", ""), _rounded(row.get("emission")), row.get("factor_key", ""))
            for row in lines
        )
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        )

    @admin.display(description=_("primary data share"))
    def primary_data_share_rounded(self, obj: FootprintResult) -> str:
        share = to_decimal(obj.primary_data_share)
        return "" if share is None else percent(share)

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
