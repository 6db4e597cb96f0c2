from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import translation

from apps.accounts.models import Organization
from apps.catalog.models import ProcessStage
from apps.factors.models import ElectricityFactorSeries
from apps.inventory.models import Site
from apps.ledger.models import MeteringPoint

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def make_point(organization: Organization, *, code: str = "mp-1", stage_no: int = 5) -> MeteringPoint:
    site = Site.objects.create(organization=organization, code=f"site-{code}", name="Plant", grid_region="East China")
    return MeteringPoint.objects.create(
        organization=organization, site=site, stage=ProcessStage.objects.get(no=stage_no), code=code, name=code
    )


@pytest.fixture
def point(supplier) -> MeteringPoint:
    return make_point(supplier, code="smt-line")


@pytest.fixture
def second_point(supplier) -> MeteringPoint:
    return make_point(supplier, code="reflow-oven", stage_no=6)


@pytest.fixture
def foreign_point(other_supplier) -> MeteringPoint:
    return make_point(other_supplier, code="elsewhere")


@pytest.fixture
def hourly_series(library) -> ElectricityFactorSeries:
    return ElectricityFactorSeries.objects.create(
        dataset=library.dataset,
        code="grid.east.hourly",
        name="East China hourly",
        region="East China",
        resolution_seconds=3600,
        source="test",
    )


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English; the site's default language is Chinese.
    with translation.override("en"):
        yield
