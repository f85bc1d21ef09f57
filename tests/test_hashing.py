"""`casefile hash`: fills in exhibit hashes by patching the case file's text, and nothing else."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from casefile.hashing import hash_case
from tests.conftest import MINIMAL

REPORT_HASH = "94411720d92e7d3f844ebee5d161b0ff49d3484931270a7c8d96a19af1117338"
OTHER_HASH = "0" * 64

# A case written the way editors write: comments everywhere, an unusual key order, quoting
# styles, a flow mapping, a block scalar and a trailing comment on the file line.
COMMENTED = f"""# Case header comment: kept as it is.
casefile: 1   # format version
id: velk-extradition
title: "Request concerning the fictional accused Ostrand Velk"
language: en
date: 2025-01-15
parties:
  - {{id: league, name: Fictional Rights League, role: requesting}}
  - {{id: arcadia, name: Republic of Arcadia, role: requested}}
accused:
  - {{id: velk, name: Ostrand Velk}}
request:
  type: extradition
  from: league
  to: arcadia
  sought: "The extradition of [=velk]."
crimes:
  - id: killings
    conduct: cah-murder
    summary: >
      The alleged killing of civilians [@report] [@memo] [@note].
sources:
  # the field report comes first
  - title: Fictional field report   # title before id, on purpose
    id: report
    file: evidence/field-report.txt    # the exhibit
    kind: report
  - {{id: memo, title: 'Fictional memo', file: evidence/memo.txt, kind: other}}
  - id: note
    title: Fictional note
    file: evidence/note.txt
    sha256: '{OTHER_HASH}'
