"""Shared fixtures: a CLI runner, case files written to tmp_path, and PDFs built once per session."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from casefile.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = ROOT / "cases" / "assad-extradition.yaml"
MINIMAL = DATA / "cases" / "minimal.yaml"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run the casefile command line in-process; stdout and stderr stay separate."""
    def run(*args: str | Path) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return run


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    """A copy of the minimal case folder (case file and evidence) in tmp_path."""
    target = tmp_path / "case"
    shutil.copytree(DATA / "cases", target)
    return target


@pytest.fixture
def write_case(case_dir: Path) -> Callable[..., Path]:
    """Write a case file into the copied case folder, from text or by editing the minimal case."""
    def write(text: str | None = None, *, replace: tuple[str, str] | None = None, name: str = "case.yaml") -> Path:
        if text is None:
            text = MINIMAL.read_text(encoding="utf-8")
        if replace:
            old, new = replace
            assert old in text, f"{old!r} not in the case text"
            text = text.replace(old, new, 1)
        path = case_dir / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed case built once, every document and language, into a session folder."""
    from casefile.build import BuildOptions, build_cases

    out = tmp_path_factory.mktemp("seed-output")
    with weasyprint_log() as records:
        report = build_cases([SEED], BuildOptions(out=out))
    assert not report.failures, [str(e) for _, e in report.failures]
    assert not records, "WeasyPrint logged: " + "; ".join(r.getMessage() for r in records)
    return out


@contextlib.contextmanager
def weasyprint_log() -> Iterator[list[logging.LogRecord]]:
    """Every warning or error the `weasyprint` logger emits while inside."""
    with logged("weasyprint") as records:
        yield records


@contextlib.contextmanager
def logged(name: str, level: int = logging.WARNING) -> Iterator[list[logging.LogRecord]]:
    """Every record at `level` or above that the logger `name` emits while inside."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger(name)
    handler, saved = Keep(level), logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)
