"""Charts of figures with a `series`: a bar chart drawn as inline SVG, in the document language.

Plain shapes and text, no charting library: the SVG goes into the HTML as it is, and WeasyPrint
draws it as vector graphics with the document's own fonts. Numbers and periods are formatted
by the document's Babel formatter (so an Arabic chart has Arabic digits where the document
does) and a right-to-left document reads the time axis from right to left.

The period labels sit in HTML under the SVG, aligned with the bars: WeasyPrint places SVG text
glyph by glyph without shaping, which breaks Arabic words ("الربع الأول") apart; in HTML they
are shaped like the rest of the document. The SVG itself carries only digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from babel.dates import format_date
from markupsafe import Markup

from casefile.i18n import Formatter
from casefile.types import PartialDate

WIDTH, HEIGHT = 640, 220
_TOP, _BOTTOM, _SIDE, _AXIS = 22, 8, 10, 52
_QUARTER = re.compile(r"(\d{4})-?Q([1-4])")


@dataclass(frozen=True)
class Point:
    """One bar: the period's label (already formatted) and its value."""

    label: str
    value: float


def period_label(period: str, fmt: Formatter) -> str:
    """A series period in the document language: a year, a month, a quarter, or the text as written."""
    quarter = _QUARTER.fullmatch(period.strip())
    if quarter:
        year, q = int(quarter[1]), int(quarter[2])
        return format_date(PartialDate(year, 3 * q - 2, 1).as_date(), "QQQ y", locale=fmt.locale)
    try:
        date = PartialDate.parse(period)
    except ValueError:
        return period
    if date.is_full:
        return format_date(date.as_date(), "d MMM y", locale=fmt.locale)
    if date.month is not None:
        return format_date(date.as_date(), "MMM y", locale=fmt.locale)
    return fmt.integer(date.year)


def nice_scale(maximum: float, ticks: int = 4) -> tuple[float, float]:
    """A step and a top for the value axis: round numbers (1, 2, 2.5 or 5 times a power of ten)."""
    if maximum <= 0:
        return 1.0, 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step, math.ceil(maximum / step - 1e-9) * step


def bar_chart(points: Sequence[Point], fmt: Formatter, *, direction: str = "ltr", title: str = "") -> Markup:
    """An SVG bar chart of `points`, mirrored for right-to-left documents."""
    rtl = direction == "rtl"
    step, top = nice_scale(max((p.value for p in points), default=0))
    plot_left = _SIDE if rtl else _AXIS
    plot_right = WIDTH - (_AXIS if rtl else _SIDE)
    plot_width, plot_height = plot_right - plot_left, HEIGHT - _TOP - _BOTTOM
    base = HEIGHT - _BOTTOM
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {} {}" '
                    'role="img" aria-label="{}" font-family="Casefile Serif, Casefile Arabic, serif">')
             .format(WIDTH, HEIGHT, title)]
    ticks = round(top / step)
    for k in range(ticks + 1):
        y = base - plot_height * k / ticks
        parts.append(Markup('<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="{}"/>')
                     .format(plot_left, y, plot_right, y, "#111" if k == 0 else "#c8c8c8", 0.8 if k == 0 else 0.5))
        x, anchor = (plot_right + 6, "start") if rtl else (plot_left - 6, "end")
        parts.append(Markup('<text x="{:.1f}" y="{:.1f}" font-size="10" fill="#444" text-anchor="{}">{}</text>')
                     .format(x, y + 3.5, anchor, fmt.number(k * step)))
    slot = plot_width / max(len(points), 1)
    bar = min(slot * 0.62, 56)
    for i, point in enumerate(points):
        centre = (plot_right - slot * (i + 0.5)) if rtl else (plot_left + slot * (i + 0.5))
        height = plot_height * point.value / top if top else 0
        parts.append(Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#3d5a80"/>')
                     .format(centre - bar / 2, base - height, bar, height))
        parts.append(Markup('<text x="{:.1f}" y="{:.1f}" font-size="9.5" fill="#111" text-anchor="middle">{}</text>')
                     .format(centre, base - height - 4, fmt.number(point.value)))
    parts.append(Markup("</svg>"))
    # The labels in physical order (left to right), over the plot's width only.
    labels = [p.label for p in points][::-1] if rtl else [p.label for p in points]
    parts.append(Markup('<div class="chart-periods" style="padding-left: {:.3f}%; padding-right: {:.3f}%">')
                 .format(100 * plot_left / WIDTH, 100 * (WIDTH - plot_right) / WIDTH))
    parts += [Markup('<span dir="{}">{}</span>').format(direction, label) for label in labels]
    parts.append(Markup("</div>"))
    return Markup('<div class="chart-plot">') + Markup("").join(parts) + Markup("</div>")


def figure_chart(series: Sequence[tuple[str, float]], fmt: Formatter, direction: str, title: str) -> Markup:
    """The chart of a figure's series (period as written in the case, value)."""
    return bar_chart([Point(period_label(p, fmt), v) for p, v in series], fmt, direction=direction,
                     title=title)
