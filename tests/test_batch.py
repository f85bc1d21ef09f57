"""Batch builds: folders of cases, parallel processes, failures isolated, up-to-date outputs skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.pdf


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    """A folder with two good cases and one broken one."""
    folder = tmp_path / "cases"
    shutil.copytree(DATA / "cases", folder)
    text = (folder / "minimal.yaml").read_text(encoding="utf-8")
    (folder / "second.yaml").write_text(text.replace("id: velk-extradition", "id: second-case"), encoding="utf-8")
    (folder / "broken.yaml").write_text(text.replace("conduct: cah-murder", "conduct: cah-murdre"), encoding="utf-8")
    return folder


def test_a_batch_builds_the_good_cases_reports_the_broken_one_and_exits_1(run_cli, cases: Path,
                                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("build", cases, "--out", out, "--template", "brief", "--lang", "en", "-j", "2")
    assert result.exit_code == 1
    assert sorted(p.name for p in out.glob("*.pdf")) == ["second-case.brief.en.pdf", "velk-extradition.brief.en.pdf"]
    broken = str(cases / "broken.yaml")
    assert f"{broken}:28:14: error: crimes[0].conduct: unknown conduct 'cah-murdre' (did you mean 'cah-murder'?)" \
        in result.stderr
    assert "2 built, 0 up to date, 1 failed" in result.stderr


def test_an_unchanged_case_is_not_built_again_and_force_rebuilds_it(run_cli, cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    case = cases / "minimal.yaml"
    args = ("build", case, "--out", out, "--template", "brief", "--lang", "en", "-j", "1")
    assert run_cli(*args).exit_code == 0
    pdf = out / "velk-extradition.brief.en.pdf"
    first = pdf.stat().st_mtime_ns

    again = run_cli(*args)
    assert again.exit_code == 0
    assert "0 built, 1 up to date" in again.stderr
    assert pdf.stat().st_mtime_ns == first

    forced = run_cli(*args, "--force")
    assert "1 built, 0 up to date" in forced.stderr


def test_a_changed_input_or_option_makes_the_document_stale(run_cli, cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    case = cases / "minimal.yaml"
    args = ("build", case, "--out", out, "--template", "brief", "--lang", "en")
    run_cli(*args)
    case.write_text(case.read_text(encoding="utf-8").replace("place: Geneva", "place: Lausanne"), encoding="utf-8")
    assert "1 built" in run_cli(*args).stderr
    assert "1 built" in run_cli(*args, "--digits", "latn").stderr
    assert "0 built, 1 up to date" in run_cli(*args, "--digits", "latn").stderr


def test_a_pdf_changed_after_its_build_is_rebuilt(run_cli, cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("build", cases / "minimal.yaml", "--out", out, "--template", "brief", "--lang", "en")
    run_cli(*args)
    (out / "velk-extradition.brief.en.pdf").write_bytes(b"not the PDF that was built")
    assert "1 built" in run_cli(*args).stderr
    assert (out / "velk-extradition.brief.en.pdf").read_bytes().startswith(b"%PDF-")
