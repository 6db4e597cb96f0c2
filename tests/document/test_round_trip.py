import json

from apps.footprints.document.canonical import canonical_bytes, digest
from apps.footprints.document.export import study_document_build
from apps.footprints.document.importer import study_document_import
from tests.document.builders import build_full_study, make_series


def test_round_trip_static_factor_is_byte_identical(supplier, other_supplier, library):
    study = build_full_study(supplier, library)
    document = study_document_build(study=study)

    imported = study_document_import(organization=other_supplier, document=json.loads(canonical_bytes(document)))

    assert canonical_bytes(study_document_build(study=imported)) == canonical_bytes(document)


def test_round_trip_series_is_byte_identical(supplier, other_supplier, library):
    study = build_full_study(supplier, library, series=make_series(gap_at=5))
    document = study_document_build(study=study)

    imported = study_document_import(organization=other_supplier, document=json.loads(canonical_bytes(document)))

    assert canonical_bytes(study_document_build(study=imported)) == canonical_bytes(document)
    assert digest(study_document_build(study=imported)) == digest(document)
