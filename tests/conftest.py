from __future__ import annotations

import pytest

from apps.accounts.models import Organization
from tests import factories


@pytest.fixture(autouse=True)
def _restore_catalog_after_flush(request):
    """Transactional tests (live server, real Celery worker) end by flushing every table, which
    also empties the catalogue that a data migration loaded. Put it back for the tests after."""
    yield
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        from apps.inventory.catalog import catalog_sync
        from apps.inventory.models import Material, ProcessStage

        with request.getfixturevalue("django_db_blocker").unblock():
            catalog_sync(Material, ProcessStage)


@pytest.fixture
def supplier(db) -> Organization:
    return factories.make_organization()


@pytest.fixture
def other_supplier(db) -> Organization:
    return factories.make_organization()


@pytest.fixture
def library(db) -> factories.Library:
    return factories.make_library()
