"""Building blocks shared by the apps' admin modules."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from apps.accounts.tenancy import related_rows, require_same_organization, tenant_row_save


class ReadOnlyAdminMixin:
    """View-only: rows written by services (snapshots, readings, catalogues) are not edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class TenantChildAdminMixin:
    """For rows whose organization is copied from a parent (study, site, dataset...).

    The organization is never typed in: it is shown read-only and set from the parent on save, so a
    child cannot end up in another tenant than its parent.
    """

    tenant_parent: str = ""

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "organization")  # type: ignore[misc]

    def get_form(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, **kwargs)  # type: ignore[misc]
        parent = self.tenant_parent

        class TenantForm(form_class):  # type: ignore[misc, valid-type]
            def _post_clean(self) -> None:
                # After the form's values reach the instance: the organization follows the parent,
                # and every other row it links must be of that organization or the shared library.
                super()._post_clean()
                if getattr(self.instance, f"{parent}_id", None) is None:
                    return
                organization = getattr(self.instance, parent).organization
                self.instance.organization = organization
                try:
                    require_same_organization(organization, **related_rows(self.instance))
                except ValidationError as exc:
                    self._update_errors(exc)

        return form_class if not parent else TenantForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.organization = getattr(obj, self.tenant_parent).organization
        tenant_row_save(instance=obj)


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered PostgreSQL table from the planner's statistics instead of COUNT(*).

    The readings table grows to hundreds of millions of rows: an exact count would scan it on every
    changelist page. Filtered lists (one metering point) and small tables are counted exactly.
    """

    ESTIMATE_ABOVE = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connection.vendor == "postgresql" and isinstance(queryset, QuerySet) and not queryset.query.where:
            with connection.cursor() as cursor:
                # A partitioned table (the readings, by year) keeps its estimate in its partitions: the
                # parent's own is only as fresh as its last ANALYZE, which autovacuum never runs.
                cursor.execute(
                    """
                    SELECT CASE WHEN parent.relkind = 'p'
                        THEN (SELECT COALESCE(SUM(GREATEST(child.reltuples, 0)), 0)::bigint
                              FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid
                              WHERE pg_inherits.inhparent = parent.oid)
                        ELSE parent.reltuples::bigint END
                    FROM pg_class parent WHERE parent.oid = %s::regclass
                    """,
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row is not None and row[0] > self.ESTIMATE_ABOVE:
                return int(row[0])
        return super().count


class LargeTableAdmin(admin.ModelAdmin):
    """Never loads or counts a whole table: paginated, no full count, no filter counts (facets), no
    sorting by arbitrary columns."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    list_max_show_all = 0
    sortable_by = ()
