"""A real `celery worker` process computes footprints from the queue (filesystem, Redis or RabbitMQ)."""

from decimal import Decimal

import pytest
from django.db import transaction

from apps.catalog.models import Material
from apps.footprints.enums import ComputationStatus
from apps.footprints.models import FootprintComputation, FootprintResult
from apps.footprints.services import footprint_request
from apps.inventory.models import BomLine
from tests import factories
from tests.footprints.builders import EXPECTED, build_small_study
from tests.footprints.conftest import wait_for

pytestmark = pytest.mark.worker


def _finished(computation: FootprintComputation):
    computation.refresh_from_db()
    return computation if computation.status in (ComputationStatus.SUCCEEDED, ComputationStatus.FAILED) else None


def test_worker_computes_a_footprint_and_reuses_it_for_unchanged_inputs(celery_worker):
    organization = factories.make_organization()
    study = build_small_study(organization, factories.make_library())

    with transaction.atomic():
        first = footprint_request(study=study)
    wait_for(lambda: _finished(first))
    with transaction.atomic():
        second = footprint_request(study=study)
    wait_for(lambda: _finished(second))

    assert first.status == ComputationStatus.SUCCEEDED, first.error_message
    assert Decimal(first.result.totals["e"]) == EXPECTED["e"]
    assert second.status == ComputationStatus.SUCCEEDED
    assert second.result_id == first.result_id
    assert second.reused_existing_result
    assert FootprintResult.objects.filter(study=study).count() == 1


def test_worker_leaves_a_readable_failure_for_bad_inputs(celery_worker):
    organization = factories.make_organization()
    study = build_small_study(organization, factories.make_library())
    BomLine.objects.create(organization=organization, study=study, material=Material.objects.get(no=7), quantity=1)

    with transaction.atomic():
        computation = footprint_request(study=study)
    wait_for(lambda: _finished(computation))

    assert computation.status == ComputationStatus.FAILED
    assert computation.error_code == "missing_factor"
    assert computation.error_message
    assert not FootprintResult.objects.filter(study=study).exists()
