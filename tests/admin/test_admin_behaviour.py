from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from apps.accounts.admin_base import EstimatedCountPaginator
from apps.catalog.models import Material, ProcessStage
from apps.footprints.models import FootprintResult
from apps.inventory.models import BomLine, StudyStage
from apps.ledger.models import ElectricityReading
from tests import factories


def test_footprint_result_admin_refuses_changes_and_deletion(admin_client, every_row):
    result = FootprintResult.objects.get()
    url = reverse("admin:footprints_footprintresult_change", args=[result.pk])

    post = admin_client.post(url, {"digest": "0" * 64})
    delete = admin_client.post(reverse("admin:footprints_footprintresult_delete", args=[result.pk]), {"post": "yes"})

    assert post.status_code == 403
    assert delete.status_code == 403
    assert FootprintResult.objects.get().digest == result.digest


def test_reading_admin_is_read_only_without_full_count(admin_client, every_row):
    reading_admin = admin.site._registry[ElectricityReading]
    reading = ElectricityReading.objects.get()

    delete = admin_client.post(reverse("admin:ledger_electricityreading_delete", args=[reading.pk]), {"post": "yes"})
    changelist = admin_client.get(reverse("admin:ledger_electricityreading_changelist"))

    assert delete.status_code == 403
    assert ElectricityReading.objects.filter(pk=reading.pk).exists()
    assert reading_admin.show_full_result_count is False
    assert changelist.context["cl"].full_result_count is None
    assert "1.5" in changelist.content.decode()  # 1 500 000 mWh shown in kWh


def test_tenant_child_added_in_admin_takes_its_parents_organization(admin_client, supplier, library):
    study = factories.make_study(supplier, library)
    stage = ProcessStage.objects.get(no=7)

    response = admin_client.post(
        reverse("admin:inventory_studystage_add"),
        {"study": study.pk, "stage": stage.pk, "allocation_share": "0.5", "allocation_note": "by mass"},
    )

    assert response.status_code == 302
    assert StudyStage.objects.get(study=study, stage=stage).organization == supplier


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics exist on PostgreSQL only")
def test_estimated_count_paginator_reads_planner_statistics_for_an_unfiltered_table(every_row):
    class EstimateEverything(EstimatedCountPaginator):
        ESTIMATE_ABOVE = -1

    ElectricityReading.objects.create(
        **{
            f.attname: getattr(ElectricityReading.objects.get(), f.attname)
            for f in ElectricityReading._meta.concrete_fields
            if f.attname not in ("id", "start", "end")
        },
        start=datetime(2025, 1, 2, tzinfo=UTC),
        end=datetime(2025, 1, 2, 0, 15, tzinfo=UTC),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ElectricityReading._meta.db_table}")

    unfiltered = EstimateEverything(ElectricityReading.objects.all(), 100).count
    filtered = EstimateEverything(ElectricityReading.objects.filter(milliwatt_hours__gt=Decimal(10**9)), 100).count

    assert unfiltered == 2
    assert filtered == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics exist on PostgreSQL only")
def test_estimated_count_of_the_partitioned_readings_follows_their_partitions(every_row):
    """Autovacuum analyzes partitions, never their parent: the estimate is the partitions' sum."""

    class EstimateEverything(EstimatedCountPaginator):
        ESTIMATE_ABOVE = -1

    table = ElectricityReading._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
        (kind,) = cursor.fetchone()
    if kind != "p":
        pytest.skip("the readings table is not partitioned in this database")
    reading = ElectricityReading.objects.get()
    ElectricityReading.objects.bulk_create(
        ElectricityReading(
            **{
                f.attname: getattr(reading, f.attname)
                for f in ElectricityReading._meta.concrete_fields
                if f.attname not in ("id", "start", "end")
            },
            start=datetime(2025, 2, 1, tzinfo=UTC) + timedelta(minutes=15 * i),
            end=datetime(2025, 2, 1, 0, 15, tzinfo=UTC) + timedelta(minutes=15 * i),
        )
        for i in range(9)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}_y2025")  # the partition only, as autovacuum would

    assert EstimateEverything(ElectricityReading.objects.all(), 100).count == 10


def test_admin_refuses_a_line_valued_with_another_suppliers_factor(admin_client, supplier, library, other_supplier):
    study = factories.make_study(supplier, library)
    foreign = factories.make_library(organization=other_supplier)

    response = admin_client.post(
        reverse("admin:inventory_bomline_add"),
        {
            "study": study.pk,
            "material": Material.objects.get(no=20).pk,
            "quantity": "1",
            "loss_rate": "0",
            "factor": foreign.pcb.pk,
            "data_source": "secondary_default",
        },
    )

    assert response.status_code == 200  # the form again, with the error at the factor field
    assert list(response.context["adminform"].form.errors) == ["factor"]
    assert not BomLine.objects.filter(study=study).exists()
