"""Lay out again only the pages around a fix, and splice them into a whole-document layout.

When footnotes.py must lay a document out again to keep a footnote on its call's page, the
fix (a few `!important` rules on the blocks at one page's end) changes nothing before the
page it acts on, and the pagination it shifts settles again within a page or two. So instead
of the whole document, the pages from the last *clean page start* (pieces.py) before the
first misplaced call to the next clean page start after the last one are laid out as a piece,
with the same stylesheets, and put in place of the old ones in the same WeasyPrint
`Document` (`Document.copy` takes pages from several layouts; writing the PDF, with PDF/A,
tags, bookmarks and links, then treats them as one document).

The splice is used only when it provably changes nothing else: the piece must end exactly
where the old pages did (the next piece starts a fresh page at the same unit), on the same
number of pages, with every anchor whose page number is printed on the page it was on (so the
contents and "page X of Y" stay right), with the same running header and footer text on every
page (the piece restates the strings of the built-in templates; a template of one's own that
sets them otherwise falls back here), and it must hold no page reference of its own.
Otherwise the caller lays the whole document out again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from casefile.i18n import in_digits
from casefile.pages import PageFacts, page_facts
from casefile.pieces import Footer, Skeleton

log = logging.getLogger(__name__)

LOOKAHEAD_UNITS = 6
SETTLE_PAGES = 8
"""Pages after the last misplaced call laid out again, within which pagination must settle."""
MAX_SHARE = 0.5
"""Beyond this share of the document to lay out again, a whole layout is cheaper."""


def relayout_pages(document: Any, skeleton: Skeleton, pages: list[int],
                   lay_out: Callable[[str], Any], numbering: str = "default") -> Any | None:
    """`document` with the pages around `pages` (0-based: the pages of the misplaced calls and
    bodies) laid out again by `lay_out(html)`, or None when a splice cannot be shown to equal
    a whole layout. Pages far apart make pieces of their own."""
    facts = page_facts(document)
    total = _dossier_pages(document, facts)
    footer_total = in_digits(str(total), numbering)
    starts = [i for i, f in enumerate(facts) if f.start is not None and i > 0]
    ranges = []
    for first, last in _clusters(sorted(set(pages))):
        begin = max((i for i in starts if (not ranges or ranges[-1][2] <= i) and i <= first), default=None)
        if begin is None:
            return None
        ranges.append((begin, last, min((i for i in starts if i > last + SETTLE_PAGES), default=len(facts))))
    if sum(end - begin for begin, _, end in ranges) > MAX_SHARE * len(facts):
        return None  # most of the document: one whole layout costs less
    result = list(document.pages)
    done = 0  # pages before this one are settled
    for begin, last, end in ranges:
        if begin < done:
            return None
        replaced = _relayout_range(skeleton, facts, begin, last, end, lay_out, footer_total)
        if replaced is None:
            return None
        done = begin + len(replaced)
        result[begin:done] = replaced
    return document.copy(result)


def _clusters(pages: list[int]) -> list[tuple[int, int]]:
    """Runs of pages close enough to be laid out again together."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page - runs[-1][1] <= SETTLE_PAGES:
            runs[-1][1] = page
        else:
            runs.append([page, page])
    return [(a, b) for a, b in runs]


def _relayout_range(skeleton: Skeleton, facts: list[PageFacts], begin: int, last: int, end: int,
                    lay_out: Callable[[str], Any], footer_total: str) -> list[Any] | None:
    """The pages from `begin` laid out again, up to the first old page start after `last`
    (the last page the fix is about) that the new layout has on the same page, before `end`."""
    units = len(skeleton.units)
    start_unit = facts[begin].start
    end_unit = facts[end].start if end < len(facts) else units
    ahead = min(units, end_unit + LOOKAHEAD_UNITS) if end < len(facts) else units
    if skeleton.numbers_in(start_unit, ahead, {}):
        return None  # it prints page numbers of other pages: leave it to a whole layout
    html = skeleton.piece_html(start_unit, ahead, forced=facts[begin].forced, numbers={},
                               footer=Footer(begin, footer_total), lead_element=False)
    piece = lay_out(html)
    new = page_facts(piece)[1:]  # the lead page goes
    # The first old page start that the new layout has too, on the same page: from there on
    # both layouts are the same, so the old pages stay.
    settled = [j for j in range(max(begin + 1, last + 1), end + 1)
               if j - begin < len(new) and (j == len(facts) or (new[j - begin].start == facts[j].start
                                                                and facts[j].start is not None))]
    if end == len(facts) and len(new) != end - begin:
        settled = [j for j in settled if j < end]
    cut = settled[0] if settled else None
    if cut is None or not _printed_anchors_stay(skeleton, facts[begin:cut], new[:cut - begin]) \
            or [f.margins for f in facts[begin:cut]] != [f.margins for f in new[:cut - begin]]:
        log.info("footnotes: pages %d-%d laid out again did not settle back into place; "
                 "laying out the whole document", begin + 1, end)
        log.debug("old page starts %s, new %s", [f.start for f in facts[begin:end + 1]], [f.start for f in new])
        return None
    log.info("footnotes: pages %d-%d laid out again and spliced in", begin + 1, cut)
    return list(piece.pages[1:1 + cut - begin])


def _printed_anchors_stay(skeleton: Skeleton, old: list[PageFacts], new: list[PageFacts]) -> bool:
    """Every anchor whose page number is printed somewhere (the contents, the index of
    exhibits, the footer's total) is on the same page among the new pages. Other anchors may
    move: links and bookmarks are made from the pages when the PDF is written."""
    printed = {r.target for r in skeleton.pagerefs} | {"dossier-end"}
    for before, after in zip(old, new):
        if not (set(before.anchors) & printed) <= set(after.anchors):
            return False
    return True


def _dossier_pages(document: Any, facts: list[PageFacts]) -> int:
    """The total the footer prints: the page of `#dossier-end` (base.html), else the last page."""
    for n, f in enumerate(facts, 1):
        if "dossier-end" in f.anchors:
            return n
    return len(document.pages)
