"""Tests for casefile.diff and `casefile diff`: the changes a lawyer reads, not a text diff."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from casefile.diff import Change, render_words, word_diff
from conftest import DATA, SEED

OLD = DATA / "diff" / "old.yaml"
NEW = DATA / "diff" / "new.yaml"


def changes_of(run_cli, *args: str | Path) -> list[dict]:
    result = run_cli("diff", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["changes"]


def find(changes: list[dict], **where: object) -> list[dict]:
    return [c for c in changes if all(c.get(k) == v for k, v in where.items())]


def test_a_changed_figure_shows_old_and_new_values_as_the_documents_print_them(run_cli) -> None:
    result = run_cli("diff", OLD, NEW)
    assert result.exit_code == 0
    assert "  ~ dead value: at least 1,200 → at least 1,350\n" in result.stdout
    assert "  ~ dead sources: [report] → [report, ngo-letter]\n" in result.stdout
    [value] = find(changes_of(run_cli, OLD, NEW), section="figures", id="dead", field="value")
    assert value["change"] == "changed"
    assert value["old"] == {"value": 1200, "qualifier": "at-least"}
    assert value["new"] == {"value": 1350, "qualifier": "at-least"}
    assert (value["old_text"], value["new_text"]) == ("at least 1,200", "at least 1,350")


def test_an_added_source_is_reported(run_cli) -> None:
    result = run_cli("diff", OLD, NEW)
    letter = "Letter of the Fictional Rights League to the Republic of Arcadia"
    assert f"Sources\n  + ngo-letter: {letter}\n" in result.stdout
    [added] = find(changes_of(run_cli, OLD, NEW), section="sources", change="added")
    assert added["id"] == "ngo-letter"
    assert added["old"] is None
    assert added["new"]["publisher"] == "Fictional Rights League"


def test_a_changed_exhibit_hash_is_reported_in_full(run_cli) -> None:
    old_hash = "94411720d92e7d3f844ebee5d161b0ff49d3484931270a7c8d96a19af1117338"
    new_hash = "5f2c0e7a1b8d4c3e9a6f0b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e"
    result = run_cli("diff", OLD, NEW)
    assert f"Exhibits\n  ~ report sha256: {old_hash} → {new_hash}\n" in result.stdout
    [changed] = find(changes_of(run_cli, OLD, NEW), section="exhibits")
    assert changed == {"section": "exhibits", "change": "changed", "id": "report", "field": "sha256", "lang": None,
                       "old": old_hash, "new": new_hash, "old_text": old_hash, "new_text": new_hash}


def test_a_removed_crime_title_and_date_are_reported(run_cli) -> None:
    changes = changes_of(run_cli, OLD, NEW)
    [removed] = find(changes, section="crimes")
    assert (removed["change"], removed["id"]) == ("removed", "torture")
    assert removed["old"]["conduct"] == "cah-torture"
    assert find(changes, section="case", field="date")[0]["new"] == "2025-02-01"
    [title] = find(changes, section="case", field="title")
    assert title["old"] == "Request concerning the fictional accused Ostrand Velk"


def test_a_changed_paragraph_is_shown_word_by_word_and_an_added_one_does_not_shift_the_rest(run_cli) -> None:
    result = run_cli("diff", OLD, NEW)
    assert "  ~ facts[0].paragraphs[0]:\n" in result.stdout
    assert "opened fire on a {+peaceful+} crowd of" in result.stdout
    added = "Witnesses describe the events in the same terms [@ngo-letter]."
    assert f"  + facts[0].paragraphs[2]: {added}\n" in result.stdout
    facts = find(changes_of(run_cli, OLD, NEW), section="facts")
    assert [(c["change"], c["field"]) for c in facts] == [("changed", "facts[0].paragraphs[0]"),
                                                         ("added", "facts[0].paragraphs[2]")]
    assert {"op": "insert", "text": "peaceful"} in facts[0]["words"]


def test_the_text_output_lists_sections_in_reading_order_and_counts_changes(run_cli) -> None:
    lines = run_cli("diff", OLD, NEW).stdout.splitlines()
    assert lines[:2] == [f"--- {OLD}", f"+++ {NEW}"]
    headings = [line for line in lines[2:] if line and not line.startswith(" ")][:-1]
    assert headings == ["Case", "Crimes", "Figures", "Facts", "Sources", "Exhibits"]
    assert lines[-1] == "9 change(s)."


def test_identical_versions_have_no_differences_and_exit_0(run_cli) -> None:
    result = run_cli("diff", SEED, SEED)
    assert result.exit_code == 0
    assert result.stdout.endswith("No differences in the case's content.\n")
    assert changes_of(run_cli, SEED, SEED) == []


def test_a_version_with_errors_is_reported_where_it_is_wrong_and_exits_1(run_cli, tmp_path: Path) -> None:
    broken = tmp_path / "new.yaml"
    broken.write_text(NEW.read_text(encoding="utf-8").replace("qualifier: at-least", "qualifier: at-leats"),
                      encoding="utf-8")
    result = run_cli("diff", OLD, broken)
    assert result.exit_code == 1
    assert result.stdout == ""
    line = next(i for i, text in enumerate(broken.read_text(encoding="utf-8").splitlines(), 1) if "at-leats" in text)
    assert result.stderr.startswith(f"{broken}:{line}:")
    assert "figures[0].qualifier: 'at-leats' is not one of" in result.stderr


def test_a_missing_file_is_a_casefile_error(run_cli, tmp_path: Path) -> None:
    result = run_cli("diff", OLD, tmp_path / "missing.yaml")
    assert result.exit_code == 1
    assert result.stderr == f"casefile: error: {tmp_path / 'missing.yaml'}: no such file\n"


@pytest.mark.parametrize("args", [(str(OLD),), (str(OLD), str(NEW), str(NEW)), ("--git", "HEAD", str(OLD), str(NEW))])
def test_the_wrong_number_of_files_is_a_usage_error(run_cli, args: tuple[str, ...]) -> None:
    assert run_cli("diff", *args).exit_code == 2


def test_figures_are_formatted_in_the_language_asked_for(run_cli, tmp_path: Path) -> None:
    result = run_cli("diff", "--lang", "fr", OLD, NEW)
    assert "dead value: au moins 1\u202f200 → au moins 1\u202f350" in result.stdout.replace("\xa0", "\u202f")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Casefile Tests", "-c", "user.email=tests@example.org",
                    "-c", "init.defaultBranch=main", "-C", str(repo), *args],
                   check=True, capture_output=True)


def _committed(tmp_path: Path, name: str, text: str, message: str) -> Path:
    """A new repository under `tmp_path` whose one commit holds `text` as `name`; the file's path."""
    repo = tmp_path / "repo"
    case = repo / name
    case.parent.mkdir(parents=True)
    _git(repo, "init", "-q")
    case.write_text(text, encoding="utf-8")
    _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", message)
    return case


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_compares_a_revision_with_the_working_file(run_cli, tmp_path: Path) -> None:
    case = _committed(tmp_path, "cases/velk.yaml", OLD.read_text(encoding="utf-8"), "The version sent")
    repo = case.parent.parent
    _git(repo, "tag", "sent")
    shutil.copy(NEW, case)

    result = run_cli("diff", "--git", "sent", case)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"--- sent:{case}\n+++ {case}\n")
    assert "  ~ dead value: at least 1,200 → at least 1,350\n" in result.stdout
    as_json = json.loads(run_cli("diff", "--git", "HEAD", "--format", "json", case).stdout)
    assert as_json["old"] == f"HEAD:{case}"
    assert find(as_json["changes"], section="exhibits", field="sha256")

    _git(repo, "commit", "-q", "-am", "The revised version")
    assert run_cli("diff", "--git", "HEAD", case).stdout.endswith("No differences in the case's content.\n")
    assert "dead value" in run_cli("diff", "--git", "HEAD~1", case).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_with_an_unknown_revision_or_an_untracked_file_is_a_casefile_error(run_cli, tmp_path: Path) -> None:
    case = _committed(tmp_path, "velk.yaml", OLD.read_text(encoding="utf-8"), "first")
    result = run_cli("diff", "--git", "no-such-tag", case)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"casefile: error: cannot read {case} at revision 'no-such-tag': ")
    other = case.parent / "other.yaml"
    shutil.copy(NEW, other)
    result = run_cli("diff", "--git", "HEAD", other)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"casefile: error: cannot read {other} at revision 'HEAD': ")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_reports_an_old_version_with_errors_at_its_revision(run_cli, tmp_path: Path) -> None:
    case = _committed(tmp_path, "velk.yaml",
                      OLD.read_text(encoding="utf-8").replace("id: velk-extradition", "id: Velk!"), "broken")
    shutil.copy(NEW, case)
    result = run_cli("diff", "--git", "HEAD", case)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"HEAD:{case}:3:5: error: id: 'Velk!' is not a valid id")


