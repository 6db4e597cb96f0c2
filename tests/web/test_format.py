from decimal import Decimal

from apps.footprints.display import Amount
from apps.web.templatetags.cf_format import amount, percent, sig4, unit


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


def test_sig4_reads_the_number_of_an_amount():
    assert sig4(Amount(Decimal("6.4281234"), "kg CO2e")) == "6.428"


def test_amount_shows_the_unit_as_people_read_it():
    assert amount(Amount(Decimal("6.4281234"), "kgCO2e")) == "6.428 kg CO2e"
    assert amount(Amount(Decimal("0.6205"), "kgCO2e/kWh")) == "0.6205 kg CO2e/kWh"
    assert amount(None) == "—"
    assert amount("0.000123456") == "0.0001235"


def test_unit_filter():
    assert unit("kgCO2e/(t*km)") == "kg CO2e/(t*km)"
    assert unit("kWh") == "kWh"
    assert unit(None) == ""
