"""Tests for casefile.loader: reading a case file into plain data with the position of every node."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from casefile.errors import CaseFileUnreadable, CaseValidationError
from casefile.loader import Limits, Position, SourceMap, load_case, parse_yaml


def parse(text: str, **kw: object) -> tuple[object, SourceMap, list[str]]:
    """Parse dedented YAML as `case.yaml`; the data, the positions and the problem lines."""
    data, positions, problems = parse_yaml(textwrap.dedent(text), "case.yaml", **kw)  # type: ignore[arg-type]
    return data, positions, [str(p) for p in problems]


def refused(text: str, **kw: object) -> list[str]:
    """The problem lines of YAML that cannot be loaded at all."""
    with pytest.raises(CaseValidationError) as excinfo:
        parse_yaml(textwrap.dedent(text), "case.yaml", **kw)  # type: ignore[arg-type]
    return [str(p) for p in excinfo.value.problems]


# --- Scalars -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plain",
    ["no", "yes", "off", "on", "true", "012", "1:20", "2024-12-11", "2024-12-11T10:00:00Z", "1.5", "0x10", ".inf",
     "1e3", "1_000"],
)
def test_every_plain_scalar_stays_the_string_the_editor_wrote(plain: str) -> None:
    data, _, problems = parse(f"value: {plain}\n")
    assert data == {"value": plain}
    assert problems == []


def test_scalars_in_lists_and_flow_mappings_stay_strings_too() -> None:
    data, _, _ = parse("""\
        languages: [no, fr]
        period: {from: 2011-03, to: 2024}
        """)
    assert data == {"languages": ["no", "fr"], "period": {"from": "2011-03", "to": "2024"}}


def test_keys_stay_strings_even_when_yaml_1_1_would_make_them_booleans() -> None:
    data, _, _ = parse("no: Norway\n1: one\n")
    assert data == {"no": "Norway", "1": "one"}


@pytest.mark.parametrize("empty", ["null", "Null", "NULL", "~", ""])
def test_null_tilde_and_the_empty_scalar_become_none(empty: str) -> None:
    data, _, _ = parse(f"place: {empty}\n")
    assert data == {"place": None}


@pytest.mark.parametrize("quoted", ["'null'", '"~"', "''"])
def test_a_quoted_null_is_a_string(quoted: str) -> None:
    data, _, _ = parse(f"place: {quoted}\n")
    assert data == {"place": quoted[1:-1]}


def test_an_explicit_standard_tag_is_accepted_and_the_value_stays_a_string() -> None:
    data, _, problems = parse("casefile: !!int 1\ntitle: !!str 2024\n")
    assert data == {"casefile": "1", "title": "2024"}
    assert problems == []


def test_an_anchor_and_alias_within_the_limits_repeat_the_value() -> None:
    data, _, problems = parse("""\
        a: &where [Geneva, Borduria]
        b: *where
        """)
    assert data == {"a": ["Geneva", "Borduria"], "b": ["Geneva", "Borduria"]}
    assert problems == []


# --- Duplicate keys ----------------------------------------------------------------------------


def test_duplicate_key_is_an_error_naming_the_first_line() -> None:
    data, _, problems = parse("""\
        # A fictional case
        casefile: 1
        id: velk-extradition
        id: velk-other
        """)
    assert problems == ["case.yaml:4:1: error: duplicate key 'id' (first at line 3)"]
    assert data == {"casefile": "1", "id": "velk-extradition"}, "the first value is kept"


def test_a_nested_duplicate_key_points_at_the_second_key_with_its_column() -> None:
    _, _, problems = parse("""\
        accused:
          - id: velk
            name: Ostrand Velk
            name: O. Velk
        """)
    assert problems == ["case.yaml:4:5: error: duplicate key 'name' (first at line 3)"]


def test_a_duplicate_key_in_a_flow_mapping_is_reported() -> None:
    _, _, problems = parse("parties:\n  - {id: league, id: arcadia}\n")
    assert problems == ["case.yaml:2:18: error: duplicate key 'id' (first at line 2)"]


def test_every_duplicate_key_is_reported_not_only_the_first() -> None:
    _, _, problems = parse("a: 1\nb: 2\na: 3\nb: 4\n")
    assert problems == [
        "case.yaml:3:1: error: duplicate key 'a' (first at line 1)",
        "case.yaml:4:1: error: duplicate key 'b' (first at line 2)",
    ]


def test_a_duplicate_key_in_a_case_file_is_among_the_loaded_problems(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("casefile: 1\nid: a\nid: b\n", encoding="utf-8")
    loaded = load_case(path, display="case.yaml")
    assert [str(p) for p in loaded.problems] == ["case.yaml:3:1: error: duplicate key 'id' (first at line 2)"]


# --- YAML syntax ---------------------------------------------------------------------------------


def test_a_yaml_syntax_error_is_located_at_the_problem() -> None:
    assert refused("""\
        accused: [velk, league
        request: x
        """) == [
        "case.yaml:2:8: error: YAML syntax: did not find expected ',' or ']' "
        "(while parsing a flow sequence at line 1)"
    ]


def test_an_unterminated_quote_is_located_at_the_end_of_the_file() -> None:
    assert refused("title: 'Ostrand Velk\n") == [
        "case.yaml:2:1: error: YAML syntax: found unexpected end of stream (while scanning a quoted scalar at line 1)"
    ]


def test_a_tab_in_indentation_gives_a_located_yaml_error() -> None:
    (problem,) = refused("accused:\n\tname: Ostrand Velk\n")
    assert problem.startswith("case.yaml:2:1: error: YAML syntax: ")
    assert "\n" not in problem


def test_a_tab_before_a_continued_key_gives_a_located_yaml_error() -> None:
    (problem,) = refused("accused:\n  id: velk\n\tname: Ostrand Velk\n")
    assert problem.startswith("case.yaml:3:1: error: YAML syntax: ")
    assert "tab" in problem


def test_a_control_character_is_reported_on_one_line_at_its_position() -> None:
    (problem,) = refused("casefile: 1\nid: \x07velk\n")
    assert "\n" not in problem
    assert problem.startswith("case.yaml:2:5: error: ")


# --- What is refused, and how quickly ------------------------------------------------------------


def test_nesting_beyond_the_depth_limit_is_refused_at_the_opening_bracket() -> None:
    # The top-level mapping is level 1, so the third '[' (column 6) opens level 4.
    assert refused("a: [[[[x]]]]\n", limits=Limits(max_depth=3)) == [
        "case.yaml:1:6: error: nesting deeper than 3 levels"
    ]


def test_block_nesting_beyond_the_default_depth_limit_is_refused() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "leaf\n"
    (problem,) = refused(text)
    assert problem.endswith("error: nesting deeper than 64 levels")


def test_a_hundred_thousand_open_brackets_are_refused_quickly_by_the_loader() -> None:
    started = time.monotonic()
    (problem,) = refused("[" * 100_000)
    assert time.monotonic() - started < 5
    assert problem.startswith("case.yaml:1:")
    assert ": error: " in problem


def test_a_hundred_thousand_open_brackets_do_not_crash_the_process(tmp_path: Path) -> None:
    # In a child process: a segfault (exit -11/139) must not take the test run down with it.
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 100_000, encoding="utf-8")
    script = (
        "import sys\n"
        "from casefile.errors import CaseValidationError\n"
        "from casefile.loader import load_case\n"
        "try:\n"
        "    load_case(sys.argv[1], display='deep.yaml')\n"
        "except CaseValidationError as e:\n"
        "    print(e)\n"
        "    sys.exit(1)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("deep.yaml:1:")
    assert "Traceback" not in result.stderr


def test_a_hundred_thousand_open_brackets_exit_1_through_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 100_000, encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "casefile", "check", "deep.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.startswith("deep.yaml:1:")
    assert "Traceback" not in result.stderr


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    started = time.monotonic()
    problems = refused("""\
        a: &a [x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
        g: [*f, *f, *f, *f, *f, *f, *f, *f, *f]
        """)
    assert time.monotonic() - started < 5
    assert problems == [
        "case.yaml:5:8: error: too many aliases (at most 100 aliases expanding to 10,000 nodes); write the values out"
    ]


def test_too_many_aliases_are_refused_even_when_each_is_small() -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    (problem,) = refused(text)
    assert problem.startswith("case.yaml:2:")
    assert "too many aliases" in problem


def test_an_unknown_alias_is_an_error() -> None:
    (problem,) = refused("a: *nowhere\n")
    assert problem.startswith("case.yaml:1:")
    assert "'*nowhere'" in problem


def test_a_python_object_tag_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    problems = refused(f"""\
        casefile: 1
        id: !!python/object/apply:os.system ["touch {marker}"]
        """)
    assert problems == [
        "case.yaml:2:5: error: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in a case file"
    ]
    assert not marker.exists()


def test_a_custom_tag_is_refused() -> None:
    assert refused("title: !secret Ostrand Velk\n") == [
        "case.yaml:1:8: error: YAML tag '!secret' is not allowed in a case file"
    ]


def test_a_second_yaml_document_is_refused() -> None:
    assert refused("""\
        casefile: 1
        ---
        casefile: 1
        """) == ["case.yaml:2:1: error: a case file holds one YAML document; remove the second '---'"]


def test_an_explicit_start_and_end_of_the_one_document_are_fine() -> None:
    data, _, problems = parse("---\ncasefile: 1\n...\n")
    assert data == {"casefile": "1"}
    assert problems == []


def test_a_list_used_as_a_mapping_key_is_a_located_error() -> None:
    (problem,) = refused("? [velk]\n: Ostrand Velk\n")
    assert problem.startswith("case.yaml:1:")
    assert "a mapping key must be a plain name, not a list or mapping" in problem


def test_a_case_file_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("- casefile: 1\n", encoding="utf-8")
    with pytest.raises(CaseValidationError) as excinfo:
        load_case(path, display="case.yaml")
    assert [str(p) for p in excinfo.value.problems] == [
        "case.yaml:1:1: error: a case file must be a mapping of fields (casefile: 1, id: ..., ...)"
    ]


# --- Reading the file --------------------------------------------------------------------------


def test_a_utf8_byte_order_mark_is_accepted_and_does_not_shift_positions(tmp_path: Path) -> None:
    text = "casefile: 1\nid: a\nid: b\n"
    plain, bom = tmp_path / "plain.yaml", tmp_path / "bom.yaml"
    plain.write_bytes(text.encode("utf-8"))
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with_bom = load_case(bom, display="case.yaml")
    without = load_case(plain, display="case.yaml")
    assert with_bom.data == without.data == {"casefile": "1", "id": "a"}
    assert with_bom.positions.values == without.positions.values
    assert [str(p) for p in with_bom.problems] == ["case.yaml:3:1: error: duplicate key 'id' (first at line 2)"]


def test_the_case_hash_is_the_sha256_of_the_file_bytes(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"casefile: 1\r\n")
    assert load_case(path).sha256 == hashlib.sha256(b"casefile: 1\r\n").hexdigest()


def test_invalid_utf8_is_unreadable_with_its_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"casefile: 1\nplace: Gen\xe8ve\n")
    with pytest.raises(CaseFileUnreadable) as excinfo:
        load_case(path, display="case.yaml")
    assert str(excinfo.value) == "case.yaml: is not valid UTF-8 (byte offset 22); save it as UTF-8"


def test_invalid_utf8_is_reported_as_a_casefile_error_through_the_cli(
        run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "case.yaml").write_bytes(b"casefile: 1\nplace: Gen\xe8ve\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "case.yaml")
    assert result.exit_code == 1
    assert result.stderr == "casefile: error: case.yaml: is not valid UTF-8 (byte offset 22); save it as UTF-8\n"


def test_the_byte_offset_of_invalid_utf8_counts_the_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"\xef\xbb\xbfcasefile: 1\nplace: Gen\xe8ve\n")
    with pytest.raises(CaseFileUnreadable) as excinfo:
        load_case(path, display="case.yaml")
    assert str(excinfo.value) == "case.yaml: is not valid UTF-8 (byte offset 25); save it as UTF-8"


def test_a_utf16_file_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes("casefile: 1\n".encode("utf-16"))
    with pytest.raises(CaseFileUnreadable) as excinfo:
        load_case(path, display="case.yaml")
    assert str(excinfo.value) == "case.yaml: is UTF-16; save it as UTF-8"


def test_a_folder_given_as_the_case_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(CaseFileUnreadable) as excinfo:
        load_case(tmp_path, display="cases")
    assert str(excinfo.value) == "cases: is a folder, not a case file"


def test_a_missing_case_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(CaseFileUnreadable) as excinfo:
        load_case(tmp_path / "absent.yaml", display="absent.yaml")
    assert str(excinfo.value) == "absent.yaml: no such file"


def test_a_file_over_the_size_cap_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"# padding\n" * 150)
    with pytest.raises(CaseFileUnreadable) as excinfo:
        load_case(path, limits=Limits(max_bytes=1000), display="case.yaml")
    assert str(excinfo.value) == "case.yaml: is 1,500 bytes; case files are limited to 1,000"


def test_a_file_exactly_at_the_size_cap_is_read(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"casefile: 1\n")
    assert load_case(path, limits=Limits(max_bytes=12)).data == {"casefile": "1"}


# --- Line ends -----------------------------------------------------------------------------------


CRLF_SAMPLE = """\
casefile: 1
title: >
  The alleged killing of [#dead]
  civilians
accused:
  - id: velk
    name: Ostrand Velk
    name: O. Velk
"""


def test_crlf_line_ends_give_the_same_data_and_positions_as_lf() -> None:
    lf_data, lf_map, lf_problems = parse_yaml(CRLF_SAMPLE, "case.yaml")
    crlf_data, crlf_map, crlf_problems = parse_yaml(CRLF_SAMPLE.replace("\n", "\r\n"), "case.yaml")
    assert crlf_data == lf_data
    assert crlf_map.values == lf_map.values
    assert crlf_map.keys == lf_map.keys
    assert [str(p) for p in crlf_problems] == [str(p) for p in lf_problems] == [
        "case.yaml:8:5: error: duplicate key 'name' (first at line 7)"
    ]
    assert crlf_map.locate(("title",), "[#dead]") == lf_map.locate(("title",), "[#dead]") == Position(3, 26)


def test_crlf_line_ends_give_the_same_syntax_error_position() -> None:
    text = "accused: [velk, league\nrequest: x\n"
    assert refused(text.replace("\n", "\r\n")) == refused(text)


# --- Positions -----------------------------------------------------------------------------------


def test_values_and_keys_have_their_line_and_column() -> None:
    _, positions, _ = parse("""\
        casefile: 1
        accused:
          - id: velk
            name: Ostrand Velk
        """)
    assert positions.value(("casefile",)) == Position(1, 11)
    assert positions.key(("casefile",)) == Position(1, 1)
    assert positions.value(("accused", 0)) == Position(3, 5)
    assert positions.value(("accused", 0, "name")) == Position(4, 11)
    assert positions.key(("accused", 0, "name")) == Position(4, 5)


def test_a_path_that_does_not_exist_falls_back_to_its_nearest_ancestor() -> None:
    _, positions, _ = parse("accused:\n  - id: velk\n")
    assert positions.value(("accused", 0, "name")) == Position(2, 5)
    assert positions.key(("accused", 0, "name")) == Position(2, 5)


LOCATE_SAMPLE = """\
plain: The killing of [#dead] civilians
  and [#dead] more.
quoted: "The killing of [#dead]
  civilians"
single: 'it''s [#dead]'
folded: >
  First line
  then [#dead] here
literal: |
  - one
  - two [#dead]
flow: {en: "a [#dead]", fr: "b [#dead]"}
"""


@pytest.mark.parametrize(
    ("path", "occurrence", "expected"),
    [
        (("plain",), 0, Position(1, 23)),
        (("plain",), 1, Position(2, 7)),
        (("quoted",), 0, Position(3, 25)),
        (("single",), 0, Position(5, 16)),
        (("folded",), 0, Position(8, 8)),
        (("literal",), 0, Position(11, 9)),
        (("flow", "en"), 0, Position(12, 15)),
        (("flow", "fr"), 0, Position(12, 32)),
    ],
    ids=["plain", "plain-second", "double-quoted", "single-quoted", "folded", "literal", "flow-en", "flow-fr"],
)
def test_locate_finds_a_reference_inside_any_scalar_style(path: tuple[str, ...], occurrence: int,
                                                           expected: Position) -> None:
    _, positions, _ = parse_yaml(LOCATE_SAMPLE, "case.yaml")
    assert positions.locate(path, "[#dead]", occurrence) == expected
    line = LOCATE_SAMPLE.splitlines()[expected.line - 1]
    assert line[expected.column - 1:].startswith("[#dead]")


def test_locate_falls_back_to_the_start_of_the_scalar_when_the_needle_is_not_found() -> None:
    _, positions, _ = parse_yaml(LOCATE_SAMPLE, "case.yaml")
    assert positions.locate(("folded",), "[#absent]") == Position(6, 9)
    assert positions.locate(("plain",), "[#dead]", occurrence=5) == Position(1, 8)


def test_locate_does_not_look_outside_its_own_scalar() -> None:
    _, positions, _ = parse_yaml(LOCATE_SAMPLE, "case.yaml")
    # "[#dead]" occurs earlier on the same line, in the `en` value; the `fr` value has only one.
    assert positions.locate(("flow", "fr"), "[#dead]", occurrence=1) == Position(12, 29)
