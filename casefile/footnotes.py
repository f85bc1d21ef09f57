"""Keep every WeasyPrint footnote body on the page of its call (WeasyPrint 70).

Why this is needed
------------------
WeasyPrint 70 moves a footnote body to a later page than its call in two places
(``weasyprint/layout/block.py``, ``_linebox_layout``):

A. *Orphans path.* When line ``orphans - 1`` of a block (the 2nd line by default) does not
   fit, WeasyPrint "reports" the most recent footnotes of the page to the next page to
   make room for that line.  The reported bodies may belong to calls in earlier
   paragraphs (they land one page late), and the footnotes called *in that very line*
   are never laid out at all: they are lost.  In tables this also happens in a row that
   is laid out and then pushed to the next page: the reports are not undone.  No CSS
   property switches this off; casefile's renderer_fixes.py turns it off in WeasyPrint's
   code, so this module meets path A only in a layout by WeasyPrint as released
   (``CASEFILE_WEASYPRINT_AS_RELEASED``).
B. *Footnote path.* When a call's line fits but its body does not, the default
   ``footnote-policy: auto`` reports the body, and every later call on the same page
   is then reported too (to keep the order).  ``footnote-policy: line`` on the footnote
   element (it is not inherited: setting it on the paragraph does nothing) moves the line
   instead.

(Separately, any ``@page { @footnote { … } }`` border or padding that is not a whole
number of CSS px, e.g. ``0.5pt`` or ``2mm``, makes WeasyPrint 70 think every footnote
overflows the area (exact float comparison in ``LayoutContext._update_footnote_area``):
nearly all bodies are deferred or lost (Kozea/WeasyPrint#2502).  Use px values:
``border-top: 1px solid; padding-top: 8px``.  The loop below cannot repair that.)

What this module does
---------------------
``misplaced_footnotes(document)`` finds, in the laid-out page boxes, the page of every
``::footnote-call`` and of every footnote body (children of the footnote area).

``place_footnotes(render)`` renders, looks for misplaced footnotes and re-renders with a
small extra *user* stylesheet (all declarations ``!important`` so that they beat the
author CSS) until none is left or ``max_passes`` renders were made.  For each misplaced
footnote whose call is on page P:

1. ``footnote-policy: line`` on that footnote element, and (from pass 2 on) on every
   footnote element, so that a body that does not fit moves its line instead;
2. the block that ends page P, if it is split there with no more than ``orphans``
   lines on P (the signature of path A), gets ``orphans: <those lines + 1>``: the
   short fragment moves to the next page instead of taking the footnote area.  If page
   P ends in a table row that is split, or the next page starts with a row that was
   pushed whole, that row gets ``break-inside: avoid`` and its cells ``orphans: 99``;
3. if the same footnote is still misplaced in a later pass: ``break-before: page`` on
   the block holding the call (on the table row for a call in a table cell).

Fixes accumulate from pass to pass.  Elements are targeted by ``#id`` when they have an
id, otherwise by a structural selector anchored at the nearest ancestor with an id (or
at ``html``).

casefile calls ``place_footnotes`` from ``pdf.render_pdf`` for every document; a document
whose footnotes are all in place on the first layout costs nothing more. The project CSS sets
``footnote-policy: line`` and a whole-pixel footnote rule, and renderer_fixes.py closes path A,
which leaves few cases to repair (none in the seed case or the benchmark cases).
It reads WeasyPrint's page boxes (private API), so WeasyPrint is pinned to 70.0 and
tests/test_footnotes.py proves the result on a long fixture.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from weasyprint.formatting_structure import boxes

LOGGER = logging.getLogger(__name__)

CALL_SUFFIX = '::footnote-call'


# --------------------------------------------------------------------------- analysis

@dataclass
class _Note:
    element: object
    call_pages: list = field(default_factory=list)
    body_pages: list = field(default_factory=list)
    block: object = None     # element of the block container whose line holds the call


@dataclass
class _PageEnd:
    block: object            # element of the last block with line boxes on the page
    lines: int               # number of its lines on that page
    orphans: int             # its computed 'orphans'
    continues: bool = False  # True if the block has more lines on a later page


@dataclass
class FootnoteLayout:
    """Where calls and bodies are, per footnote element (document order)."""
    notes: list              # list[_Note]
    page_ends: list          # list[_PageEnd | None], one per page
    root: object             # root (html) element
    parents: dict            # element -> parent element
    split_rows: set = field(default_factory=set)  # table rows on several pages
    page_starts: list = field(default_factory=list)  # first block with lines, per page

    def key(self, element) -> str:
        return element.get('id') or self.selector(element)

    def selector(self, element) -> str:
        """CSS selector matching exactly ``element``."""
        parts = []
        while element is not None:
            ident = element.get('id')
            if ident:
                parts.append('#' + _css_ident(ident))
                break
            parent = self.parents.get(element)
            if parent is None:
                parts.append(str(element.tag).rpartition('}')[2])
                break
            siblings = [c for c in parent if isinstance(c.tag, str)]
            tag = str(element.tag).rpartition('}')[2]
            parts.append(f'{tag}:nth-child({siblings.index(element) + 1})')
            element = parent
        return ' > '.join(reversed(parts))


def _css_ident(value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch.isascii() and (ch.isalnum() or ch in '-_') and not (
                i == 0 and ch.isdigit()) and not (
                i == 1 and ch.isdigit() and value[0] == '-'):
            out.append(ch)
        else:
            out.append(f'\\{ord(ch):x} ')
    return ''.join(out)


def analyse(document) -> FootnoteLayout:
    """Locate every footnote call and body in the page boxes of ``document``."""
    notes: dict = {}
    order: list = []
    block_pages: dict = {}   # block element -> last page index where it has lines
    page_ends: list = []
    page_starts: list = []
    root = None
    roots: list = []

    def note(element):
        n = notes.get(element)
        if n is None:
            n = notes[element] = _Note(element)
            order.append(n)
        return n

    body_pages: dict = {}
    row_pages: dict = {}     # table row element -> page indexes
    for index, page in enumerate(document.pages):
        first = end = None
        for child in page._page_box.children:
            if isinstance(child, boxes.FootnoteAreaBox):
                for box in child.children:
                    # Direct children are the footnote bodies (block or anonymous
                    # wrappers of inline bodies): take the outermost element.
                    for d in box.descendants():
                        if d.element is not None:
                            pages = body_pages.setdefault(d.element, [])
                            if not pages or pages[-1] != index:
                                pages.append(index)
            elif isinstance(child, boxes.MarginBox):
                continue
            else:
                if root is None:
                    root = child.element
                if child.element is not None and child.element not in roots:
                    roots.append(child.element)  # pages spliced in from another layout (splice.py)
                first, end = _walk_flow(child, index, note, block_pages, row_pages)
        page_ends.append(end)
        page_starts.append(first)

    # Mark blocks that go on after the page where they are the last one.
    for index, end in enumerate(page_ends):
        if end is not None and block_pages.get(end.block, index) > index:
            end.continues = True

    for n in order:
        n.body_pages = body_pages.get(n.element, [])
    parents = {}
    for tree in roots:
        for parent in tree.iter():
            for c in parent:
                parents[c] = parent
    split_rows = {row for row, pages in row_pages.items() if len(pages) > 1}
    return FootnoteLayout(order, page_ends, root, parents, split_rows, page_starts)


def _walk_flow(box, page_index, note, block_pages, row_pages):
    """Walk in-flow boxes of one page in document order.

    Return (element of the first block with lines, _PageEnd of the last one); repeated
    table headers and footers are not taken as first block.
    """
    end = first = None
    stack = [(box, False)]
    while stack:
        b, repeated = stack.pop()
        if isinstance(b, boxes.TableRowGroupBox) and (b.is_header or b.is_footer):
            repeated = True
        if isinstance(b, boxes.TableRowBox) and b.element is not None:
            pages = row_pages.setdefault(b.element, [])
            if not pages or pages[-1] != page_index:
                pages.append(page_index)
        children = getattr(b, 'children', None)
        if not children:
            continue
        lines = [c for c in children if isinstance(c, boxes.LineBox)]
        if lines and isinstance(b, boxes.BlockContainerBox):
            block = b.element
            block_pages[block] = page_index
            if first is None and not repeated:
                first = block
            if end is not None and end.block is block:
                end.lines += len(lines)
            else:
                end = _PageEnd(block, len(lines), b.style['orphans'])
            for line in lines:
                seen = set()
                for d in line.descendants():
                    tag = getattr(d, 'element_tag', None) or ''
                    if tag.endswith(CALL_SUFFIX) and d.element not in seen:
                        seen.add(d.element)
                        n = note(d.element)
                        n.call_pages.append(page_index)
                        n.block = block
            # Line boxes are done (calls in inline-blocks included); go on with
            # block-level siblings of the lines, if any.
            others = [c for c in children
                      if isinstance(c, boxes.Box) and not isinstance(c, boxes.LineBox)]
        else:
            others = [c for c in children if isinstance(c, boxes.Box)]
        stack.extend((c, repeated) for c in reversed(others))
    return first, end


def _misplaced(layout: FootnoteLayout):
    out = []
    for n in layout.notes:
        if not n.call_pages:
            continue  # a body without call: not a float: footnote element we know
        call = n.call_pages[0]
        body = n.body_pages[0] if n.body_pages else -1
        if body != call:
            out.append((n, call, body))
    return out


def misplaced_footnotes(document) -> list[tuple[str, int, int]]:
    """(footnote id, call page index, body page index or -1 if lost) for each footnote
    whose body is not on the page of its call. Page indexes are 0-based."""
    layout = analyse(document)
    return [(layout.key(n.element), call, body) for n, call, body in _misplaced(layout)]


# --------------------------------------------------------------------------- the loop

@dataclass
class PlacementResult:
    document: object
    passes: int                        # number of renders done
    misplaced: list                    # misplaced footnotes left in ``document``
    css: str                           # extra stylesheet used for ``document``
    history: list = field(default_factory=list)  # per pass: (misplaced, pages, seconds)


def _row_of(layout, element):
    """The table row of a table cell element, else None."""
    if element is not None and _tag(element) in ('td', 'th'):
        parent = layout.parents.get(element)
        if parent is not None and _tag(parent) == 'tr':
            return parent
    return None


def _tag(element) -> str:
    return str(element.tag).rpartition('}')[2].lower()


def place_footnotes(render: Callable[[str], object], max_passes: int = 5, *,
                    base_css: str = '',
                    relayout: Callable[[str, object, list[int]], object | None] | None = None) -> PlacementResult:
    """Render with ``render(extra_css)`` until every footnote body is on its call's page.

    ``render`` must return a ``weasyprint.Document`` laid out with the given extra CSS
    (pass it as a user stylesheet: ``render(stylesheets=[CSS(string=extra_css)])``; the
    declarations are ``!important``). ``base_css`` is prepended to every pass (e.g.
    ``'.footnote { footnote-policy: line !important }'``).

    Each pass escalates for the footnotes still misplaced: ``footnote-policy: line`` on
    the footnote, then ``orphans`` on the block that ends the call's page (or keeping a
    table row whole), then ``break-before: page`` on the block holding the call.

    ``relayout(extra_css, document, pages)``, when given, is tried before each later pass:
    it returns ``document`` with the pages around ``pages`` (those of the misplaced calls)
    laid out again with the extra CSS, or None, and then the whole document is rendered
    (splice.py).

    Returns the document with the fewest misplaced footnotes (the last one on ties).
    """
    fixes: dict[str, dict[str, str]] = {}   # selector -> {property: value}
    tried: dict[str, int] = {}              # footnote key -> escalation level reached
    all_rule = ''
    best = None
    history = []
    css = base_css
    previous, calls = None, []
    for pass_number in range(1, max_passes + 1):
        start = time.perf_counter()
        document = relayout(css, previous, calls) if relayout is not None and previous is not None else None
        if document is None:
            document = render(css)
        layout = analyse(document)
        wrong = _misplaced(layout)
        seconds = time.perf_counter() - start
        history.append((len(wrong), len(document.pages), round(seconds, 2)))
        LOGGER.info('footnotes pass %d: %d misplaced, %d pages, %.1f s',
                    pass_number, len(wrong), len(document.pages), seconds)
        result = PlacementResult(
            document, pass_number,
            [(layout.key(n.element), c, b) for n, c, b in wrong], css, history)
        if pass_number == 1 and len(wrong) > 0.5 * max(1, len(layout.notes)):
            LOGGER.warning(
                'footnotes: %d of %d misplaced in the first layout. An @footnote '
                'border/padding whose size is not a whole number of px triggers a '
                'float-rounding bug in WeasyPrint 70 (Kozea/WeasyPrint#2502); use '
                'e.g. border-top: 1px solid; padding-top: 8px.',
                len(wrong), len(layout.notes))
        if best is None or len(result.misplaced) <= len(best.misplaced):
            best = result
        if not wrong or pass_number == max_passes:
            break
        previous, calls = document, sorted({page for _, call, body in wrong for page in (call, body) if page >= 0})
        for n, call, _ in wrong:
            key = layout.key(n.element)
            level = tried.get(key, 0)
            _add(fixes, layout.selector(n.element), 'footnote-policy', 'line')
            _fix_page_end(layout, fixes, call)
            if level >= 1 and n.block is not None:
                block = _row_of(layout, n.block) or n.block
                _add(fixes, layout.selector(block), 'break-before', 'page')
            tried[key] = level + 1
        # footnote-policy: line on every footnote (a user template may not set it): without
        # it each re-layout creates new late bodies downstream of the fixes (path B).
        selectors = [layout.selector(n.element) for n in layout.notes if n.call_pages]
        all_rule = ',\n'.join(selectors) + ' { footnote-policy: line !important; }\n'
        css = base_css + '\n' + all_rule + '\n'.join(
            f'{sel} {{ ' + ' '.join(f'{p}: {v} !important;' for p, v in decl.items())
            + ' }' for sel, decl in fixes.items())
    best.history = history
    best.passes = len(history)
    return best


def _fix_page_end(layout, fixes, page):
    """Stop the block that ends ``page`` from taking the footnote area (path A)."""
    end = layout.page_ends[page]
    if end is None:
        return
    following = (layout.page_starts[page + 1]
                 if page + 1 < len(layout.page_starts) else None)
    row = _row_of(layout, end.block)
    if row is None or row not in layout.split_rows:
        # A row laid out at the bottom of the page and then pushed whole (by
        # break-inside: avoid, or because a cell could not split) keeps the
        # footnotes it took: it is the first row of the next page.
        row = None if end.continues else _row_of(layout, following)
    if row is not None:
        # Any cell of the row may be the culprit: keep the row whole and make its
        # cells unsplittable, so that no "orphans" report happens in them.
        selector = layout.selector(row)
        _add(fixes, selector, 'break-inside', 'avoid')
        _add(fixes, f'{selector} > td, {selector} > th', 'orphans', '99')
    elif end.continues and end.lines <= end.orphans:
        selector = layout.selector(end.block)
        old = int(fixes.get(selector, {}).get('orphans', 0))
        _add(fixes, selector, 'orphans', str(max(end.lines + 1, old)))


def _add(fixes, selector, prop, value):
    fixes.setdefault(selector, {})[prop] = value
