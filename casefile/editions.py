"""What sets a confidential edition apart on paper: a mark on every page and in the metadata.

The mark is the English word CONFIDENTIAL, which every court registry reads, followed by the
document language's own word. It is printed in the bottom corners of every page, cover
included, by a stylesheet the renderer adds to whatever the template says (a user template
cannot drop it), and it ends the PDF title and starts its keywords (resolve.py puts it in
`meta`). A public edition carries no mark: the redaction is its difference.
"""

from __future__ import annotations

from casefile.i18n import translator

MARK = "CONFIDENTIAL"
_COLOUR = "#b00000"


def edition_mark(edition: str, lang: str) -> str:
    """"CONFIDENTIAL" (with the language's word after it) for a confidential edition, else ""."""
    if edition != "confidential":
        return ""
    local = translator(lang).gettext("Confidential").upper()
    return MARK if local == MARK else f"{MARK} · {local}"


def edition_css(edition: str, lang: str) -> str:
    """A stylesheet printing the edition mark in the bottom corners of every page."""
    from casefile.resolve import css_string

    mark = edition_mark(edition, lang)
    if not mark:
        return ""
    box = (f"content: {css_string(mark)} !important; color: {_COLOUR} !important; font-weight: 700 !important; "
           "font-size: 8pt !important; letter-spacing: 0.08em; vertical-align: middle; white-space: nowrap;")
    return f"\n@page {{ @bottom-left {{ {box} text-align: left; }} @bottom-right {{ {box} text-align: right; }} }}\n"
