"""SVG charts of footprint results for the pages and the PDF reports (WeasyPrint renders SVG).

No chart library: written here on xml.etree.ElementTree. pygal 3.1.3 always writes an inline <script>, a uuid4 id
and a comment dated today, so it is neither script-free nor deterministic unless its output is rewritten; matplotlib
3.11.2 can be (svg.fonttype none, fixed svg.hashsalt, no Date) but took 0.3-0.6 s per 32-bar chart against pygal's
23 ms and 2.9 ms here (100 renders each), and adds about 115 MB (numpy, matplotlib) to lay out text by its own fonts.

Pure functions of plain data, no database: `ChartItem`s in (a label and a non-negative Decimal, in kg CO2e per
declared unit or the `unit` given; a `StackedItem` has several such parts), one standalone SVG string out:
role="img", a <title>, a viewBox 720 units wide and width 100%, so it scales to its box. Styling is in
presentation attributes (no <style>, nothing leaks into the page) and text stays <text> with no font-family, so
an inline chart takes the page's font, CJK included. Labels that are too long are shortened with "…" (the full
label stays in the element's <title>); the same input gives the same bytes.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.footprints.display import significant

SVG_NS = "http://www.w3.org/2000/svg"

WIDTH = 720  # viewBox units: one unit is one CSS pixel at a 720 px wide box
PAD = 12
FONT_SIZE = 12
SMALL_FONT_SIZE = 11
TITLE_FONT_SIZE = 15
TITLE_HEIGHT = 34  # room above the plot for the visible title

TEXT = "#2f3a35"
MUTED = "#66706b"
AXIS = "#9aa5a0"
GRID = "#e1e6e3"
BAR = "#3f7f5f"
OTHER = "#a3aca7"
TRACK = "#eef1ef"
# Stacked shares: (fill, colour of a label drawn on it), greens then greys, neighbours distinguishable.
SPLIT_PALETTE: tuple[tuple[str, str], ...] = (
    ("#2f6b4f", "#ffffff"),
    ("#8cc0a2", "#1f2a25"),
    ("#5a7d6c", "#ffffff"),
    ("#c6dfcf", "#1f2a25"),
    ("#6f7a75", "#ffffff"),
    ("#b9c1bd", "#1f2a25"),
    ("#4f9a75", "#ffffff"),
    ("#dde4e0", "#1f2a25"),
)

LABEL_MAX_WIDTH = 270  # contributors: widest label column before labels are shortened
COLUMN_LABEL_MAX_WIDTH = 120  # columns: longest rotated label
ELLIPSIS = "…"
# Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ChartItem:
    """One bar, segment or column: a label (any text, escaped on output) and kg CO2e per declared unit."""

    label: str
    value: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal):
            raise TypeError(f"ChartItem value must be a Decimal, not {type(self.value).__name__}")
        if not self.value.is_finite():
            raise ValueError(f"ChartItem value must be finite: {self.label!r} is {self.value}")
        if self.value < 0:
            raise ValueError(f"ChartItem value must not be negative: {self.label!r} is {self.value}")


# --- public charts ------------------------------------------------------------------------------------------------


def contributors_bar_svg(items: Sequence[ChartItem], *, unit: str, title: str, limit: int = 10) -> str:
    """Horizontal bars of the `limit` largest items, largest first (ties keep their input order); the rest are summed
    into one last bar, "Other (N lines)".
    Each bar is labelled with its value at the tables' significant digits (apps.footprints.display) and the unit."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if not items:
        return _no_data_svg(title)
    unit = _clean(unit)
    ranked = sorted(items, key=lambda item: item.value, reverse=True)  # stable, also in reverse
    rows: list[tuple[str, Decimal, bool]] = [(_clean(item.label), item.value, False) for item in ranked[:limit]]
    rest = ranked[limit:]
    if rest:
        # Translators: the bar that sums the smaller contributors of a footprint; count is how many lines it sums.
        other = ngettext("Other (%(count)d line)", "Other (%(count)d lines)", len(rest)) % {"count": len(rest)}
        rows.append((other, sum((item.value for item in rest), Decimal(0)), True))

    value_texts = [_with_unit(significant(row[1]), unit) for row in rows]
    value_width = max(_text_width(text, SMALL_FONT_SIZE) for text in value_texts)
    label_width = min(max(_text_width(row[0], FONT_SIZE) for row in rows), LABEL_MAX_WIDTH)
    bar_x = PAD + label_width + 8
    bar_span = WIDTH - PAD - value_width - 6 - bar_x
    if bar_span < 200:  # very long value labels: give the bars room, shorten the labels
        label_width = max(60.0, label_width - (200 - bar_span))
        bar_x = PAD + label_width + 8
        bar_span = WIDTH - PAD - value_width - 6 - bar_x

    row_height, bar_height = 26, 16
    top = _top(title)
    height = top + row_height * len(rows) + PAD
    root = _svg(height, title, "cf-contributors")
    _title_text(root, title)

    largest = max(row[1] for row in rows)
    bars = ET.SubElement(root, "g", {"class": "bars"})
    for index, ((label, value, is_other), value_text) in enumerate(zip(rows, value_texts, strict=True)):
        y = top + index * row_height
        width = _length(value, largest, bar_span)
        group = ET.SubElement(bars, "g", {"class": "bar other" if is_other else "bar", "data-value": _plain(value)})
        ET.SubElement(group, "title").text = f"{label}: {value_text}"
        _text(group, bar_x - 8, y + row_height / 2 + 4, _fit(label, FONT_SIZE, label_width), anchor="end", cls="label")
        _rect(group, bar_x, y + (row_height - bar_height) / 2, width, bar_height, OTHER if is_other else BAR)
        _text(
            group,
            bar_x + width + 6,
            y + row_height / 2 + 4,
            value_text,
            size=SMALL_FONT_SIZE,
            fill=MUTED,
            cls="value",
        )
    _line(root, bar_x, top, bar_x, top + row_height * len(rows), AXIS, cls="axis")
    return _serialize(root)


