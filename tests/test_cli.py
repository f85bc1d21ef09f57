"""Tests for casefile.cli: messages on stderr, machine output on stdout, and the exit codes of cli.md."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
import pytest

import casefile.checks
from casefile.cli import cli
from conftest import MINIMAL

PROBLEM_LINE = re.compile(r"^[^:\s]+:\d+:\d+: (error|warning): \S.*$")


def test_check_on_the_minimal_case_exits_0(run_cli) -> None:
    result = run_cli("check", MINIMAL)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "", "machine output only goes to stdout"
    # The summary's wording is free (cli.md); it names the case and prints no problem line.
    assert result.stderr.startswith(f"casefile: {MINIMAL}: ok")
    assert not [line for line in result.stderr.splitlines() if PROBLEM_LINE.match(line)]


def test_quiet_check_of_a_good_case_prints_nothing(run_cli) -> None:
    result = run_cli("--quiet", "check", MINIMAL)
    assert result.exit_code == 0
    assert result.stderr == ""


def test_check_of_a_broken_case_exits_1_with_one_problem_line_per_problem(
        run_cli, write_case, case_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_case(replace=("qualifier: at-least", "qualifier: at-leat"))
    text = (case_dir / "case.yaml").read_text(encoding="utf-8")
    text = text.replace("    name: Ostrand Velk\n", "")
    (case_dir / "case.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(case_dir)
    result = run_cli("check", "case.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = text.splitlines()
    accused = lines.index("  - id: velk") + 1
    figure = next(i for i, line in enumerate(lines, 1) if "at-leat" in line)
    column = lines[figure - 1].index("at-leat") + 1
    assert result.stderr.splitlines() == [
        f"case.yaml:{accused}:5: error: accused[0]: missing required field 'name'",
        f"case.yaml:{figure}:{column}: error: figures[0].qualifier: 'at-leat' is not one of 'exact', 'at-least', "
        "'approximately' or 'at-most' (did you mean 'at-least'?)",
    ]
    assert "Error:" not in result.stderr
    assert "Traceback" not in result.stderr


def test_every_line_of_a_failed_check_is_in_the_contract_format(run_cli, write_case) -> None:
    path = write_case(replace=("[@report, p. 2]", "[@reprot, p. 2]"))
    result = run_cli("check", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()
    for line in result.stderr.splitlines():
        assert PROBLEM_LINE.match(line.replace(str(path), "case.yaml")), line


def test_check_reports_every_case_and_fails_if_any_fails(run_cli, write_case) -> None:
    bad = write_case(replace=("casefile: 1", "casefile: 2"), name="bad.yaml")
    result = run_cli("check", MINIMAL, bad)
    assert result.exit_code == 1
    assert any(line.startswith(f"casefile: {MINIMAL}: ok") for line in result.stderr.splitlines())
    assert f"{bad}:2:11: error: casefile: format version 2 is not supported; this casefile reads version 1" \
        in result.stderr.splitlines()


def test_warnings_are_printed_but_do_not_fail_check(run_cli, write_case) -> None:
    path = write_case(replace=(", sources: [report]}", "}"))
    result = run_cli("check", path)
    assert result.exit_code == 0
    assert f"{path}:32:5: warning: figures[0]: figure 'dead' has no source" in result.stderr.splitlines()


def test_check_strict_turns_warnings_into_exit_1(run_cli, write_case) -> None:
    path = write_case(replace=(", sources: [report]}", "}"))
    result = run_cli("check", "--strict", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{path}:32:5: error: figures[0]: figure 'dead' has no source"]


def test_check_lang_lists_untranslated_fields_as_warnings(run_cli) -> None:
    result = run_cli("check", "--lang", "fr", MINIMAL)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert f"{MINIMAL}:4:8: warning: title: no 'fr' text; the 'en' text is used" in warnings
    assert len(warnings) == 10
    assert all(PROBLEM_LINE.match(w.replace(str(MINIMAL), "minimal.yaml")) for w in warnings)


def test_check_lang_with_strict_fails_on_untranslated_fields(run_cli) -> None:
    result = run_cli("check", "--strict", "--lang", "fr", MINIMAL)
    assert result.exit_code == 1
    assert ": error: title: no 'fr' text" in result.stderr


def test_an_unreadable_case_file_is_one_casefile_error_line(run_cli, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "absent.yaml")
    assert result.exit_code == 1
    assert result.stderr == "casefile: error: absent.yaml: no such file\n"


def test_a_case_file_that_is_not_utf8_is_one_casefile_error_line(run_cli, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "case.yaml").write_bytes(b"title: Ostrand V\xe9lk\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "case.yaml")
    assert result.exit_code == 1
    assert result.stderr == "casefile: error: case.yaml: is not valid UTF-8 (byte offset 16); save it as UTF-8\n"


def test_an_unknown_option_is_a_usage_error_exiting_2(run_cli) -> None:
    result = run_cli("check", "--bogus", MINIMAL)
    assert result.exit_code == 2
    assert "No such option: --bogus" in result.stderr or "No such option '--bogus'" in result.stderr


def test_check_without_a_case_is_a_usage_error(run_cli) -> None:
    assert run_cli("check").exit_code == 2


def test_an_unknown_command_is_a_usage_error(run_cli) -> None:
    assert run_cli("chekc").exit_code == 2


def test_crimes_lists_the_catalogue(run_cli) -> None:
    result = run_cli("crimes")
    assert result.exit_code == 0
    assert re.search(r"^\s+cah-murder\s+Rome Statute art\. 7\(1\)\(a\)", result.stdout, re.MULTILINE)
    assert "ordering" in result.stdout


def test_crimes_as_json_has_conducts_and_liability(run_cli) -> None:
    result = run_cli("crimes", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    conducts = {c["key"]: c for c in data["conducts"]}
    assert conducts["cah-murder"]["provision"] == "Rome Statute art. 7(1)(a)"
    assert [e["key"] for e in conducts["cah-murder"]["elements"]] == ["killing"]
    assert {e["key"] for e in conducts["cah-murder"]["context_elements"]} == {"attack", "knowledge"}
    liability = {m["key"] for m in data["liability"]}
    assert {"ordering", "command-responsibility", "co-perpetration"} <= liability


def test_an_internal_error_is_one_line_and_exit_3(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the checker broke")

    monkeypatch.setattr(casefile.checks, "check_case", broken)
    result = run_cli("check", MINIMAL)
    assert result.exit_code == 3
    assert result.stderr == (
        "casefile: internal error: RuntimeError: the checker broke (run with --debug for details)\n"
    )
    assert "Traceback" not in result.stderr + result.stdout


def test_with_debug_an_internal_error_propagates(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the checker broke")

    monkeypatch.setattr(casefile.checks, "check_case", broken)
    with pytest.raises(RuntimeError, match="the checker broke"):
        run_cli("--debug", "check", MINIMAL)


def test_version_is_printed(run_cli) -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("casefile, version ")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_text(run_cli, name: str) -> None:
    command = cli.commands[name]
    assert isinstance(command, click.Command)
    assert command.help and command.help.strip(), f"`{name}` has no docstring"
    result = run_cli(name, "--help")
    assert result.exit_code == 0
    assert f"Usage: cli {name}" in result.stdout or f"Usage: casefile {name}" in result.stdout
    assert " ".join(command.help.split()) in " ".join(result.stdout.split())


def test_the_group_has_help_text(run_cli) -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    for name in cli.commands:
        assert name in result.stdout


@pytest.mark.parametrize("command", ["check", "build", "watch"])
def test_a_folder_without_case_files_is_a_usage_error_not_a_silent_success(run_cli, tmp_path: Path,
                                                                         command: str) -> None:
    (tmp_path / "notes.txt").write_text("not a case", encoding="utf-8")
    result = run_cli(command, tmp_path)
    assert result.exit_code == 2
    assert "no case files (.yaml, .yml) in the folders given" in result.stderr


def test_the_console_entry_point_leaves_its_heap_to_the_exit_without_walking_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from casefile.cli import main

    monkeypatch.setattr(sys, "argv", ["casefile", "--version"])
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as ended:
            main()
        assert ended.value.code == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
