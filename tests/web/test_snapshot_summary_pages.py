"""Pages that show a snapshot read what it stores (its totals, lines and summary), never its canonical inputs:
not even with an empty cache, the first time a page is shown."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.footprints.models import FootprintResult
from tests.exchange.builders import build_exchange, compute
from tests.footprints.check_builders import complete_study
from tests.web.test_review_pages import _client, _detail, _return, _set_quantity

pytestmark = pytest.mark.django_db


def _without_tokens(html: str) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _document_queries(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "canonical_inputs_gz" in query["sql"]]


def test_the_study_page_never_reads_the_snapshot_document(member_client, supplier, library):
    study = complete_study(supplier, library)
    compute(study)
    cache.clear()

    with CaptureQueriesContext(connection) as captured:
        response = member_client.get(reverse("web:study-detail", args=[study.uuid]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Factors used" in html
    assert _document_queries(captured) == []

    # the control: a snapshot stored before summaries is read from its document (once, then cached)
    FootprintResult.objects.filter(study=study).update(summary={})
    cache.clear()
    with CaptureQueriesContext(connection) as legacy:
        legacy_html = member_client.get(reverse("web:study-detail", args=[study.uuid])).content.decode()
    assert _without_tokens(legacy_html) == _without_tokens(html)  # the same page either way
    assert len(_document_queries(legacy)) >= 1


def test_the_review_page_of_a_version_and_its_diff_never_read_the_snapshot_documents(supplier, library):
    exchange = build_exchange(supplier, library)
    v1 = exchange.submit()
    _return(exchange, v1)
    _set_quantity(exchange, 20, "3")
    compute(exchange.study)
    v2 = exchange.submit()
    reviewer = _client(exchange.reviewer)

    for version in (v1, v2):
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = reviewer.get(_detail(version))
        assert response.status_code == 200
        assert _document_queries(captured) == []
    assert "Changes from version 1 to version 2" in response.content.decode()