def split_svg(items: Sequence[ChartItem], *, unit: str, title: str) -> str:
    """One stacked bar 100 % wide with the items in the given order (Em and Ep; materials, transport, electricity,
    fuel, waste), and a legend with each item's share in percent (1 decimal, each rounded on its own) and value."""
    if not items:
        return _no_data_svg(title)
    unit = _clean(unit)
    labels = [_clean(item.label) for item in items]
    total = sum((item.value for item in items), Decimal(0))
    shares = [_percent(item.value, total) for item in items]
    value_texts = [_with_unit(significant(item.value), unit) for item in items]

    bar_height, legend_row = 28, 22
    top = _top(title)
    legend_top = top + bar_height + 14
    height = legend_top + legend_row * len(items) + PAD - 6
    root = _svg(height, title, "cf-split")
    _title_text(root, title)

    span = WIDTH - 2 * PAD
    bar = ET.SubElement(root, "g", {"class": "stack"})
    _rect(bar, PAD, top, span, bar_height, TRACK, cls="track")
    running = Decimal(0)
    for index, (item, label, share) in enumerate(zip(items, labels, shares, strict=True)):
        fill, ink = SPLIT_PALETTE[index % len(SPLIT_PALETTE)]
        start = PAD + _length(running, total, span, visible_minimum=False)
        running += item.value
        end = PAD + _length(running, total, span, visible_minimum=False)
        group = ET.SubElement(bar, "g", {"class": "segment", "data-value": _plain(item.value)})
        ET.SubElement(group, "title").text = f"{label}: {share} ({value_texts[index]})"
        _rect(group, start, top, end - start, bar_height, fill)
        if end - start >= _text_width(share, SMALL_FONT_SIZE) + 8:
            _text(
                group,
                (start + end) / 2,
                top + bar_height / 2 + 4,
                share,
                anchor="middle",
                size=SMALL_FONT_SIZE,
                fill=ink,
                cls="share",
            )

    value_x = WIDTH - PAD
    value_width = max(_text_width(text, FONT_SIZE) for text in value_texts)
    share_x = value_x - value_width - 16
    share_width = max(_text_width(share, FONT_SIZE) for share in shares)
    label_x = PAD + 20
    label_width = share_x - share_width - 16 - label_x
    legend = ET.SubElement(root, "g", {"class": "legend"})
    for index, (label, share, value_text) in enumerate(zip(labels, shares, value_texts, strict=True)):
        y = legend_top + index * legend_row
        entry = ET.SubElement(legend, "g", {"class": "legend-item"})
        _rect(entry, PAD, y + 3, 12, 12, SPLIT_PALETTE[index % len(SPLIT_PALETTE)][0], cls="swatch")
        _text(entry, label_x, y + 13, _fit(label, FONT_SIZE, label_width), cls="label")
        _text(entry, share_x, y + 13, share, anchor="end", cls="share")
        _text(entry, value_x, y + 13, value_text, anchor="end", fill=MUTED, cls="value")
    return _serialize(root)


