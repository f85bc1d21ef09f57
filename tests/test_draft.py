"""Drafts laid out in pieces (pieces.py, draft.py): how a document is cut, what a piece
carries across its first page break, and, end to end, that a joined draft shows the very pages
of a whole-document layout, before and after an edit that lays out one piece again."""

from __future__ import annotations

import importlib.util
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from lxml import html as lxml_html

from casefile.draft import DraftState, PageFacts, Piece, _gaps, _kept_pieces
from casefile.pieces import parse
from tests.conftest import logged

ROOT = Path(__file__).resolve().parents[1]

DOC = """<!DOCTYPE html><html><head><title>t</title></head><body>
<div class="cover"><p class="cover-title">Fictional title</p></div>
<nav class="toc"><ol><li><a href="#sec-a">A</a></li><li><a href="#sec-b">B</a></li></ol></nav>
<main>
<section class="section" id="sec-a"><h2>A</h2>
<p class="para">One<span class="footnote">n1</span></p>
<p class="para">Two<span class="footnote">n2</span><span class="footnote">n3</span></p>
</section>
<section class="section" id="sec-b"><h2>B</h2>
<p class="para">Three, see <a class="xref" href="#sec-a">A</a></p>
<p class="para">Four</p>
</section>
</main>
<div id="dossier-end"></div>
</body></html>"""


def tags(skeleton) -> list[str]:
    return [f"{u.tag}:{''.join(u.itertext())[:5]}" for u in skeleton.units]


# --------------------------------------------------------------------------- cutting

def test_units_are_the_blocks_inside_containers_that_hold_only_blocks() -> None:
    skeleton = parse(DOC)
    assert tags(skeleton) == ["p:Ficti", "nav:AB", "h2:A", "p:Onen1", "p:Twon2", "h2:B", "p:Three",
                              "p:Four", "div:"]


def test_counters_before_each_unit_count_paragraphs_footnotes_and_sections() -> None:
    skeleton = parse(DOC)
    six = skeleton.counters[6]  # before "Three"
    assert (six.para, six.footnote, six.section) == (2, 3, 2)
    assert skeleton.counters[0] == skeleton.counters[1]
    assert (skeleton.counters[-1].para, skeleton.counters[-1].footnote) == (4, 3)


def test_ids_belong_to_the_unit_that_holds_them_and_a_section_id_to_its_first_unit() -> None:
    skeleton = parse(DOC)
    assert skeleton.anchors["sec-a"] == 2 and skeleton.anchors["sec-b"] == 5
    assert skeleton.anchors["dossier-end"] == 8
    assert [(r.unit, r.target, r.leader) for r in skeleton.pagerefs] == [(1, "sec-a", True), (1, "sec-b", True)]


def piece(skeleton, start: int, end: int, *, forced: bool = False, numbers=None):
    return lxml_html.document_fromstring(skeleton.piece_html(start, end, forced=forced, numbers=numbers or {}))


def test_a_piece_hides_the_units_outside_it_but_keeps_their_places() -> None:
    root = piece(parse(DOC), 6, 8)
    hidden = root.xpath("//*[contains(@class, 'cf-out')]")
    assert [e.tag for e in hidden] == ["div", "nav", "section", "h2", "div"]
    assert all(len(e) == 0 and not (e.text or "").strip() for e in hidden), "hidden elements are emptied"
    kept = [p.text_content() for p in root.xpath("//main//p[not(contains(@class, 'cf-out'))]")]
    assert kept == ["Three, see A", "Four"]
    # "Four" is still its section's third child: structural selectors match as in the whole.
    four = root.xpath("//p[.='Four']")[0]
    assert four.getparent().index(four) == 2


def test_a_piece_starts_its_counters_where_the_whole_document_has_them() -> None:
    style = piece(parse(DOC), 6, 8).xpath("//head/style")[-1].text
    assert "counter-reset: para 2 footnote 3 !important" in style
    assert "counter-reset: section 2 !important" in style


def test_a_section_continued_from_an_earlier_page_loses_its_top_spacing() -> None:
    root = piece(parse(DOC), 6, 8)
    assert "cf-cont" in root.get_element_by_id("sec-b").get("class")
    assert "cf-top" in root.xpath("//p[starts-with(., 'Three')]")[0].get("class")


def test_after_a_forced_break_the_first_unit_keeps_its_top_margin() -> None:
    root = piece(parse(DOC), 5, 8, forced=True)
    assert "cf-top" not in (root.xpath("//h2[.='B']")[0].get("class") or "")
    assert "cf-cont" not in root.get_element_by_id("sec-b").get("class"), "the section starts in this piece"
    assert "cf-top" in piece(parse(DOC), 5, 8).get_element_by_id("sec-b").get("class")


