"""Charts of figures with a series: inline SVG, numbers and periods in the document language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from casefile.chart import Point, bar_chart, nice_scale, period_label
from casefile.checks import check_case
from casefile.i18n import Formatter
from casefile.render import find_template, render_html
from casefile.resolve import resolve_document
from tests.conftest import ROOT

SVG = "{http://www.w3.org/2000/svg}"
VANTORIA = ROOT / "cases" / "vantoria-referral.yaml"


def svg_of(chart: str) -> str:
    return chart[chart.index("<svg"):chart.index("</svg>") + len("</svg>")]


def periods(chart: str) -> list[str]:
    """The period labels under the plot, left to right as laid out."""
    return re.findall(r'<span dir="(?:ltr|rtl)">([^<]*)</span>', chart)


def texts(svg: str) -> list[tuple[float, str]]:
    """(x, text) of every text element of the SVG, in document order."""
    root = ET.fromstring(svg_of(svg))
    return [(float(t.get("x")), t.text or "") for t in root.iter(f"{SVG}text")]


def bars(svg: str) -> list[tuple[float, float]]:
    """(x, height) of every bar."""
    return [(float(r.get("x")), float(r.get("height"))) for r in ET.fromstring(svg_of(svg)).iter(f"{SVG}rect")]


@pytest.mark.parametrize(("maximum", "step", "top"), [(318, 100, 400), (96, 25, 100), (1480, 500, 1500),
                                                       (7, 2, 8), (0, 1, 1), (13_000_000, 5_000_000, 15_000_000)])
def test_the_value_axis_uses_round_steps(maximum: float, step: float, top: float) -> None:
    assert nice_scale(maximum) == (step, top)


@pytest.mark.parametrize(("lang", "period", "label"), [
    ("en", "2021", "2021"), ("en", "2021-03", "Mar 2021"), ("en", "2021-Q3", "Q3 2021"),
    ("fr", "2021-03", "mars 2021"), ("ru", "2021-Q1", "1-й кв. 2021"), ("en", "winter 2021", "winter 2021"),
])
def test_periods_are_formatted_for_the_document_language(lang: str, period: str, label: str) -> None:
    assert period_label(period, Formatter(lang)) == label


def test_the_chart_is_well_formed_svg_with_one_bar_per_period_scaled_to_the_axis() -> None:
    svg = str(bar_chart([Point("2021", 100), Point("2022", 300)], Formatter("en"), title="persons registered"))
    root = ET.fromstring(svg_of(svg))
    assert root.tag == f"{SVG}svg" and root.get("aria-label") == "persons registered"
    (x1, h1), (x2, h2) = bars(svg)
    assert x1 < x2 and h2 == pytest.approx(3 * h1, abs=0.2)
    labels = [t for _, t in texts(svg)]
    assert labels[:4] == ["0", "100", "200", "300"]  # the value axis, formatted by Babel
    assert labels[4:] == ["100", "300"]  # each bar's value
    assert periods(svg) == ["2021", "2022"]  # in HTML under the plot, so that every script is shaped


def test_numbers_follow_the_locale_grouping() -> None:
    svg = str(bar_chart([Point("2021", 12500)], Formatter("en"), title=""))
    assert "12,500" in [t for _, t in texts(svg)]
    svg = str(bar_chart([Point("2021", 12500)], Formatter("fr"), title=""))
    assert "12\u202f500" in [t for _, t in texts(svg)]


def test_a_right_to_left_chart_runs_from_right_to_left_with_arabic_digits() -> None:
    fmt = Formatter("ar", "arab")
    svg = str(bar_chart([Point(period_label("2021", fmt), 100), Point(period_label("2022", fmt), 300)], fmt,
                        direction="rtl", title=""))
    (x1, _), (x2, _) = bars(svg)
    assert x1 > x2  # the first period on the right
    assert "٣٠٠" in [t for _, t in texts(svg)]
    assert periods(svg) == ["٢٠٢٢", "٢٠٢١"]  # laid out left to right: the first period on the right
    axis = [x for x, t in texts(svg)[:4]]
    assert min(axis) > max(x1, x2)  # the value axis on the right-hand side


def test_title_text_is_escaped() -> None:
    svg = str(bar_chart([Point("<b>2021</b>", 1)], Formatter("en"), title='a "title" <script>'))
    root = ET.fromstring(svg_of(svg))
    assert root.get("aria-label") == 'a "title" <script>'
    assert "<b>" not in svg and "&lt;b&gt;2021&lt;/b&gt;" in svg


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_figure_with_a_series_gets_its_chart_and_source_in_the_document(lang: str) -> None:
    data = resolve_document(check_case(VANTORIA), lang)
    detained = next(f for f in data["figures"] if f["id"] == "detained")
    assert "<svg" in str(detained["chart"])
    assert not next(f for f in data["figures"] if f["id"] == "disappeared")["chart"]
    html = render_html(find_template("prosecution-referral"), data)
    chart = html[html.index('<figure class="chart">'):html.index("</figure>")]
    assert chart.count("<rect") == 7
    assert 'class="chart-source"' in chart and "Kessel: detention without trial in the Northern Sector" in chart
    assert html.count('<figure class="chart">') == 1  # in the figures section, not again under the crime
