"""Editions end to end: real dossiers of the edition fixture, searched, checked, verified, extracted.

The fixture's witness name, confidential source title, file and hash, and the lines of its
confidential exhibit are distinctive strings. The public editions must contain none of them
anywhere in the file (the leak search, and a `qpdf --qdf` dump searched as bytes); the
confidential editions contain them. The six PDFs are built once for the module.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from click.testing import Result

from casefile.archival import archival_problems
from casefile.build import BuildOptions, build_cases
from casefile.casedata import public_case_yaml
from casefile.checks import check_case
from casefile.leaks import MIN_LINE, find_leaks, protected_needles
from tests.pdfread import full_text, page_texts

pytestmark = pytest.mark.pdf

EDITIONS = Path(__file__).resolve().parent / "data" / "editions"
CASE_ID = "velk-protected"
NAME = "Quillon Marrowgate-Vyss"
TITLE = "Sealed deposition of the Zephyrine harbour pilot"
EXHIBIT = "kelvarran-deposition.txt"
KINDS = ("extradition-request", "brief", "prosecution-referral")
PUBLIC = [f"{CASE_ID}.{kind}.en.pdf" for kind in KINDS]
CONFIDENTIAL = [f"{CASE_ID}.{kind}.en.confidential.pdf" for kind in KINDS]


@pytest.fixture(scope="module")
def case_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("editions") / "case"
    shutil.copytree(EDITIONS, folder)
    return folder


@pytest.fixture(scope="module")
def built(case_folder: Path) -> Path:
    """Every kind of dossier, both editions, in English."""
    out = case_folder.parent / "out"
    report = build_cases([case_folder / "protected.yaml"],
                         BuildOptions(out=out, templates=KINDS, edition="both", languages=("en",), jobs=1))
    assert not report.failures, [str(e) for _, e in report.failures]
    return out


def _protected_texts(case_folder: Path) -> list[str]:
    """The distinctive strings, and every line of 24 characters or more of the confidential exhibit."""
    lines = (case_folder / "evidence" / EXHIBIT).read_text(encoding="utf-8").splitlines()
    long_lines = [line.strip() for line in lines if len(line.strip()) >= MIN_LINE]
    return [NAME, TITLE, EXHIBIT, "zephyrine-ledger", *long_lines]


def _encodings(text: str) -> set[bytes]:
    """The byte forms a PDF can hold a string in: UTF-8, UTF-16BE, PDFDocEncoding, and their hex."""
    forms: set[bytes] = set()
    for variant in (text, text.upper(), text.lower()):
        for codec in ("utf-8", "utf-16-be", "pdfdoc"):
            try:
                raw = variant.encode(codec)
            except UnicodeEncodeError:
                continue
            forms |= {raw, raw.hex().encode(), raw.hex().upper().encode()}
    return forms


def _qdf(pdf: Path, tmp_path: Path) -> bytes:
    """The PDF with every stream decompressed and no object streams (`qpdf --qdf`)."""
    target = tmp_path / (pdf.stem + ".qdf.pdf")
    result = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(pdf), str(target)],
                            capture_output=True, check=False)
    assert result.returncode in (0, 3), result.stderr
    return target.read_bytes()


def test_both_editions_of_both_documents_are_built_with_their_names(built: Path) -> None:
    assert sorted(p.name for p in built.glob("*.pdf")) == sorted(PUBLIC + CONFIDENTIAL)
    assert sorted(p.name for p in built.glob("*.manifest.json")) == \
        sorted(n.removesuffix(".pdf") + ".manifest.json" for n in PUBLIC + CONFIDENTIAL)


@pytest.mark.parametrize("name", PUBLIC)
def test_a_public_edition_contains_no_protected_string_anywhere_in_the_file(
        built: Path, case_folder: Path, name: str, tmp_path: Path) -> None:
    pdf = built / name
    checked = check_case(case_folder / "protected.yaml")
    assert find_leaks(pdf.read_bytes(), protected_needles(checked)) == []
    dump = _qdf(pdf, tmp_path)
    for text in _protected_texts(case_folder):
        assert not any(form in dump for form in _encodings(text)), f"{text!r} is in the qpdf --qdf dump of {name}"
    assert "W-017" in full_text(pdf) or name.startswith(f"{CASE_ID}.brief")


def test_a_confidential_edition_contains_the_protected_strings(built: Path, case_folder: Path, tmp_path: Path) -> None:
    pdf = built / CONFIDENTIAL[0]
    text = full_text(pdf)
    for expected in (NAME, TITLE, EXHIBIT, "https://example.org/sealed/zephyrine-ledger"):
        assert expected in text
    origins = {leak.origin for leak in find_leaks(pdf.read_bytes(), protected_needles(check_case(
        case_folder / "protected.yaml")))}
    assert {"witnesses[0].name", "sources[1].title", "sources[1].file", "sources[1].sha256",
            "sources[1].url"} <= origins
    # The confidential exhibit is annexed (annex.py), so each of its long lines is there too.
    for line in _protected_texts(case_folder)[4:]:
        assert line in text
    assert "line 3 of the confidential exhibit of sources[1]" in origins
    dump = _qdf(pdf, tmp_path)
    assert NAME.encode() in dump  # in the embedded case file at least


@pytest.mark.parametrize("name", CONFIDENTIAL)
def test_every_page_of_a_confidential_edition_is_marked_and_so_is_its_metadata(built: Path, name: str) -> None:
    pdf = built / name
    assert all("CONFIDENTIAL" in text for text in page_texts(pdf))
    with pikepdf.open(pdf) as doc:
        assert str(doc.docinfo["/Title"]).endswith(" — CONFIDENTIAL")
        assert str(doc.docinfo["/Keywords"]).startswith("CONFIDENTIAL, ")
        with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
            assert meta["dc:title"].endswith(" — CONFIDENTIAL")


@pytest.mark.parametrize("name", PUBLIC)
def test_a_public_edition_carries_no_confidential_mark(built: Path, name: str) -> None:
    assert not any("CONFIDENTIAL" in text for text in page_texts(built / name))


@pytest.mark.parametrize("name", PUBLIC + CONFIDENTIAL)
def test_every_dossier_passes_the_offline_pdf_a_checks(built: Path, name: str) -> None:
    assert archival_problems(built / name) == []


def test_the_seed_dossiers_pass_the_offline_pdf_a_checks_in_every_language(seed_build: Path) -> None:
    pdfs = sorted(seed_build.glob("*.pdf"))
    assert len(pdfs) >= 6
    assert {p.name: archival_problems(p) for p in pdfs} == {p.name: [] for p in pdfs}


def test_a_public_edition_carries_the_redacted_case_data_which_extracts_and_validates(
        built: Path, case_folder: Path, run_cli: Callable[..., Result], tmp_path: Path) -> None:
    result = run_cli("extract", built / PUBLIC[0])
    assert result.exit_code == 0, result.stderr
    data = result.stdout_bytes
    assert data == public_case_yaml(check_case(case_folder / "protected.yaml").case)
    assert b"Quillon" not in data
    copy = tmp_path / "case"
    shutil.copytree(case_folder, copy)
    (copy / "extracted.yaml").write_bytes(data)
    assert check_case(copy / "extracted.yaml").case.id == CASE_ID


def test_a_confidential_edition_carries_the_case_file_itself(
        built: Path, case_folder: Path, run_cli: Callable[..., Result], tmp_path: Path) -> None:
    target = tmp_path / "extracted.yaml"
    result = run_cli("extract", built / CONFIDENTIAL[1], "-o", target)
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == (case_folder / "protected.yaml").read_bytes()


def test_extract_says_so_when_a_pdf_carries_no_case_data(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(plain)
    result = run_cli("extract", plain)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"casefile: error: {plain}: no case data is embedded")


def test_the_manifest_of_a_public_edition_lists_only_what_it_contains(built: Path) -> None:
    public = json.loads((built / f"{CASE_ID}.extradition-request.en.manifest.json").read_text())
    confidential = json.loads((built / f"{CASE_ID}.extradition-request.en.confidential.manifest.json").read_text())
    assert public["sha256"] == hashlib.sha256((built / PUBLIC[0]).read_bytes()).hexdigest()
    assert [e["source"] for e in public["exhibits"]] == ["report"]
    assert [e["source"] for e in confidential["exhibits"]] == ["report", "deposition"]
    assert "kelvarran" not in json.dumps(public).lower()
    assert public["embedded_case_data"]["name"] == f"{CASE_ID}.public.yaml"
    assert (public["pdf_variant"], public["tagged"], public["weasyprint"]) == ("pdf/a-3b", True, "70.0")
    assert {"builtin:extradition-request/document.html", "builtin:partials/witnesses.html",
            "builtin:dossier.css"} <= {t["path"] for t in public["templates"]}
    assert any(f["path"].startswith("font:fontpkg_noto_serif-") for f in public["fonts"])  # its static instances
    assert public["case"]["path"] == "../case/protected.yaml"


def test_verify_passes_and_then_names_the_exhibit_whose_byte_changed(
        built: Path, case_folder: Path, run_cli: Callable[..., Result]) -> None:
    for name in PUBLIC + CONFIDENTIAL:
        result = run_cli("verify", built / name)
        assert result.exit_code == 0, result.stdout + result.stderr
        assert "matches its manifest and the current inputs" in result.stderr
    exhibit = case_folder / "evidence" / "field-report.txt"
    original = exhibit.read_bytes()
    try:
        exhibit.write_bytes(bytes([original[0] ^ 0x01]) + original[1:])
        result = run_cli("verify", built / PUBLIC[0])
        assert result.exit_code == 1
        assert "field-report.txt (Annex 1, source 'report'): exhibit changed since the build" in result.stdout
        assert len(result.stdout.splitlines()) == 1
    finally:
        exhibit.write_bytes(original)


def test_a_public_manifest_does_not_depend_on_the_confidential_exhibit(
        built: Path, case_folder: Path, run_cli: Callable[..., Result]) -> None:
    exhibit = case_folder / "evidence" / EXHIBIT
    original = exhibit.read_bytes()
    try:
        exhibit.write_bytes(original[:-1] + bytes([original[-1] ^ 0x01]))
        assert run_cli("verify", built / PUBLIC[0]).exit_code == 0
        result = run_cli("verify", built / CONFIDENTIAL[0])
        assert result.exit_code == 1
        assert f"{EXHIBIT} (Annex 2, source 'deposition'): exhibit changed since the build" in result.stdout
    finally:
        exhibit.write_bytes(original)


def test_verify_finds_a_changed_pdf_and_a_missing_manifest(built: Path, run_cli: Callable[..., Result],
                                                           tmp_path: Path) -> None:
    copy = tmp_path / PUBLIC[1]
    data = bytearray((built / PUBLIC[1]).read_bytes())
    data[-20] ^= 0x01
    copy.write_bytes(bytes(data))
    result = run_cli("verify", copy)
    assert result.exit_code == 1
    assert "no manifest beside it" in result.stderr
    shutil.copy(built / (PUBLIC[1].removesuffix(".pdf") + ".manifest.json"), tmp_path)
    result = run_cli("verify", copy)
    assert result.exit_code == 1
    assert f"{copy}: the PDF is not the one its manifest describes" in result.stdout


def test_a_public_build_that_would_leak_fails_naming_where_and_writes_nothing(
        case_folder: Path, run_cli: Callable[..., Result], tmp_path: Path) -> None:
    copy = tmp_path / "case"
    shutil.copytree(case_folder, copy)
    case = copy / "protected.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace(
        "summary: The alleged killing", f"summary: As {NAME} saw, the alleged killing"), encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", case, "--out", out, "--template", "brief", "--lang", "en", "-j", "1")
    assert result.exit_code == 1
    assert "the public edition would reveal protected data, so it was not written: witnesses[0].name found in " \
           "the text of page " in result.stderr
    assert "Quillon" not in result.stderr
    assert not list(out.glob("*.pdf"))
    assert not list(out.glob("*.json"))


def test_a_user_template_printing_a_witness_s_name_prints_the_pseudonym(
        case_folder: Path, run_cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "snoop").mkdir()
    (tmp_path / "snoop" / "document.html").write_text(
        '<html lang="{{ lang }}"><head><title>{{ meta.title }}</title></head><body>'
        "{% for w in witnesses %}<h1>{{ w.name or w.pseudonym }}</h1>{% endfor %}</body></html>", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", case_folder / "protected.yaml", "--out", out, "--templates", tmp_path,
                     "--template", "snoop", "--lang", "en", "-j", "1")
    assert result.exit_code == 0, result.stderr
    text = full_text(out / f"{CASE_ID}.snoop.en.pdf")
    assert "W-017" in text
    assert "Tamsin Orle" in text
    assert "Quillon" not in text


def test_two_builds_in_separate_processes_give_the_same_bytes_even_after_touching_the_inputs(
        case_folder: Path, run_cli: Callable[..., Result], tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(case_folder, case)

    def build(out: Path, timezone: str) -> Path:
        env = {**os.environ, "TZ": timezone}
        env.pop("SOURCE_DATE_EPOCH", None)
        result = subprocess.run([sys.executable, "-m", "casefile", "-q", "build", str(case / "protected.yaml"),
                                 "--out", str(out), "--template", "brief", "--lang", "en", "--edition", "public"],
                                capture_output=True, text=True, env=env, check=False)
        assert result.returncode == 0, result.stderr
        return out / f"{CASE_ID}.brief.en.pdf"

    first = build(tmp_path / "out1", "UTC")
    later = first.stat().st_mtime + 86_400 * 400
    for path in [case / "protected.yaml", *(case / "evidence").iterdir()]:
        os.utime(path, (later, later))
    second = build(tmp_path / "out2", "Pacific/Kiritimati")
    assert hashlib.sha256(first.read_bytes()).hexdigest() == hashlib.sha256(second.read_bytes()).hexdigest()
    result = run_cli("verify", second)
    assert result.exit_code == 0, result.stdout + result.stderr
