"""End to end: the fictional referral built once, its annexes read back from the PDF with pypdf."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from casefile.build import BuildOptions, build_cases
from tests.conftest import ROOT
from tests.pdfread import fonts, page_texts

pytestmark = pytest.mark.pdf

VANTORIA = ROOT / "cases" / "vantoria-referral.yaml"
EVIDENCE = ROOT / "cases" / "evidence" / "vantoria"
STAMP = re.compile(r"Annex (\d+) · p\. (\d+) · (VAP-\d{6})")


@pytest.fixture(scope="module")
def referral(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("referral")
    report = build_cases([VANTORIA], BuildOptions(out=out, templates=("prosecution-referral",)))
    assert not report.failures, [str(e) for _, e in report.failures]
    return out / "vantoria-referral.prosecution-referral.en.pdf"


@pytest.fixture(scope="module")
def texts(referral: Path) -> list[str]:
    return page_texts(referral)


@pytest.fixture(scope="module")
def starts(referral: Path) -> dict[int, int]:
    """Annex number -> its first page (1-based), from the PDF's named destinations."""
    reader = PdfReader(referral)
    return {int(name.split("-")[1]): reader.get_destination_page_number(dest) + 1
            for name, dest in reader.named_destinations.items() if re.fullmatch(r"annex-\d+", name)}


def stamps(texts: list[str]) -> dict[int, tuple[int, int, str]]:
    """Page number -> (annex, page printed, Bates number) for every stamped page."""
    found = {}
    for number, text in enumerate(texts, start=1):
        match = STAMP.search(" ".join(text.split()))
        if match:
            found[number] = (int(match[1]), int(match[2]), match[3])
    return found


def test_every_annex_page_carries_a_stamp_with_a_continuous_bates_number(texts: list[str],
                                                                         starts: dict[int, int]) -> None:
    first = min(starts.values())
    stamped = stamps(texts)
    assert sorted(stamped) == list(range(first, len(texts) + 1))
    assert [bates for _, _, bates in stamped.values()] == [f"VAP-{n:06d}" for n in range(1, len(texts) - first + 2)]
    assert all(printed == page for page, (_, printed, _) in stamped.items())
    owners = sorted(starts.items(), key=lambda item: item[1])
    for page, (annex, _, _) in stamped.items():
        assert annex == max((n for n, start in owners if start <= page), key=lambda n: starts[n])


def test_the_index_gives_the_pages_where_each_annex_starts_and_ends(texts: list[str], starts: dict[int, int]) -> None:
    index = next(t for t in texts if "Index of sources and exhibits" in t and "SHA-256" in t)
    ranges = [(int(a), int(b)) for a, b in re.findall(r"\b(\d+)\u2013(\d+)\b", index)]
    # The index lists the exhibits in annex order, then the sources that are not annexed.
    ends = {n: min([s for s in starts.values() if s > start], default=len(texts) + 1) - 1
            for n, start in starts.items()}
    assert ranges == [(starts[n], ends[n]) for n in (1, 2, 3, 4)]
    assert starts == {1: starts[1], 2: starts[1] + 2, 3: starts[1] + 5, 4: starts[1] + 7}


def test_the_dossier_pages_count_only_themselves_in_page_x_of_y(texts: list[str], starts: dict[int, int]) -> None:
    dossier = min(starts.values()) - 1
    for number, text in enumerate(texts[1:dossier], start=2):
        assert f"Page {number} of {dossier}" in text
    assert not any("Page " in t and f" of {dossier}" in t for t in texts[dossier:])


def test_a_pdf_exhibit_is_appended_page_for_page_with_its_own_text(texts: list[str], starts: dict[int, int]) -> None:
    first, second = texts[starts[2]], texts[starts[2] + 1]  # the two pages after Annex 2's cover sheet
    assert "Kessel Detention Facility · Intake register (extract)" in first
    assert "Intake register (extract), continued" in second


