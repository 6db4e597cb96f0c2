"""The stacked horizontal bars of the buyer's comparison (apps.footprints.charts.stacked_bars_svg), checked by
parsing their output."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation

from apps.footprints.charts import StackedItem, stacked_bars_svg

SVG = "{http://www.w3.org/2000/svg}"
SERIES = ("Em: raw-material acquisition", "Ep: manufacturing")


def _svg(items, **kwargs) -> ET.Element:
    with translation.override("en"):
        return ET.fromstring(stacked_bars_svg(items, series=SERIES, unit="kg CO2e", title="E by supplier", **kwargs))


def _groups(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [group for group in root.iter(f"{SVG}g") if css_class in group.get("class", "").split()]


def _width(group: ET.Element) -> float:
    (rect,) = group.findall(f"{SVG}rect")
    return float(rect.get("width", "nan"))


def _x(group: ET.Element) -> float:
    (rect,) = group.findall(f"{SVG}rect")
    return float(rect.get("x", "nan"))


def test_bars_keep_their_order_and_stack_their_parts_on_one_scale():
    items = [
        StackedItem("Suzhou Instruments · DDZY-11", (Decimal(113), Decimal("0.775625"))),
        StackedItem("Hangzhou Meters · DDZY-7", (Decimal(120), Decimal("0.31025"))),
        StackedItem("Half", (Decimal("30"), Decimal("30.155125"))),
    ]

    root = _svg(items)

    bars = _groups(root, "bar")
    assert [bar.get("data-value") for bar in bars] == ["113.775625", "120.31025", "60.155125"]
    assert [bar.find(f"{SVG}text[@class='label']").text for bar in bars] == [
        "Suzhou Instruments · DDZY-11",
        "Hangzhou Meters · DDZY-7",
        "Half",
    ]
    assert [bar.find(f"{SVG}text[@class='value']").text for bar in bars] == [
        "113.8 kg CO2e",
        "120.3 kg CO2e",
        "60.16 kg CO2e",
    ]
    segments = [_groups(bar, "segment") for bar in bars]
    assert [[s.get("data-value") for s in parts] for parts in segments] == [
        ["113", "0.775625"],
        ["120", "0.31025"],
        ["30", "30.155125"],
    ]
    # The largest total spans the scale; the half bar is half as long; Ep starts where Em ends.
    full = _width(segments[1][0]) + _width(segments[1][1])
    half = _width(segments[2][0]) + _width(segments[2][1])
    assert half == pytest.approx(full / 2, abs=0.02)
    for first, second in segments:
        assert _x(second) == pytest.approx(_x(first) + _width(first), abs=0.02)
    # Each part's value is in its <title>; the legend names the series in order.
    assert segments[0][1].find(f"{SVG}title").text == "Suzhou Instruments · DDZY-11, Ep: manufacturing: 0.7756 kg CO2e"
    legend = [entry.find(f"{SVG}text").text for entry in _groups(root, "legend-item")]
    assert legend == list(SERIES)
    assert root.get("class") == "cf-chart cf-stacked" and root.find(f"{SVG}title").text == "E by supplier"


def test_the_same_input_gives_the_same_bytes_and_labels_are_escaped():
    items = [StackedItem('<script>alert(1)</script> & "x"', (Decimal(1), Decimal(2)))]
    one = stacked_bars_svg(items, series=SERIES, unit="kg CO2e", title="t")
    assert one == stacked_bars_svg(items, series=SERIES, unit="kg CO2e", title="t")
    assert "<script>" not in one and "&lt;script&gt;" in one


def test_no_items_draw_the_no_data_chart():
    with translation.override("en"):
        svg = stacked_bars_svg([], series=SERIES, unit="kg CO2e", title="E by supplier")
    assert "cf-empty" in svg and "No data" in svg


def test_parts_must_match_the_series_and_not_be_negative():
    with pytest.raises(ValueError, match="has 1 parts for 2 series"):
        stacked_bars_svg([StackedItem("a", (Decimal(1),))], series=SERIES, unit="", title="")
    with pytest.raises(ValueError, match="must not be negative"):
        StackedItem("a", (Decimal(1), Decimal(-1)))
    with pytest.raises(TypeError):
        StackedItem("a", (Decimal(1), 2.0))  # type: ignore[arg-type]


def test_zero_totals_draw_empty_bars():
    root = _svg([StackedItem("nothing", (Decimal(0), Decimal(0)))])
    (bar,) = _groups(root, "bar")
    assert bar.get("data-value") == "0"
    assert all(_width(segment) == 0 for segment in _groups(bar, "segment"))
