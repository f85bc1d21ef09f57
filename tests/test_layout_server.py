"""The layout server: a process started before casefile's heavy imports, which imports WeasyPrint
meanwhile and then forks each layout child. Its children must behave exactly as children forked
by the build itself: same result, same limits, the build's environment at the time of the
request; and whenever it cannot serve, the build forks as before.

The server is only started where WeasyPrint is not yet imported, so these tests run their
scripts in fresh interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from casefile import layout_server

from tests.conftest import MINIMAL, ROOT

PRELUDE = """
import json, os, sys, time
from casefile import layout_server
from casefile.errors import CasefileError, RenderError
from casefile.limits import RenderLimits, run_limited

def parent_pid():
    return os.getppid()

def where():
    return os.environ.get("CASEFILE_TEST_MARK"), os.getcwd()

def fails():
    raise CasefileError("the task's own error")

def sleeps():
    time.sleep(30)

def allocates():
    return len(bytearray(1024 * 1024 * 1024))

LIMITS = RenderLimits(seconds=20, memory_mb=256)
started = layout_server.start(lambda: None)
server = layout_server._server.pid if started else None

def run(task, limits=LIMITS):
    return run_limited(task, what="a task", limits=limits, start=layout_server.starter(lambda: None))

def outcome(task, limits=LIMITS):
    try:
        return ["ok", run(task, limits)]
    except CasefileError as e:
        return ["error", str(e)]
"""


def run_script(body: str, env: dict[str, str] | None = None) -> dict:
    """Run PRELUDE + body in a fresh interpreter; the body prints one JSON object."""
    result = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, **(env or {})}, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_layout_runs_in_a_child_of_the_server_not_of_the_build() -> None:
    seen = run_script("print(json.dumps({'started': started, 'server': server, 'build': os.getpid(), "
                      "'parent': run(parent_pid)}))")
    assert seen["started"] is True
    assert seen["parent"] == seen["server"] != seen["build"]


def test_the_child_has_the_builds_environment_and_folder_as_they_are_at_the_request(tmp_path: Path) -> None:
    seen = run_script(f"""
        os.environ["CASEFILE_TEST_MARK"] = "set after the server started"
        os.chdir({str(tmp_path)!r})
        print(json.dumps({{"where": run(where)}}))
    """)
    assert seen["where"] == ["set after the server started", str(tmp_path)]


def test_errors_time_and_memory_limits_are_those_of_a_forked_child_and_the_server_serves_on() -> None:
    seen = run_script("""
        print(json.dumps({
            "error": outcome(fails),
            "time": outcome(sleeps, RenderLimits(seconds=1, memory_mb=256)),
            "memory": outcome(allocates),
            "after": outcome(parent_pid),
            "server": server,
        }))
    """)
    assert seen["error"] == ["error", "the task's own error"]
    assert seen["time"][0] == "error" and "took longer than 1 s" in seen["time"][1]
    assert seen["memory"][0] == "error" and "ran out of memory" in seen["memory"][1]
    assert seen["after"] == ["ok", seen["server"]]


def test_a_task_that_does_not_pickle_is_laid_out_from_a_fork_of_the_build() -> None:
    seen = run_script("print(json.dumps({'parent': run(lambda: os.getppid()), 'build': os.getpid()}))")
    assert seen["parent"] == seen["build"]


def test_when_the_server_has_died_the_build_forks_as_before_and_forgets_the_server() -> None:
    seen = run_script("""
        import signal
        os.kill(server, signal.SIGKILL)
        time.sleep(0.2)
        parent = run(parent_pid)
        print(json.dumps({"parent": parent, "build": os.getpid(), "forgotten": layout_server._server is None}))
    """)
    assert seen == {"parent": seen["build"], "build": seen["build"], "forgotten": True}


def test_a_process_forked_from_the_build_does_not_share_its_server() -> None:
    seen = run_script("""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.write(write, str(run(parent_pid)).encode() + b" " + str(os.getpid()).encode())
            os._exit(0)
        os.waitpid(pid, 0)
        parent, worker = os.read(read, 100).split()
        print(json.dumps({"parent": int(parent), "worker": int(worker)}))
    """)
    assert seen["parent"] == seen["worker"]


def test_workers_of_a_parallel_batch_each_lay_out_through_a_session_of_their_own() -> None:
    seen = run_script("""
        chosen = layout_server.sessions(2)
        read, write = os.pipe()
        workers = []
        for session in chosen:
            pid = os.fork()
            if pid == 0:
                layout_server.adopt(session)
                os.write(write, f"{run(parent_pid)} {run(parent_pid)}\\n".encode())
                os._exit(0)
            workers.append(pid)
        for pid in workers:
            os.waitpid(pid, 0)
        os.close(write)
        lines = os.read(read, 1000).decode().split()
        print(json.dumps({"sessions": [s.pid for s in chosen], "parents": [int(n) for n in lines],
                          "server": server, "after": run(parent_pid)}))
    """)
    assert len(set(seen["sessions"])) == 2 and seen["server"] not in seen["sessions"]
    assert sorted(set(seen["parents"])) == sorted(seen["sessions"])  # each worker its own session, twice
    assert seen["after"] == seen["server"]  # the build itself still lays out through the server


def test_no_sessions_without_a_server() -> None:
    seen = run_script("print(json.dumps({'sessions': len(layout_server.sessions(2))}))",
                      env={"CASEFILE_LAYOUT_SERVER": "0"})
    assert seen == {"sessions": 0}


def test_the_server_ends_with_the_build() -> None:
    seen = run_script("print(json.dumps({'server': server}))")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(seen["server"], 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail("the layout server outlived the build")


def test_no_server_where_weasyprint_is_imported_already_or_the_environment_rules_it_out() -> None:
    import weasyprint  # noqa: F401

    assert layout_server.start(lambda: None) is False
    assert run_script("print(json.dumps({'started': started}))", env={"CASEFILE_LAYOUT_SERVER": "0"}) == \
        {"started": False}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_command_line_build_through_the_server_writes_the_same_bytes_as_without(tmp_path: Path, jobs: str) -> None:
    outputs = {}
    for setting in ("1", "0"):
        out = tmp_path / setting
        result = subprocess.run([sys.executable, "-m", "casefile", "-q", "build", str(MINIMAL), "--out", str(out),
                                 "--lang", "en", "-j", jobs], capture_output=True,
                                text=True, env={**os.environ, "CASEFILE_LAYOUT_SERVER": setting}, timeout=300)
        assert result.returncode == 0, result.stderr
        outputs[setting] = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    assert outputs["1"] and outputs["1"] == outputs["0"]


def test_the_installed_casefile_command_builds_through_a_server(tmp_path: Path) -> None:
    """The console script is `main`, which lets `build` start a server (a caller of `cli` does not)."""
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="casefile")
    assert script.value == "casefile.cli:main"
    command = Path(sys.executable).parent / "casefile"
    result = subprocess.run([str(command), "-v", "build", str(MINIMAL), "--out", str(tmp_path), "--lang", "en"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "casefile: layout server started" in result.stderr