def test_word_diff_marks_deleted_and_inserted_words() -> None:
    runs = word_diff("forces opened fire on the crowd", "forces opened fire on a peaceful crowd")
    assert runs == (("equal", "forces opened fire on"), ("delete", "the"), ("insert", "a peaceful"),
                    ("equal", "crowd"))
    assert render_words(runs) == "forces opened fire on [-the-] {+a peaceful+} crowd"


def test_whitespace_and_line_wrapping_are_not_changes() -> None:
    assert word_diff("a  b\nc", "a b c") == (("equal", "a b c"),)


def test_long_unchanged_runs_are_shortened_in_the_terminal_only() -> None:
    words = " ".join(f"w{i}" for i in range(40))
    runs = word_diff(f"{words} old", f"{words} new")
    shown = render_words(runs)
    assert shown == "… w34 w35 w36 w37 w38 w39 [-old-] {+new+}"
    assert render_words(runs, shorten=False).startswith("w0 w1 w2")


def test_a_change_serialises_every_field_of_the_documented_json_shape() -> None:
    change = Change("figures", "changed", id="dead", field="value", old=1, new=2, old_text="1", new_text="2")
    assert list(change.as_json()) == ["section", "change", "id", "field", "lang", "old", "new", "old_text",
                                      "new_text"]
    prose = Change("facts", "changed", field="facts[0].paragraphs[0]", words=(("equal", "a"),))
    assert prose.as_json()["words"] == [{"op": "equal", "text": "a"}]


def test_diff_does_not_load_the_renderer() -> None:
    code = ("import sys; from click.testing import CliRunner; from casefile.cli import cli; "
            f"r = CliRunner().invoke(cli, ['diff', {str(OLD)!r}, {str(NEW)!r}]); assert r.exit_code == 0, r.output; "
            "print('weasyprint' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"
