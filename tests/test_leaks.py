"""The leak search: every protected string of a case, found wherever a PDF can hide it.

These tests build small PDFs with pikepdf, each hiding one protected string of the edition
fixture in one place and one encoding, so that they run in milliseconds; the end-to-end
tests on real dossiers are in test_editions_pdf.py.
"""

from __future__ import annotations

import codecs
import io
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from casefile.checks import CheckedCase, check_case
from casefile.errors import LeakFound
from casefile.leaks import (
    MIN_LINE,
    check_no_leaks,
    describe,
    find_leaks,
    fold,
    manifest_for,
    protected_needles,
)

FIXTURE = Path(__file__).resolve().parent / "data" / "editions" / "protected.yaml"
NAME = "Quillon Marrowgate-Vyss"
TITLE = "Sealed deposition of the Zephyrine harbour pilot"
URL = "https://example.org/sealed/zephyrine-ledger"
LINE = "The convoy left the Saltmere granary depot at 02:40 under blackout orders."
ACCENTED_LINE = "Afterwards the ledger was burned in the café on the Øresund quay."
EXHIBIT = FIXTURE.parent / "evidence" / "kelvarran-deposition.txt"


@pytest.fixture(scope="module")
def checked() -> CheckedCase:
    return check_case(FIXTURE)


@pytest.fixture(scope="module")
def needles(checked: CheckedCase) -> list:
    return protected_needles(checked)


def _pdf(build: Callable[[pikepdf.Pdf], None] = lambda pdf: None) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    build(pdf)
    out = io.BytesIO()
    pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _origins(pdf: bytes, needles: list, checked: CheckedCase | None = None) -> set[str]:
    from casefile.leaks import confidential_digests

    return {leak.origin for leak in find_leaks(pdf, needles, confidential_digests(checked) if checked else None)}


def test_the_needles_are_the_witness_name_the_confidential_source_and_the_long_exhibit_lines(needles: list) -> None:
    texts = {n.text: n.origin for n in needles}
    assert texts[NAME] == "witnesses[0].name"
    assert texts[TITLE] == "sources[1].title"
    assert texts["evidence/kelvarran-deposition.txt"] == "sources[1].file"
    assert texts["kelvarran-deposition.txt"] == "sources[1].file"
    assert texts["196934cf6e2ba49d7a982eebc56ec156f478ef112b13b0592312808aa893b5ec"] == "sources[1].sha256"
    assert texts[URL] == "sources[1].url"
    assert texts[LINE] == "line 3 of the confidential exhibit of sources[1]"
    exhibit_lines = [line.strip() for line in EXHIBIT.read_text(encoding="utf-8").splitlines()]
    assert {line for line in exhibit_lines if len(line) >= MIN_LINE} <= set(texts)
    assert "Short line, skipped." not in texts


def test_the_unprotected_witness_and_the_public_source_are_not_needles(needles: list) -> None:
    texts = {fold(n.text) for n in needles}
    assert fold("Tamsin Orle") not in texts
    assert fold("Fictional field report") not in texts
    assert fold("Fictional Rights League") not in texts  # the confidential source's author is a public party


def test_a_clean_pdf_has_no_leak(needles: list) -> None:
    def build(pdf: pikepdf.Pdf) -> None:
        pdf.docinfo["/Title"] = "Quillon Marrowgate and W-017"  # part of a name is not the name
    assert find_leaks(_pdf(build), needles) == []


def _info_utf16(pdf: pikepdf.Pdf) -> None:
    pdf.docinfo["/Title"] = pikepdf.String(codecs.BOM_UTF16_BE + NAME.encode("utf-16-be"))


def _info_pdfdoc(pdf: pikepdf.Pdf) -> None:
    pdf.docinfo["/Subject"] = pikepdf.String(ACCENTED_LINE.encode("pdfdoc"))


def _xmp_entities(pdf: pikepdf.Pdf) -> None:
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Description rdf:about=""><dc:title>'
           'Quillon&#32;Marrowgate&#x2D;Vyss</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>')
    pdf.Root.Metadata = pdf.make_stream(xmp.encode(), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)


def _bookmark_upper_case(pdf: pikepdf.Pdf) -> None:
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem(TITLE.upper(), 0))


def _named_destination(pdf: pikepdf.Pdf) -> None:
    dests = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("quillon-marrowgate-vyss"),
                                                    pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])]))
    pdf.Root.Names = pikepdf.Dictionary(Dests=pdf.make_indirect(dests))


def _link_target(pdf: pikepdf.Pdf) -> None:
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10],
                              A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(URL)))
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))


def _annotation_with_invisible_marks(pdf: pikepdf.Pdf) -> None:
    note = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[0, 0, 10, 10],
                              Contents=pikepdf.String("Q\u00adu\u200billon \u2066Marrowgate-Vyss\u2069"))
    pdf.pages[0].obj.Annots = pikepdf.Array([pdf.make_indirect(note)])


def _alt_text_decomposed(pdf: pikepdf.Pdf) -> None:
    element = pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Figure,
                                 Alt=pikepdf.String(ACCENTED_LINE.replace("é", "e\u0301")))
    pdf.Root.StructTreeRoot = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot,
                                                                   K=pdf.make_indirect(element)))


def _attachment_contents(pdf: pikepdf.Pdf) -> None:
    data = f"notes\n{LINE.replace(' ', chr(10), 3)}\n".encode()
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, data, mime_type="text/plain")


