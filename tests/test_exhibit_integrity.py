"""Exhibit integrity: hashes checked on every build, files confined to the case folder, content
recognised by its bytes, and PDFs that would break PDF/A recognised before they are annexed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from casefile.annex import annex_plans, inspect_pdf
from casefile.checks import check_case
from casefile.errors import CaseValidationError
from tests.conftest import MINIMAL

REPORT_HASH = "94411720d92e7d3f844ebee5d161b0ff49d3484931270a7c8d96a19af1117338"


def with_exhibit(case_dir: Path, name: str, data: bytes) -> Path:
    """The minimal case with its exhibit replaced by `data` (hash updated to match)."""
    (case_dir / "evidence" / name).write_bytes(data)
    text = MINIMAL.read_text(encoding="utf-8").replace("evidence/field-report.txt", f"evidence/{name}") \
        .replace(REPORT_HASH, hashlib.sha256(data).hexdigest())
    path = case_dir / "case.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def small_pdf(tmp_path: Path, *, font: Dictionary | None = None, javascript: bool = False,
              encryption: pikepdf.Encryption | None = None) -> bytes:
    pdf = pikepdf.new()
    resources = Dictionary(Font=Dictionary(F1=font)) if font is not None else Dictionary()
    content = b"BT /F1 12 Tf 72 720 Td (A fictional exhibit) Tj ET" if font is not None else b"0 0 m 10 10 l S"
    pdf.pages.append(pikepdf.Page(Dictionary(Type=Name.Page, MediaBox=Array([0, 0, 595, 842]), Resources=resources,
                                             Contents=pdf.make_stream(content))))
    if javascript:
        pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert('fictional')"))
    out = tmp_path / "made.pdf"
    pdf.save(out, encryption=encryption or False)
    return out.read_bytes()


def test_a_flipped_byte_in_an_exhibit_stops_the_build_naming_both_hashes(write_case, case_dir: Path,
                                                                         tmp_path: Path, run_cli) -> None:
    path = write_case()
    exhibit = case_dir / "evidence" / "field-report.txt"
    data = bytearray(exhibit.read_bytes())
    data[10] ^= 0x01
    exhibit.write_bytes(bytes(data))
    actual = hashlib.sha256(bytes(data)).hexdigest()
    out = tmp_path / "out"
    result = run_cli("build", path, "--out", out)
    assert result.exit_code == 1
    line = line_of(path, REPORT_HASH)
    assert (f"{path}:{line}:13: error: sources[0].sha256: evidence/field-report.txt does not match its hash: "
            f"expected {REPORT_HASH}, actual {actual}") in result.stderr
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_a_link_from_the_case_folder_to_a_file_outside_it_is_refused_by_the_build(
        write_case, case_dir: Path, tmp_path: Path, run_cli) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes((case_dir / "evidence" / "field-report.txt").read_bytes())  # same bytes, same hash
    (case_dir / "evidence" / "linked.txt").symlink_to(outside)
    path = write_case(replace=("evidence/field-report.txt", "evidence/linked.txt"))
    out = tmp_path / "out"
    result = run_cli("build", path, "--out", out)
    assert result.exit_code == 1
    line = line_of(path, "evidence/linked.txt")
    assert f"{path}:{line}:11: error: sources[0].file: 'evidence/linked.txt' leads outside the case folder" \
        in result.stderr
    assert not out.exists() or not list(out.glob("*.pdf"))


@pytest.mark.parametrize(("name", "data"), [
    ("picture.txt", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ("archive.pdf", b"PK\x03\x04" + bytes(40)),
    ("binary.txt", b"text\x00with a NUL byte"),
])
def test_anything_but_pdf_png_jpeg_and_text_is_a_located_error_at_file(case_dir: Path, name: str,
                                                                        data: bytes) -> None:
    path = with_exhibit(case_dir, name, data)
    with pytest.raises(CaseValidationError) as caught:
        check_case(path)
    line = line_of(path, f"evidence/{name}")
    assert [str(p) for p in caught.value.errors] == [
        f"{path}:{line}:11: error: sources[0].file: 'evidence/{name}' is not a PDF, PNG, JPEG or UTF-8 text file "
        "(judged by its content); only these are annexed: convert it, or cite it without `file`"]


def test_text_that_is_not_utf8_past_the_first_bytes_is_refused(case_dir: Path) -> None:
    path = with_exhibit(case_dir, "latin1.txt", b"a" * 9000 + "café".encode("latin-1"))
    with pytest.raises(CaseValidationError) as caught:
        check_case(path)
    assert "'evidence/latin1.txt' is not valid UTF-8 text (byte offset 9003); save it as UTF-8" in str(caught.value)


def test_a_png_named_txt_is_annexed_as_an_image(case_dir: Path) -> None:
    png = (Path(__file__).resolve().parent.parent / "cases" / "evidence" / "vantoria"
           / "kessel-site-2021-06-14.png").read_bytes()
    path = with_exhibit(case_dir, "renamed.txt", png)
    (plan,) = annex_plans(check_case(path), "public")
    assert (plan.mode, plan.exhibit.media_type) == ("image", "image/png")


def test_a_pdf_locked_with_a_password_is_refused(case_dir: Path, tmp_path: Path) -> None:
    data = small_pdf(tmp_path, encryption=pikepdf.Encryption(owner="owner", user="secret"))
    path = with_exhibit(case_dir, "locked.pdf", data)
    with pytest.raises(CaseValidationError) as caught:
        check_case(path)
    assert "sources[0].file: 'evidence/locked.pdf' is locked with a password; annex an unlocked copy" \
        in str(caught.value)


def test_a_damaged_pdf_is_refused(case_dir: Path) -> None:
    path = with_exhibit(case_dir, "damaged.pdf", b"%PDF-1.7\n" + bytes(64))
    with pytest.raises(CaseValidationError) as caught:
        check_case(path)
    assert "sources[0].file: 'evidence/damaged.pdf' cannot be read as a PDF" in str(caught.value)


def test_a_clean_pdf_is_appended_page_for_page(case_dir: Path, tmp_path: Path) -> None:
    path = with_exhibit(case_dir, "clean.pdf", small_pdf(tmp_path))
    (plan,) = annex_plans(check_case(path), "public")
    assert (plan.mode, plan.pages, plan.reasons) == ("pages", 1, ())


@pytest.mark.parametrize(("kind", "reason", "finding"), [
    ("fonts", "fonts", ("unembedded_fonts", ("Helvetica",))),
    ("javascript", "actions", ("actions", ("JavaScript",))),
    ("encrypted", "encrypted", ("encrypted", True)),
])
def test_a_pdf_that_would_break_pdfa_is_rasterised_and_the_reason_kept(case_dir: Path, tmp_path: Path, kind: str,
                                                                       reason: str, finding: tuple) -> None:
    helvetica = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    data = small_pdf(tmp_path, font=helvetica if kind == "fonts" else None, javascript=kind == "javascript",
                     encryption=pikepdf.Encryption(owner="owner", user="") if kind == "encrypted" else None)
    path = with_exhibit(case_dir, f"{kind}.pdf", data)
    (plan,) = annex_plans(check_case(path), "public")
    assert (plan.mode, plan.reasons) == ("raster", (reason,))
    attribute, value = finding
    assert getattr(inspect_pdf(case_dir / "evidence" / f"{kind}.pdf"), attribute) == value


def test_a_confidential_exhibit_is_withheld_from_the_public_edition_only(write_case) -> None:
    path = write_case(replace=("    kind: report\n", "    kind: report\n    confidential: true\n"))
    checked = check_case(path)
    assert [p.mode for p in annex_plans(checked, "public")] == ["withheld"]
    assert [p.mode for p in annex_plans(checked, "confidential")] == ["text"]