# closing comment
"""


@pytest.fixture
def commented(case_dir: Path) -> Path:
    (case_dir / "evidence" / "memo.txt").write_text("A fictional memo.\n", encoding="utf-8")
    (case_dir / "evidence" / "note.txt").write_text("A fictional note.\n", encoding="utf-8")
    path = case_dir / "commented.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_hash_fills_in_missing_hashes_and_keeps_every_other_line_byte_for_byte(commented: Path, run_cli) -> None:
    before = commented.read_bytes().splitlines(keepends=True)
    result = run_cli("hash", "--update", commented)
    assert result.exit_code == 0, result.stderr
    after = commented.read_bytes().splitlines(keepends=True)
    memo, note = (digest(commented.parent / "evidence" / n) for n in ("memo.txt", "note.txt"))
    # Exactly one line inserted (under `file:`, indented like it), two lines changed in place.
    expected = list(before)
    file_line = next(i for i, line in enumerate(before) if b"evidence/field-report.txt" in line)
    expected.insert(file_line + 1, f"    sha256: {REPORT_HASH}\n".encode())
    memo_line = next(i for i, line in enumerate(expected) if b"evidence/memo.txt" in line)
    expected[memo_line] = expected[memo_line].replace(b"evidence/memo.txt,",
                                                      f"evidence/memo.txt, sha256: {memo},".encode())
    note_line = next(i for i, line in enumerate(expected) if OTHER_HASH.encode() in line)
    expected[note_line] = expected[note_line].replace(OTHER_HASH.encode(), note.encode())
    assert after == expected


def test_hash_reports_each_change_with_its_new_position_on_stderr(commented: Path, run_cli) -> None:
    result = run_cli("hash", "--update", commented)
    lines = result.stderr.splitlines()
    text = commented.read_text(encoding="utf-8").splitlines()
    report_line = next(i for i, line in enumerate(text, start=1) if REPORT_HASH in line)
    assert f"{commented}:{report_line}:13: sources[0].sha256: filled in {REPORT_HASH} (evidence/field-report.txt)" \
        in lines
    note = digest(commented.parent / "evidence" / "note.txt")
    assert any(line.endswith(f"sources[2].sha256: replaced {OTHER_HASH} with {note} (evidence/note.txt)")
               for line in lines)
    assert result.stdout == ""


def test_a_differing_hash_is_an_error_without_update_and_nothing_is_written(commented: Path, run_cli) -> None:
    before = commented.read_bytes()
    result = run_cli("hash", commented)
    assert result.exit_code == 1
    note = digest(commented.parent / "evidence" / "note.txt")
    line = next(i for i, text in enumerate(COMMENTED.splitlines(), start=1) if OTHER_HASH in text)
    assert f"{commented}:{line}:13: error: sources[2].sha256: evidence/note.txt does not match its hash: " \
           f"expected {OTHER_HASH}, actual {note} (run `casefile hash --update` to replace it)" in result.stderr
    assert commented.read_bytes() == before


def test_hash_twice_changes_nothing_the_second_time(commented: Path, run_cli) -> None:
    assert run_cli("hash", "--update", commented).exit_code == 0
    once = commented.read_bytes()
    result = run_cli("hash", commented)
    assert result.exit_code == 0
    assert "every exhibit hash is up to date" in result.stderr
    assert commented.read_bytes() == once


def test_the_patched_case_checks_clean(commented: Path, run_cli) -> None:
    assert run_cli("hash", "--update", commented).exit_code == 0
    assert run_cli("check", commented).exit_code == 0


def test_line_endings_a_byte_order_mark_and_the_file_mode_are_kept(case_dir: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(f"    sha256: {REPORT_HASH}\n", "")
    path = case_dir / "crlf.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    os.chmod(path, 0o600)
    report = hash_case(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert f"    file: evidence/field-report.txt\r\n    sha256: {REPORT_HASH}\r\n".encode() in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert [c.new for c in report.changes] == [REPORT_HASH]


def test_a_file_line_that_is_the_last_line_without_a_newline_gets_its_hash_after_it(case_dir: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace(f"    sha256: {REPORT_HASH}\n", "").replace("    file: evidence/field-report.txt\n", "")
    text = text.rstrip("\n") + "\n    file: evidence/field-report.txt"
    path = case_dir / "last.yaml"
    path.write_text(text, encoding="utf-8")
    hash_case(path)
    assert path.read_text(encoding="utf-8") == text + f"\n    sha256: {REPORT_HASH}"


def test_an_empty_sha256_value_is_filled_in_where_it_is(case_dir: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(f"    sha256: {REPORT_HASH}\n", "    sha256:\n")
    path = case_dir / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    hash_case(path)
    assert path.read_text(encoding="utf-8") == MINIMAL.read_text(encoding="utf-8")


def test_a_link_leading_outside_the_case_folder_is_refused_and_nothing_is_written(
        case_dir: Path, tmp_path: Path, run_cli) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the case\n", encoding="utf-8")
    (case_dir / "evidence" / "link.txt").symlink_to(outside)
    text = MINIMAL.read_text(encoding="utf-8").replace("evidence/field-report.txt", "evidence/link.txt") \
        .replace(f"    sha256: {REPORT_HASH}\n", "")
    path = case_dir / "link.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("hash", path)
    assert result.exit_code == 1
    assert "error: sources[0].file: 'evidence/link.txt' leads outside the case folder" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_a_case_file_reached_through_a_symlink_is_patched_in_place(case_dir: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(f"    sha256: {REPORT_HASH}\n", "")
    real = case_dir / "real.yaml"
    real.write_text(text, encoding="utf-8")
    link = case_dir / "alias.yaml"
    link.symlink_to(real.name)
    hash_case(link)
    assert link.is_symlink()
    assert REPORT_HASH in real.read_text(encoding="utf-8")


def test_a_yaml_error_is_reported_with_its_position_and_nothing_is_written(case_dir: Path, run_cli) -> None:
    path = case_dir / "broken.yaml"
    path.write_text("casefile: 1\nsources: [\n", encoding="utf-8")
    result = run_cli("hash", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:3:1: error: YAML syntax")
    assert path.read_text(encoding="utf-8") == "casefile: 1\nsources: [\n"
