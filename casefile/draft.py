"""Drafts: a dossier laid out in pieces, kept between builds, and joined into one PDF.

A draft is what `casefile watch` shows an editor: the pages of the filing copy, with "DRAFT"
across every page, rebuilt after a save by laying out again only the pieces the save changed.
The filing copy (`casefile build`) stays one whole-document layout: the join gives up the
PDF/A claim, the tagged structure and the embedded case file, which only a whole layout writes.

First build: the document is laid out in chunks, one after the other, each with a few units
of the next chunk behind it; a chunk's pages are kept up to its last *clean page start* (a
page that begins with a fresh unit, pieces.py), and the next chunk starts there. No layout
holds more than a chunk, so memory stays bounded however long the dossier. Every clean page
start becomes the start of a piece.

Later builds: the units of the new HTML are matched against the last build's. A piece whose
units, counters and surroundings are unchanged keeps its pages. Each run of changed pieces is
laid out again (runs in parallel processes) with the first units of the next kept piece
behind it: when that piece still starts a fresh page, the run is spliced in before it;
otherwise the run takes that piece in too. Pieces that print page numbers (the contents, the
index of exhibits) are laid out again whenever a number they print has changed.

The join copies the pages with pikepdf, writes the named destinations (so links between
pieces and the annexes' placeholders resolve), rebuilds the bookmarks from the headings'
levels, and draws "page X of Y" and the DRAFT mark (at the top of every page) from a furniture sheet that
WeasyPrint lays out with the document's own stylesheet.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import io
import json
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pikepdf
from lxml import etree

from casefile.errors import RenderError
from casefile.i18n import in_digits
from casefile.pdf import FetchPolicy, render_with, write_atomically
from casefile.pages import PageFacts, page_facts
from casefile.pieces import Skeleton, parse, serialise

log = logging.getLogger(__name__)

STATE_VERSION = 1
CHUNK_CHARS = 100_000
"""Text per chunk of a first build: some 20 to 25 pages of prose (about 150 MiB of layout)."""
LOOKAHEAD_UNITS = 6
"""Units laid out after a chunk or a run, so that its last kept page is decided as in the whole."""
MAX_NUMBER_ROUNDS = 3
PX_TO_PT = 0.75
SHEET_CSS = """
@page { @top-left { content: none !important; } @top-right { content: none !important; } }
.cf-sheet { break-after: page; height: 1px; }
/* Above the running header, in the top margin: the bottom corners carry the edition's marks. */
.cf-draft { position: fixed; top: -17mm; left: 0; right: 0; text-align: center; font-size: 10pt;
            font-weight: 700; color: #a61b1b; }
"""
DRAFT_MARK = "DRAFT"


@dataclass
class Piece:
    """Units `[start, end)`, laid out on the pages `facts`."""

    start: int
    end: int
    forced: bool
    digest: str
    facts: list[PageFacts]
    numbers: dict[str, str] = field(default_factory=dict)
    """The page numbers it prints for links to other pages."""
    next_forced: bool = False
    """Whether the break after its last page is a rule's."""
    source: str = "old"
    """Where its pages are: "old" (the last build's body) or the key of a new layout."""
    first_page: int = 0
    """The index of its first page in `source`."""


@dataclass
class DraftState:
    """What a draft keeps between builds, beside the joined body PDF."""

    digests: list[str]
    pieces: list[Piece]
    layout_key: str = ""
    version: int = STATE_VERSION

    def save(self, path: Path) -> None:
        write_atomically(path, json.dumps(asdict(self)).encode())

    @classmethod
    def load(cls, path: Path) -> DraftState | None:
        try:
            raw = json.loads(path.read_text())
            if raw.get("version") != STATE_VERSION:
                return None
            pieces = [Piece(**{**p, "facts": [PageFacts(**f) for f in p["facts"]]}) for p in raw["pieces"]]
            return cls(raw["digests"], pieces, raw.get("layout_key", ""))
        except (OSError, ValueError, KeyError, TypeError):
            return None


@dataclass
class Layout:
    """One laid-out piece: its PDF (whose first page is the lead) and the facts of the pages after it."""

    pdf: bytes
    pages: list[PageFacts]


@dataclass(frozen=True)
class RenderContext:
    """How to lay out any piece of one document."""

    base_url: str
    policy: FetchPolicy
    allow_warnings: bool = False
    extra_css: str = ""
    epoch: int | None = None
    jobs: int = 1
    numbering: str = "default"
    """The `--digits` numbering: page numbers printed in the contents follow it."""
    layout_key: str = ""
    """What the layout depends on besides the HTML (stylesheets, fonts, versions, options):
    the pieces of a build with another key are not reused."""


@dataclass
class DraftResult:
    """A joined draft and how much of it was laid out for it."""

    pdf: bytes
    """The joined pages, without their footer and DRAFT mark: `add_furniture` draws them once
    the annexes are in."""
    furniture: bytes
    pages_laid_out: int
    pages_total: int
    pieces_reused: int
    pieces_total: int


def build_draft(html: str, context: RenderContext, cache: Path) -> DraftResult:
    """Lay out `html` in pieces, reusing those kept under `cache` that did not change, and
    return the joined pages and their furniture: the caller appends the annexes, as for a
    filing copy, and then draws the furniture on every page (`add_furniture`)."""
    cache.mkdir(parents=True, exist_ok=True)
    skeleton = parse(html)
    state_path, body_path = cache / "state.json", cache / "body.pdf"
    state = DraftState.load(state_path) if body_path.is_file() else None
    if state is not None and state.layout_key != context.layout_key:
        state = None  # a stylesheet, a font, an option or a version changed: nothing is reused
    run = _Run(skeleton, context)
    old_body = _open_body(body_path, state) if state is not None else None
    if state is None or old_body is None:
        pieces = run.first_layout()
    else:
        run.sources["old"] = old_body
        guess = {name: number for piece in state.pieces for name, number in piece.numbers.items()}
        pieces = run.complete(_kept_pieces(skeleton, state), guess)
    pieces = run.settle_page_numbers(pieces)
    owned = _owned_anchor_pages(skeleton, pieces)
    body_bytes = _save(run.join(pieces, owned))
    pages = [f for p in pieces for f in p.facts]
    sheet = _furniture(skeleton, context, pages, owned, cache)
    reused = sum(1 for p in pieces if p.source == "old")
    offset = 0
    for piece in pieces:  # the state refers to the body just written
        piece.source, piece.first_page, offset = "old", offset, offset + len(piece.facts)
    # The old state goes first and the new one comes last: a build stopped half-way leaves no
    # state, and the next build starts afresh rather than trust pages it cannot vouch for.
    state_path.unlink(missing_ok=True)
    write_atomically(body_path, body_bytes)
    DraftState(skeleton.digests, pieces, context.layout_key).save(state_path)
    return DraftResult(body_bytes, sheet, run.pages_laid_out, len(pages), reused, len(pieces))


def _open_body(path: Path, state: DraftState) -> pikepdf.Pdf | None:
    """The last build's joined body, if it is whole and matches its state."""
    try:
        body = pikepdf.open(io.BytesIO(path.read_bytes()))
    except (OSError, pikepdf.PdfError):
        return None
    return body if len(body.pages) == sum(len(p.facts) for p in state.pieces) else None


# --------------------------------------------------------------------------- layout

def _layout_piece(skeleton: Skeleton, context: RenderContext, start: int, end: int, forced: bool,
                  numbers: dict[str, str]) -> Layout:
    html = skeleton.piece_html(start, end, forced=forced, numbers=numbers)
    return render_with(html, base_url=context.base_url, policy=context.policy, finish=_finish,
                       allow_warnings=context.allow_warnings, source_date_epoch=context.epoch,
                       extra_css=context.extra_css)


def _finish(document: Any, fetcher: Any) -> Layout:
    pages = page_facts(document)[1:]  # the lead page goes
    return Layout(bytes(document.write_pdf()), pages)


class _Run:
    """One draft build: the layouts made for it and the PDFs its pages come from."""

    def __init__(self, skeleton: Skeleton, context: RenderContext) -> None:
        self.skeleton = skeleton
        self.context = context
        self.sources: dict[str, pikepdf.Pdf] = {}
        self.pages_laid_out = 0
        self._layouts = 0
        self._guess: dict[str, str] = {}
        """The page numbers that page references print while the real ones are not known."""

    def _add(self, layout: Layout) -> str:
        key = f"new{self._layouts}"
        self._layouts += 1
        self.sources[key] = pikepdf.open(io.BytesIO(layout.pdf))
        self.pages_laid_out += len(layout.pages)
        return key

    def first_layout(self) -> list[Piece]:
        """Lay the document out chunk by chunk; a chunk's pages are kept up to its last clean page start."""
        units = len(self.skeleton.units)
        sizes = [len("".join(u.itertext())) + 200 for u in self.skeleton.units]
        pieces: list[Piece] = []
        start, forced, target = 0, True, CHUNK_CHARS
        while start < units:
            end, chars = start, 0
            while end < units and chars < target:
                chars, end = chars + sizes[end], end + 1
            ahead = min(units, end + LOOKAHEAD_UNITS)
            layout = _layout_piece(self.skeleton, self.context, start, ahead, forced, {})
            if ahead == units:
                cut = len(layout.pages)
            else:
                # Every page before a clean page start is final, as long as content still
                # followed that start: the last page alone may have felt the chunk's end.
                starts = [i for i, p in enumerate(layout.pages[:-1]) if i > 0 and p.start is not None]
                if not starts:  # no clean page start in this chunk: take a longer one
                    self.pages_laid_out += len(layout.pages)
                    target *= 2
                    continue
                cut = starts[-1]
            pieces += self._pieces_of(layout, start, cut, forced)
            start, forced = (layout.pages[cut].start, layout.pages[cut].forced) if cut < len(layout.pages) \
                else (units, False)
            target = CHUNK_CHARS
        return pieces

    def _pieces_of(self, layout: Layout, start: int, cut: int, forced: bool) -> list[Piece]:
        """The pieces of a layout's pages `[0, cut)`: one from each clean page start to the next."""
        key = self._add(layout)
        units = len(self.skeleton.units)
        starts = [(0, start, forced)] + [(i, p.start, p.forced) for i, p in enumerate(layout.pages[:cut])
                                         if i > 0 and p.start is not None]
        end_unit = layout.pages[cut].start if cut < len(layout.pages) else units
        next_forced = layout.pages[cut].forced if cut < len(layout.pages) else False
        pieces = []
        for n, (page, unit, is_forced) in enumerate(starts):
            last = n + 1 == len(starts)
            next_page, next_unit = (cut, end_unit) if last else starts[n + 1][:2]
            numbers = self.skeleton.numbers_in(unit, next_unit, self._guess)
            pieces.append(Piece(unit, next_unit, is_forced,
                                self.skeleton.piece_digest(unit, next_unit, is_forced, numbers),
                                layout.pages[page:next_page], numbers,
                                next_forced if last else starts[n + 1][2], key, page + 1))
        return pieces

    def complete(self, kept: list[Piece], guess: dict[str, str]) -> list[Piece]:
        """Fill every gap between the kept pieces with new layouts, growing a gap by the piece
        after it until that piece still starts a page."""
        self._guess = guess
        units = len(self.skeleton.units)
        while True:
            runs = _gaps(kept, units)
            if not runs:
                return kept
            layouts = self._layout_runs(runs)
            for (start, end, forced, following), layout in zip(runs, layouts):
                if following is None:
                    cut = len(layout.pages)
                else:
                    cut = next((i for i, p in enumerate(layout.pages)
                                if i > 0 and p.start == following.start and p.forced == following.forced), None)
                    if cut is None:  # the next piece no longer starts a page as it did: lay it out too
                        kept.remove(following)
                        self.pages_laid_out += len(layout.pages)
                        continue
                kept = sorted([*kept, *self._pieces_of(layout, start, cut, forced)], key=lambda p: p.start)

    def _layout_runs(self, runs: list[tuple[int, int, bool, Piece | None]]) -> list[Layout]:
        units = len(self.skeleton.units)
        tasks = [(start, min(units, end + LOOKAHEAD_UNITS) if following is not None else units, forced,
                  self.skeleton.numbers_in(start, units, self._guess))
                 for start, end, forced, following in runs]
        if self.context.jobs <= 1 or len(tasks) == 1:
            return [_layout_piece(self.skeleton, self.context, *task) for task in tasks]
        global _WORKER_ARGS
        _WORKER_ARGS = (self.skeleton, self.context)
        try:  # fork: the workers inherit the parsed document and WeasyPrint, imported
            with ProcessPoolExecutor(max_workers=min(self.context.jobs, len(tasks)),
                                     mp_context=get_context("fork")) as pool:
                return list(pool.map(_layout_in_worker, tasks))
        finally:
            _WORKER_ARGS = None

    def settle_page_numbers(self, pieces: list[Piece]) -> list[Piece]:
        """Lay out again the pieces whose printed page numbers are not those of their targets."""
        for _ in range(MAX_NUMBER_ROUNDS):
            numbers = self._numbers(pieces)
            stale = [p for p in pieces
                     if p.numbers != self.skeleton.numbers_in(p.start, p.end, numbers)]
            if not stale:
                return pieces
            kept = [p for p in pieces if p not in stale]
            pieces = self.complete(kept, numbers)
        raise RenderError("the page numbers of the contents did not settle; build without --draft")

    def _numbers(self, pieces: list[Piece]) -> dict[str, str]:
        pages = _owned_anchor_pages(self.skeleton, pieces)
        return {name: in_digits(str(page + 1), self.context.numbering) for name, page in pages.items()}

    def join(self, pieces: list[Piece], owned: dict[str, int]) -> pikepdf.Pdf:
        """One PDF of every piece's pages, with named destinations (`owned`: each id's page)
        and bookmarks."""
        joined = pikepdf.new()
        for piece in pieces:
            source = self.sources[piece.source]
            for page in source.pages[piece.first_page:piece.first_page + len(piece.facts)]:
                joined.pages.append(page)  # named destinations are rebuilt below
        model = next(iter(self.sources.values()))
        joined.docinfo = joined.copy_foreign(model.docinfo)
        if "/Lang" in model.Root:
            joined.Root.Lang = model.Root.Lang
        facts = [f for p in pieces for f in p.facts]
        names = pikepdf.Array()
        for name in sorted(owned, key=lambda n: n.encode()):
            page = owned[name]
            x, y = facts[page].anchors[name]
            names.append(pikepdf.String(name))
            names.append(pikepdf.Array([joined.pages[page].obj, pikepdf.Name.XYZ, x * PX_TO_PT,
                                        (facts[page].height - y) * PX_TO_PT, 0]))
        joined.Root.Names = pikepdf.Dictionary(Dests=pikepdf.Dictionary(Names=names))
        _outline(joined, facts)
        return joined


_WORKER_ARGS: tuple[Skeleton, RenderContext] | None = None


def _layout_in_worker(task: tuple[int, int, bool, dict[str, str]]) -> Layout:
    assert _WORKER_ARGS is not None
    return _layout_piece(*_WORKER_ARGS, *task)


def _kept_pieces(skeleton: Skeleton, state: DraftState) -> list[Piece]:
    """The last build's pieces whose units, counters and surroundings the edit left alone, at
    their new unit numbers."""
    moved: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, state.digests, skeleton.digests, autojunk=False)
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag == "equal":
            moved.update({i1 + k: j1 + k for k in range(i2 - i1)})
    kept = []
    for piece in state.pieces:
        start = moved.get(piece.start)
        if start is None or any(moved.get(u) != start + u - piece.start for u in range(piece.start, piece.end)):
            continue
        end = start + piece.end - piece.start
        if end != len(skeleton.units) and piece.end == len(state.digests):
            continue  # it ended the document and no longer does
        if skeleton.piece_digest(start, end, piece.forced, piece.numbers) == piece.digest:
            kept.append(Piece(start, end, piece.forced, piece.digest, piece.facts, piece.numbers,
                              piece.next_forced, "old", piece.first_page))
    return kept


