"""Tests for casefile.watch and `casefile watch`: rebuild on change, survive a broken save, stop on Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from casefile.build import BuildOptions
from casefile.render import builtin_template_dir
from casefile.watch import Watcher, case_inputs, watch_roots
from conftest import DATA, ROOT


def test_a_case_depends_on_itself_its_exhibits_and_its_template_folders(case_dir: Path, tmp_path: Path) -> None:
    user_templates = tmp_path / "my-templates"
    user_templates.mkdir()
    inputs = case_inputs(case_dir / "minimal.yaml", BuildOptions(template_dirs=(user_templates,)))
    assert inputs is not None
    folder = case_dir.resolve()
    assert inputs.files == {folder / "minimal.yaml", folder / "evidence" / "field-report.txt"}
    assert inputs.template_dirs == {user_templates.resolve(), builtin_template_dir().resolve()}


def test_a_case_that_cannot_be_read_has_no_inputs(write_case) -> None:
    path = write_case("casefile: 1\nid: [broken\n")
    assert case_inputs(path, BuildOptions()) is None


def test_only_changes_to_a_cases_inputs_rebuild_it(case_dir: Path) -> None:
    built: list[Path] = []
    case = case_dir / "minimal.yaml"
    watcher = Watcher([case], BuildOptions(), on_build=lambda path, report: built.append(path))
    folder = case_dir.resolve()
    assert watcher.affected([str(folder / "minimal.yaml")]) == [case]
    assert watcher.affected([str(folder / "evidence" / "field-report.txt")]) == [case]
    assert watcher.affected([str(builtin_template_dir().resolve() / "partials" / "cover.html")]) == [case]
    assert watcher.affected([str(folder / "notes.txt"), str(folder / "output" / "x.pdf")]) == []
    assert built == []


def test_a_broken_case_keeps_the_inputs_of_its_last_good_version(case_dir: Path) -> None:
    case = case_dir / "minimal.yaml"
    watcher = Watcher([case], BuildOptions(), on_build=lambda path, report: None)
    case.write_text("casefile: 1\nid: [broken\n", encoding="utf-8")
    watcher._refresh_inputs(case)
    assert watcher.affected([str(case_dir.resolve() / "evidence" / "field-report.txt")]) == [case]


def test_the_watched_folders_are_those_of_the_inputs_without_nested_ones(tmp_path: Path) -> None:
    from casefile.watch import CaseInputs

    (tmp_path / "case" / "evidence").mkdir(parents=True)
    (tmp_path / "templates" / "partials").mkdir(parents=True)
    inputs = CaseInputs({tmp_path / "case" / "a.yaml", tmp_path / "case" / "evidence" / "x.txt"},
                        {tmp_path / "templates", tmp_path / "templates" / "partials"})
    assert watch_roots([inputs]) == [tmp_path / "case", tmp_path / "templates"]


def test_case_files_that_appear_in_a_named_folder_are_watched_and_deleted_ones_dropped(case_dir: Path) -> None:
    first = case_dir / "minimal.yaml"
    watcher = Watcher([first], BuildOptions(), on_build=lambda path, report: None, case_folders=[case_dir])
    assert watcher.discover() == []
    second = case_dir / "second.yml"
    shutil.copy(first, second)
    (case_dir / "notes.txt").write_text("not a case", encoding="utf-8")
    assert watcher.discover() == [second]
    assert watcher.cases == [first, second]
    assert watcher.affected([str(case_dir.resolve() / "second.yml")]) == [second]
    first.unlink()
    assert watcher.discover() == []
    assert watcher.cases == [second] and first not in watcher.inputs
    assert case_dir.resolve() in watcher.roots()


def test_a_case_file_named_on_its_own_is_not_dropped_when_it_goes(case_dir: Path) -> None:
    """Only folders are rescanned: a named file that disappears is still watched (and its build fails)."""
    case = case_dir / "minimal.yaml"
    watcher = Watcher([case], BuildOptions(), on_build=lambda path, report: None)
    case.unlink()
    assert watcher.discover() == [] and watcher.cases == [case]


def test_the_watch_builds_a_case_file_saved_into_a_watched_folder(case_dir: Path) -> None:
    """Real file events (watchfiles); the builds themselves are recorded, not made."""
    first = case_dir / "minimal.yaml"
    built: list[Path] = []
    watcher = Watcher([first], BuildOptions(), on_build=lambda path, report: None, case_folders=[case_dir])
    watcher.build = built.append  # type: ignore[method-assign]
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=watcher.run, kwargs={"stop_event": stop, "on_ready": lambda roots: ready.set(),
                                                           "initial_build": False})
    thread.start()
    try:
        assert ready.wait(30)
        shutil.copy(first, case_dir / "second.yaml")
        deadline = time.monotonic() + 30
        while case_dir / "second.yaml" not in built and time.monotonic() < deadline:
            time.sleep(0.1)
        assert built == [case_dir / "second.yaml"]
    finally:
        stop.set()
        thread.join(30)


class _Lines:
    """The stderr of a child process, line by line, readable with a timeout."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # the child closed stderr: it has exited

    def wait_for(self, predicate, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError("timed out; stderr so far:\n" + "\n".join(self.seen))


@pytest.mark.pdf
def test_watch_rebuilds_on_change_survives_a_broken_save_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    shutil.copytree(DATA / "cases", tmp_path / "case")
    case = tmp_path / "case" / "case.yaml"
    shutil.move(tmp_path / "case" / "minimal.yaml", case)
    out = tmp_path / "out"
    pdf = out / "velk-extradition.brief.en.draft.pdf"  # watch writes marked drafts
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "casefile", "watch", "case.yaml", "--template", "brief", "--lang", "en", "--out", out],
        cwd=case.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        stderr = _Lines(child.stderr)
        # First build, then it listens.
        stderr.wait_for(lambda line: line.startswith("casefile: watching 1 case(s)"))
        assert "casefile: case.yaml: ok: 1 built, 0 up to date" in stderr.seen
        first = pdf.read_bytes()

        # A broken save: reported in the contract's form; the last good PDF stays as it was.
        good = case.read_text(encoding="utf-8")
        case.write_text(good.replace("id: velk-extradition", "id: [velk-extradition"), encoding="utf-8")
        error = stderr.wait_for(lambda line: ": error: " in line)
        assert re.fullmatch(r"case\.yaml:\d+:\d+: error: YAML syntax: .+", error), error
        stderr.wait_for(lambda line: line == "casefile: case.yaml: failed: 0 built, 0 up to date")
        assert pdf.read_bytes() == first
        assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")], "no partial PDF left behind"

        # The fix, with a new title: rebuilt, and the PDF shows it.
        case.write_text(good.replace("title: Request concerning", "title: Revised request concerning"),
                        encoding="utf-8")
        stderr.wait_for(lambda line: line == "casefile: case.yaml: ok: 1 built, 0 up to date")
        from tests.pdfread import full_text

        assert pdf.read_bytes() != first
        assert "Revised request concerning the fictional accused Ostrand Velk" in full_text(pdf)
        assert full_text(pdf).count("DRAFT") >= 2, "the draft says so on its pages"
        assert not (out / "velk-extradition.brief.en.pdf").exists(), "a draft never takes a filing copy's name"

        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=30) == 0
        stderr.wait_for(lambda line: line == "casefile: stopped watching", timeout=5)
        assert not [line for line in stderr.seen if "Traceback" in line]
        assert child.stdout.read() == ""
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
