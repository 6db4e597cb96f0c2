"""What pages show of a snapshot is stored with it (FootprintResult.summary): the reader, the review's per-line
inputs and the inputs-changed check read it, never the canonical document; old snapshots get theirs from the
migration; recomputing unchanged inputs compares digests, not documents."""

from __future__ import annotations

import gzip
import importlib
import json

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.exchange.review import snapshot_inputs, snapshot_inputs_from
from apps.footprints.models import FootprintResult
from apps.footprints.reader import result_read
from apps.footprints.services import footprint_compute_now, footprint_evaluate, footprint_store
from apps.footprints.summary import SUMMARY_VERSION, snapshot_summary_build
from tests.footprints.check_builders import complete_study
from tests.web.builders import DOCUMENT, make_result

fill_summaries = importlib.import_module("apps.footprints.migrations.0002_result_summary").fill_summaries


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _reads_the_document(captured: CaptureQueriesContext) -> bool:
    return any("canonical_inputs_gz" in query["sql"] for query in captured.captured_queries)


def _light(result: FootprintResult) -> FootprintResult:
    """The row as pages load it: without its canonical inputs."""
    return FootprintResult.objects.select_related("study").defer("canonical_inputs_gz").get(pk=result.pk)


def test_a_new_snapshot_stores_its_summary_without_the_readings(supplier, library):
    study = complete_study(supplier, library)
    snapshot, created = footprint_compute_now(study=study)
    assert created

    stored = FootprintResult.objects.get(pk=snapshot.pk)
    document = stored.canonical_inputs
    summary = stored.summary
    assert summary["version"] == SUMMARY_VERSION
    assert summary["study"] == {
        "declared_unit": document["study"]["declared_unit"],
        "declared_unit_amount": document["study"]["declared_unit_amount"],
        "units_produced": document["study"]["units_produced"],
    }
    assert [f["key"] for f in summary["factors"]] == [f["key"] for f in document["factors"]] + (
        [document["electricity"]["series"]["key"]] if document["electricity"].get("series") else []
    )
    assert "milliwatt_hours" not in json.dumps(summary)
    # every run keeps its source and says how many readings it held
    runs = [
        (point["code"], run["source"], len(run["milliwatt_hours"]))
        for stage in document["stages"]
        for point in stage["metering_points"]
        for run in point["runs"]
    ]
    assert runs, "the study has metered stages"
    assert [
        (point["code"], run["source"], run["readings"])
        for stage in summary["inputs"]["stages"]
        for point in stage["metering_points"]
        for run in point["runs"]
    ] == runs
    assert summary["inputs"]["materials"] == document["materials"]
    assert len(json.dumps(summary)) < len(json.dumps(document))


def test_the_reader_shows_the_same_from_the_summary_as_from_the_document(supplier, library):
    study = complete_study(supplier, library)
    snapshot, _created = footprint_compute_now(study=study)
    from_summary = result_read(result=_light(snapshot))

    legacy = _light(snapshot)
    legacy.summary = {}  # as a snapshot stored before summaries: read from the document
    with CaptureQueriesContext(connection) as captured:
        from_document = result_read(result=legacy)

    assert _reads_the_document(captured)
    assert from_summary.factors == from_document.factors
    assert from_summary.factors  # factors with their sources
    assert all(f.source for f in from_summary.factors)
    assert (from_summary.declared_unit, from_summary.units_produced) == (
        from_document.declared_unit,
        from_document.units_produced,
    )
    assert from_summary.plant == from_document.plant


def test_reading_a_snapshot_with_its_summary_makes_no_query(supplier, library, django_assert_num_queries):
    study = complete_study(supplier, library)
    snapshot, _created = footprint_compute_now(study=study)
    loaded = _light(snapshot)

    with django_assert_num_queries(0):
        view = result_read(result=loaded)
        inputs = snapshot_inputs(result=loaded)

    assert view.factors
    assert inputs == snapshot_inputs_from(document=snapshot.canonical_inputs, breakdown=snapshot.breakdown)
    stages = [line for line in inputs.lines if line.kind == "stage"]
    assert stages and all(line.readings > 0 for line in stages)


def test_a_summary_of_another_version_is_ignored(supplier, library):
    study = complete_study(supplier, library)
    snapshot, _created = footprint_compute_now(study=study)
    FootprintResult.objects.filter(pk=snapshot.pk).update(summary={"version": SUMMARY_VERSION + 1, "factors": []})

    with CaptureQueriesContext(connection) as captured:
        view = result_read(result=_light(snapshot))

    assert _reads_the_document(captured)
    assert len(view.factors) == len(snapshot.summary["factors"])


def test_recomputing_unchanged_inputs_compares_digests_without_reading_the_document(supplier, library):
    study = complete_study(supplier, library)
    first, _created = footprint_compute_now(study=study)
    evaluation = footprint_evaluate(study=study)

    with CaptureQueriesContext(connection) as captured:
        again, created = footprint_store(study=study, evaluation=evaluation)

    assert (again.pk, created) == (first.pk, False)
    assert not _reads_the_document(captured)
    assert not any('"summary"' in query["sql"] for query in captured.captured_queries)
    assert FootprintResult.objects.filter(study=study).count() == 1


# --- the migration ------------------------------------------------------------------------------------------------


def test_the_migration_fills_the_summaries_of_old_snapshots_from_their_documents(supplier, library):
    study = complete_study(supplier, library)
    computed, _created = footprint_compute_now(study=study)
    FootprintResult.objects.filter(pk=computed.pk).update(summary={})
    old = [make_result(study, document=DOCUMENT) for _ in range(25)]  # more than one batch
    broken = make_result(study)
    FootprintResult.objects.filter(pk=broken.pk).update(canonical_inputs_gz=b"not gzip")
    kept = make_result(study)
    FootprintResult.objects.filter(pk=kept.pk).update(summary={"version": SUMMARY_VERSION, "marker": True})

    assert fill_summaries(django_apps, None) == 26

    computed.refresh_from_db()
    assert computed.summary == snapshot_summary_build(computed.canonical_inputs)
    for row in old:
        row.refresh_from_db()
        assert row.summary["version"] == SUMMARY_VERSION
        assert [f["key"] for f in row.summary["factors"]] == [
            "Test library@t1/material.pcb",
            "Test library@t1/grid.east.hourly",
        ]
        assert row.summary["factors"][0]["source"] == "Illustrative PCB factor, test citation"
        assert row.summary == snapshot_summary_build(json.loads(gzip.decompress(bytes(row.canonical_inputs_gz))))
    broken.refresh_from_db()
    assert broken.summary == {}  # unreadable: the reader falls back to the breakdown
    kept.refresh_from_db()
    assert kept.summary == {"version": SUMMARY_VERSION, "marker": True}
    assert fill_summaries(django_apps, None) == 0  # again: nothing left but the unreadable one
