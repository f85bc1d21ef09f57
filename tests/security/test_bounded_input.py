"""Bounded input: case files that are too large, too deep, too aliased, or not text at all are
refused quickly with one clean error line and exit code 1, through the real command line in
a separate process (so that a crash, exit 139, would show as such and not take pytest down)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Arena

BILLION_LAUGHS = """\
casefile: 1
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
DEPTH = 100_000
BOMBS = {
    "alias-bomb": BILLION_LAUGHS,
    "merge-key-bomb": "a: &a {x: 1}\n" + "".join(f"k{i}: &k{i} {{<<: [*a, *{'a' if i == 0 else f'k{i-1}'}]}}\n"
                                                  for i in range(200)),
    "open-brackets": "[" * DEPTH,
    "closed-brackets": "[" * DEPTH + "]" * DEPTH,
    "flow-mappings": "{a: " * DEPTH + "1" + "}" * DEPTH,
    "block-sequences": "- " * DEPTH + "x\n",
    "mixed-nesting": "a:\n  - " + "[{b: " * (DEPTH // 2),
}


def run_casefile(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line in its own process; the timeout guards only against a hang."""
    return subprocess.run([sys.executable, "-m", "casefile", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("bomb", BOMBS)
def test_each_bomb_is_refused_quickly_with_exit_1(tmp_path: Path, bomb: str, command: str) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMBS[bomb], encoding="utf-8")
    started = time.monotonic()
    result = run_casefile(command, "bomb.yaml", *(["--out", "out"] if command == "build" else []), cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert elapsed < 20, elapsed
    assert re.match(r"bomb\.yaml:\d+:\d+: error: ", result.stderr), result.stderr[:500]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_a_case_file_over_the_size_cap_is_refused_before_parsing(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"casefile: 1\ntitle: " + b"x" * (6 * 1024 * 1024) + b"\n")
    result = run_casefile("check", "big.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == ("casefile: error: big.yaml: is 6,291,476 bytes; case files are limited to "
                                     "5,242,880 (CASEFILE_MAX_CASE_BYTES sets the limit)")


def test_the_size_cap_is_set_by_casefile_max_case_bytes(arena: Arena, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("CASEFILE_MAX_CASE_BYTES", "100")
    result = run_cli("check", arena.case)
    assert result.exit_code == 1
    assert "case files are limited to 100 (CASEFILE_MAX_CASE_BYTES sets the limit)" in result.stderr
    monkeypatch.setenv("CASEFILE_MAX_CASE_BYTES", str(10 * 1024 * 1024))
    assert run_cli("check", arena.case).exit_code == 0


@pytest.mark.parametrize("value", ["0", "-5", "five", "1.5", "inf"])
def test_a_bad_size_cap_is_one_error_line(arena: Arena, run_cli, monkeypatch, value: str) -> None:
    monkeypatch.setenv("CASEFILE_MAX_CASE_BYTES", value)
    result = run_cli("check", arena.case)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"casefile: error: CASEFILE_MAX_CASE_BYTES must be a whole number greater "
                                     f"than 0, not '{value}'")


def test_a_thirty_megabyte_field_is_refused_by_the_size_cap(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("casefile: 1\nid: x\ntitle: |\n" + ("  " + "y" * 1000 + "\n") * 30_000, encoding="utf-8")
    result = run_cli("check", path)
    assert result.exit_code == 1
    assert "case files are limited to 5,242,880" in result.stderr


# Bytes that are not a case file.
def test_invalid_utf8_is_reported_with_its_byte_offset(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"casefile: 1\ntitle: caf\xe9\n")
    result = run_cli("check", path)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"casefile: error: {path}: is not valid UTF-8 (byte offset 22); save it as UTF-8"


def test_a_byte_order_mark_is_accepted(arena: Arena, run_cli) -> None:
    arena.case.write_bytes(b"\xef\xbb\xbf" + arena.case.read_bytes())
    assert run_cli("check", arena.case).exit_code == 0


def test_crlf_line_ends_are_accepted(arena: Arena, run_cli) -> None:
    arena.case.write_bytes(arena.case.read_bytes().replace(b"\n", b"\r\n"))
    result = run_cli("check", arena.case)
    assert result.exit_code == 0, result.stderr


def test_a_tab_in_indentation_is_a_located_error(arena: Arena, run_cli) -> None:
    text = arena.case.read_text(encoding="utf-8").replace("    name: Ostrand Velk", "\tname: Ostrand Velk")
    arena.case.write_text(text, encoding="utf-8")
    result = run_cli("check", arena.case)
    assert result.exit_code == 1
    assert re.match(rf"{re.escape(str(arena.case))}:\d+:\d+: error: YAML syntax: ", result.stderr), result.stderr


def test_tabs_inside_values_are_kept(arena: Arena, run_cli) -> None:
    text = arena.case.read_text(encoding="utf-8").replace("place: Geneva", 'place: "Gen\\teva"')
    arena.case.write_text(text, encoding="utf-8")
    assert run_cli("check", arena.case).exit_code == 0


def test_utf16_is_refused_with_advice(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes("casefile: 1\n".encode("utf-16"))
    result = run_cli("check", path)
    assert result.exit_code == 1
    assert "is UTF-16; save it as UTF-8" in result.stderr


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null", "fifo"])
def test_a_device_or_fifo_given_as_a_case_file_is_refused_without_reading(
        tmp_path: Path, special: str) -> None:
    target = special
    if special == "fifo":
        target = str(tmp_path / "case.yaml")
        os.mkfifo(target)
    started = time.monotonic()
    result = run_casefile("check", target, cwd=tmp_path)
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    assert result.stderr.strip() == f"casefile: error: {target}: is not a regular file"


def test_a_folder_named_like_a_case_file_is_skipped_when_building_a_folder(arena: Arena, run_cli) -> None:
    (arena.case_dir / "folder.yaml").mkdir()
    result = run_cli("check", arena.case_dir)
    assert result.exit_code == 0, result.stderr
    assert "folder.yaml" not in result.stderr


def test_a_folder_given_for_an_exhibit_is_a_located_error(arena: Arena, run_cli) -> None:
    text = arena.case.read_text(encoding="utf-8").replace("file: evidence/field-report.txt", "file: evidence")
    arena.case.write_text(text, encoding="utf-8")
    result = run_cli("check", arena.case)
    assert result.exit_code == 1
    assert "'evidence' is not a regular file" in result.stderr


def test_an_unreadable_case_file_is_one_line(arena: Arena, run_cli) -> None:
    result = run_cli("check", arena.case_dir / "no-such-case.yaml")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"casefile: error: {arena.case_dir / 'no-such-case.yaml'}: no such file"


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("place", "no", "no"), ("place", "012", "012"), ("place", "1:20", "1:20"), ("place", "yes", "yes"),
    ("place", "2024-01-01", "2024-01-01"), ("place", "0x1F", "0x1F"), ("place", ".inf", ".inf"),
])
def test_scalars_reach_the_document_as_written_not_as_yaml_1_1_guesses(
        arena: Arena, field: str, value: str, shown: str) -> None:
    from casefile.checks import check_case
    from casefile.render import find_template, render_html
    from casefile.resolve import resolve_document

    text = arena.case.read_text(encoding="utf-8").replace("place: Geneva", f"{field}: {value}")
    arena.case.write_text(text, encoding="utf-8")
    data = resolve_document(check_case(arena.case), "en")
    assert data["case"]["place"] == shown
    assert f"{shown}, " in render_html(find_template("extradition-request"), data)


def test_a_key_spelled_like_an_internal_marker_is_an_ordinary_key(tmp_path: Path, run_cli) -> None:
    # Found by the fuzz harness: `<key>` once collided with the loader's own marker (exit 3).
    from casefile.loader import parse_yaml

    data, positions, _problems = parse_yaml("<key>: {en: a}\nb: [1]\n", "case.yaml")
    assert data == {"<key>": {"en": "a"}, "b": ["1"]}
    assert positions.value(("<key>", "en")).line == 1
    path = tmp_path / "case.yaml"
    path.write_text("{casefile: 1, id: x, <key>: {en: a}, accused: [{id: a, name: b}]}\n", encoding="utf-8")
    result = run_cli("check", path)
    assert result.exit_code == 1
    assert "unknown field '<key>'" in result.stderr
