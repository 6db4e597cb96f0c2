from decimal import Decimal

from apps.web.templatetags.cf_format import percent, sig4


def test_sig4_keeps_four_significant_digits():
    assert sig4("12.3456789") == "12.35"
    assert sig4("0.000123456") == "0.0001235"
    assert sig4(Decimal("1.2151672")) == "1.215"


def test_sig4_never_drops_integer_digits():
    assert sig4("123456.7") == "123457"
    assert sig4("1000") == "1000"


def test_sig4_drops_trailing_zeros():
    assert sig4("0.880000") == "0.88"
    assert sig4("500.000000") == "500"
    assert sig4("0.00009") == "0.00009"


def test_sig4_rounds_half_up():
    assert sig4("0.31025") == "0.3103"


def test_sig4_shows_zero_and_missing_values():
    assert sig4("0.000000") == "0"
    assert sig4(None) == "—"
    assert sig4("not a number") == "not a number"


def test_percent_of_a_share():
    assert percent("0.2681234") == "26.8 %"
    assert percent("1") == "100.0 %"
    assert percent(None) == "—"
