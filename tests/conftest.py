from __future__ import annotations

import pytest

from apps.accounts.models import Organization
from tests import factories


@pytest.fixture
def supplier(db) -> Organization:
    return factories.make_organization()


@pytest.fixture
def other_supplier(db) -> Organization:
    return factories.make_organization()


@pytest.fixture
def library(db) -> factories.Library:
    return factories.make_library()