def _gaps(kept: list[Piece], units: int) -> list[tuple[int, int, bool, Piece | None]]:
    """The runs of units no kept piece covers: (start, end, forced break before, piece after)."""
    gaps = []
    position, forced = 0, True
    for piece in kept:
        if piece.start > position:
            gaps.append((position, piece.start, forced, piece))
        position, forced = piece.end, piece.next_forced
    if position < units:
        gaps.append((position, units, forced, None))
    return gaps


def _owned_anchor_pages(skeleton: Skeleton, pieces: list[Piece]) -> dict[str, int]:
    """Each id to the page (in the joined body) of the piece that holds it: a piece that starts
    inside a section also shows that section's id, but the section is not there."""
    pages: dict[str, int] = {}
    offset = 0
    for piece in pieces:
        for i, facts in enumerate(piece.facts):
            for name in facts.anchors:
                unit = skeleton.anchors.get(name)
                if unit is not None and piece.start <= unit < piece.end:
                    pages.setdefault(name, offset + i)
        offset += len(piece.facts)
    return pages


def _outline(pdf: pikepdf.Pdf, facts: list[PageFacts]) -> None:
    """Bookmarks from every page's headings, nested by level as WeasyPrint nests them."""
    with pdf.open_outline() as outline:
        stack: list[tuple[int, Any]] = []
        for page, f in enumerate(facts):
            for level, label, y in f.bookmarks:
                item = pikepdf.OutlineItem(label, page, "XYZ", left=0, top=(f.height - y) * PX_TO_PT)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                (stack[-1][1].children if stack else outline.root).append(item)
                stack.append((level, item))


