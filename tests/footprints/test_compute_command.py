import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from apps.catalog.models import Material
from apps.footprints.models import FootprintResult
from apps.inventory.models import BomLine, Study
from tests.footprints.builders import EXPECTED, build_small_study


def _run(*args: str) -> str:
    out = StringIO()
    call_command("compute_footprint", *args, stdout=out)
    return out.getvalue()


def test_compute_footprint_json_prints_totals_per_declared_unit_and_every_line(supplier, library):
    study = build_small_study(supplier, library)

    report = json.loads(_run(str(study.pk), "--json"))

    assert {name: Decimal(report["totals"][name]) for name in EXPECTED} == EXPECTED
    assert report["declared_unit"] == "1 piece"
    assert [line["key"] for line in report["contributions"]] == [
        "material/20", "material/25", "material/28", "material/25/transport/1",
        "stage/4", "stage/26", "fuel/1", "waste/1",
    ]  # fmt: skip
    assert report["digest"] == FootprintResult.objects.get(study=study).digest


def test_compute_footprint_accepts_org_slug_and_study_name_and_is_idempotent(supplier, library):
    study = build_small_study(supplier, library, name="meter 2025")

    first = json.loads(_run(f"{supplier.slug}/meter 2025", "--json"))
    second = json.loads(_run(str(study.pk), "--json"))

    assert first["snapshot_created"] is True
    assert second["snapshot_created"] is False
    assert second["digest"] == first["digest"]
    assert FootprintResult.objects.filter(study=study).count() == 1


def test_compute_footprint_text_output_names_every_total(supplier, library):
    study = build_small_study(supplier, library)

    text = _run(str(study.pk))

    for name in ("E ", "EM ", "EP ", "EB ", "EDL ", "EW "):
        assert f"  {name}" in text
    assert "  E             4.143\n" in text  # E = 4.14288, four significant digits for reading
    assert "  EM_MATERIALS  3.056\n" in text
    assert "4.14288" not in text


def test_compute_footprint_text_rounds_what_the_json_keeps_in_full(supplier, library):
    study = build_small_study(supplier, library)
    Study.objects.filter(pk=study.pk).update(units_produced=Decimal(3))  # thirds: the engine's 50 digits

    text = _run(str(study.pk))
    report = json.loads(_run(str(study.pk), "--json"))

    assert len(report["totals"]["ep"].replace(".", "").lstrip("0")) > 40
    values = [line.split()[1] for line in text.splitlines() if line.startswith("  ") and "digest" not in line]
    assert len(values) == 8
    assert all(len(value.replace(".", "").lstrip("0")) <= 4 for value in values), values


def test_compute_footprint_unknown_study_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No study '999999'"):
        _run("999999")


def test_compute_footprint_bad_inputs_say_what_is_wrong_and_store_nothing(supplier, library):
    study = build_small_study(supplier, library)
    BomLine.objects.create(organization=supplier, study=study, material=Material.objects.get(no=7), quantity=1)

    with translation.override("en"), pytest.raises(CommandError, match=r"LCD display.*no emission factor"):
        _run(str(study.pk))

    assert not FootprintResult.objects.filter(study=study).exists()
