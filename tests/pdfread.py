"""Reading built PDFs back for the end-to-end tests: text, outline, metadata, fonts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pypdf import PdfReader


def page_texts(path: Path) -> list[str]:
    """The extracted text of each page."""
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def full_text(path: Path) -> str:
    """All text, with line breaks folded into spaces (words split across lines rejoin)."""
    return " ".join(" ".join(page_texts(path)).split())


def outline(items: list[Any], depth: int = 0) -> Iterator[tuple[int, str]]:
    """(depth, title) for every bookmark."""
    for item in items:
        if isinstance(item, list):
            yield from outline(item, depth + 1)
        else:
            yield depth, item.title


def bookmarks(path: Path) -> list[tuple[int, str]]:
    """The document outline as (depth, title) pairs."""
    return list(outline(PdfReader(path).outline))


def fonts(path: Path) -> dict[str, bool]:
    """Every font used on any page, by base name, and whether its program is embedded."""
    found: dict[str, bool] = {}
    for page in PdfReader(path).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = embedded
    return found


def language(path: Path) -> str:
    """The document language (/Lang of the catalogue)."""
    return str(PdfReader(path).trailer["/Root"].get("/Lang", ""))
