from django.contrib import admin

from apps.accounts.admin_base import ReadOnlyAdminMixin
from apps.catalog.models import Material, ProcessStage


# The catalogues are seed 001's tables, kept in fixtures/catalog and synced by `load_reference`:
# an edit here would be overwritten, so they are shown, not edited.
@admin.register(Material)
class MaterialAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("no", "name_zh", "name_en", "category", "activity_unit", "density_kg_per_l")
    list_filter = ("category",)
    search_fields = ("name_zh", "name_en")


@admin.register(ProcessStage)
class ProcessStageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("no", "name_zh", "name_en", "group", "energy_type", "activity_unit")
    list_filter = ("group", "energy_type")
    search_fields = ("name_zh", "name_en")
