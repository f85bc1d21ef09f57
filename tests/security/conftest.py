"""The hostile-input suite's ground: a case folder, secrets beside it, and a user template folder.

Every attack here is made the way a partner organisation or a shared template could make it:
through a case file, or through a template folder given with `--templates`. The secrets are
canary files outside every folder rendering may read; a test fails if a canary's content
turns up in any file the build wrote.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner, Result

from casefile.cli import cli

DATA = Path(__file__).resolve().parent.parent / "data"
CANARY = "CANARY-0b5e7c1d-must-never-leave-its-folder"
VISIBLE = "VISIBLE-5d2a9f-allowed-resource"
KINDS = ("txt", "css", "png", "svg", "ttf")


def png(text: str) -> bytes:
    """A valid 4x4 PNG carrying `text` in a tEXt chunk."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + text.encode()) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def write_resources(folder: Path, marker: str) -> None:
    """One file of each kind a template can reach for, each carrying `marker`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "canary.txt").write_text(f"{marker}\n", encoding="utf-8")
    (folder / "canary.css").write_text(f'/* {marker} */ body::after {{ content: "{marker}"; }}\n', encoding="utf-8")
    (folder / "canary.png").write_bytes(png(marker))
    (folder / "canary.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20"><text x="0" y="15">{marker}</text></svg>',
        encoding="utf-8")
    (folder / "canary.ttf").write_text(marker, encoding="utf-8")


def contains(path: Path, needle: str) -> bool:
    """Whether `needle` is in the file's bytes or, for a PDF, in any of its decompressed streams."""
    data = path.read_bytes()
    if needle.encode() in data:
        return True
    if not data.startswith(b"%PDF"):
        return False
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    if needle.encode() in obj.read_bytes():
                        return True
                except pikepdf.PdfError:
                    continue
    return False


@dataclass
class Arena:
    """A case folder with secrets beside it: `root/case`, `root/secret`, `root/case-evil`."""

    root: Path
    case_dir: Path
    case: Path
    secret: Path
    sibling: Path
    templates: Path
    out: Path

    def template(self, body: str, name: str = "probe", file: str = "document.html") -> Path:
        """Write a user template: `body` inside a small HTML page using the case's data."""
        folder = self.templates / name
        folder.mkdir(parents=True, exist_ok=True)
        page = ("<!DOCTYPE html>\n<html lang=\"{{ lang }}\"><head><meta charset=\"utf-8\">"
                "<title>{{ meta.title }}</title></head>\n<body>\n<h1>{{ case.title }}</h1>\n"
                f"{body}\n</body></html>\n")
        path = folder / file
        path.write_text(page, encoding="utf-8")
        return path

    def build(self, *extra: str, template: str = "probe") -> Result:
        """`casefile build` of the case with the user template, in this process."""
        args = ["build", str(self.case), "--templates", str(self.templates), "--template", template,
                "--lang", "en", "--out", str(self.out), "-j", "1", "--force", *extra]
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    def written(self) -> list[Path]:
        """Every file the build could have written to: the output folder, case and templates."""
        return [p for folder in (self.out, self.case_dir, self.templates) if folder.exists()
                for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]

    def pdfs(self) -> list[Path]:
        """The PDFs in the output folder."""
        return sorted(self.out.glob("*.pdf")) if self.out.exists() else []

    def assert_no_leak(self, result: Result) -> None:
        """The canary is in no file written and in nothing printed."""
        assert CANARY not in result.output + result.stderr
        leaked = [p for p in self.written() if contains(p, CANARY)]
        assert not leaked, f"the canary leaked into {leaked}"


@pytest.fixture
def arena(tmp_path: Path) -> Iterator[Arena]:
    """A fresh arena per test: the minimal case, canaries in `secret/` and `case-evil/`."""
    case_dir = tmp_path / "case"
    shutil.copytree(DATA / "cases", case_dir)
    case = case_dir / "case.yaml"
    shutil.copy(case_dir / "minimal.yaml", case)
    (case_dir / "minimal.yaml").unlink()
    write_resources(tmp_path / "secret", CANARY)
    write_resources(tmp_path / "case-evil", CANARY)
    write_resources(case_dir / "assets", VISIBLE)
    templates = tmp_path / "templates"
    templates.mkdir()
    return Arena(tmp_path, case_dir, case, tmp_path / "secret", tmp_path / "case-evil", templates, tmp_path / "out")
