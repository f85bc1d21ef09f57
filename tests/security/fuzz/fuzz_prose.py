"""Fuzz the prose markup parser with atheris (libFuzzer).

Each input is decoded as UTF-8 text and parsed (`parse_prose`, `references`, `plain_text`), then
turned into HTML through a stand-in for the resolve stage's reference renderer. Besides not
raising, the HTML must hold no markup from the input: every tag in it is one the parser or the
renderer wrote, and every `<` of the input is escaped.

    python tests/security/fuzz/fuzz_prose.py -max_total_time=60 /tmp/new tests/security/corpus/prose
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["casefile.prose"]):
    from markupsafe import Markup

    from casefile.prose import parse_prose, plain_text, references, to_html

# What the parser and the renderer below write; anything else came from the input.
ALLOWED_TAG = re.compile(r"</?(em|strong|span)( class=\"(cite|figure|name|fn-sep)\")?>")


class Renderer:
    """A reference renderer that, like the real one, escapes what it is given."""

    def cite(self, source_id: str, pinpoint: str | None) -> Markup:
        return Markup('<span class="cite">{}{}</span>').format(source_id, pinpoint or "")

    def figure(self, figure_id: str) -> Markup:
        return Markup('<span class="figure">{}</span>').format(figure_id)

    def name(self, ref_id: str) -> Markup:
        return Markup('<span class="name">{}</span>').format(ref_id)


def check_html(html: str) -> None:
    """Every tag is an allowed one."""
    for match in re.finditer(r"<[^>]*>?", html):
        assert ALLOWED_TAG.fullmatch(match.group(0)), (match.group(0), html)


def TestOneInput(data: bytes) -> None:
    text = data.decode("utf-8", "replace")  # the corpus files are plain UTF-8 prose
    for ref in references(text):
        assert ref.raw in text
    blocks = parse_prose(text)
    for block in to_html(blocks, Renderer()):
        parts = [block["html"]] if block["kind"] == "paragraph" else block["items"]
        for part in parts:  # type: ignore[union-attr]
            assert isinstance(part, Markup)
            check_html(str(part))
    flat = plain_text(text)
    assert "\n" not in flat  # one line, for metadata and bookmarks


def main() -> None:
    """Run libFuzzer with the command-line arguments (corpus folders, -max_total_time, ...)."""
    # libFuzzer runs argv[0] again for -merge=1: make that this interpreter and this script.
    atheris.Setup([f"{sys.executable} {Path(__file__).resolve()}", *sys.argv[1:]], TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
