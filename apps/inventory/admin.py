from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.admin_base import TenantChildAdminMixin
from apps.inventory.models import BomLine, Product, Site, Study, StudyStage, TransportLeg


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ("name", "model_code", "organization", "mass_kg")
    list_filter = ("organization",)
    list_select_related = ("organization",)
    search_fields = ("name", "model_code")
    autocomplete_fields = ("organization",)


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "organization", "grid_region")
    list_filter = ("organization",)
    list_select_related = ("organization",)
    search_fields = ("name", "code", "grid_region")
    autocomplete_fields = ("organization",)


@admin.register(Study)
class StudyAdmin(TenantChildAdminMixin, SimpleHistoryAdmin):
    tenant_parent = "product"
    list_display = ("name", "organization", "product", "site", "period_start", "period_end", "status")
    list_filter = ("status", "organization")
    list_select_related = ("organization", "product", "site")
    search_fields = ("name", "product__name", "product__model_code")
    autocomplete_fields = (
        "product",
        "site",
        "factor_dataset",
        "electricity_factor",
        "electricity_series",
        "created_by",
    )
    date_hierarchy = "period_start"


@admin.register(StudyStage)
class StudyStageAdmin(TenantChildAdminMixin, SimpleHistoryAdmin):
    tenant_parent = "study"
    list_display = ("study", "stage", "allocation_share", "organization")
    list_select_related = ("study", "stage", "organization")
    search_fields = ("study__name", "stage__name_en", "stage__name_zh")
    autocomplete_fields = ("study", "stage")


@admin.register(BomLine)
class BomLineAdmin(TenantChildAdminMixin, SimpleHistoryAdmin):
    tenant_parent = "study"
    list_display = ("study", "material", "quantity", "loss_rate", "factor", "data_source")
    list_filter = ("data_source",)
    list_select_related = ("study", "material", "factor")
    search_fields = ("study__name", "material__name_en", "material__name_zh")
    autocomplete_fields = ("study", "material", "factor")


@admin.register(TransportLeg)
class TransportLegAdmin(TenantChildAdminMixin, SimpleHistoryAdmin):
    tenant_parent = "bom_line"
    list_display = ("bom_line", "mode", "distance_km", "mass_kg", "factor", "data_source")
    list_filter = ("mode", "data_source")
    list_select_related = ("bom_line__material", "bom_line__study", "factor")
    search_fields = ("bom_line__study__name", "bom_line__material__name_en")
    autocomplete_fields = ("bom_line", "factor")