# --------------------------------------------------------------------------- furniture

def _furniture(skeleton: Skeleton, context: RenderContext, pages: list[PageFacts], anchors: dict[str, int],
               cache: Path) -> bytes:
    """The sheet that draws each page's footer and the DRAFT mark, laid out again only when
    the pages' count, kinds or the document's head change."""
    root = copy.deepcopy(skeleton.root)
    body = root.find("body")
    for child in list(body):
        body.remove(child)
    body.text = None
    etree.SubElement(body, "div", {"class": "cf-draft"}).text = DRAFT_MARK
    end_page = anchors.get("dossier-end", len(pages) - 1)
    css = [SHEET_CSS]
    for name in sorted({p.name for p in pages}):
        css.append(f".cf-sheet-{name or 'auto'} {{ page: {name or 'auto'}; }}")
    for i, page in enumerate(pages):
        div = etree.SubElement(body, "div", {"class": f"cf-sheet cf-sheet-{page.name or 'auto'}"})
        if i == end_page:
            etree.SubElement(div, "div", {"id": "dossier-end"})
    style = etree.SubElement(root.find("head"), "style")
    style.text = "\n".join(css)
    html = serialise(root)
    key = hashlib.sha256(html.encode()).hexdigest()
    path = cache / "sheet.pdf"
    key_path = cache / "sheet.key"
    if path.is_file() and key_path.is_file() and key_path.read_text() == key:
        return path.read_bytes()
    # Without the edition's stylesheet: the pieces draw its marks already.
    pdf = render_with(html, base_url=context.base_url, policy=context.policy, finish=_write_plain,
                      allow_warnings=context.allow_warnings, source_date_epoch=context.epoch)
    path.write_bytes(pdf)
    key_path.write_text(key)
    return pdf


def _write_plain(document: Any, fetcher: Any) -> bytes:
    return bytes(document.write_pdf())


def add_furniture(pdf_bytes: bytes, furniture: bytes) -> bytes:
    """Draw each page's footer and DRAFT mark (the annexes' exhibit pages replace placeholders
    page for page, so the pages still match the sheet's)."""
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    sheet = pikepdf.open(io.BytesIO(furniture))
    if len(sheet.pages) != len(pdf.pages):
        raise RenderError(f"the draft's furniture has {len(sheet.pages)} pages for {len(pdf.pages)}")
    for page, drawn in zip(pdf.pages, sheet.pages):
        page.add_overlay(drawn)
    return _save(pdf)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()