def column_svg(items: Sequence[ChartItem], *, unit: str, title: str) -> str:
    """Vertical columns in the given order (the stages by number, the months of a year) on a scale with gridlines.
    Labels that do not fit under their column are rotated 45° and shortened; values are printed above the columns
    when they fit and are always in each column's <title>."""
    if not items:
        return _no_data_svg(title)
    unit = _clean(unit)
    labels = [_clean(item.label) for item in items]
    value_texts = [significant(item.value) for item in items]
    ticks = _ticks(max(item.value for item in items))
    tick_texts = [_plain(tick) for tick in ticks]

    count = len(items)
    left = PAD + max(_text_width(text, SMALL_FONT_SIZE) for text in tick_texts) + 8
    slot = (WIDTH - PAD - left) / count
    label_widths = [_text_width(label, SMALL_FONT_SIZE) for label in labels]
    rotated = max(label_widths) > slot - 4
    if rotated:
        labels = [_fit(label, SMALL_FONT_SIZE, COLUMN_LABEL_MAX_WIDTH) for label in labels]
        label_widths = [_text_width(label, SMALL_FONT_SIZE) for label in labels]
        # A rotated label runs down and to the left of its column: make room for the first one.
        left = max(left, PAD + label_widths[0] * 0.71 - slot / 2 + 4)
        slot = (WIDTH - PAD - left) / count
        label_band = max(label_widths) * 0.71 + 18
    else:
        label_band = 22.0
    show_values = max(_text_width(text, 10) for text in value_texts) <= slot - 2

    plot_top = _top(title) + 18  # the unit sits above the scale
    plot_height = 220
    baseline = plot_top + plot_height
    height = baseline + label_band + PAD
    root = _svg(height, title, "cf-columns")
    _title_text(root, title)
    _text(root, PAD, plot_top - 10, unit, size=SMALL_FONT_SIZE, fill=MUTED, cls="unit")

    scale = ET.SubElement(root, "g", {"class": "scale"})
    for tick, text in zip(ticks, tick_texts, strict=True):
        y = baseline - _length(tick, ticks[-1], plot_height, visible_minimum=False)
        _line(scale, left, y, WIDTH - PAD, y, AXIS if tick == 0 else GRID)
        _text(scale, left - 6, y + 4, text, anchor="end", size=SMALL_FONT_SIZE, fill=MUTED)

    column_width = min(slot * 0.7, 48)
    columns = ET.SubElement(root, "g", {"class": "columns"})
    for index, (item, label, value_text) in enumerate(zip(items, labels, value_texts, strict=True)):
        centre = left + slot * (index + 0.5)
        column_height = _length(item.value, ticks[-1], plot_height)
        group = ET.SubElement(columns, "g", {"class": "column", "data-value": _plain(item.value)})
        ET.SubElement(group, "title").text = f"{_clean(item.label)}: {_with_unit(value_text, unit)}"
        _rect(group, centre - column_width / 2, baseline - column_height, column_width, column_height, BAR)
        if show_values:
            _text(group, centre, baseline - column_height - 4, value_text, anchor="middle", size=10, cls="value")
        if rotated:
            label_node = _text(group, centre + 3, baseline + 12, label, anchor="end", size=SMALL_FONT_SIZE, cls="label")
            label_node.set("transform", f"rotate(-45 {_coord(centre + 3)} {_coord(baseline + 12)})")
        else:
            _text(group, centre, baseline + 16, label, anchor="middle", size=SMALL_FONT_SIZE, cls="label")
    return _serialize(root)


@dataclass(frozen=True)
class StackedItem:
    """One horizontal bar made of parts (Em and Ep of a supplier's footprint), each a non-negative Decimal."""

    label: str
    parts: tuple[Decimal, ...]

    def __post_init__(self) -> None:
        for part in self.parts:
            ChartItem(label=self.label, value=part)  # the same checks as a single value

    @property
    def total(self) -> Decimal:
        return sum(self.parts, Decimal(0))


