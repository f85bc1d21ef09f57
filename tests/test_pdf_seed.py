"""The golden end-to-end build: the seed case through real WeasyPrint, read back from the PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.pdfread import bookmarks, fonts, full_text, language

pytestmark = pytest.mark.pdf

SHA256 = "c09ebd1b87ac8671a2f1b8a67b706e33ad519d75251760ea7de2712c268856bb"


@pytest.fixture(scope="module")
def request_pdf(seed_build: Path) -> Path:
    return seed_build / "assad-extradition.extradition-request.en.pdf"


@pytest.fixture(scope="module")
def brief_pdf(seed_build: Path) -> Path:
    return seed_build / "assad-extradition.brief.en.pdf"


def test_the_seed_case_builds_both_documents_in_every_language(seed_build: Path) -> None:
    names = sorted(p.name for p in seed_build.glob("*.pdf"))
    assert names == sorted(f"assad-extradition.{t}.{lang}.pdf"
                           for t in ("extradition-request", "brief") for lang in ("en", "ar", "ru"))


def test_the_request_states_every_figure_with_its_qualifier(request_pdf: Path) -> None:
    text = full_text(request_pdf)
    for expected in ("at least 202,000", "at least 15,000", "at least 96,000", "approximately 13 million"):
        assert expected in text


def test_the_request_names_its_legal_bases(request_pdf: Path) -> None:
    text = full_text(request_pdf)
    assert "Rome Statute, art. 7(1)(a)" in text
    assert "1F(a)" in text
    assert "Convention relating to the Status of Refugees (1951)" in text


def test_the_request_footnotes_its_sources_and_lists_the_exhibit_hash(request_pdf: Path) -> None:
    text = full_text(request_pdf)
    assert "SNHR Calls on Russia to Extradite Bashar Assad for Trial in Syria, 11 December 2024, Annex 1." in text
    assert SHA256 in text


def test_the_request_calls_the_crimes_alleged(request_pdf: Path) -> None:
    text = full_text(request_pdf)
    assert "The alleged crimes" in text
    assert "The alleged killing of at least 202,000 Syrian civilians" in text


def test_the_request_has_a_cover_contents_and_page_x_of_y(request_pdf: Path) -> None:
    reader = PdfReader(request_pdf)
    # The annex (the statement) follows the dossier; "page X of Y" counts the dossier's own pages.
    total = reader.get_destination_page_number(reader.named_destinations["annex-1"])
    first = reader.pages[0].extract_text()
    assert "REQUEST FOR EXTRADITION" in first
    assert "Page" not in first  # the cover carries no running footer
    assert "Contents" in reader.pages[1].extract_text()
    for number, page in enumerate(reader.pages[1:total], start=2):
        assert f"Page {number} of {total}" in page.extract_text()
    assert "SNHR-000001" in reader.pages[total].extract_text()


def test_bookmarks_follow_the_section_headings(request_pdf: Path) -> None:
    marks = bookmarks(request_pdf)
    assert (0, "The request") in marks
    assert (0, "Statement of facts") in marks
    assert (0, "Index of sources and exhibits") in marks
    assert (1, "Arrival of the accused in the Russian Federation") in marks
    assert (1, "Murder as a crime against humanity") in marks
    assert all(title.strip() for _, title in marks)


def test_metadata_names_the_case_the_author_and_the_language(request_pdf: Path) -> None:
    meta = PdfReader(request_pdf).metadata
    assert meta.title == "Request for the extradition of Bashar Assad to stand trial in Syria"
    assert meta.author == "Syrian Network for Human Rights (SNHR)"
    assert meta.subject == "Request for extradition addressed to Russian Federation"
    assert "Bashar Assad" in meta["/Keywords"]
    assert "Murder as a crime against humanity" in meta["/Keywords"]
    assert language(request_pdf) == "en"


def test_every_font_is_embedded(request_pdf: Path, brief_pdf: Path) -> None:
    for pdf in (request_pdf, brief_pdf):
        used = fonts(pdf)
        assert used, "no fonts found"
        assert all(used.values()), used
        assert any("Casefile" in name or "Noto" in name for name in used)


def test_the_brief_fits_on_four_pages_and_lists_its_sources(brief_pdf: Path) -> None:
    reader = PdfReader(brief_pdf)
    assert len(reader.pages) <= 4
    text = full_text(brief_pdf)
    assert "at least 202,000" in text
    assert "SNHR Calls on Russia to Extradite Bashar Assad for Trial in Syria" in text
    assert "Annex" not in text  # the brief lists its sources; it has no annexes


def test_two_builds_give_identical_bytes(seed_build: Path, tmp_path: Path) -> None:
    from casefile.build import BuildOptions, build_cases
    from tests.conftest import SEED

    report = build_cases([SEED], BuildOptions(out=tmp_path, languages=("en",), templates=("brief",)))
    assert not report.failures
    name = "assad-extradition.brief.en.pdf"
    assert (tmp_path / name).read_bytes() == (seed_build / name).read_bytes()
