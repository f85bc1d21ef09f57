"""Tests for casefile.validate: the model's rules as located problems, through `check_case`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from casefile.checks import check_case
from casefile.errors import CaseValidationError, Problem
from casefile.validate import format_path


def problems_of(path: Path, **kw: object) -> list[str]:
    """Every problem line `casefile check` would print for the case at `path`."""
    with pytest.raises(CaseValidationError) as excinfo:
        check_case(path, display="case.yaml", **kw)  # type: ignore[arg-type]
    assert all(isinstance(p, Problem) for p in excinfo.value.problems)
    return [str(p) for p in excinfo.value.problems]


def line_of(path: Path, needle: str) -> int:
    """The line number of the first `needle` in the written case file."""
    text = path.read_text(encoding="utf-8")
    return text.count("\n", 0, text.index(needle)) + 1


def at(path: Path, needle: str, offset: int = 0) -> str:
    """`case.yaml:LINE:COL` of the first `needle` in the written case file (plus `offset` columns)."""
    text = path.read_text(encoding="utf-8")
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"case.yaml:{line}:{column}"


def test_the_minimal_case_is_valid(write_case) -> None:
    checked = check_case(write_case(), display="case.yaml")
    assert checked.case.id == "velk-extradition"
    assert checked.warnings == ()


# --- Missing fields ------------------------------------------------------------------------------


def test_a_missing_required_field_is_reported_at_the_parent_mapping(write_case) -> None:
    path = write_case(replace=("    name: Ostrand Velk\n", ""))
    where = at(path, "  - id: velk\n", offset=len("  - "))
    assert problems_of(path) == [f"{where}: error: accused[0]: missing required field 'name'"]


def test_a_missing_required_field_in_an_inline_case_points_at_line_and_column(write_case) -> None:
    path = write_case(textwrap.dedent("""\
        casefile: 1
        id: velk-extradition
        title: Request concerning Ostrand Velk
        language: en
        date: 2025-01-15
        parties:
          - {id: league, name: Fictional Rights League}
          - {id: arcadia, name: Republic of Arcadia}
        accused:
          - id: velk
            aliases: [O. Velk]
        request: {type: extradition, from: league, to: arcadia, sought: 'The extradition of [=velk].'}
        crimes:
          - {id: killings, conduct: cah-murder}
        """))
    assert problems_of(path) == ["case.yaml:10:5: error: accused[0]: missing required field 'name'"]


def test_a_missing_top_level_field_is_reported_at_the_top_mapping(write_case) -> None:
    path = write_case(replace=("id: velk-extradition\n", ""))
    # The file opens with a comment line; the top mapping starts at `casefile` on line 2.
    assert problems_of(path) == ["case.yaml:2:1: error: missing required field 'id'"]


def test_a_missing_field_spelled_as_a_python_keyword_is_named_as_the_editor_writes_it(write_case) -> None:
    path = write_case(replace=("  from: league\n", ""))
    assert problems_of(path) == [f"{at(path, 'type: extradition')}: error: request: missing required field 'from'"]


def test_a_missing_field_in_an_empty_flow_mapping_points_at_the_brace(write_case) -> None:
    path = write_case(replace=("    positions:\n", "    positions:\n      - {}\n"))
    assert problems_of(path) == [f"{at(path, '{}')}: error: accused[0].positions[0]: missing required field 'title'"]


# --- Unknown fields ------------------------------------------------------------------------------


def test_an_unknown_field_is_reported_at_its_key_with_a_suggestion(write_case) -> None:
    path = write_case(replace=("    name: Ostrand Velk\n", "    name: Ostrand Velk\n    nationalty: Arcadian\n"))
    assert problems_of(path) == [
        f"{at(path, 'nationalty')}: error: accused[0]: unknown field 'nationalty' (did you mean 'nationality'?)"
    ]


def test_an_unknown_top_level_field_has_no_path_prefix(write_case) -> None:
    path = write_case(replace=("language: en", "langauge: en"))
    assert problems_of(path) == [
        "case.yaml:2:1: error: missing required field 'language'",
        "case.yaml:5:1: error: unknown field 'langauge' (did you mean 'language'?)",
    ]


def test_an_unknown_field_with_nothing_close_has_no_suggestion(write_case) -> None:
    path = write_case(replace=("place: Geneva", "colour: blue"))
    assert problems_of(path) == [f"{at(path, 'colour')}: error: unknown field 'colour'"]


def test_an_unknown_field_suggests_the_alias_of_a_field_not_its_python_name(write_case) -> None:
    path = write_case(replace=("  from: league", "  frm: league"))
    assert problems_of(path) == [
        f"{at(path, 'type: extradition')}: error: request: missing required field 'from'",
        f"{at(path, 'frm')}: error: request: unknown field 'frm' (did you mean 'from'?)",
    ]


def test_an_unknown_field_inside_an_optional_mapping_is_reported_with_its_path(write_case) -> None:
    path = write_case(replace=("    figures: [dead]\n", "    figures: [dead]\n    period: {from: 2020, till: 2021}\n"))
    assert problems_of(path) == [f"{at(path, 'till')}: error: crimes[0].period: unknown field 'till'"]


# --- Values of the wrong kind --------------------------------------------------------------------


def test_a_value_not_among_the_allowed_words_is_refused_with_a_suggestion(write_case) -> None:
    path = write_case(replace=("qualifier: at-least", "qualifier: at-leat"))
    assert problems_of(path) == [
        f"{at(path, 'at-leat')}: error: figures[0].qualifier: 'at-leat' is not one of 'exact', 'at-least', "
        "'approximately' or 'at-most' (did you mean 'at-least'?)"
    ]


def test_a_value_far_from_every_allowed_word_gets_no_suggestion(write_case) -> None:
    path = write_case(replace=("type: extradition", "type: arrest"))
    assert problems_of(path) == [
        f"{at(path, 'arrest')}: error: request.type: 'arrest' is not one of 'extradition', 'prosecution', "
        "'surrender' or 'investigation'"
    ]


def test_a_list_where_a_mapping_is_expected_is_refused(write_case) -> None:
    path = write_case(replace=("    positions:", "    location: [Borduria]\n    positions:"))
    assert problems_of(path) == [
        f"{at(path, '[Borduria]')}: error: accused[0].location: expected a mapping, got a list"
    ]


def test_a_whole_section_given_as_a_list_is_refused_at_the_list(write_case) -> None:
    path = write_case(textwrap.dedent("""\
        casefile: 1
        id: velk-extradition
        title: Request concerning Ostrand Velk
        language: en
        date: 2025-01-15
        accused: [{id: velk, name: Ostrand Velk}]
        request: [extradition, league, arcadia]
        crimes: [{id: killings, conduct: cah-murder}]
        """))
    assert problems_of(path) == ["case.yaml:7:10: error: request: expected a mapping, got a list"]


def test_a_mapping_where_a_list_is_expected_is_refused(write_case) -> None:
    path = write_case(replace=("translations: [fr]", "translations: {fr: yes}"))
    assert problems_of(path) == [f"{at(path, '{fr: yes}')}: error: translations: expected a list, got a mapping"]


def test_a_scalar_where_text_is_expected_is_refused(write_case) -> None:
    path = write_case(replace=("place: Geneva", "place: [Geneva, Bern]"))
    assert problems_of(path) == [
        f"{at(path, '[Geneva')}: error: place: expected text: a string, or a mapping from language code to string "
        "({en: ..., ar: ...})"
    ]


def test_a_non_string_in_a_text_mapping_is_refused(write_case) -> None:
    path = write_case(replace=("fr: République d'Arcadie}", "fr: [République, d'Arcadie]}"))
    assert problems_of(path) == [f"{at(path, '{en: Republic')}: error: parties[1].name: the 'fr' text must be a string"]


def test_an_impossible_date_is_refused_at_the_value(write_case) -> None:
    path = write_case(replace=("date: 2025-01-15", "date: 2025-02-30"))
    assert problems_of(path) == [
        f"{at(path, '2025-02-30')}: error: date: '2025-02-30' is not a valid date: month 2 of 2025 has 28 days"
    ]


def test_a_figure_written_with_a_thousands_separator_is_refused_with_the_hint(write_case) -> None:
    path = write_case(replace=("value: 1200", "value: '1,200'"))
    assert problems_of(path) == [
        f"{at(path, chr(39) + '1,200')}: error: figures[0].value: expected a number, got '1,200' "
        "(write 202000, not '202,000')"
    ]


def test_an_empty_list_of_accused_is_refused(write_case) -> None:
    path = write_case(replace=("accused:\n  - id: velk\n    name: Ostrand Velk\n    positions:\n"
                               "      - {title: Fictional Minister of Order, from: 2015-03, to: 2023-11-30}\n",
                               "accused: []\n"))
    assert problems_of(path) == [f"{at(path, '[]')}: error: accused: at least one entry is required"]


def test_a_page_count_below_one_and_a_non_boolean_flag_are_refused(write_case) -> None:
    path = write_case(replace=("    kind: report\n", "    kind: report\n    pages: 0\n    confidential: maybe\n"))
    assert problems_of(path) == [
        f"{at(path, 'pages: 0', len('pages: '))}: error: "
        "sources[0].pages: must be at least 1, got '0'",
        f"{at(path, 'maybe')}: error: sources[0].confidential: expected true or false, got 'maybe'",
    ]


def test_yaml_1_1_booleans_are_read_by_the_model_not_the_loader(write_case) -> None:
    path = write_case(replace=("    kind: report\n", "    kind: report\n    confidential: yes\n"))
    checked = check_case(path, display="case.yaml")
    assert checked.case.sources[0].confidential is True


def test_a_leading_zero_in_a_whole_number_is_read_as_decimal(write_case) -> None:
    path = write_case(replace=("    kind: report\n", "    kind: report\n    pages: 012\n"))
    assert check_case(path, display="case.yaml").case.sources[0].pages == 12


# --- The format version --------------------------------------------------------------------------


def test_format_version_2_is_refused(write_case) -> None:
    path = write_case(replace=("casefile: 1", "casefile: 2"))
    assert problems_of(path) == [
        "case.yaml:2:11: error: casefile: format version 2 is not supported; this casefile reads version 1"
    ]


def test_a_format_version_that_is_not_a_number_is_refused(write_case) -> None:
    path = write_case(replace=("casefile: 1", "casefile: one"))
    assert problems_of(path) == ["case.yaml:2:11: error: casefile: expected a whole number, got 'one'"]


# --- All at once ---------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_sorted_by_line(write_case) -> None:
    # `request` comes before `id` in the file but after it in the model: the report follows the file.
    path = write_case(textwrap.dedent("""\
        casefile: 1
        request:
          type: extradtion
          from: league
          to: arcadia
          sought: The extradition of [=velk].
        id: Velk Extradition
        title: Request concerning Ostrand Velk
        language: en
        date: 2025-02-30
        accused:
          - id: velk
        crimes:
          - {id: killings, conduct: cah-murder, colour: red}
        """))
    assert problems_of(path) == [
        "case.yaml:3:9: error: request.type: 'extradtion' is not one of 'extradition', 'prosecution', 'surrender' "
        "or 'investigation' (did you mean 'extradition'?)",
        "case.yaml:7:5: error: id: 'Velk Extradition' is not a valid id: use lowercase letters, digits and hyphens, "
        "e.g. 'snhr-statement'",
        "case.yaml:10:7: error: date: '2025-02-30' is not a valid date: month 2 of 2025 has 28 days",
        "case.yaml:12:5: error: accused[0]: missing required field 'name'",
        "case.yaml:14:41: error: crimes[0]: unknown field 'colour'",
    ]


def test_a_duplicate_key_and_a_model_error_are_reported_together(write_case) -> None:
    path = write_case(replace=("place: Geneva", "place: Geneva\nplace: Bern\ncolour: blue"))
    assert problems_of(path) == [
        f"{at(path, 'place: Bern')}: error: duplicate key 'place' (first at line {line_of(path, 'place: Geneva')})",
        f"{at(path, 'colour')}: error: unknown field 'colour'",
    ]


def test_a_field_path_names_list_items_by_index() -> None:
    assert format_path(("crimes", 0, "figures", 1)) == "crimes[0].figures[1]"
    assert format_path(("title",)) == "title"
    assert format_path(()) == ""