def _attachment_name(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["kelvarran-deposition.txt"] = pikepdf.AttachedFileSpec(pdf, b"nothing", mime_type="text/plain")


def _page_stream_text(pdf: pikepdf.Pdf) -> None:
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    pdf.pages[0].obj.Contents = pdf.make_stream(f"BT /F1 6 Tf 5 100 Td ({NAME}) Tj ET".encode())


@pytest.mark.parametrize(("hide", "origin"), [
    (_info_utf16, "witnesses[0].name"),
    (_info_pdfdoc, "line 7 of the confidential exhibit of sources[1]"),
    (_xmp_entities, "witnesses[0].name"),
    (_bookmark_upper_case, "sources[1].title"),
    (_named_destination, "witnesses[0].name"),
    (_link_target, "sources[1].url"),
    (_annotation_with_invisible_marks, "witnesses[0].name"),
    (_alt_text_decomposed, "line 7 of the confidential exhibit of sources[1]"),
    (_attachment_contents, "line 3 of the confidential exhibit of sources[1]"),
    (_attachment_name, "sources[1].file"),
    (_page_stream_text, "witnesses[0].name"),
], ids=["info-utf16", "info-pdfdoc", "xmp-entities", "bookmark-upper-case", "named-destination", "link-target",
        "annotation-invisible-marks", "alt-text-decomposed", "attachment-contents", "attachment-name",
        "page-content-stream"])
def test_a_protected_string_is_found_wherever_and_however_a_pdf_stores_it(
        hide: Callable[[pikepdf.Pdf], None], origin: str, needles: list) -> None:
    assert origin in _origins(_pdf(hide), needles)


def test_page_text_is_searched_as_a_reader_extracts_it(needles: list) -> None:
    # Text drawn glyph by glyph in separate operations is only whole in the extracted text.
    def build(pdf: pikepdf.Pdf) -> None:
        _page_stream_text(pdf)
        drawn = " ".join(f"({c}) Tj" for c in NAME)
        pdf.pages[0].obj.Contents = pdf.make_stream(f"BT /F1 6 Tf 5 100 Td {drawn} ET".encode())
    leaks = find_leaks(_pdf(build), needles)
    assert ("witnesses[0].name", "the text of page 1") in {(leak.origin, leak.where) for leak in leaks}


def test_a_stream_no_object_refers_to_is_still_searched(needles: list) -> None:
    orphan = zlib.compress(TITLE.encode())
    pdf = _pdf() + b"99 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(orphan) + orphan + \
        b"\nendstream\nendobj\n"
    leaks = find_leaks(pdf, needles)
    assert ("sources[1].title", "a compressed stream of the raw file") in {(leak.origin, leak.where) for leak in leaks}


def test_a_confidential_exhibit_embedded_whole_is_recognised_by_its_hash(checked: CheckedCase, needles: list) -> None:
    def build(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["annex-2.bin"] = pikepdf.AttachedFileSpec(pdf, EXHIBIT.read_bytes())
    assert "sources[1].file (the whole file)" in _origins(_pdf(build), needles, checked)


def test_a_leak_report_names_the_origin_and_the_place_but_never_the_protected_text(needles: list) -> None:
    leaks = find_leaks(_pdf(_bookmark_upper_case), needles)
    message = describe(leaks)
    assert message.startswith("sources[1].title found in a bookmark")
    assert "zephyrine" not in message.lower()


def test_a_confidential_edition_is_not_searched(checked: CheckedCase, tmp_path: Path) -> None:
    check_no_leaks(_pdf(_info_utf16), checked, "confidential", tmp_path / "x.confidential.pdf")


def test_a_leaking_public_edition_is_refused_before_anything_is_written(checked: CheckedCase, tmp_path: Path) -> None:
    output = tmp_path / "x.pdf"
    with pytest.raises(LeakFound) as caught:
        check_no_leaks(_pdf(_info_utf16), checked, "public", output)
    message = str(caught.value)
    assert message.startswith(f"{output}: the public edition would reveal protected data, so it was not written")
    assert "witnesses[0].name found in the document information (Info)" in message
    assert "Quillon" not in message
    assert "Marrowgate" not in message
    assert not output.exists()


def test_an_older_output_that_leaks_too_is_deleted_with_its_manifest(checked: CheckedCase, tmp_path: Path) -> None:
    output = tmp_path / "x.pdf"
    output.write_bytes(_pdf(_bookmark_upper_case))
    manifest_for(output).write_text("{}")
    with pytest.raises(LeakFound, match="the previous file, which leaks as well, was deleted"):
        check_no_leaks(_pdf(_info_utf16), checked, "public", output)
    assert not output.exists()
    assert not manifest_for(output).exists()


def test_an_older_output_that_does_not_leak_is_kept(checked: CheckedCase, tmp_path: Path) -> None:
    output = tmp_path / "x.pdf"
    clean = _pdf()
    output.write_bytes(clean)
    with pytest.raises(LeakFound) as caught:
        check_no_leaks(_pdf(_info_utf16), checked, "public", output)
    assert "deleted" not in str(caught.value)
    assert output.read_bytes() == clean


def test_the_manifest_name_follows_the_pdf_name() -> None:
    assert manifest_for(Path("out/c.brief.en.confidential.pdf")) == Path("out/c.brief.en.confidential.manifest.json")
