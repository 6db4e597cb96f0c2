"""The factor library leaves and enters the admin as an Excel workbook (django-import-export)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.factors.admin import EmissionFactorResource
from apps.factors.models import EmissionFactor
from tests import factories

XLSX = "0"  # first of EmissionFactorAdmin.export_formats / import_formats


def _export_workbook(admin_client) -> openpyxl.Workbook:
    url = reverse("admin:factors_emissionfactor_export")
    form = admin_client.get(url).content.decode()
    checkboxes = set(re.findall(r'name="(emissionfactorresource_[a-z_]+)"', form))
    response = admin_client.post(url, {"format": XLSX, "resource": "0", **dict.fromkeys(checkboxes, "on")})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _upload(admin_client, workbook: openpyxl.Workbook) -> str:
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("factors.xlsx", buffer.getvalue())
    response = admin_client.post(
        reverse("admin:factors_emissionfactor_import"), {"format": XLSX, "resource": "0", "import_file": upload}
    )
    assert response.status_code == 200
    return response.content.decode()


def _confirm(admin_client, preview: str):
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview))
    return admin_client.post(reverse("admin:factors_emissionfactor_process_import"), hidden)


def test_factor_export_names_datasets_and_materials_not_ids(admin_client, library):
    sheet = _export_workbook(admin_client).active
    rows = list(sheet.values)

    header, pcb = rows[0], next(r for r in rows if "material.pcb" in r)
    record = dict(zip(header, pcb, strict=True))
    assert record["dataset"] == library.dataset.name
    assert record["dataset_version"] == library.dataset.version
    assert record["dataset_owner"] in (None, "")
    assert record["material_no"] in (20, "20")
    assert Decimal(str(record["value"])) == Decimal("0.88")


def test_factor_import_previews_then_updates_in_place(admin_client, library):
    workbook = _export_workbook(admin_client)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("code")].value == "material.pcb":
            row[header.index("value")].value = 0.95

    preview = _upload(admin_client, workbook)
    unchanged_before_confirm = EmissionFactor.objects.get(pk=library.pcb.pk).value
    response = _confirm(admin_client, preview)

    assert unchanged_before_confirm == Decimal("0.88")
    assert response.status_code == 302
    assert EmissionFactor.objects.get(pk=library.pcb.pk).value == Decimal("0.95")
    assert EmissionFactor.objects.filter(dataset=library.dataset).count() == 7


def test_factor_import_of_a_suppliers_dataset_sets_the_organization(supplier):
    own = factories.make_library(organization=supplier, version="supplier-1")
    dataset = EmissionFactorResource().export(queryset=EmissionFactor.objects.filter(pk=own.pcb.pk))
    dataset.dict = [{**dataset.dict[0], "code": "material.pcb.v2", "value": "0.77"}]

    result = EmissionFactorResource().import_data(dataset, dry_run=False, raise_errors=True)

    created = EmissionFactor.objects.get(dataset=own.dataset, code="material.pcb.v2")
    assert result.totals["new"] == 1
    assert created.organization == supplier
    assert created.value == Decimal("0.77")


def test_factor_import_with_an_unknown_dataset_writes_nothing(admin_client, library):
    workbook = _export_workbook(admin_client)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index("dataset_version") + 1, value="no-such-version")
    sheet.cell(row=3, column=header.index("value") + 1, value=9.99)

    preview = _upload(admin_client, workbook)

    assert "process_import" not in preview  # errors shown, nothing to confirm
    assert not EmissionFactor.objects.filter(value=Decimal("9.99")).exists()
