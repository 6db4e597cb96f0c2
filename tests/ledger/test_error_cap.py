"""A rejected batch lists the problems of its first rows, then how many more there were."""

from __future__ import annotations

import pytest
from django.utils import translation

from apps.ledger.enums import ReadingSource
from apps.ledger.errors import ERRORS_SHOWN, ReadingValidationError
from apps.ledger.models import ElectricityReading, ReadingBatch
from apps.ledger.services import ReadingInput, readings_bulk_insert, readings_insert_run
from tests.ledger.conftest import NOW
from tests.ledger.test_services import T0, quarter


def test_a_batch_of_five_thousand_bad_rows_lists_one_hundred_and_counts_the_rest(supplier, point):
    readings = [quarter(i, kwh="-1") for i in range(5000)]
    with translation.override("en"), pytest.raises(ReadingValidationError) as caught:
        readings_bulk_insert(
            organization=supplier, metering_point=point, readings=readings, source=ReadingSource.IMPORT, now=NOW
        )
    messages = caught.value.messages
    assert ERRORS_SHOWN == 100
    assert len(messages) == 101
    assert messages[0].startswith("Reading 1:")
    assert messages[99].startswith("Reading 100:")
    assert messages[100] == "… and 4900 more problems"
    assert caught.value.errors[-1].code == "more"
    assert caught.value.errors[-1].params == {"row": None, "count": 4900}
    assert ElectricityReading.objects.count() == 0
    assert ReadingBatch.objects.count() == 0


def test_the_rows_listed_are_the_first_whatever_order_the_checks_found_them(supplier, point):
    # rows 1..150 overlap each other (found in a later pass), rows 151..400 have a bad energy (found first)
    overlapping = [ReadingInput(start=T0, end=quarter(1).end, kwh="1") for _ in range(150)]
    bad = [quarter(i, kwh="x") for i in range(10, 260)]
    with translation.override("en"), pytest.raises(ReadingValidationError) as caught:
        readings_bulk_insert(
            organization=supplier,
            metering_point=point,
            readings=overlapping + bad,
            source=ReadingSource.IMPORT,
            now=NOW,
        )
    rows = [error.params["row"] for error in caught.value.errors[:-1]]
    assert rows == list(range(2, 102))  # row 1 overlaps nothing before it
    assert caught.value.messages[-1] == "… and 299 more problems"


def test_exactly_the_cap_adds_no_more_line_and_one_over_says_one_more(supplier, point):
    for count, last in ((ERRORS_SHOWN, None), (ERRORS_SHOWN + 1, "… and 1 more problem")):
        with translation.override("en"), pytest.raises(ReadingValidationError) as caught:
            readings_insert_run(
                organization=supplier,
                metering_point=point,
                start=T0,
                step_seconds=900,
                milliwatt_hours=[-1] * count,
                source=ReadingSource.IMPORT,
                now=NOW,
            )
        messages = caught.value.messages
        if last is None:
            assert len(messages) == ERRORS_SHOWN
            assert all(m.startswith("Reading ") for m in messages)
        else:
            assert len(messages) == ERRORS_SHOWN + 1
            assert messages[-1] == last