def test_the_lead_page_carries_the_running_title_and_an_anchor_for_each_link_out_of_the_piece() -> None:
    lead = piece(parse(DOC), 6, 8).xpath("//div[@class='cf-lead']")[0]
    assert [e.get("class") for e in lead if e.tag == "p"] == ["cover-title"]
    assert [e.get("id") for e in lead if e.tag == "a"] == ["sec-a"]


def test_page_references_print_the_numbers_given() -> None:
    root = piece(parse(DOC), 1, 2, forced=True, numbers={"sec-a": "3", "sec-b": "٧"})
    style = root.xpath("//head/style")[-1].text
    assert 'a[data-cfr="0"]::after { content: leader(".") "3" !important; }' in style
    assert 'a[data-cfr="1"]::after { content: leader(".") "٧" !important; }' in style
    assert parse(DOC).numbers_in(0, 3, {"sec-a": "3"}) == {"sec-a": "3", "sec-b": "0"}


# --------------------------------------------------------------------------- reuse

def facts(n: int) -> list[PageFacts]:
    return [PageFacts(None, False, "", 794, 1123) for _ in range(n)]


def state_of(skeleton, cuts: list[int]) -> DraftState:
    bounds = [*cuts, len(skeleton.units)]
    pieces = [Piece(a, b, False, skeleton.piece_digest(a, b, False, skeleton.numbers_in(a, b, {})), facts(1),
                    skeleton.numbers_in(a, b, {}), first_page=i) for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    return DraftState(skeleton.digests, pieces)


def test_an_edit_keeps_every_piece_but_the_one_it_touches() -> None:
    old = parse(DOC)
    new = parse(DOC.replace("Four", "Four, amended"))
    kept = _kept_pieces(new, state_of(old, [0, 2, 5, 7]))
    assert [(p.start, p.end) for p in kept] == [(0, 2), (2, 5), (5, 7)]
    assert _gaps(kept, len(new.units)) == [(7, 9, False, None)]


def test_a_new_footnote_renumbers_and_so_lays_out_again_every_later_piece() -> None:
    old = parse(DOC)
    new = parse(DOC.replace("One<span", "One<span class=\"footnote\">n0</span><span"))
    kept = _kept_pieces(new, state_of(old, [0, 2, 5, 7]))
    assert [(p.start, p.end) for p in kept] == [(0, 2)]


def test_an_inserted_paragraph_shifts_the_pieces_after_it() -> None:
    old = parse(DOC)
    new = parse(DOC.replace("<p class=\"para\">Four</p>", "<h3>New</h3><p class=\"para\">Four</p>"))
    kept = _kept_pieces(new, state_of(old, [0, 2, 5, 8]))
    assert [(p.start, p.end) for p in kept] == [(0, 2), (2, 5), (9, 10)]


def test_the_draft_state_survives_a_round_trip_and_a_new_version_discards_it(tmp_path: Path) -> None:
    skeleton = parse(DOC)
    state = state_of(skeleton, [0, 5])
    state.save(tmp_path / "state.json")
    assert DraftState.load(tmp_path / "state.json") == state
    (tmp_path / "state.json").write_text((tmp_path / "state.json").read_text().replace('"version": 1', '"version": 0'))
    assert DraftState.load(tmp_path / "state.json") is None


# --------------------------------------------------------------------------- end to end

def _synthetic_case(folder: Path, pages: int = 40) -> Path:
    """benchmarks/generate.py's synthetic case of about `pages` pages, with an Arabic translation."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    path = generate.write_case(pages, folder)
    text = path.read_text(encoding="utf-8").replace("language: en\n", "language: en\ntranslations: [ar]\n", 1)
    path.write_text(text, encoding="utf-8")
    return path


def _edit_one_fact_paragraph(case: Path) -> None:
    """Reword one paragraph in the middle of the statement of facts."""
    lines = case.read_text(encoding="utf-8").splitlines(keepends=True)
    targets = [i for i, line in enumerate(lines) if "At least [#dead] people were killed" in line]
    i = targets[len(targets) // 2]
    lines[i] = lines[i].replace("were killed in the province", "were killed in the northern province")
    case.write_text("".join(lines), encoding="utf-8")


class Builds:
    def __init__(self, out: Path, lang: str) -> None:
        self.out, self.lang = out, lang

    def filing(self) -> Path:
        return self.out / f"synthetic-40.extradition-request.{self.lang}.pdf"

    def draft(self) -> Path:
        return self.out / f"synthetic-40.extradition-request.{self.lang}.draft.pdf"


def _build(case: Path, out: Path, lang: str, *, draft: bool) -> None:
    from casefile.build import BuildOptions, build_cases

    report = build_cases([case], BuildOptions(out=out, languages=(lang,), templates=("extradition-request",),
                                              draft=draft, jobs=2))
    assert not report.failures, [str(e) for _, e in report.failures]


@pytest.fixture(scope="module", params=["en", "ar"])
def synthetic(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The 40-page synthetic case built whole and as a draft, then edited in one paragraph and
    built both ways again (the draft from its kept pieces)."""
    lang = request.param
    folder = tmp_path_factory.mktemp(f"synthetic-{lang}")
    case = _synthetic_case(folder)
    before, after = folder / "before", folder / "after"
    _build(case, before, lang, draft=False)
    _build(case, before, lang, draft=True)
    _edit_one_fact_paragraph(case)
    shutil.copytree(before, after)  # the draft is rebuilt from the pieces kept for the first one
    _build(case, after, lang, draft=False)
    with logged("casefile.build", logging.INFO) as records:
        _build(case, after, lang, draft=True)
    stats = [r.getMessage() for r in records if r.getMessage().startswith("draft ")]
    return {"lang": lang, "before": Builds(before, lang), "after": Builds(after, lang), "stats": stats}


_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ARABIC_MARKS = re.compile(r"\s*[\u064b-\u065f]")


def page_words(path: Path) -> list[list[str]]:
    """The words of each page as poppler reads them, without the DRAFT mark. Bidi controls and
    Arabic vowel marks are left out: how an extractor maps them depends on the font subset,
    which differs between a whole layout and pieces, while the glyphs drawn are the same."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    return [_ARABIC_MARKS.sub("", _BIDI_CONTROLS.sub("", page.replace("DRAFT", " "))).split() for page in pages]


def page_images(path: Path, folder: Path) -> list:
    from PIL import Image

    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", str(path), str(folder / "p")], check=True)
    return [Image.open(p) for p in sorted(folder.glob("p-*.png"))]


def differing_pages(whole: Path, draft: Path, scratch: Path) -> list[int]:
    """Pages whose pixels differ anywhere below the draft's mark (the top 13 mm)."""
    from PIL import ImageChops

    different = []
    for n, (a, b) in enumerate(zip(page_images(whole, scratch / "whole"), page_images(draft, scratch / "draft")), 1):
        w, h = a.size
        box = (0, int(h * 0.045), w, h)
        if ImageChops.difference(a.crop(box), b.crop(box)).getbbox():
            different.append(n)
    return different


def link_targets(path: Path) -> list[tuple[int, tuple[int, ...], int]]:
    """(page, rectangle, target page) of every internal link."""
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        names = pikepdf.NameTree(pdf.Root.Names.Dests)
        links = []
        for n, page in enumerate(pdf.pages):
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                    dest = annot.Dest
                    target = names[str(dest)] if isinstance(dest, pikepdf.String) else dest
                    links.append((n, tuple(round(float(v)) for v in annot.Rect), index[target[0].objgen]))
        return sorted(links)


def outline_pages(path: Path) -> list[tuple[int, str, int]]:
    """(depth, title, page) of every bookmark."""
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        found = []

        def walk(items, depth):
            for item in items:
                dest = item.destination
                if isinstance(dest, pikepdf.String):
                    dest = pikepdf.NameTree(pdf.Root.Names.Dests)[str(dest)]
                found.append((depth, item.title, index[dest[0].objgen]))
                walk(item.children, depth + 1)

        with pdf.open_outline() as outline:
            walk(outline.root, 0)
        return found


def info(path: Path) -> dict[str, str]:
    with pikepdf.open(path) as pdf:
        return {k: str(pdf.docinfo.get(k, "")) for k in ("/Title", "/Author", "/Subject", "/Keywords")} | \
            {"/Lang": str(pdf.Root.get("/Lang", ""))}


@pytest.mark.pdf
@pytest.mark.parametrize("moment", ["before", "after"])
class TestADraftShowsTheWholeLayoutsPages:
    def test_same_page_count_and_words_on_every_page_footnote_numbers_included(self, synthetic: dict, moment: str) -> None:
        builds = synthetic[moment]
        whole, draft = page_words(builds.filing()), page_words(builds.draft())
        assert len(whole) == len(draft) >= 38
        assert [n for n, (a, b) in enumerate(zip(whole, draft), 1) if a != b] == []

    def test_same_pixels_on_every_page_but_the_draft_mark(self, synthetic: dict, moment: str,
                                                           tmp_path: Path) -> None:
        builds = synthetic[moment]
        assert differing_pages(builds.filing(), builds.draft(), tmp_path) == []

    def test_page_x_of_y_runs_on_across_pieces(self, synthetic: dict, moment: str) -> None:
        draft = page_words(synthetic[moment].draft())
        total = str(len(draft))
        footer = re.compile(r"^(Page|الصفحة)$")
        for n, words in enumerate(draft[1:], 2):  # the cover has no footer
            tail = " ".join(words[-4:])
            assert re.search(rf"(?<!\d){n}(?!\d)", tail) and re.search(rf"(?<!\d){total}(?!\d)", tail), (n, tail)
            assert any(footer.match(w) for w in words[-4:]), (n, tail)

    def test_every_page_says_draft(self, synthetic: dict, moment: str) -> None:
        text = subprocess.run(["pdftotext", str(synthetic[moment].draft()), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert all(page.count("DRAFT") == 1 for page in text.split("\f")[:-1])

    def test_bookmarks_and_links_point_at_the_same_pages(self, synthetic: dict, moment: str) -> None:
        builds = synthetic[moment]
        assert outline_pages(builds.draft()) == outline_pages(builds.filing())
        assert link_targets(builds.draft()) == link_targets(builds.filing())
        assert len(link_targets(builds.draft())) >= 8, "the contents links at least"

    def test_same_metadata_and_language(self, synthetic: dict, moment: str) -> None:
        builds = synthetic[moment]
        assert info(builds.draft()) == info(builds.filing())


@pytest.mark.pdf
def test_after_one_paragraph_changes_only_its_piece_is_laid_out_again(synthetic: dict) -> None:
    (stats,) = synthetic["stats"]
    laid_out, total, kept, pieces = map(int, re.findall(r"(\d+) of (\d+) pages laid out, (\d+) of (\d+)", stats)[0])
    assert laid_out <= 8 and total >= 38, stats
    assert kept >= pieces - 2, stats


@pytest.mark.pdf
def test_a_draft_claims_no_archival_standard_and_leaves_the_filing_copy_alone(synthetic: dict) -> None:
    builds = synthetic["before"]
    with pikepdf.open(builds.draft()) as pdf:
        assert "pdfaid" not in str(pdf.open_metadata()), "a draft is not PDF/A and must not say it is"
    with pikepdf.open(builds.filing()) as pdf:
        assert "pdfaid" in str(pdf.open_metadata())
    assert not builds.draft().with_suffix(".manifest.json").exists()


@pytest.mark.pdf
def test_pieces_are_reused_only_under_the_same_stylesheets_fonts_and_options(tmp_path: Path) -> None:
    from casefile.build import BuildOptions, plan_documents
    from casefile.checks import check_case
    from casefile.draft import RenderContext, build_draft
    from casefile.fonts import font_files
    from casefile.pdf import FetchPolicy
    from casefile.render import render_html
    from casefile.resolve import resolve_document

    checked = check_case(ROOT / "tests" / "data" / "cases" / "minimal.yaml")
    job = plan_documents(checked, BuildOptions(templates=("brief",), languages=("en",)))[0]
    html = render_html(job.template, resolve_document(checked, "en", edition=job.edition))
    roots = [checked.folder, *job.template.search_path, *sorted({f.parent for f in font_files()})]

    def draft(key: str):
        context = RenderContext(str(job.template.search_path[0]) + "/", FetchPolicy(roots), layout_key=key)
        return build_draft(html, context, tmp_path / "cache")

    first = draft("stylesheet 1")
    assert first.pages_laid_out >= first.pages_total
    again = draft("stylesheet 1")
    assert (again.pages_laid_out, again.pieces_reused) == (0, again.pieces_total)
    changed = draft("stylesheet 2")
    assert changed.pages_laid_out >= changed.pages_total and changed.pieces_reused == 0


@pytest.mark.pdf
def test_a_draft_with_annexes_marks_every_page_and_keeps_the_stamped_exhibits(tmp_path: Path) -> None:
    from casefile.build import BuildOptions, build_cases

    case = ROOT / "cases" / "vantoria-referral.yaml"
    for draft in (False, True):
        report = build_cases([case], BuildOptions(out=tmp_path, templates=("prosecution-referral",), draft=draft))
        assert not report.failures, [str(e) for _, e in report.failures]
    filing = tmp_path / "vantoria-referral.prosecution-referral.en.pdf"
    draft = tmp_path / "vantoria-referral.prosecution-referral.en.draft.pdf"
    assert page_words(draft) == page_words(filing)  # exhibits, annex stamps and Bates numbers included
    assert sum("VAP-0000" in " ".join(words) for words in page_words(draft)) >= 8
    text = subprocess.run(["pdftotext", str(draft), "-"], capture_output=True, text=True, check=True).stdout
    assert [page.count("DRAFT") for page in text.split("\f")[:-1]] == [1] * len(page_words(draft))