def stacked_bars_svg(items: Sequence[StackedItem], *, series: Sequence[str], unit: str, title: str) -> str:
    """Horizontal bars in the given order, each stacked from its parts in the order of `series` (one legend entry
    per series), on one scale ending at the largest total; each bar is labelled with its total at the tables'
    significant digits and the unit, and each part carries its value in its <title>."""
    if not items:
        return _no_data_svg(title)
    for item in items:
        if len(item.parts) != len(series):
            raise ValueError(f"{item.label!r} has {len(item.parts)} parts for {len(series)} series")
    unit = _clean(unit)
    names = [_clean(name) for name in series]
    labels = [_clean(item.label) for item in items]
    totals = [item.total for item in items]
    value_texts = [_with_unit(significant(total), unit) for total in totals]
    value_width = max(_text_width(text, SMALL_FONT_SIZE) for text in value_texts)
    label_width = min(max(_text_width(label, FONT_SIZE) for label in labels), LABEL_MAX_WIDTH)
    bar_x = PAD + label_width + 8
    bar_span = WIDTH - PAD - value_width - 6 - bar_x
    if bar_span < 200:
        label_width = max(60.0, label_width - (200 - bar_span))
        bar_x = PAD + label_width + 8
        bar_span = WIDTH - PAD - value_width - 6 - bar_x

    legend_row, row_height, bar_height = 22, 26, 16
    top = _top(title)
    rows_top = top + legend_row + 6
    height = rows_top + row_height * len(items) + PAD
    root = _svg(height, title, "cf-stacked")
    _title_text(root, title)

    legend = ET.SubElement(root, "g", {"class": "legend"})
    x = float(bar_x)
    for index, name in enumerate(names):
        entry = ET.SubElement(legend, "g", {"class": "legend-item"})
        _rect(entry, x, top + 3, 12, 12, SPLIT_PALETTE[index % len(SPLIT_PALETTE)][0], cls="swatch")
        _text(entry, x + 18, top + 13, name, cls="label")
        x += 18 + _text_width(name, FONT_SIZE) + 20

    largest = max(totals)
    bars = ET.SubElement(root, "g", {"class": "bars"})
    for index, (item, label, total, value_text) in enumerate(zip(items, labels, totals, value_texts, strict=True)):
        y = rows_top + index * row_height
        bar_y = y + (row_height - bar_height) / 2
        group = ET.SubElement(bars, "g", {"class": "bar", "data-value": _plain(total)})
        ET.SubElement(group, "title").text = f"{label}: {value_text}"
        _text(group, bar_x - 8, y + row_height / 2 + 4, _fit(label, FONT_SIZE, label_width), anchor="end", cls="label")
        running = Decimal(0)
        for part_index, (part, name) in enumerate(zip(item.parts, names, strict=True)):
            start = bar_x + _length(running, largest, bar_span, visible_minimum=False)
            running += part
            end = bar_x + _length(running, largest, bar_span, visible_minimum=False)
            segment = ET.SubElement(group, "g", {"class": "segment", "data-value": _plain(part)})
            ET.SubElement(segment, "title").text = f"{label}, {name}: {_with_unit(significant(part), unit)}"
            _rect(segment, start, bar_y, end - start, bar_height, SPLIT_PALETTE[part_index % len(SPLIT_PALETTE)][0])
        width = _length(total, largest, bar_span)
        _text(
            group, bar_x + width + 6, y + row_height / 2 + 4, value_text, size=SMALL_FONT_SIZE, fill=MUTED, cls="value"
        )
    _line(root, bar_x, rows_top, bar_x, rows_top + row_height * len(items), AXIS, cls="axis")
    return _serialize(root)


# --- numbers ------------------------------------------------------------------------------------------------------


def _percent(part: Decimal, total: Decimal) -> str:
    share = Decimal(0) if total.is_zero() else part * 100 / total
    # Translators: a share of a footprint in percent; percent is a number such as 75.0.
    return _("%(percent)s %%") % {"percent": f"{share.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"}


