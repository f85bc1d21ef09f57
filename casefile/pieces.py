"""Split a document's HTML into pieces that WeasyPrint can lay out on their own.

A *unit* is a block that is never split here: a paragraph, a heading, a table, a list, the
contents. Containers (`main`, `section`, `div`) that hold only blocks are opened, so a piece
may start inside a section. A piece is the run of units `[start, end)`; it is laid out as a
document of its own, and its pages equal those of a whole-document layout when the
whole-document layout starts a page with unit `start` (a *clean page start*): WeasyPrint
paginates greedily, so what follows a page break depends only on what comes after it, on the
counters and on the running strings, which the piece is given.

The piece keeps the whole tree's shape, so that `:first-child`, `+` and `:nth-child`
selectors match as before: units outside the piece are emptied and hidden, not removed.
Whatever the whole layout would carry across the break is restated in a *lead* page that is
laid out first and then dropped: the running strings (the title and classification of the
header) and an anchor for every link that points outside the piece, so WeasyPrint resolves it
(the join points it at the real target). Counters (paragraph and footnote numbers, section
numerals) are reset to their value at the break, and the page-top margins that the whole
layout drops after an unforced break are dropped here too.

Nothing here imports WeasyPrint; `draft.py` lays the pieces out and joins them.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

UNIT_ATTR = "data-cfu"
CONTAINERS = frozenset({"body", "main", "section", "div", "article", "header", "footer", "aside"})
BLOCKS = CONTAINERS | frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "nav",
                                 "figure", "pre", "blockquote", "hr", "address"})
# Elements whose `string-set` feeds the running header (dossier.css): the lead page repeats
# the last of each kind seen before the piece.
STRING_SETTERS = ("cover-classification", "brief-classification", "cover-title", "brief-title")
STRING_NAMES = {"classification": "classification", "title": "casetitle"}

PIECE_CSS = """
.cf-out { display: none !important; }
.cf-lead { break-after: page !important; height: 1px !important; overflow: hidden !important; }
.cf-cont { margin-top: 0 !important; padding-top: 0 !important; border-top-width: 0 !important; }
.cf-top { margin-top: 0 !important; }
"""
"""The stylesheet of every piece (in its head: `!important` beats the template's rules)."""
NO_FOOTER_CSS = "@page { @bottom-center { content: none !important; } }"
# What "page X of Y" counts to in a template's footer: the piece is told the total instead.
_TOTAL_PAGES = re.compile(r"target-counter\(\s*url\(\s*#dossier-end\s*\)\s*,\s*page\s*(,\s*[\w-]+\s*)?\)"
                          r"|counter\(\s*pages\s*(,\s*[\w-]+\s*)?\)")


@dataclass(frozen=True)
class Footer:
    """The page footer of a piece laid out with its pages' own numbers: the page before the
    piece's first, and the total the footer prints (already formatted)."""

    page_before: int
    total: str


@dataclass(frozen=True)
class Counters:
    """CSS counter values before a unit (dossier.css: `para`, `footnote`, `section`)."""

    para: int = 0
    footnote: int = 0
    section: int = 0


@dataclass(frozen=True)
class PageRef:
    """A link whose text is the page number of its target (contents, index of exhibits)."""

    unit: int
    target: str
    leader: bool
    """True in the contents: dots lead to the number."""


@dataclass
class Skeleton:
    """A document's HTML parsed once, its units numbered, with what each piece needs."""

    root: etree._Element
    units: list[etree._Element]
    digests: list[str]
    counters: list[Counters]
    anchors: dict[str, int] = field(default_factory=dict)
    """Each id to the unit holding it (ids on containers: their first unit)."""
    links: list[set[str]] = field(default_factory=list)
    """The internal targets each unit links to."""
    pagerefs: list[PageRef] = field(default_factory=list)
    _strings: list[dict[str, etree._Element]] = field(default_factory=list, repr=False)

    @property
    def html(self) -> str:
        """The whole document, units marked (laid out in one piece)."""
        return serialise(self.root)

    def numbers_in(self, start: int, end: int, numbers: dict[str, str]) -> dict[str, str]:
        """The page numbers that the page references in units `[start, end)` print, taken from
        `numbers` (a target it lacks prints "0" until it is known)."""
        return {r.target: numbers.get(r.target, "0") for r in self.pagerefs if start <= r.unit < end}

    def piece_digest(self, start: int, end: int, forced: bool, numbers: dict[str, str]) -> str:
        """What a piece's pages depend on: its units, where they sit, the counters, the numbers
        it prints for links to other pages."""
        h = hashlib.sha256()
        for i in range(start, end):
            h.update(self.digests[i].encode())
        h.update(repr((self.counters[start] if start < len(self.units) else None, forced,
                       self._context(start), sorted(numbers.items()))).encode())
        return h.hexdigest()

    def _context(self, start: int) -> str:
        """The opening tags of the containers around unit `start` and the running strings."""
        if start >= len(self.units):
            return ""
        chain = [f"{e.tag}{sorted(e.attrib.items())}" for e in self.units[start].iterancestors()]
        return "|".join(chain) + "|" + "|".join(etree.tostring(e, encoding="unicode")
                                                for e in self._strings_before(start))

    def _strings_before(self, start: int) -> list[etree._Element]:
        return list(self._string_values(start).values())

    def _string_values(self, start: int) -> dict[str, etree._Element]:
        """The last element before unit `start` that sets each running string (`casetitle`,
        `classification`)."""
        if not self._strings:  # once per document: every piece asks
            last: dict[str, etree._Element] = {}
            for unit in self.units:
                self._strings.append(last)
                found = {STRING_NAMES[name.split("-")[1]]: element for element in unit.iter()
                         for name in STRING_SETTERS if name in (element.get("class") or "").split()}
                if found:
                    last = {**last, **found}
            self._strings.append(last)
        return self._strings[min(start, len(self.units))]

    def piece_html(self, start: int, end: int, *, forced: bool, numbers: dict[str, str],
                   footer: Footer | None = None, lead_element: bool = True) -> str:
        """The HTML of the piece `[start, end)`; `forced` says whether the whole layout breaks
        the page before `start` by a rule (then the page-top margins stay), `numbers` gives the
        text of every page reference in the piece.

        Without `footer` the piece has no page footer (a draft draws it after the join); with
        it, the footer numbers the pages as the whole document does. The lead page is a
        `div` before the body's first child, which also holds an anchor for each link out of
        the piece; with `lead_element=False` it is the body's `::before` (the body's children
        keep their places, so selectors made for the whole document, such as
        `body > :nth-child(3)`, still match; links out of the piece are then left to the
        caller)."""
        keep = set(range(start, end))
        root = copy.deepcopy(self.root)
        units = {int(e.get(UNIT_ATTR)): e for e in root.iter() if e.get(UNIT_ATTR) is not None}
        body = root.find("body")
        inside: set[etree._Element] = set()
        for i in keep:
            inside.update(units[i].iterancestors())
        kept = {units[i] for i in keep}
        for container in [body, *(c for c in inside if c is not body and c.tag != "html")]:
            for child in container:
                if isinstance(child.tag, str) and child not in inside and child not in kept \
                        and child.tag not in ("script", "style"):
                    _hide(child)
        if start < len(self.units):
            first = units[start]
            for ancestor, original in zip(first.iterancestors(), self.units[start].iterancestors()):
                if ancestor is body:
                    break
                if _first_unit_of(original) < start:
                    _add_class(ancestor, "cf-cont")
                elif not forced:
                    _add_class(ancestor, "cf-top")
            if not forced:
                for element in _first_chain(first):
                    _add_class(element, "cf-top")
        css = [PIECE_CSS, self._counter_css(start)]
        for n, ref in enumerate(r for r in self.pagerefs if start <= r.unit < end):
            link = next(e for e in units[ref.unit].iter("a") if e.get("href") == "#" + ref.target
                        and not e.get("data-cfr"))
            link.set("data-cfr", str(n))
            text = numbers.get(ref.target, "0").replace('"', "")
            lead_dots = 'leader(".") ' if ref.leader else ""
            css.append(f'a[data-cfr="{n}"]::after {{ content: {lead_dots}"{text}" !important; }}')
        if footer is None:
            css.append(NO_FOOTER_CSS)
        else:
            css.append(f"@page :first {{ counter-set: page {footer.page_before}; }}")
            total = '"' + footer.total.replace('"', "") + '"'
            for style in root.find("head").iter("style"):
                style.text = _TOTAL_PAGES.sub(total, style.text or "")
        strings = self._strings_before(start)
        if lead_element:
            lead = etree.Element("div", {"class": "cf-lead"})
            for element in strings:
                copied = copy.deepcopy(element)
                for e in copied.iter():
                    e.attrib.pop("id", None)
                lead.append(copied)
            present = {e.get("id") for e in root.iter() if e.get("id")}
            linked = set().union(*(self.links[i] for i in keep)) if keep else set()
            for target in sorted(linked - present):  # WeasyPrint would drop the link: the join re-aims it
                lead.append(etree.Element("a", {"id": target}))
            body.insert(0, lead)
        else:
            sets = ", ".join(f"{name} {_css_string(' '.join(''.join(e.itertext()).split()))}"
                             for name, e in self._string_values(start).items())
            css.append("body::before { content: ''; display: block; height: 1px; break-after: page; }")
            if sets:  # literal strings, set where the body starts: on the lead page
                css.append(f"body {{ string-set: {sets} !important; }}")
        style = etree.SubElement(root.find("head"), "style")
        style.text = "\n".join(css)
        return serialise(root)

    def _counter_css(self, start: int) -> str:
        c = self.counters[start] if start < len(self.units) else self.counters[-1]
        return (f"body {{ counter-reset: para {c.para} footnote {c.footnote} !important; }}\n"
                f"main {{ counter-reset: section {c.section} !important; }}")

def parse(html: str) -> Skeleton:
    """Parse a document's HTML and number its units."""
    root = lxml.html.document_fromstring(html)
    body = root.find("body")
    units: list[etree._Element] = []
    _collect_units(body, units)
    # Digests first: a unit's number is where it is, not what it is.
    digests = [hashlib.sha256(etree.tostring(u, encoding="unicode", with_tail=False).encode()).hexdigest()
               for u in units]
    for i, unit in enumerate(units):
        unit.set(UNIT_ATTR, str(i))
    counters: list[Counters] = []
    links: list[set[str]] = []
    running = Counters()
    skeleton = Skeleton(root, units, digests, counters, links=links)
    for i, unit in enumerate(units):
        counters.append(running)
        para = sum(1 for e in unit.iter("p") if "para" in (e.get("class") or "").split())
        notes = sum(1 for e in unit.iter() if "footnote" in (e.get("class") or "").split())
        sections = 1 if unit.tag == "h2" and any(a.tag == "main" for a in unit.iterancestors()) else 0
        running = Counters(running.para + para, running.footnote + notes, running.section + sections)
        targets = set()
        for a in unit.iter("a"):
            href = a.get("href") or ""
            if href.startswith("#") and len(href) > 1:
                targets.add(href[1:])
                classes = (a.get("class") or "").split()
                in_toc = any(x.tag == "nav" and "toc" in (x.get("class") or "").split()
                             for x in a.iterancestors())
                if "pageref" in classes or in_toc:
                    skeleton.pagerefs.append(PageRef(i, href[1:], leader=in_toc))
        links.append(targets)
        for element in unit.iter():
            if element.get("id"):
                skeleton.anchors.setdefault(element.get("id"), i)
        for ancestor in unit.iterancestors():
            if ancestor.get("id"):
                skeleton.anchors.setdefault(ancestor.get("id"), i)
    counters.append(running)  # after the last unit
    return skeleton


def _first_unit_of(container: etree._Element) -> int:
    for element in container.iter():
        if element.get(UNIT_ATTR) is not None:
            return int(element.get(UNIT_ATTR))
    return 1 << 30


def _collect_units(container: etree._Element, units: list[etree._Element]) -> None:
    for child in container:
        if not isinstance(child.tag, str):
            continue  # comments
        if child.tag in CONTAINERS and _only_blocks(child):
            _collect_units(child, units)
        elif child.tag not in ("script", "style"):
            units.append(child)


def _only_blocks(element: etree._Element) -> bool:
    """A container that holds blocks and nothing else (no text, no inline element)."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children or (element.text or "").strip():
        return False
    return all(c.tag in BLOCKS and not (c.tail or "").strip() for c in children)


def _hide(element: etree._Element) -> None:
    for child in list(element):
        element.remove(child)
    element.text = None
    for name in [n for n in element.attrib if n not in ("class",)]:
        del element.attrib[name]
    _add_class(element, "cf-out")


def _add_class(element: etree._Element, name: str) -> None:
    element.set("class", " ".join([*(element.get("class") or "").split(), name]))


def _first_chain(element: etree._Element) -> list[etree._Element]:
    """The element and its first block descendants: those whose top margin a page top drops."""
    chain = [element]
    while True:
        children = [c for c in chain[-1] if isinstance(c.tag, str)]
        if not children or (chain[-1].text or "").strip() or children[0].tag not in BLOCKS | {"li", "tr", "tbody", "thead", "caption"}:
            return chain
        chain.append(children[0])


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def serialise(root: etree._Element) -> str:
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
