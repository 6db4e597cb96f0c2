import hashlib
import json

import pytest
from django.core.management import CommandError, call_command

from apps.footprints.document.canonical import canonical_bytes, digest
from apps.footprints.document.export import study_document_build
from apps.inventory.models import Study
from tests.document.builders import build_full_study, table_counts


def test_export_command_writes_the_canonical_bytes_to_a_file(supplier, library, tmp_path, capsys):
    study = build_full_study(supplier, library)
    target = tmp_path / "study.json"

    call_command("export_study", f"{supplier.slug}/{study.name}", "--output", str(target))

    document = study_document_build(study=study)
    assert target.read_bytes() == canonical_bytes(document)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest(document)
    assert digest(document) in capsys.readouterr().err


def test_export_command_by_id_to_standard_output(supplier, library, capsys):
    study = build_full_study(supplier, library)

    call_command("export_study", str(study.pk))

    assert json.loads(capsys.readouterr().out) == study_document_build(study=study)


def test_export_then_import_command_recreates_the_study(supplier, other_supplier, library, tmp_path):
    study = build_full_study(supplier, library)
    target = tmp_path / "study.json"
    call_command("export_study", str(study.pk), "--output", str(target))

    call_command("import_study", str(target), "--organization", other_supplier.slug)

    imported = Study.objects.get(organization=other_supplier, name=study.name)
    assert canonical_bytes(study_document_build(study=imported)) == target.read_bytes()


def test_import_command_reports_every_problem_and_writes_nothing(supplier, library, tmp_path):
    study = build_full_study(supplier, library)
    document = study_document_build(study=study)
    document["materials"][0]["quantity"] = "-1"
    target = tmp_path / "bad.json"
    target.write_bytes(canonical_bytes(document))
    before = table_counts()

    with pytest.raises(CommandError) as raised:
        call_command("import_study", str(target), "--organization", supplier.slug)

    assert "$.materials[0].quantity: '-1' is less than 0" in str(raised.value)
    assert table_counts() == before


def test_commands_refuse_unknown_study_and_organization(db, tmp_path):
    with pytest.raises(CommandError, match="No study"):
        call_command("export_study", "nobody/nothing")
    with pytest.raises(CommandError, match="No organization"):
        call_command("import_study", str(tmp_path / "x.json"), "--organization", "nobody")
