from __future__ import annotations

import pytest

from apps.accounts.models import Organization
from tests import factories


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: a test database reuses ids and timestamps can repeat on a fast
    machine, so an entry another test left (checks, a rendered fragment) must never answer for this one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _catalog_present(request):
    """Every database test starts with the catalogue a data migration loaded.

    Transactional tests (live server, real Celery worker) end by flushing every table, the
    catalogue included, and the flush can run after any fixture's teardown; so the check is made
    when a test starts, which is the one moment that order cannot spoil."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if uses_db:
        from apps.catalog.loading import catalog_sync
        from apps.catalog.models import Material, ProcessStage

        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            if Material.objects.count() != 32 or ProcessStage.objects.count() != 26:
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


@pytest.fixture
def owner_world(library: factories.Library) -> dict[str, object]:
    """An organization with one of everything (tests/web/world.py)."""
    from tests.web.world import build_owner_world

    return build_owner_world(library)