def _with_unit(number: str, unit: str) -> str:
    return f"{number} {unit}" if unit else number


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 12.50 → 12.5, 1E+1 → 10."""
    return "0" if value.is_zero() else f"{value.normalize():f}"


def _ticks(largest: Decimal) -> list[Decimal]:
    """0 and up to 5 more gridlines at a round step (1, 2 or 5 times a power of ten) reaching at least `largest`."""
    if largest <= 0:
        return [Decimal(0), Decimal(1)]
    rough = largest / 5
    magnitude = Decimal(1).scaleb(rough.adjusted())
    step = next(magnitude * factor for factor in (1, 2, 5, 10) if magnitude * factor >= rough)
    count = int((largest / step).to_integral_value(rounding=ROUND_CEILING))
    return [step * index for index in range(count + 1)]


def _length(value: Decimal, full: Decimal, span: float, *, visible_minimum: bool = True) -> float:
    """`value` as a length on a `span` long scale that ends at `full`; non-zero values stay at least 1 unit long."""
    if full <= 0 or value <= 0:
        return 0.0
    length = float(value / full) * span
    return max(length, 1.0) if visible_minimum else length


def _coord(number: float) -> str:
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- text ---------------------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """One line of text XML can carry: characters XML forbids dropped, runs of whitespace made one space.
    (Escaping of <, & and quotes is ElementTree's, on output.)"""
    return _WHITESPACE.sub(" ", _NOT_XML.sub("", str(text))).strip()


def _text_width(text: str, size: float) -> float:
    """Estimated width of `text` in a proportional sans-serif: CJK and other wide characters one em, capitals
    0.7 em, the rest 0.58 em. Generous on purpose: the real font is the page's, unknown here."""
    ems = 0.0
    for char in text:
        if unicodedata.combining(char):
            continue
        if unicodedata.east_asian_width(char) in ("W", "F"):
            ems += 1.0
        elif char.isupper():
            ems += 0.7
        else:
            ems += 0.58
    return ems * size


def _fit(text: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis if it is estimated wider than `width`."""
    if _text_width(text, size) <= width:
        return text
    budget = width - _text_width(ELLIPSIS, size)
    kept: list[str] = []
    for char in text:
        budget -= _text_width(char, size)
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


# --- SVG ----------------------------------------------------------------------------------------------------------


def _top(title: str) -> float:
    return PAD + (TITLE_HEIGHT if _clean(title) else 0)


def _svg(height: float, title: str, kind: str) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "role": "img",
            "class": f"cf-chart {kind}",
            "viewBox": f"0 0 {WIDTH} {_coord(height)}",
            "width": "100%",
            "preserveAspectRatio": "xMinYMin meet",
            "font-size": str(FONT_SIZE),
            "fill": TEXT,
        },
    )
    ET.SubElement(root, "title").text = _clean(title)
    return root


def _title_text(root: ET.Element, title: str) -> None:
    title = _clean(title)
    if title:
        _text(
            root,
            PAD,
            PAD + TITLE_FONT_SIZE,
            _fit(title, TITLE_FONT_SIZE, WIDTH - 2 * PAD),
            size=TITLE_FONT_SIZE,
            cls="chart-title",
            weight="600",
        )


def _no_data_svg(title: str) -> str:
    top = _top(title)
    root = _svg(top + 48, title, "cf-empty")
    _title_text(root, title)
    _text(root, WIDTH / 2, top + 28, _("No data"), anchor="middle", fill=MUTED, cls="no-data")
    return _serialize(root)


def _text(
    parent: ET.Element,
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: int = FONT_SIZE,
    fill: str | None = None,
    cls: str | None = None,
    weight: str | None = None,
) -> ET.Element:
    attributes = {"x": _coord(x), "y": _coord(y)}
    if anchor != "start":
        attributes["text-anchor"] = anchor
    if size != FONT_SIZE:
        attributes["font-size"] = str(size)
    if weight is not None:
        attributes["font-weight"] = weight
    if fill is not None:
        attributes["fill"] = fill
    if cls is not None:
        attributes["class"] = cls
    node = ET.SubElement(parent, "text", attributes)
    node.text = content
    return node


def _rect(
    parent: ET.Element, x: float, y: float, width: float, height: float, fill: str, *, cls: str | None = None
) -> None:
    attributes = {
        "x": _coord(x),
        "y": _coord(y),
        "width": _coord(max(width, 0.0)),
        "height": _coord(max(height, 0.0)),
        "fill": fill,
    }
    if cls is not None:
        attributes["class"] = cls
    ET.SubElement(parent, "rect", attributes)


def _line(
    parent: ET.Element, x1: float, y1: float, x2: float, y2: float, stroke: str, *, cls: str | None = None
) -> None:
    attributes = {"x1": _coord(x1), "y1": _coord(y1), "x2": _coord(x2), "y2": _coord(y2), "stroke": stroke}
    if cls is not None:
        attributes["class"] = cls
    ET.SubElement(parent, "line", attributes)


def _serialize(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")
