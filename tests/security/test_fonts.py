"""Only the packaged fonts set a document: a template asking for a font installed on the machine
(by family name or by `local()`) gets one of the packaged fonts instead, so the output does not
depend on the machine and no system font file is read."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from casefile.fonts import font_files
from casefile.pdf import isolate_fontconfig
from tests.pdfread import fonts, full_text

from .conftest import Arena

SYSTEM_FAMILIES = ["DejaVu Sans", "DejaVu Serif Condensed", "Liberation Mono", "Arial", "Times New Roman",
                   "sans-serif", "monospace", "cursive", "system-ui"]


def packaged_names() -> set[str]:
    """The PostScript and family names of the packaged fonts, without spaces."""
    names = set()
    for path in font_files():
        font = TTFont(path, lazy=True)
        for record in font["name"].names:
            if record.nameID in (1, 4, 6, 16):
                names.add(record.toUnicode().replace(" ", ""))
        if "fvar" in font:
            for instance in font["fvar"].instances:
                if instance.postscriptNameID != 0xFFFF:
                    names.add(font["name"].getDebugName(instance.postscriptNameID) or "")
    return names


def test_the_fontconfig_configuration_lists_only_the_packaged_font_folders() -> None:
    isolate_fontconfig()
    tree = ET.parse(os.environ["FONTCONFIG_FILE"])
    dirs = {d.text for d in tree.getroot().iter("dir")}
    assert dirs == {str(f.parent) for f in font_files()}
    assert not list(tree.getroot().iter("include"))  # no /etc/fonts/conf.d, no ~/.fonts


def assert_only_packaged_fonts(pdf: Path) -> None:
    used = {_bare(re.sub(r"^/?[A-Z]{6}\+", "", name)) for name in fonts(pdf)}
    allowed = {_bare(name) for name in packaged_names()}
    assert used, "the PDF names no font"
    for name in used:
        assert any(name.startswith(p) or p.startswith(name) for p in allowed if p), (name, sorted(allowed))
    assert not any("dejavu" in n or "liberation" in n for n in used)


def _bare(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@pytest.mark.pdf
def test_a_template_asking_for_system_font_families_gets_only_packaged_fonts(arena: Arena) -> None:
    arena.template("\n".join(f'<p style="font-family: \'{family}\'">Probe text in {family}.</p>'
                             for family in SYSTEM_FAMILIES))
    result = arena.build()
    assert result.exit_code == 0, result.stderr
    [pdf] = arena.pdfs()
    assert_only_packaged_fonts(pdf)
    text = full_text(pdf)
    for family in SYSTEM_FAMILIES:
        assert f"Probe text in {family}." in text


LOCAL = ("<style>@font-face { font-family: Local; src: local('DejaVu Sans'), local('DejaVuSans'); }</style>"
         '<p style="font-family: Local">Probe text through local().</p>')


def test_a_local_font_face_fails_the_build(arena: Arena) -> None:
    arena.template(LOCAL)
    result = arena.build()
    assert result.exit_code == 1
    assert "casefile: error: the renderer warned" in result.stderr
    assert "Font-face 'Local' cannot be loaded" in result.stderr
    assert arena.pdfs() == []


@pytest.mark.pdf
def test_with_warnings_allowed_a_local_font_face_still_sets_text_in_a_packaged_font(arena: Arena) -> None:
    arena.template(LOCAL)
    result = arena.build("--allow-warnings")
    assert result.exit_code == 0, result.stderr
    [pdf] = arena.pdfs()
    assert_only_packaged_fonts(pdf)
    assert "Probe text through local()." in full_text(pdf)


@pytest.mark.pdf
def test_the_environment_cannot_turn_the_isolation_off(arena: Arena, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FONTCONFIG_FILE", "/etc/fonts/fonts.conf")
    monkeypatch.setenv("CASEFILE_FONTCONFIG_ISOLATED", "1")
    arena.template('<p style="font-family: \'DejaVu Sans\'">Probe text in DejaVu Sans.</p>')
    result = arena.build()
    assert result.exit_code == 0, result.stderr
    [pdf] = arena.pdfs()
    assert_only_packaged_fonts(pdf)


def test_a_fontconfig_folder_planted_in_a_shared_tmp_is_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "planted"
    elsewhere.mkdir()
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    (shared_tmp / f"casefile-fontconfig-{os.getuid()}").symlink_to(elsewhere, target_is_directory=True)
    monkeypatch.setattr("tempfile.tempdir", str(shared_tmp))
    monkeypatch.delenv("CASEFILE_FONTCONFIG_ISOLATED", raising=False)
    monkeypatch.delenv("FONTCONFIG_FILE", raising=False)
    isolate_fontconfig()
    conf = Path(os.environ["FONTCONFIG_FILE"])
    assert conf.is_file()
    assert elsewhere not in conf.parents
    assert not any(elsewhere.iterdir())
