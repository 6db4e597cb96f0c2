"""Real files of each accepted type (and some that must be refused), a temporary storage, and a
study with one row of every kind a file can be attached to."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from apps.accounts.models import Organization
from apps.catalog.models import Material, ProcessStage
from apps.factors.enums import FactorCategory
from apps.factors.models import EmissionFactor, FactorDataset
from apps.inventory.enums import TransportMode
from apps.inventory.models import BomLine, Study, StudyStage, TransportLeg
from apps.ledger.models import FuelEntry, WasteEntry
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
CSV = "材料,数量\n印制电路板,1\n".encode()


def png_bytes() -> bytes:
    """A valid 1x1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")
    )


PNG = png_bytes()


def xlsx_bytes() -> bytes:
    """A real workbook written by openpyxl."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["material", "quantity"])
    sheet.append(["PCB", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The browser's content type is ignored: it says text/plain whatever the file is.
    return SimpleUploadedFile(name, content, content_type="text/plain")


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def use_tmp_media(settings, tmp_path: Path) -> Path:
    """Point the default storage at a directory of the test's own (Django resets the storage).

    For a ``media`` fixture: ``return use_tmp_media(settings, tmp_path)``."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    settings.STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return root


@dataclass
class Targets:
    study: Study
    line: BomLine
    leg: TransportLeg
    stage: StudyStage
    fuel: FuelEntry
    waste: WasteEntry
    own_factor: EmissionFactor


def make_targets(organization: Organization, library: factories.Library, *, name: str | None = None) -> Targets:
    study = factories.make_study(organization, library, name=name, stage_nos=(5,))
    line = BomLine.objects.create(
        organization=organization, study=study, material=Material.objects.get(no=20), quantity=Decimal(1)
    )
    leg = TransportLeg.objects.create(
        organization=organization,
        bom_line=line,
        mode=TransportMode.ROAD_HEAVY,
        distance_km=Decimal(100),
        mass_kg=Decimal("0.1"),
        factor=library.truck,
    )
    fuel = FuelEntry.objects.create(
        organization=organization, study=study, factor=library.diesel, quantity=Decimal(120), unit="kg"
    )
    waste = WasteEntry.objects.create(
        organization=organization, study=study, factor=library.landfill, quantity=Decimal(5), unit="kg"
    )
    dataset = FactorDataset.objects.create(
        organization=organization, name="Own factors", version=f"v{study.pk}", publisher="supplier", gwp_basis="AR6"
    )
    own_factor = EmissionFactor.objects.create(
        dataset=dataset,
        organization=organization,
        code="material.pcb.upstream",
        category=FactorCategory.MATERIAL,
        name_en="PCB from our supplier",
        value=Decimal("0.75"),
        unit="kgCO2e/piece",
        source="upstream certificate",
    )
    stage = study.stages.get(stage=ProcessStage.objects.get(no=5))
    return Targets(study=study, line=line, leg=leg, stage=stage, fuel=fuel, waste=waste, own_factor=own_factor)
