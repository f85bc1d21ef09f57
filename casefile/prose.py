"""The prose markup of case files: paragraphs, emphasis, bullet lists and references.

Parsing gives a small tree of plain dataclasses; `to_html` turns it into escaped HTML through a
`ReferenceRenderer` that the resolve stage supplies (it knows the document language, the
footnote style and the annex numbers). Nothing in the input is ever treated as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from markupsafe import Markup, escape

# [@source], [@source, p. 4], [#figure], [=party-or-person]
REFERENCE = re.compile(r"\[(?P<sigil>[@#=])(?P<id>[^\]\s,]+)(?:,\s*(?P<pinpoint>[^\]]*?))?\s*\]")
_INLINE = re.compile(r"\*\*(?P<strong>.+?)\*\*|\*(?P<em>[^*\s](?:[^*]*[^*\s])?)\*|" + REFERENCE.pattern)
_BULLET = re.compile(r"^\s*[-•]\s+")


@dataclass(frozen=True)
class Reference:
    """A reference found in prose: kind '@' source, '#' figure, '=' party or person."""

    sigil: str
    id: str
    pinpoint: str | None
    raw: str
    occurrence: int


@dataclass(frozen=True)
class Text:
    """Plain text."""

    text: str


@dataclass(frozen=True)
class Styled:
    """Emphasis ('em') or strong emphasis ('strong') around inline content."""

    style: str
    children: tuple[Inline, ...]


Inline = Text | Styled | Reference


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline content."""

    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class BulletList:
    """A bullet list; each item is inline content."""

    items: tuple[tuple[Inline, ...], ...]


Block = Paragraph | BulletList


def references(text: str) -> list[Reference]:
    """Every reference in `text`, in order, with the occurrence index of its exact spelling."""
    seen: dict[str, int] = {}
    found = []
    for m in REFERENCE.finditer(text):
        raw = m.group(0)
        found.append(Reference(m["sigil"], m["id"], m["pinpoint"] or None, raw, seen.get(raw, 0)))
        seen[raw] = seen.get(raw, 0) + 1
    return found


def parse_prose(text: str) -> list[Block]:
    """Split prose into paragraphs and bullet lists, and parse their inline markup."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", text.strip()):
        blocks.extend(_parse_chunk(chunk))
    return blocks


def _parse_chunk(chunk: str) -> Iterator[Block]:
    lines = [line for line in chunk.splitlines() if line.strip()]
    paragraph: list[str] = []
    items: list[list[str]] = []
    for line in lines:
        if _BULLET.match(line):
            if paragraph:
                yield Paragraph(parse_inline(" ".join(paragraph)))
                paragraph = []
            items.append([_BULLET.sub("", line, count=1)])
        elif items:
            items[-1].append(line.strip())
        else:
            paragraph.append(line.strip())
    if paragraph:
        yield Paragraph(parse_inline(" ".join(paragraph)))
    if items:
        yield BulletList(tuple(parse_inline(" ".join(item)) for item in items))


def parse_inline(text: str) -> tuple[Inline, ...]:
    """Parse emphasis and references in one paragraph or list item."""
    out: list[Inline] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(Text(text[pos:m.start()]))
        if m["strong"] is not None:
            out.append(Styled("strong", parse_inline(m["strong"])))
        elif m["em"] is not None:
            out.append(Styled("em", parse_inline(m["em"])))
        else:
            out.append(Reference(m["sigil"], m["id"], m["pinpoint"] or None, m.group(0), 0))
        pos = m.end()
    if pos < len(text):
        out.append(Text(text[pos:]))
    return tuple(out)


# Between two footnote calls, so that notes 1 and 2 do not read as note 12.
CITATION_SEPARATOR = Markup('<span class="fn-sep">,</span>')


class ReferenceRenderer(Protocol):
    """What the resolve stage supplies to turn references into HTML."""

    def cite(self, source_id: str, pinpoint: str | None) -> Markup:
        """A footnote (or other mark) citing a source."""

    def figure(self, figure_id: str) -> Markup:
        """A figure's value with its qualifier."""

    def name(self, ref_id: str) -> Markup:
        """The name of a party or person."""


def inline_html(inlines: tuple[Inline, ...], refs: ReferenceRenderer) -> Markup:
    """Escaped HTML for inline content."""
    parts: list[Markup] = []
    last_cite = -1
    for index, node in enumerate(inlines):
        if isinstance(node, Text):
            text = node.text
            # A footnote call sits against the word it follows: "family³", not "family ³".
            following = inlines[index + 1] if index + 1 < len(inlines) else None
            if isinstance(following, Reference) and following.sigil == "@":
                text = text.rstrip()
            parts.append(escape(text))
        elif isinstance(node, Styled):
            parts.append(Markup("<{0}>{1}</{0}>").format(Markup(node.style), inline_html(node.children, refs)))
        elif node.sigil == "@":
            if last_cite >= 0 and (last_cite == len(parts) or (last_cite == len(parts) - 1 and not parts[-1].strip())):
                parts.append(CITATION_SEPARATOR)
            parts.append(refs.cite(node.id, node.pinpoint))
            last_cite = len(parts)
        elif node.sigil == "#":
            parts.append(refs.figure(node.id))
        else:
            parts.append(refs.name(node.id))
    return Markup("").join(parts)


def to_html(blocks: list[Block], refs: ReferenceRenderer) -> list[dict[str, object]]:
    """Blocks as plain data for templates: `{"kind": "paragraph", "html": ...}` or a list's items."""
    out: list[dict[str, object]] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append({"kind": "paragraph", "html": inline_html(block.inlines, refs)})
        else:
            out.append({"kind": "list", "items": [inline_html(item, refs) for item in block.items]})
    return out


def plain_text(text: str) -> str:
    """Prose with its markup removed (references by their id), for places that hold no markup."""
    def flatten(inlines: tuple[Inline, ...]) -> str:
        return "".join(n.text if isinstance(n, Text) else flatten(n.children) if isinstance(n, Styled) else n.id
                       for n in inlines)
    return " ".join(flatten(parse_inline(" ".join(text.split()))).split())
