"""What an uploaded file is, decided by its content, before anything is stored.

Accepted: PDF, PNG, JPEG, Excel workbooks (.xlsx, no macros), CSV and plain text (UTF-8). The
name's extension must agree with the content: a PNG called .pdf is refused, as is anything that
can carry scripts or macros (.html, .svg, .xlsm, .exe, ...). The SHA-256 is computed while the
file is read once, in chunks; an .xlsx is recognised from its zip central directory alone,
nothing is decompressed.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class FileType(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    XLSX = "xlsx"
    TEXT = "text"


TYPE_LABELS: dict[FileType, Promise] = {
    FileType.PDF: _("a PDF document"),
    FileType.PNG: _("a PNG image"),
    FileType.JPEG: _("a JPEG image"),
    FileType.XLSX: _("an Excel workbook (.xlsx)"),
    FileType.TEXT: _("a text or CSV file"),
}

# Extension -> (type its content must have, content type the file is served with).
EXTENSIONS: dict[str, tuple[FileType, str]] = {
    ".pdf": (FileType.PDF, "application/pdf"),
    ".png": (FileType.PNG, "image/png"),
    ".jpg": (FileType.JPEG, "image/jpeg"),
    ".jpeg": (FileType.JPEG, "image/jpeg"),
    ".xlsx": (FileType.XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".csv": (FileType.TEXT, "text/csv; charset=utf-8"),
    ".txt": (FileType.TEXT, "text/plain; charset=utf-8"),
}

ALLOWED_TYPES_TEXT = _("PDF, PNG, JPEG, Excel workbook (.xlsx), CSV or plain text (.txt)")
CHUNK_SIZE = 64 * 1024
BYTES_PER_MB = 1024 * 1024


@dataclass(frozen=True)
class InspectedFile:
    original_name: str
    extension: str
    file_type: FileType
    content_type: str
    size_bytes: int
    sha256: str


def megabytes(size_bytes: int) -> str:
    """A size in MB for messages: 3 significant digits, no exponent (10 MB, 0.5 MB, 0.000954 MB)."""
    value = Decimal(size_bytes) / BYTES_PER_MB
    if value.is_zero():
        return "0"
    places = max(0, 2 - value.adjusted())
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded.normalize():f}"


def clean_original_name(name: str) -> str:
    """The uploader's file name as shown and offered on download: no path, no control characters."""
    base = os.path.basename(name.replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if len(base) > 255:
        stem, ext = os.path.splitext(base)
        base = stem[: 255 - len(ext)] + ext
    return base


def _refuse(message: Any, code: str, **params: object) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code, params=params or None)})


def _type_of_extension(extension: str) -> tuple[FileType, str]:
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    if not extension:
        raise _refuse(
            _("The file name has no extension. Allowed types: %(allowed)s."), "no_extension", allowed=ALLOWED_TYPES_TEXT
        )
    if extension == ".xls":
        raise _refuse(
            _(
                "Old Excel files (.xls) are not accepted: save the workbook as .xlsx and upload it again. "
                "Allowed types: %(allowed)s."
            ),
            "xls",
            allowed=ALLOWED_TYPES_TEXT,
        )
    if extension in {".xlsm", ".xltm", ".xlsb", ".docm"}:
        raise _refuse(
            _(
                "Files with macros (%(extension)s) are not accepted: save the workbook as .xlsx without macros. "
                "Allowed types: %(allowed)s."
            ),
            "macros",
            extension=extension,
            allowed=ALLOWED_TYPES_TEXT,
        )
    raise _refuse(
        _("Files of type %(extension)s are not accepted. Allowed types: %(allowed)s."),
        "type_not_allowed",
        extension=extension,
        allowed=ALLOWED_TYPES_TEXT,
    )


def _sniff(head: bytes) -> FileType | None:
    """The binary types by their signature; None for anything else (maybe text)."""
    if head.startswith(b"%PDF-"):
        return FileType.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    if head.startswith(b"PK\x03\x04"):
        return FileType.XLSX  # a zip; confirmed (or refused) from its central directory
    return None


def _check_workbook(upload: UploadedFile) -> None:
    """A zip whose directory lists [Content_Types].xml and xl/ parts, and no macro project."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:  # reads the central directory only
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise _refuse(_("The content of this file is not a valid Excel workbook (.xlsx)."), "bad_xlsx") from exc
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise _refuse(_("The content of this file is not a valid Excel workbook (.xlsx)."), "bad_xlsx")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise _refuse(
            _("This workbook contains macros and is not accepted: save it as .xlsx without macros."), "macros"
        )


def inspect_upload(upload: UploadedFile, *, max_bytes: int) -> InspectedFile:
    """Check size and type (by content), compute the SHA-256; raise ValidationError on "file"."""
    original_name = clean_original_name(upload.name or "")
    if not original_name:
        raise _refuse(_("The file has no name."), "no_name")
    extension = os.path.splitext(original_name)[1].lower()
    expected, content_type = _type_of_extension(extension)

    size = upload.size or 0
    if size == 0:
        raise _refuse(_("The file is empty."), "empty")
    if size > max_bytes:
        raise _refuse(
            _("The file is %(size)s MB; files of at most %(limit)s MB are accepted."),
            "too_large",
            size=megabytes(size),
            limit=megabytes(max_bytes),
        )

    upload.seek(0)
    head = upload.read(8)
    found = _sniff(head)
    if found is None and expected is not FileType.TEXT:
        raise _refuse(
            _("The content of this file is not %(expected)s, as its name (%(extension)s) says."),
            "content_mismatch",
            expected=TYPE_LABELS[expected],
            extension=extension,
        )
    if found is not None and found is not expected:
        raise _refuse(
            _(
                "The file's name ends in %(extension)s but its content is %(found)s. "
                "Rename it or upload the right file."
            ),
            "extension_mismatch",
            extension=extension,
            found=TYPE_LABELS[found],
        )

    # One pass over the content: hash it, and for text check that it is UTF-8 without NUL bytes.
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if expected is FileType.TEXT else None
    read = 0
    upload.seek(0)
    for chunk in upload.chunks(CHUNK_SIZE):
        read += len(chunk)
        digest.update(chunk)
        if decoder is not None:
            if b"\x00" in chunk:
                raise _refuse(_("This is not a text file: it contains binary data."), "not_text")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _refuse(
                    _("This text file is not UTF-8 encoded: save it as UTF-8 (CSV UTF-8 in Excel) and upload again."),
                    "not_utf8",
                ) from exc
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _refuse(
                _("This text file is not UTF-8 encoded: save it as UTF-8 (CSV UTF-8 in Excel) and upload again."),
                "not_utf8",
            ) from exc
    if read != size:
        raise _refuse(_("The file could not be read completely; upload it again."), "incomplete")

    if expected is FileType.XLSX:
        _check_workbook(upload)
    upload.seek(0)
    return InspectedFile(
        original_name=original_name,
        extension=extension,
        file_type=expected,
        content_type=content_type,
        size_bytes=size,
        sha256=digest.hexdigest(),
    )
