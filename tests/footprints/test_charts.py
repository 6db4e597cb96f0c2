"""The SVG charts: pure functions of ChartItems, checked by parsing their output."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation

from apps.footprints.charts import ChartItem, column_svg, contributors_bar_svg, split_svg

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert(1)</script> & "x"'
CHARTS = (contributors_bar_svg, split_svg, column_svg)


@pytest.fixture(autouse=True)
def _english():
    """Labels and shares are asserted in English (the site's default language is Chinese, "75.0%")."""
    with translation.override("en"):
        yield


def _items(*pairs: tuple[str, str]) -> list[ChartItem]:
    return [ChartItem(label, Decimal(value)) for label, value in pairs]


def _groups(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [group for group in root.iter(f"{SVG}g") if css_class in group.get("class", "").split()]


def _text(element: ET.Element, css_class: str) -> str:
    texts = [node.text or "" for node in element.iter(f"{SVG}text") if node.get("class") == css_class]
    assert len(texts) == 1, (css_class, texts)
    return texts[0]


def _rect_width(group: ET.Element) -> float:
    (rect,) = group.findall(f"{SVG}rect")
    return float(rect.get("width", "nan"))


def _rect_height(group: ET.Element) -> float:
    (rect,) = group.findall(f"{SVG}rect")
    return float(rect.get("height", "nan"))


# --- contributors ---------------------------------------------------------------------------------------------------


def test_contributors_show_the_ten_largest_descending_and_sum_the_other_two():
    values = ["5", "0.25", "12", "7", "1", "9", "3", "11", "0.5", "8", "10", "6"]
    items = [ChartItem(f"line {value}", Decimal(value)) for value in values]

    with translation.override("en"):
        root = ET.fromstring(contributors_bar_svg(items, unit="kg CO2e", title="Largest contributors", limit=10))

    bars = _groups(root, "bar")
    assert len(bars) == 11
    named, other = bars[:10], bars[10]
    largest_ten = ["12", "11", "10", "9", "8", "7", "6", "5", "3", "1"]
    assert [_text(bar, "label") for bar in named] == [f"line {value}" for value in largest_ten]
    assert all("other" not in bar.get("class", "") for bar in named)
    widths = [_rect_width(bar) for bar in named]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]
    assert "other" in other.get("class", "").split()
    assert _text(other, "label") == "Other (2 lines)"
    assert Decimal(other.get("data-value", "")) == Decimal("0.25") + Decimal("0.5")
    assert _text(other, "value") == "0.75 kg CO2e"


def test_one_remaining_line_is_still_summed_into_other_in_the_singular():
    items = [ChartItem(f"line {i}", Decimal(i + 1)) for i in range(4)]

    with translation.override("en"):
        root = ET.fromstring(contributors_bar_svg(items, unit="kg", title="t", limit=3))

    bars = _groups(root, "bar")
    assert len(bars) == 4
    assert _text(bars[-1], "label") == "Other (1 line)"
    assert _text(bars[-1], "value") == "1 kg"


def test_no_other_bar_when_every_line_fits_under_the_limit():
    items = _items(("a", "1"), ("b", "3"), ("c", "2"))

    root = ET.fromstring(contributors_bar_svg(items, unit="kg", title="t"))

    bars = _groups(root, "bar")
    assert [_text(bar, "label") for bar in bars] == ["b", "c", "a"]
    assert _groups(root, "other") == []


def test_equal_values_keep_their_input_order():
    items = _items(("first", "2"), ("second", "2"), ("third", "2"), ("big", "5"))

    root = ET.fromstring(contributors_bar_svg(items, unit="kg", title="t"))

    assert [_text(bar, "label") for bar in _groups(root, "bar")] == ["big", "first", "second", "third"]


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        ("0.012345", "0.01235"),  # half up
        ("0.0123456789", "0.01235"),
        ("1.5", "1.5"),
        ("2", "2"),
        ("12345", "12345"),  # integer digits are never rounded away
        ("0.99996", "1"),
        ("0.00012345", "0.0001235"),
        ("0", "0"),
    ],
)
def test_values_are_printed_at_the_tables_four_significant_digits(value, printed):
    root = ET.fromstring(contributors_bar_svg(_items(("x", value)), unit="kg CO2e", title="t"))

    (bar,) = _groups(root, "bar")
    assert _text(bar, "value") == f"{printed} kg CO2e"


def test_a_long_label_is_shortened_and_kept_whole_in_its_title():
    label = "Transformer core of grain-oriented silicon steel 变压器铁芯取向硅钢片，含叠片与绝缘涂层" * 2

    root = ET.fromstring(contributors_bar_svg(_items((label, "1")), unit="kg", title="t"))

    (bar,) = _groups(root, "bar")
    shown = _text(bar, "label")
    assert shown.endswith("…") and len(shown) < len(label)
    assert label.startswith(shown[:-1])
    assert bar.findtext(f"{SVG}title", "").startswith(label)


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        contributors_bar_svg(_items(("a", "1")), unit="kg", title="t", limit=0)


# --- split ----------------------------------------------------------------------------------------------------------


def test_split_shares_are_the_percentages_computed_by_hand():
    root = ET.fromstring(split_svg(_items(("Em", "3"), ("Ep", "1")), unit="kg CO2e", title="Em and Ep"))

    entries = _groups(root, "legend-item")
    assert [_text(entry, "label") for entry in entries] == ["Em", "Ep"]
    assert [_text(entry, "share") for entry in entries] == ["75.0 %", "25.0 %"]
    assert [_text(entry, "value") for entry in entries] == ["3 kg CO2e", "1 kg CO2e"]
    segments = _groups(root, "segment")
    widths = [_rect_width(segment) for segment in segments]
    (track,) = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "track"]
    assert sum(widths) == pytest.approx(float(track.get("width", "nan")), abs=0.02)
    assert widths[0] == pytest.approx(3 * widths[1], abs=0.02)


