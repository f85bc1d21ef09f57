"""Exhibits: the sources with a file, their annex numbers, and what their files are.

Annex numbers belong to the case, not to one document: sources are numbered in the order in
which the case file first refers to them, reading from top to bottom, so a source is Annex 3
in every document built from the case. Exhibits never referred to follow, in source order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from casefile.checks import CheckedCase

# Recognised by content, not by name: a renamed file is still what its bytes say.
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


@dataclass(frozen=True)
class Exhibit:
    """A source annexed to the dossier."""

    source_id: str
    number: int
    label: str
    path: Path
    size: int
    media_type: str


def media_type(path: Path) -> str:
    """The media type of a file judged by its first bytes: PDF, PNG, JPEG, plain text, or unknown."""
    with open(path, "rb") as handle:
        head = handle.read(8192)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the sample is still text.
        if e.start < len(head) - 4:
            return "application/octet-stream"
    return "application/octet-stream" if b"\x00" in head else "text/plain"


def annex_order(checked: CheckedCase, label: Callable[[int], str]) -> list[Exhibit]:
    """The case's exhibits with their annex numbers, in annex order."""
    with_files = [s for s in checked.case.sources if s.file]
    position = {s.id: i for i, s in enumerate(with_files)}
    ordered = sorted(with_files, key=lambda s: (checked.first_cited.get(s.id, (1 << 30, 0)), position[s.id]))
    exhibits = []
    for number, source in enumerate(ordered, start=1):
        assert source.file is not None
        path = checked.folder / source.file
        exhibits.append(Exhibit(source.id, number, label(number), path, path.stat().st_size, media_type(path)))
    return exhibits

