"""Output that cannot be written is one `casefile: error:` line naming the path, exit code 1:
an output folder that cannot be created or written, a path through a file, a full disk. A
failed write leaves the previous PDF intact and no temporary file behind."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Arena

PAGE = "<p>{{ case.title }}</p>"


@pytest.mark.parametrize(("out", "reason"), [
    ("/proc/casefile-output", "No such file or directory"),
    ("/proc/self/casefile-output", None),
    ("/sys/kernel/casefile-output", None),
])
def test_an_output_folder_that_cannot_be_created_is_one_error_line(arena: Arena, out: str, reason: str | None) -> None:
    arena.template(PAGE)
    arena.out = Path(out)
    result = arena.build()
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("casefile: error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"casefile: error: cannot write to '{out}': ")
    if reason:
        assert errors[0].endswith(reason)
    assert "Traceback" not in result.stderr


def test_an_output_path_through_a_file_is_one_error_line(arena: Arena) -> None:
    arena.template(PAGE)
    (arena.root / "a-file").write_text("not a folder", encoding="utf-8")
    arena.out = arena.root / "a-file" / "out"
    result = arena.build()
    assert result.exit_code == 1
    assert f"casefile: error: cannot write to '{arena.out}': Not a directory" in result.stderr.splitlines()


@pytest.mark.pdf
def test_a_full_disk_while_writing_keeps_the_previous_pdf_and_names_it(
        arena: Arena, monkeypatch: pytest.MonkeyPatch) -> None:
    arena.template(PAGE)
    assert arena.build().exit_code == 0
    [pdf] = arena.pdfs()
    before = pdf.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    result = arena.build()
    assert result.exit_code == 1
    assert f"casefile: error: cannot write '{pdf}': No space left on device" in result.stderr.splitlines()
    assert pdf.read_bytes() == before
    assert [p.name for p in arena.out.iterdir() if p.name.endswith(".tmp")] == []


def _small_files_only() -> None:
    # Every file this process writes may grow to 20 kB; a write past it fails with EFBIG,
    # as one would on a full disk (Python ignores SIGXFSZ).
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.pdf
def test_running_out_of_file_space_anywhere_in_a_build_is_one_error_line(arena: Arena) -> None:
    arena.template(PAGE)
    result = subprocess.run(
        [sys.executable, "-m", "casefile", "build", str(arena.case), "--templates", str(arena.templates),
         "--template", "probe", "--lang", "en", "--out", str(arena.out), "--force"],
        capture_output=True, text=True, timeout=120, preexec_fn=_small_files_only)
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("casefile: error:")]
    assert len(errors) == 1, result.stderr
    assert "File too large" in errors[0]
    assert "Traceback" not in result.stderr
    assert arena.pdfs() == []
