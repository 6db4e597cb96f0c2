from __future__ import annotations

import json

import pytest
from django.utils import translation

from apps.footprints.document.canonical import canonical_bytes
from apps.footprints.document.export import study_document_build
from tests import factories
from tests.document.builders import build_full_study


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids), whatever the default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def library(library: factories.Library) -> factories.Library:
    """The test library with its grid factor for "East China", the grid of every plant
    factories.make_study builds: a site an import creates must be on a region the library (or the
    document's own electricity factor) values, as a site created on the sites page is."""
    library.grid.region = "East China"
    library.grid.save(update_fields=["region"])
    return library


@pytest.fixture
def document(supplier, library) -> dict:
    """A fresh, independent copy of the full study's document, ready to be spoiled by a test."""
    return json.loads(canonical_bytes(study_document_build(study=build_full_study(supplier, library))))
