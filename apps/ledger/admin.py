from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.admin_base import LargeTableAdmin, ReadOnlyAdminMixin, TenantChildAdminMixin
from apps.ledger.models import ElectricityReading, FuelEntry, MeteringPoint, ReadingBatch, WasteEntry


@admin.register(MeteringPoint)
class MeteringPointAdmin(TenantChildAdminMixin, SimpleHistoryAdmin):
    tenant_parent = "site"
    list_display = ("code", "name", "site", "stage", "device_serial", "is_manual", "organization")
    list_filter = ("organization", "is_manual")
    list_select_related = ("site", "stage", "organization")
    search_fields = ("code", "name", "device_serial")
    autocomplete_fields = ("site", "stage")


@admin.register(ReadingBatch)
class ReadingBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Provenance of imported readings: written by the import services, never by hand."""

    list_display = ("__str__", "organization", "source", "description", "created_by", "created_at")
    list_filter = ("source", "organization")
    list_select_related = ("organization", "created_by")
    search_fields = ("description", "file_sha256")


@admin.register(ElectricityReading)
class ElectricityReadingAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """Hundreds of millions of rows: read-only, paginated on the (metering point, start) index."""

    list_display = ("metering_point", "start", "end", "kwh", "source", "batch_id")
    list_filter = ("metering_point", "source")
    list_select_related = ("metering_point__stage",)
    # Backwards along the unique (metering_point, start) index: newest first, no sort of the table.
    ordering = ("-metering_point_id", "-start")

    @admin.display(description="kWh")
    def kwh(self, obj: ElectricityReading) -> str:
        return f"{obj.kwh:f}"


@admin.register(FuelEntry)
class FuelEntryAdmin(TenantChildAdminMixin, SimpleHistoryAdmin):
    tenant_parent = "study"
    list_display = ("study", "stage", "factor", "quantity", "unit", "allocation_share", "data_source")
    list_filter = ("data_source",)
    list_select_related = ("study", "stage", "factor")
    search_fields = ("study__name", "description")
    autocomplete_fields = ("study", "stage", "factor")


@admin.register(WasteEntry)
class WasteEntryAdmin(TenantChildAdminMixin, SimpleHistoryAdmin):
    tenant_parent = "study"
    list_display = ("study", "factor", "quantity", "unit", "allocation_share", "data_source")
    list_filter = ("data_source",)
    list_select_related = ("study", "factor")
    search_fields = ("study__name", "description")
    autocomplete_fields = ("study", "factor")
