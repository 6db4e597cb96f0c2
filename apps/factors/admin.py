"""Admin for the factor library. Emission factors import and export as Excel (django-import-export)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from import_export import fields, resources
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.widgets import CharWidget, ForeignKeyWidget
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.admin_base import LargeTableAdmin, TenantChildAdminMixin
from apps.catalog.models import Material
from apps.factors.models import ElectricityFactorPoint, ElectricityFactorSeries, EmissionFactor, FactorDataset


class DatasetWidget(ForeignKeyWidget):
    """A dataset named by three columns: dataset (name), dataset_version and dataset_owner.

    An empty owner is the shared library; otherwise it is the supplier organization's short name.
    Names travel between installations where database ids do not.
    """

    def __init__(self) -> None:
        super().__init__(FactorDataset, field="name")

    def get_lookup_kwargs(self, value: Any, row: Any, **kwargs: Any) -> dict[str, Any]:
        version = str(row.get("dataset_version") or "").strip()
        owner = str(row.get("dataset_owner") or "").strip()
        lookup: dict[str, Any] = {"name": str(value).strip(), "version": version}
        if owner:
            lookup["organization__slug"] = owner
        else:
            lookup["organization__isnull"] = True
        return lookup


class EmissionFactorResource(resources.ModelResource):
    dataset = fields.Field(attribute="dataset", column_name="dataset", widget=DatasetWidget())
    dataset_version = fields.Field(attribute="dataset__version", column_name="dataset_version", readonly=True)
    dataset_owner = fields.Field(attribute="dataset__organization__slug", column_name="dataset_owner", readonly=True)
    material = fields.Field(
        attribute="material", column_name="material_no", widget=ForeignKeyWidget(Material, field="no")
    )
    # Text columns: an empty cell is an empty text, never NULL.
    source = fields.Field(attribute="source", column_name="source", widget=CharWidget())
    notes = fields.Field(attribute="notes", column_name="notes", widget=CharWidget())

    class Meta:
        model = EmissionFactor
        fields = (
            "dataset",
            "dataset_version",
            "dataset_owner",
            "code",
            "category",
            "name_zh",
            "name_en",
            "value",
            "unit",
            "low",
            "high",
            "region",
            "year",
            "valid_from",
            "valid_to",
            "source",
            "notes",
            "material",
        )
        export_order = fields
        import_id_fields = ("dataset", "code")
        skip_unchanged = True
        report_skipped = True
        use_transactions = True  # all rows or none

    def before_save_instance(self, instance: EmissionFactor, row: Any, **kwargs: Any) -> None:
        instance.organization = instance.dataset.organization

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("dataset__organization", "material")


@admin.register(FactorDataset)
class FactorDatasetAdmin(SimpleHistoryAdmin):
    list_display = ("name", "version", "publisher", "organization", "gwp_basis", "is_illustrative", "created_at")
    list_filter = ("gwp_basis", "is_illustrative")
    list_select_related = ("organization",)
    search_fields = ("name", "version", "publisher")
    autocomplete_fields = ("organization",)


@admin.register(EmissionFactor)
class EmissionFactorAdmin(TenantChildAdminMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [EmissionFactorResource]
    import_formats = [base_formats.XLSX, base_formats.CSV]
    export_formats = [base_formats.XLSX, base_formats.CSV]
    tenant_parent = "dataset"
    list_display = ("code", "name_en", "name_zh", "category", "value", "unit", "dataset", "organization")
    list_filter = ("category", "dataset")
    list_select_related = ("dataset", "organization")
    search_fields = ("code", "name_en", "name_zh")
    autocomplete_fields = ("dataset", "material")


@admin.register(ElectricityFactorSeries)
class ElectricityFactorSeriesAdmin(TenantChildAdminMixin, SimpleHistoryAdmin):
    tenant_parent = "dataset"
    list_display = ("code", "name", "region", "unit", "resolution_seconds", "dataset", "organization")
    list_filter = ("dataset",)
    list_select_related = ("dataset", "organization")
    search_fields = ("code", "name", "region")
    autocomplete_fields = ("dataset",)


@admin.register(ElectricityFactorPoint)
class ElectricityFactorPointAdmin(LargeTableAdmin):
    list_display = ("series", "start", "value")
    list_filter = ("series",)
    list_select_related = ("series",)
    autocomplete_fields = ("series",)
    ordering = ("series_id", "start")
