"""What each CSS feature costs in WeasyPrint 70 layout, and each write option in PDF write time.

    .venv/bin/python benchmarks/features.py [--pages 60] [--runs 3] [--docs seed-en seed-ar synthetic]
                                            [--only NAME ...] [--report /tmp/features.md] [--json FILE]

A script to run by hand, not a test. For each document (the seed case in English and Arabic,
and a synthetic case of about --pages pages from benchmarks/generate.py) it renders casefile's
own HTML in this process the way casefile.pdf.render_pdf does (same font faces, edition
stylesheet, confined fetcher; the write with casefile's options: PDF/A-3b, tags, the
embedded case data), then:

- CSS variants: one user stylesheet appended (all declarations `!important`, since user
  declarations lose to author ones otherwise) or one change to the HTML. Each is laid out
  (`render()`) and written (`write_pdf()`); we record layout and write seconds, pages, file
  size and footnotes misplaced in the first layout (each one costs casefile a whole second
  layout, casefile/footnotes.py).
- write variants: `write_pdf()` options on the baseline layout (`document.fonts` is emptied
  before each write, because WeasyPrint 70 subsets the font objects in place).

Runs are interleaved: every round lays out the baseline, then three variants, then the baseline
again, ... in a shuffled order; each variant run is divided by the mean of the two baseline runs
around it, and the report gives the median of those ratios. Times are CPU seconds of this
process (`time.process_time`), which other processes on a shared machine disturb far less
than wall time; wall medians are in the JSON.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import write_case  # noqa: E402

SEED = ROOT / "cases" / "assad-extradition.yaml"
TEMPLATE = "extradition-request"


@dataclass(frozen=True)
class Variant:
    """One change against the baseline: a user stylesheet, an HTML change, or write options."""

    name: str
    what: str
    css: str = ""
    html: Callable[[str], str] | None = None
    write: dict[str, Any] | None = None  # options replacing casefile's (None: casefile's own)
    fonts: Callable[[], str] | None = None  # @font-face rules replacing casefile.fonts.font_face_css()
    once: bool = False  # so slow that one run in the first round is enough


def _latin(html: str) -> str:
    """Every Arabic and Cyrillic letter replaced by a Latin one: no complex shaping, no fallback font."""
    return re.sub(r"[\u0600-\u06FF]", "a", re.sub(r"[\u0400-\u04FF]", "e", html))


STATIC_FONTS = Path(tempfile.gettempdir()) / f"casefile-static-fonts-{os.getuid()}"


@functools.cache
def static_font_face_css() -> str:
    """casefile's @font-face rules, with each variable face replaced by a static instance at its
    weight (made once with fontTools, as WeasyPrint's writer makes it on every write)."""
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    from casefile.fonts import font_faces

    STATIC_FONTS.mkdir(exist_ok=True)
    rules = []
    for face in font_faces():
        path = face.path
        font = TTFont(path, lazy=True)
        if "fvar" in font:
            path = STATIC_FONTS / f"{face.path.stem}-{face.weight}.ttf"
            if not path.exists():
                axes = {axis.axisTag: axis.defaultValue for axis in TTFont(face.path)["fvar"].axes}
                instance = instantiateVariableFont(TTFont(face.path), {**axes, "wght": face.weight}, static=True)
                instance.save(path)
        rules.append("@font-face { font-family: '%s'; font-weight: %d; font-style: %s; src: url('%s'); }"
                     % (face.family, face.weight, face.style, path.as_uri()))
    return "\n".join(rules)


CSS_VARIANTS = [
    Variant("footnotes: none", "`.footnote { float: none; display: none }` (no footnotes at all)",
            ".footnote { float: none !important; display: none !important; }"),
    Variant("footnotes: inline", "`.footnote { float: none }` (the note's text inline, no footnote area)",
            ".footnote { float: none !important; }"),
    Variant("footnote-policy: auto", "`.footnote { footnote-policy: auto }` instead of `line`",
            ".footnote { footnote-policy: auto !important; }"),
    Variant("no target-counter", "`nav.toc a::after, a.pageref::after { content: none }` (no TOC/index page numbers)",
            "nav.toc a::after, a.pageref::after { content: none !important; }"),
    Variant("no leaders", "TOC page numbers kept, `leader(\".\")` dropped",
            "nav.toc a::after { content: \" \" target-counter(attr(href), page) !important; }"),
    Variant("no string-set", "running headers off: `string-set: none` on title and classification",
            ".cover-title, .brief-title, .cover-classification, .brief-classification { string-set: none !important; }"),
    Variant("no page X of Y", "`@bottom-center { content: none }` (no `counter(pages)`)",
            "@page { @bottom-center { content: none !important; } } @page rtl { @bottom-center { content: none !important; } }"),
    Variant("font: serif only", "`font-family: \"Casefile Serif\", serif` (Arabic found by fontconfig fallback)",
            "html, html[lang=ar] { font-family: \"Casefile Serif\", serif !important; }"),
    Variant("font: no generic", "`font-family: \"Casefile Serif\", \"Casefile Arabic\"` (no `serif` at the end)",
            "html, html[lang=ar] { font-family: \"Casefile Serif\", \"Casefile Arabic\" !important; }"),
    Variant("no shaping", "HTML: every Arabic/Cyrillic letter made Latin (no complex shaping, one font)",
            html=_latin),
    Variant("no large tables", "`table.figures, table.sources { display: none }`",
            "table.figures, table.sources { display: none !important; }"),
    Variant("tables: fixed layout", "`table { table-layout: fixed }` (changes column widths: information only)",
            "table { table-layout: fixed !important; }"),
    Variant("no bookmarks", "`h2, h3 { bookmark-level: none }`",
            "h2, h3, main h2, main h3, .brief h2, .brief h3, h2.annex-title { bookmark-level: none !important; }"),
    Variant("hyphens: auto", "`hyphens: auto` instead of `manual` (what turning hyphenation on would cost)",
            "html { hyphens: auto !important; }"),
    Variant("text-align: left", "`p { text-align: left }` instead of `justify`",
            "p { text-align: left !important; }"),
    Variant("para numbers inline", "`p.para::before` as a hanging inline-block instead of `position: absolute`",
            "p.para::before { position: static !important; display: inline-block !important; "
            "width: 10mm !important; margin-left: -10mm !important; }"
            "[dir=rtl] p.para::before { margin-left: 0 !important; margin-right: -10mm !important; }"),
    Variant("static fonts", "Noto Serif declared as static instances at 400/600/700 (made once) instead of the "
            "variable font", fonts=static_font_face_css),
]

WRITE_VARIANTS = [
    Variant("plain PDF", "no `pdf_variant`, no `pdf_tags`, no attachment", write={}),
    Variant("no tags", "PDF/A-3b and attachment, `pdf_tags=False`", write={"pdf_tags": False}),
    Variant("optimize_images", "`optimize_images=True`", write={"optimize_images": True}),
    Variant("uncompressed_pdf", "`uncompressed_pdf=True`", write={"uncompressed_pdf": True}),
    Variant("hinting", "`hinting=True` (keep font hinting)", write={"hinting": True}),
    Variant("full_fonts", "`full_fonts=True` (no subsetting; one run)", write={"full_fonts": True}, once=True),
]


# ------------------------------------------------------------------ phases inside WeasyPrint

PHASES: dict[str, float] = {}


def _timed_phase(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.process_time() - start
    return wrapper


def _instrument() -> None:
    """Wrap WeasyPrint's steps so that each run also says where its time went."""
    import weasyprint.document as wdoc
    import weasyprint.pdf as wpdf

    wdoc.get_all_computed_styles = _timed_phase("css + styles", wdoc.get_all_computed_styles)
    wdoc.build_formatting_structure = _timed_phase("boxes", wdoc.build_formatting_structure)
    wdoc.generate_pdf = _timed_phase("generate", wdoc.generate_pdf)
    wpdf.build_fonts_dictionary = _timed_phase("fonts", wpdf.build_fonts_dictionary)
    wpdf.add_tags = _timed_phase("tags", wpdf.add_tags)


# ------------------------------------------------------------------ one document

@dataclass
class Doc:
    name: str
    html: str
    base_url: str
    extra_css: str
    fetcher: Any
    write_options: Callable[[], dict[str, Any]]  # fresh each time: a WeasyPrint Attachment is read once
    epoch: int


def prepare(name: str, case: Path, lang: str) -> Doc:
    """casefile's HTML, edition stylesheet and write options for one document, as build_document makes them."""
    from casefile.build import _epoch
    from casefile.casedata import case_attachment
    from casefile.checks import check_case
    from casefile.editions import edition_css
    from casefile.fonts import font_files
    from casefile.pdf import DEFAULT_PDF_VARIANT, FetchPolicy, _archival_options, _fetcher
    from casefile.render import find_template, render_html
    from casefile.resolve import resolve_document

    checked = check_case(case)
    edition = checked.case.classification
    ref = find_template(TEMPLATE)
    html = render_html(ref, resolve_document(checked, lang, edition=edition))
    STATIC_FONTS.mkdir(exist_ok=True)
    policy = FetchPolicy([checked.folder, *ref.search_path, *sorted({f.parent for f in font_files()}), STATIC_FONTS])
    fetcher = _fetcher(policy, [])
    attachment = case_attachment(checked, edition)

    def options() -> dict[str, Any]:
        return _archival_options(DEFAULT_PDF_VARIANT, True, [attachment], fetcher)

    return Doc(name, html, str(ref.search_path[0]) + "/", edition_css(edition, lang), fetcher, options,
               _epoch(checked.case.date.as_date()))


def layout(doc: Doc, variant: Variant) -> tuple[Any, float, float, dict[str, float]]:
    """Lay out one variant: the document, CPU and wall seconds, and the phases."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from casefile.fonts import font_face_css

    html = variant.html(doc.html) if variant.html else doc.html
    faces = variant.fonts() if variant.fonts else font_face_css()
    gc.collect()
    PHASES.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    fonts = FontConfiguration()
    sheets = [CSS(string=faces + doc.extra_css, font_config=fonts, url_fetcher=doc.fetcher)]
    if variant.css:
        sheets.append(CSS(string=variant.css, font_config=fonts))
    document = HTML(string=html, base_url=doc.base_url, url_fetcher=doc.fetcher).render(
        font_config=fonts, stylesheets=sheets)
    return document, time.process_time() - cpu, time.perf_counter() - wall, dict(PHASES)


def write(doc: Doc, document: Any, options: dict[str, Any] | None) -> tuple[int, float, float, dict[str, float]]:
    """Write one PDF: its size, CPU and wall seconds, and the phases."""
    if options is None:
        options = doc.write_options()
    elif options:
        options = {**doc.write_options(), **options}
    document.fonts = {}  # WeasyPrint 70 keeps (and subsets in place) the fonts of an earlier write
    gc.collect()
    PHASES.clear()
    os.environ["SOURCE_DATE_EPOCH"] = str(doc.epoch)
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        pdf = document.write_pdf(**options)
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    return len(pdf), time.process_time() - cpu, time.perf_counter() - wall, dict(PHASES)


@dataclass
class Runs:
    layout: list[float] = field(default_factory=list)
    write: list[float] = field(default_factory=list)
    layout_wall: list[float] = field(default_factory=list)
    write_wall: list[float] = field(default_factory=list)
    layout_ratio: list[float] = field(default_factory=list)
    write_ratio: list[float] = field(default_factory=list)
    size: int = 0
    pages: int = 0
    misplaced: int | None = None
    passes: int = 0
    placed_seconds: float = 0.0
    phases: list[dict[str, float]] = field(default_factory=list)


def _ratios(sequence: list[tuple[str, float, float]], results: dict[str, Runs], key: str) -> None:
    """Divide each variant run by the mean of the baseline runs just before and after it."""
    base_at = [i for i, (name, _, _) in enumerate(sequence) if name == "baseline"]
    for i, (name, value, _) in enumerate(sequence):
        if name == "baseline":
            continue
        before = max((j for j in base_at if j < i), default=None)
        after = min((j for j in base_at if j > i), default=None)
        around = [sequence[j][1] for j in (before, after) if j is not None]
        getattr(results[name], key + "_ratio").append(value / statistics.mean(around))


def study(doc: Doc, css_variants: list[Variant], write_variants: list[Variant], runs: int,
          log: Callable[[str], None]) -> dict[str, Runs]:
    """Interleaved rounds of the baseline and every variant, for one document."""
    from casefile.footnotes import misplaced_footnotes

    baseline = Variant("baseline", "casefile's templates and write options")
    results = {v.name: Runs() for v in [baseline, *css_variants, *write_variants]}
    rng = random.Random(8)
    for round_number in range(runs):
        order = css_variants[:]
        rng.shuffle(order)
        sequence = [baseline]
        for start in range(0, len(order), 3):
            sequence += order[start:start + 3] + [baseline]
        laid, written = [], []
        kept = None
        for variant in sequence:
            document, cpu, wall, phases = layout(doc, variant)
            r = results[variant.name]
            r.layout.append(cpu)
            r.layout_wall.append(wall)
            r.pages = len(document.pages)
            if r.misplaced is None:
                r.misplaced = len(misplaced_footnotes(document))
            size, wcpu, wwall, wphases = write(doc, document, None)
            r.write.append(wcpu)
            r.write_wall.append(wwall)
            r.size = size
            r.phases.append({**phases, **wphases})
            laid.append((variant.name, cpu, wall))
            written.append((variant.name, wcpu, wwall))
            log(f"  {doc.name} round {round_number + 1}: {variant.name}: layout {cpu:.2f} s, write {wcpu:.2f} s, "
                f"{len(document.pages)} pages, {size / 1024:.0f} KiB")
            if variant is baseline and kept is None:
                kept = document
            del document
        _ratios(laid, results, "layout")
        _ratios(written, results, "write")
        # Write options on one baseline layout, interleaved with baseline writes.
        order = write_variants[:]
        rng.shuffle(order)
        sequence = [baseline]
        for start in range(0, len(order), 2):
            sequence += order[start:start + 2] + [baseline]
        written = []
        for variant in sequence:
            if variant.once and round_number:
                continue
            options = variant.write
            size, wcpu, wwall, wphases = write(doc, kept, options)
            name = variant.name if variant is not baseline else "baseline"
            if variant is not baseline:
                r = results[name]
                r.write.append(wcpu)
                r.write_wall.append(wwall)
                r.size = size
                r.pages = results["baseline"].pages
                r.phases.append(wphases)
            written.append((name, wcpu, wwall))
            log(f"  {doc.name} round {round_number + 1}: write {name}: {wcpu:.2f} s, {size / 1024:.0f} KiB")
        _ratios(written, results, "write")
        del kept
    # What casefile really pays for layout: place_footnotes re-lays the document out while footnotes are misplaced.
    from casefile.footnotes import place_footnotes

    def render(extra: str) -> Any:
        return layout(doc, Variant("pass", "", css=extra))[0]

    cpu = time.process_time()
    placed = place_footnotes(render)
    results["baseline"].passes = placed.passes
    results["baseline"].placed_seconds = time.process_time() - cpu
    log(f"  {doc.name}: place_footnotes: {placed.passes} layout(s), {results['baseline'].placed_seconds:.2f} s")
    return results


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(doc: Doc, results: dict[str, Runs], css_variants: list[Variant], write_variants: list[Variant]) -> list[str]:
    """The markdown tables for one document."""
    base = results["baseline"]
    phases = {k: _median([p.get(k, 0.0) for p in base.phases]) for k in
              ("css + styles", "boxes", "generate", "fonts", "tags")}
    phases["layout"] = _median(base.layout) - phases["css + styles"] - phases["boxes"]
    lines = [
        f"### {doc.name}: {base.pages} pages, baseline layout {_median(base.layout):.2f} s, "
        f"write {_median(base.write):.2f} s (CPU, median of {len(base.layout)}), {base.size / 1024:.0f} KiB, "
        f"{base.misplaced} footnote(s) misplaced in the first layout", "",
        f"casefile's own layout (casefile.footnotes.place_footnotes, re-laying out while a footnote is "
        f"misplaced): {base.passes} layout(s), {base.placed_seconds:.2f} s.", "",
        f"Where the baseline's time goes: styles (CSS parsing and cascade) {phases['css + styles']:.2f} s, boxes "
        f"{phases['boxes']:.2f} s, layout and the rest {phases['layout']:.2f} s; write: drawing and the rest "
        f"{phases['generate'] - phases['fonts'] - phases['tags']:.2f} s, fonts (subset, variable-font instancing) "
        f"{phases['fonts']:.2f} s, tags {phases['tags']:.2f} s, serialising and compressing "
        f"{_median(base.write) - phases['generate']:.2f} s.", "",
        "| variant | layout s | × baseline | write s | × baseline | pages | KiB | misplaced notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in css_variants:
        r = results[v.name]
        lines.append(f"| {v.name}: {v.what} | {_median(r.layout):.2f} | {_median(r.layout_ratio):.2f} | "
                     f"{_median(r.write):.2f} | {_median(r.write_ratio):.2f} | {r.pages} | {r.size / 1024:.0f} | "
                     f"{r.misplaced} |")
    lines += ["", "| write option | write s | × baseline | KiB |", "|---|---|---|---|"]
    for v in write_variants:
        r = results[v.name]
        lines.append(f"| {v.name}: {v.what} | {_median(r.write):.2f} | {_median(r.write_ratio):.2f} | "
                     f"{r.size / 1024:.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # generate.py's "pages" is a target: with the current templates 40 gives 26 pages, 60 about 40.
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--docs", nargs="*", default=["seed-en", "seed-ar", "synthetic"])
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    parser.add_argument("--report", type=Path, help="write the markdown tables here")
    parser.add_argument("--json", type=Path, help="write every run here")
    args = parser.parse_args()

    from casefile.pdf import isolate_fontconfig

    isolate_fontconfig()
    import weasyprint  # noqa: F401  (imported before any timing)

    _instrument()
    if not args.only or "static fonts" in args.only:
        static_font_face_css()  # the instances are made before any timing
    css_variants = [v for v in CSS_VARIANTS if not args.only or v.name in args.only]
    write_variants = [v for v in WRITE_VARIANTS if not args.only or v.name in args.only]
    lines: list[str] = []
    dump: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sources = {"seed-en": (SEED, "en"), "seed-ar": (SEED, "ar"),
                   "synthetic": (write_case(args.pages, Path(tmp)), "en")}
        for name in args.docs:
            case, lang = sources[name]
            label = f"synthetic, generate.py --pages {args.pages} (en)" if name == "synthetic" else f"seed ({lang})"
            doc = prepare(label, case, lang)
            results = study(doc, css_variants, write_variants, args.runs, lambda s: print(s, file=sys.stderr))
            block = table(doc, results, css_variants, write_variants)
            print("\n".join(block) + "\n")
            lines += block + [""]
            dump[label] = {k: vars(v) for k, v in results.items()}
    if args.report:
        args.report.write_text("\n".join(lines), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