def test_a_pdf_with_fonts_not_embedded_is_annexed_as_page_images_and_attached(referral: Path,
                                                                              starts: dict[int, int]) -> None:
    reader = PdfReader(referral)
    page = reader.pages[starts[1]]  # the page after Annex 1's cover sheet
    assert [round(float(v)) for v in page.mediabox] == [0, 0, 612, 792]  # the exhibit's US Letter size
    assert len(page.images) == 1
    assert "REPUBLIC OF VANTORIA" not in page.extract_text()  # pixels, not text
    attachments = reader.attachments
    assert attachments["annex-1-order-114.pdf"] == [(EVIDENCE / "order-114.pdf").read_bytes()]
    associated = [f.get_object()["/F"] for f in reader.trailer["/Root"]["/AF"]]
    assert associated.count("annex-1-order-114.pdf") == 1
    cover = " ".join(page_texts(referral)[starts[1] - 1].split())
    assert "appended as images of its pages; the original PDF is attached to this file (its fonts are not embedded)" \
        in cover and "annex-1-order-114.pdf" in cover


def test_the_image_and_the_text_exhibits_follow_their_cover_sheets(referral: Path, texts: list[str],
                                                                   starts: dict[int, int]) -> None:
    assert "STATEMENT OF WITNESS W-014" in texts[starts[3]]
    assert len(PdfReader(referral).pages[starts[4]].images) == 1


def test_every_font_in_the_dossier_and_its_annexes_is_embedded(referral: Path) -> None:
    used = fonts(referral)
    assert used and all(used.values()), used


def test_the_matrix_and_the_chart_are_in_the_referral(texts: list[str]) -> None:
    text = " ".join(" ".join(texts).split())
    assert text.count("Evidence matrix") == 3
    assert "No supporting evidence given" in text
    chart = next(t for t in texts if "Q1 2021" in t)
    assert "318" in chart and "Source: Kessel: detention without trial in the Northern Sector" in " ".join(
        chart.split())


def test_two_builds_of_a_case_with_an_annex_give_identical_bytes(write_case, tmp_path: Path) -> None:
    path = write_case()
    outputs = []
    for name in ("one", "two"):
        report = build_cases([path], BuildOptions(out=tmp_path / name, templates=("extradition-request",),
                                                  languages=("en",)))
        assert not report.failures, [str(e) for _, e in report.failures]
        outputs.append((tmp_path / name / "velk-extradition.extradition-request.en.pdf").read_bytes())
    assert outputs[0] == outputs[1]
    texts = page_texts(tmp_path / "one" / "velk-extradition.extradition-request.en.pdf")
    assert "Annex 1 · p." in " ".join(texts[-1].split()) and "LEAGUE-000002" in texts[-1]


_STAMPS = [("Annex 1", "p. 12", "FICT-000001"), ("Annex 1", "p. 13", "FICT-000002"), ("Annex 2", "p. 14", "FICT-000003")]


def _stamp_streams() -> list[bytes]:
    import pikepdf

    from casefile.annex import _stamp_forms

    document = pikepdf.new()
    return [form.read_bytes() for form in _stamp_forms(document, _STAMPS, "en", False, 1736899200)]


@pytest.fixture
def stamp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stamp sheets kept under tmp_path (the fonts stay in the real cache: making them takes seconds)."""
    import casefile.annex
    from casefile.fonts import private_cache_folder

    def under_tmp(*parts: str) -> Path | None:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("CASEFILE_CACHE_DIR", str(tmp_path))
            return private_cache_folder(*parts)

    monkeypatch.setattr(casefile.annex, "private_cache_folder", under_tmp)
    return tmp_path / "stamps"


def test_a_laid_out_stamp_sheet_is_kept_and_stamps_the_same_from_the_cache(
        stamp_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import casefile.pdf

    first = _stamp_streams()
    (kept,) = stamp_cache.glob("*.pdf")
    with monkeypatch.context() as patch:
        patch.setattr(casefile.pdf, "render_pdf", lambda *a, **k: pytest.fail("laid out again"))
        assert _stamp_streams() == first
    kept.write_bytes(b"%PDF-1.7 damaged")  # a damaged sheet is laid out again, and kept anew
    assert _stamp_streams() == first and kept.read_bytes().startswith(b"%PDF") and len(kept.read_bytes()) > 1000


def test_stamp_sheets_are_not_read_from_a_folder_others_can_write_to(stamp_cache: Path) -> None:
    import pikepdf

    first = _stamp_streams()
    (kept,) = stamp_cache.glob("*.pdf")
    planted = pikepdf.new()  # a valid sheet of blank stamps, one for each
    for _ in _STAMPS:
        planted.add_blank_page()
    planted.save(kept)
    planted_bytes = kept.read_bytes()
    stamp_cache.chmod(0o777)
    assert _stamp_streams() == first
    assert kept.read_bytes() == planted_bytes  # neither read nor written
