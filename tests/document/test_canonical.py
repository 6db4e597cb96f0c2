import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from apps.footprints.document.canonical import canonical_bytes, decimal_text, digest, parse_utc, period_bounds, utc_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("100.500000", "100.5"),
        ("0.880000000", "0.88"),
        ("1E+3", "1000"),
        ("15E-1", "1.5"),
        ("0.000000", "0"),
        ("-0.0", "0"),
        ("0.000000001", "0.000000001"),
        ("123456789.123456", "123456789.123456"),
        ("1.00000000000000000000000000000000001", "1.00000000000000000000000000000000001"),  # never rounds
    ],
)
def test_decimal_text_has_one_spelling_per_number(value, text):
    assert decimal_text(Decimal(value)) == text


def test_decimal_text_refuses_infinity_and_nan():
    with pytest.raises(ValueError):
        decimal_text(Decimal("NaN"))
    with pytest.raises(ValueError):
        decimal_text(Decimal("Infinity"))


def test_utc_text_is_utc_with_z_and_round_trips():
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2025, 1, 1, 0, 0, tzinfo=shanghai)

    assert utc_text(moment) == "2024-12-31T16:00:00Z"
    assert utc_text(moment.replace(microsecond=250000)) == "2024-12-31T16:00:00.25Z"
    assert parse_utc("2024-12-31T16:00:00Z") == moment
    with pytest.raises(ValueError):
        utc_text(datetime(2025, 1, 1))  # naive


def test_period_bounds_are_local_midnights_in_utc():
    assert period_bounds(date(2025, 1, 1), date(2025, 1, 31), "Asia/Shanghai") == (
        datetime(2024, 12, 31, 16, tzinfo=UTC),
        datetime(2025, 1, 31, 16, tzinfo=UTC),
    )
    # across a daylight-saving change the period is still whole local days
    start, end = period_bounds(date(2025, 3, 30), date(2025, 3, 30), "Europe/Berlin")
    assert (start, end - start) == (datetime(2025, 3, 29, 23, tzinfo=UTC), timedelta(hours=23))


def test_canonical_bytes_sort_keys_and_keep_unicode():
    document = {"b": "印制电路板", "a": [1, {"d": None, "c": True}]}

    assert canonical_bytes(document) == '{"a":[1,{"c":true,"d":null}],"b":"印制电路板"}'.encode()
    assert digest(document) == hashlib.sha256(canonical_bytes(document)).hexdigest()
