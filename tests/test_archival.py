"""The offline PDF/A checks, and the renderer's archival options (variant, tags, attachments).

One tiny HTML page is rendered once as PDF/A-3b; each test breaks one thing in a copy with
pikepdf and expects the checks to name it. The checks on real dossiers run in
test_editions_pdf.py.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pikepdf
import pytest

from casefile.archival import archival_problems
from casefile.casedata import carries_case_data, extract_case_data
from casefile.fonts import font_files
from casefile.pdf import PDF_VARIANTS, EmbeddedFile, FetchPolicy, render_pdf

pytestmark = pytest.mark.pdf

HTML = '<html lang="en"><head><title>Archive test</title><meta name="author" content="Fictional Rights League">' \
       '</head><body><h1>Archive test</h1><p>Ostrand Velk.</p></body></html>'
YAML = b"casefile: 1\nid: archive-test\n"


def _render(tmp: Path, **options: object) -> bytes:
    policy = FetchPolicy([tmp, *sorted({f.parent for f in font_files()})])
    return render_pdf(HTML, base_url=tmp.as_uri() + "/", policy=policy, source_date_epoch=1736899200, **options)


@pytest.fixture(scope="module")
def archival_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    attachment = EmbeddedFile("case.yaml", YAML, "application/yaml", datetime(2025, 1, 15), "Case data")
    return _render(tmp_path_factory.mktemp("archive"), pdf_variant="pdf/a-3b", pdf_tags=True,
                   attachments=[attachment])


def _edit(pdf: bytes, change: object) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        change(doc)  # type: ignore[operator]
        out = io.BytesIO()
        doc.save(out, static_id=True)
    return out.getvalue()


def test_the_command_line_offers_every_variant_weasyprint_writes() -> None:
    from weasyprint.pdf import VARIANTS

    assert set(PDF_VARIANTS) == set(VARIANTS) - {"debug"}


def test_a_rendered_pdf_a_3b_passes_every_offline_check(archival_pdf: bytes) -> None:
    assert archival_problems(archival_pdf) == []


def test_the_case_data_is_an_associated_file_with_its_relationship_type_and_date(archival_pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(archival_pdf)) as doc:
        (spec,) = doc.Root.AF
        assert spec.AFRelationship == "/Source"
        stream = spec.EF.F
        assert stream.Subtype == "/application/yaml"
        assert stream.Params.ModDate == "D:20250115000000Z"
        assert stream.Params.CreationDate == "D:20250115000000Z"
    assert extract_case_data(archival_pdf) == ("case.yaml", YAML)


def test_a_plain_pdf_fails_the_pdf_a_identification_checks(tmp_path: Path) -> None:
    plain = _render(tmp_path, pdf_variant="none")
    problems = archival_problems(plain)
    assert "XMP pdfaid:part is None, expected '3'" in " ".join(problems) or \
        "no readable XMP metadata stream in the catalog" in problems
    assert "no PDF/A output intent (/GTS_PDFA1 with an ICC profile)" in problems
    assert "the document is not marked as tagged (/MarkInfo /Marked)" in problems


def test_a_font_without_its_program_is_reported(archival_pdf: bytes) -> None:
    def drop_program(doc: pikepdf.Pdf) -> None:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in obj:
                        del obj[key]
    problems = archival_problems(_edit(archival_pdf, drop_program))
    assert any(p.startswith("font ") and p.endswith(" is not embedded") for p in problems)


def test_javascript_is_reported(archival_pdf: bytes) -> None:
    def add_script(doc: pikepdf.Pdf) -> None:
        doc.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    problems = archival_problems(_edit(archival_pdf, add_script))
    assert any("JavaScript (/JS)" in p for p in problems)
    assert any("a /JavaScript action" in p for p in problems)


def test_encryption_is_reported(archival_pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(archival_pdf)) as doc:
        out = io.BytesIO()
        doc.save(out, encryption=pikepdf.Encryption(owner="owner", user="", R=4))
    assert "the file is encrypted" in archival_problems(out.getvalue())


def test_an_attachment_without_a_relationship_is_reported(archival_pdf: bytes) -> None:
    def drop_relationship(doc: pikepdf.Pdf) -> None:
        del doc.Root.AF[0].AFRelationship
    assert "attachment 'case.yaml' has no /AFRelationship" in archival_problems(_edit(archival_pdf, drop_relationship))


def test_metadata_that_disagrees_with_the_xmp_is_reported(archival_pdf: bytes) -> None:
    def retitle(doc: pikepdf.Pdf) -> None:
        doc.docinfo["/Title"] = "Another title"
    assert "the document information /Title differs from the XMP dc:title" in \
        archival_problems(_edit(archival_pdf, retitle))


def test_qpdf_reports_a_damaged_file(archival_pdf: bytes) -> None:
    # A cross-reference offset that points nowhere: qpdf must reconstruct the file.
    start = archival_pdf.rindex(b"startxref")
    damaged = archival_pdf[:start] + b"startxref\n17\n%%EOF\n"
    assert any(p.startswith("qpdf --check") for p in archival_problems(damaged))


def test_data_after_the_end_of_file_is_reported(archival_pdf: bytes) -> None:
    assert "data follows the last %%EOF" in archival_problems(archival_pdf + b"trailing", qpdf=False)


@pytest.mark.parametrize(("variant", "carries"), [
    ("pdf/a-3b", True), ("pdf/a-4f", True), ("pdf/ua-1", True), ("none", True),
    ("pdf/a-1b", False), ("pdf/a-2b", False), ("pdf/x-4", False),
])
def test_the_case_data_is_embedded_only_where_the_variant_allows_it(variant: str, carries: bool) -> None:
    assert carries_case_data(variant) is carries