def test_split_rounds_each_share_to_one_decimal_and_keeps_the_given_order():
    items = _items(("materials", "1"), ("transport", "2"), ("electricity", "0"), ("fuel", "3"), ("waste", "0.01"))

    root = ET.fromstring(split_svg(items, unit="kg", title="t"))

    entries = _groups(root, "legend-item")
    assert [_text(entry, "label") for entry in entries] == ["materials", "transport", "electricity", "fuel", "waste"]
    # 1/6.01 = 16.64 %, 2/6.01 = 33.28 %, 0, 3/6.01 = 49.92 %, 0.01/6.01 = 0.166 %
    assert [_text(entry, "share") for entry in entries] == ["16.6 %", "33.3 %", "0.0 %", "49.9 %", "0.2 %"]
    assert len(_groups(root, "segment")) == 5


def test_split_of_zeros_has_no_share():
    root = ET.fromstring(split_svg(_items(("a", "0"), ("b", "0")), unit="kg", title="t"))

    assert [_text(entry, "share") for entry in _groups(root, "legend-item")] == ["0.0 %", "0.0 %"]
    assert [_rect_width(segment) for segment in _groups(root, "segment")] == [0.0, 0.0]


# --- columns --------------------------------------------------------------------------------------------------------


def test_columns_keep_the_given_order_and_scale_their_heights():
    items = [ChartItem(f"{number:02d} stage {number}", Decimal(number % 5)) for number in range(1, 27)]

    root = ET.fromstring(column_svg(items, unit="kg CO2e", title="By stage"))

    columns = _groups(root, "column")
    assert len(columns) == 26
    assert [Decimal(column.get("data-value", "")) for column in columns] == [item.value for item in items]
    heights = [_rect_height(column) for column in columns]
    assert heights[4] == 0.0  # stage 5: 5 % 5
    assert heights[3] == pytest.approx(4 * heights[0], abs=0.02)
    labels = [node for column in columns for node in column.iter(f"{SVG}text") if node.get("class") == "label"]
    assert len(labels) == 26
    assert all(node.get("transform", "").startswith("rotate(-45") for node in labels)


def test_short_column_labels_stay_horizontal_with_their_values():
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    items = [ChartItem(month, Decimal(100 + index)) for index, month in enumerate(months)]

    root = ET.fromstring(column_svg(items, unit="kWh", title="Electricity by month"))

    columns = _groups(root, "column")
    assert [_text(column, "label") for column in columns] == months
    assert all("transform" not in node.attrib for column in columns for node in column.iter(f"{SVG}text"))
    assert _text(columns[0], "value") == "100"
    assert _text(columns[11], "value") == "111"


# --- every chart ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_is_a_scalable_accessible_svg_without_script_or_style(chart):
    items = _items(("PCB 印制电路板", "0.5"), ("Copper wire", "1.25"), ("Steel", "0.01"))

    root = ET.fromstring(chart(items, unit="kg CO2e", title="印制电路板 footprint"))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 720 ")
    assert root[0].tag == f"{SVG}title"
    assert root[0].text == "印制电路板 footprint"
    assert list(root.iter(f"{SVG}script")) == []
    assert list(root.iter(f"{SVG}style")) == []
    texts = [node.text for node in root.iter(f"{SVG}text")]
    assert "PCB 印制电路板" in texts


@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_renders_the_same_bytes_twice(chart):
    def render() -> str:
        items = [ChartItem(f"line {i} 线", Decimal(i * 7 % 11) / Decimal(3)) for i in range(32)]
        return chart(items, unit="kg CO2e", title="Same")

    assert render() == render()


@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_escapes_labels_unit_and_title(chart):
    items = _items((NASTY, "2"), ("plain", "1"))

    svg = chart(items, unit='<b>kg</b> & "CO2e"', title=NASTY)

    assert "<script" not in svg
    assert "<b>" not in svg
    root = ET.fromstring(svg)
    assert root[0].text == NASTY
    texts = [node.text for node in root.iter(f"{SVG}text")]
    assert NASTY in texts
    assert any(text and '<b>kg</b> & "CO2e"' in text for text in texts)


@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_of_nothing_says_no_data(chart):
    with translation.override("en"):
        svg = chart([], unit="kg CO2e", title="Footprint")

    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root[0].text == "Footprint"
    texts = [node.text for node in root.iter(f"{SVG}text")]
    assert "No data" in texts
    assert list(root.iter(f"{SVG}rect")) == []


@pytest.mark.parametrize("value", ["-1", "-0.000001"])
def test_a_negative_value_is_refused(value):
    with pytest.raises(ValueError):
        contributors_bar_svg([ChartItem("recycling credit", Decimal(value))], unit="kg", title="t")


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_a_value_that_is_not_a_number_is_refused(value):
    with pytest.raises(ValueError):
        ChartItem("x", Decimal(value))


def test_a_float_value_is_refused():
    with pytest.raises(TypeError):
        ChartItem("x", 0.5)  # type: ignore[arg-type]


def test_characters_xml_cannot_carry_are_dropped():
    svg = split_svg(_items(("bell\x07 and\nnewline", "1")), unit="kg", title="t\x00")

    root = ET.fromstring(svg)
    assert _text(_groups(root, "legend-item")[0], "label") == "bell and newline"
