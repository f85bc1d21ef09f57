"""A footnote repair that lays out again only the pages around the fix (splice.py) gives the
filing copy a whole second layout would give: the same words and pixels on every page, the
same bookmarks, links, tags and metadata."""

from __future__ import annotations

import logging
from pathlib import Path

import pikepdf
import pytest

from tests.conftest import logged
from tests.test_draft import _synthetic_case, differing_pages, link_targets, outline_pages, page_words

pytestmark = pytest.mark.pdf


def _structure(path: Path) -> list[str]:
    """The structure tree's element types, depth first."""
    with pikepdf.open(path) as pdf:
        found, stack = [], [pdf.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            if "/S" in element:
                found.append(str(element.S))
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            stack += [k for k in reversed(kids) if isinstance(k, pikepdf.Dictionary) and "/Type" not in k
                      or isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/StructElem"]
        return found


@pytest.fixture(scope="module")
def repaired(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The 20-page synthetic request (23 pages), rendered with a spliced repair and with a whole
    second layout. Laid out by WeasyPrint as released (renderer_fixes.py not applied), its first
    layout puts one footnote body a page late, which is what the repair is for."""
    from casefile import renderer_fixes
    from casefile.build import BuildOptions, _epoch, plan_documents
    from casefile.checks import check_case
    from casefile.editions import edition_css
    from casefile.fonts import font_files
    from casefile.pdf import FetchPolicy, render_pdf
    from casefile.render import render_html
    from casefile.resolve import resolve_document

    folder = tmp_path_factory.mktemp("splice")
    checked = check_case(_synthetic_case(folder, pages=20))
    job = next(j for j in plan_documents(checked, BuildOptions(templates=("extradition-request",), languages=("en",))))
    html = render_html(job.template, resolve_document(checked, "en", edition=job.edition))
    roots = [checked.folder, *job.template.search_path, *sorted({f.parent for f in font_files()})]
    paths = {}
    with logged("casefile.splice", logging.INFO) as records, pytest.MonkeyPatch.context() as env:
        env.setenv(renderer_fixes.AS_RELEASED_ENV, "1")
        for splice in (True, False):
            pdf = render_pdf(html, base_url=str(job.template.search_path[0]) + "/", policy=FetchPolicy(roots),
                             source_date_epoch=_epoch(checked.case.date.as_date()), pdf_variant="pdf/a-3b",
                             pdf_tags=True, extra_css=edition_css(job.edition, "en"), splice_repairs=splice)
            paths[splice] = folder / f"{'spliced' if splice else 'whole'}.pdf"
            paths[splice].write_bytes(pdf)
    return {"spliced": paths[True], "whole": paths[False], "log": [r.getMessage() for r in records]}


def test_the_repair_was_spliced(repaired: dict) -> None:
    spliced = [line for line in repaired["log"] if "spliced in" in line]
    assert len(spliced) == 1 and "whole document" not in " ".join(repaired["log"]), repaired["log"]


def test_same_words_and_pixels_on_every_page(repaired: dict, tmp_path: Path) -> None:
    spliced, whole = page_words(repaired["spliced"]), page_words(repaired["whole"])
    assert len(spliced) == len(whole) >= 20
    assert [n for n, (a, b) in enumerate(zip(spliced, whole), 1) if a != b] == []
    assert differing_pages(repaired["whole"], repaired["spliced"], tmp_path) == []


def test_same_bookmarks_links_and_structure(repaired: dict) -> None:
    assert outline_pages(repaired["spliced"]) == outline_pages(repaired["whole"])
    assert link_targets(repaired["spliced"]) == link_targets(repaired["whole"])
    assert _structure(repaired["spliced"]) == _structure(repaired["whole"])
    assert len(_structure(repaired["whole"])) > 500


def test_same_metadata(repaired: dict) -> None:
    with pikepdf.open(repaired["spliced"]) as a, pikepdf.open(repaired["whole"]) as b:
        assert dict(a.docinfo.items()) == dict(b.docinfo.items())
        assert str(a.open_metadata()) == str(b.open_metadata())
