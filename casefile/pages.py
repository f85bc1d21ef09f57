"""What a WeasyPrint layout says about each page: the block that starts it, whether a rule
broke the page before it, its named page, its anchors and bookmarks.

Read from WeasyPrint's page boxes (private API: WeasyPrint is pinned). Units are the blocks
pieces.py numbers with `data-cfu`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORCED = frozenset({"page", "left", "right", "recto", "verso"})


@dataclass
class PageFacts:
    """What a layout says about one page."""

    start: int | None
    """The unit that starts this page cleanly (it is on no earlier page), or None."""
    forced: bool
    """The break before this page is a rule's (`break-before: page`), not for lack of room."""
    name: str
    """The page's named page (`cover`, `annex`, `rtl`): the furniture sheet repeats it."""
    width: float
    height: float
    anchors: dict[str, list[float]] = field(default_factory=dict)
    """Ids on this page and their (x, y) in CSS px from the top left."""
    bookmarks: list[list[Any]] = field(default_factory=list)
    """(level, label, y) of each bookmark on this page."""
    margins: str = ""
    """The text of the page's margin boxes (running header, footer, edition marks)."""


def page_facts(document: Any) -> list[PageFacts]:
    """The facts of every page of a laid-out WeasyPrint document (read from its page boxes)."""
    facts: list[PageFacts] = []
    previous_units: set[int] = set()
    previous_after = False
    for page in document.pages:
        box = page._page_box
        chains = list(_unit_chains(box))
        units = {_unit(chain[-1].element) for chain in chains}
        start, forced = None, previous_after
        if chains and _unit(chains[0][-1].element) not in previous_units:
            start = _unit(chains[0][-1].element)
            forced = forced or any(b.style["break_before"] in FORCED for b in chains[0]
                                   if _units_of(b.element)[0] == start)
        if chains:
            last = _unit(chains[-1][-1].element)
            previous_after = any(b.style["break_after"] in FORCED for b in chains[-1]
                                 if _units_of(b.element)[-1] == last)
        else:
            previous_after = False
        previous_units = units
        facts.append(PageFacts(
            start=start, forced=bool(forced), name=box.page_type.name or "",
            width=page.width, height=page.height,
            anchors={name: [x, y] for name, (x, y, _, _) in page.anchors.items()},
            bookmarks=[[level, label, position[1]] for level, label, position, _ in page.bookmarks],
            margins=_margin_text(box)))
    return facts


def _margin_text(page_box: Any) -> str:
    from weasyprint.formatting_structure import boxes

    return "\n".join(" ".join(d.text for d in child.descendants() if isinstance(d, boxes.TextBox))
                     for child in page_box.children if isinstance(child, boxes.MarginBox))


def _unit(element: Any) -> int:
    return int(element.get("data-cfu"))


def _units_of(element: Any) -> list[int]:
    return [int(e.get("data-cfu")) for e in element.iter() if e.get("data-cfu") is not None] or [-1]


def _unit_chains(page_box: Any) -> Any:
    """Each unit's box on the page, in order, as the list of boxes from the top (the footnote
    area and the margin boxes left out)."""
    from weasyprint.formatting_structure import boxes

    stack = [[child] for child in reversed(page_box.children)
             if not isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox))]
    while stack:
        chain = stack.pop()
        element = getattr(chain[-1], "element", None)
        if element is not None and element.get("data-cfu") is not None and chain[-1].element_tag == element.tag:
            yield chain
            continue
        for child in reversed(getattr(chain[-1], "children", None) or []):
            stack.append([*chain, child])
