"""Tests for casefile.checks: the rules that span fields (ids, references, totals, exhibit files)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from casefile.checks import check_case, untranslated_fields
from casefile.errors import CaseValidationError
from casefile.loader import load_case
from casefile.validate import validate_case

REPORT_HASH = "94411720d92e7d3f844ebee5d161b0ff49d3484931270a7c8d96a19af1117338"
FIGURE = "  - {id: dead, label: civilians killed, value: 1200, qualifier: at-least, sources: [report]}\n"


def problems_of(path: Path, **kw: object) -> list[str]:
    """Every problem line `casefile check` would print for the case at `path` (which must fail)."""
    with pytest.raises(CaseValidationError) as excinfo:
        check_case(path, display="case.yaml", **kw)  # type: ignore[arg-type]
    return [str(p) for p in excinfo.value.problems]


def warnings_of(path: Path, **kw: object) -> list[str]:
    """The warning lines of a case that passes the check."""
    return [str(p) for p in check_case(path, display="case.yaml", **kw).warnings]  # type: ignore[arg-type]


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


def position(path: Path, needle: str, offset: int = 0) -> tuple[int, int]:
    """(line, column) of the first `needle` in the written case file (plus `offset` columns)."""
    _, line, column = at(path, needle, offset).split(":")
    return int(line), int(column)


# --- Ids -----------------------------------------------------------------------------------------


def test_parties_and_accused_share_one_id_namespace(write_case) -> None:
    path = write_case(replace=("  - id: arcadia\n", "  - {id: velk, name: Velk Holdings}\n  - id: arcadia\n"))
    assert problems_of(path) == [
        f"{at(path, '  - id: velk', len('  - id: '))}: error: accused[0].id: duplicate id 'velk' "
        f"(first at line {line_of(path, '{id: velk')})"
    ]


def test_two_parties_with_one_id_are_an_error_at_the_second(write_case) -> None:
    path = write_case(replace=("  - id: arcadia\n", "  - {id: league, name: Second League}\n  - id: arcadia\n"))
    assert problems_of(path) == [
        f"{at(path, '{id: league, name: Second', len('{id: '))}: error: parties[1].id: duplicate id 'league' "
        f"(first at line {line_of(path, '{id: league')})"
    ]


def test_two_sources_with_one_id_are_an_error(write_case) -> None:
    path = write_case(replace=("sources:\n", "sources:\n  - {id: report, title: An earlier fictional report}\n"))
    assert problems_of(path) == [
        f"{at(path, '  - id: report', len('  - id: '))}: error: sources[1].id: duplicate id 'report' "
        f"(first at line {line_of(path, '{id: report')})"
    ]


def test_a_figure_may_share_its_id_with_a_source(write_case) -> None:
    path = write_case(replace=("{id: dead,", "{id: report,"))
    path.write_text(path.read_text(encoding="utf-8").replace("[#dead]", "[#report]").replace("[dead]", "[report]"),
                    encoding="utf-8")
    assert warnings_of(path) == []


# --- Unknown references --------------------------------------------------------------------------

ARGUMENT = "arguments:\n  - {id: no-asylum, title: No asylum, text: 'Asylum is excluded [@report].'}\n"
WITNESS = "witnesses:\n  - {id: w1, pseudonym: W-001, statement: reprot}\n"

UNKNOWN = [
    pytest.param(("[@report, p. 2]", "[@reprot, p. 2]"), "[@reprot", "crimes[0].summary: unknown source 'reprot' "
                 "(did you mean 'report'?)", id="source-in-prose"),
    pytest.param(("[#dead] civilians", "[#daed] civilians"), "[#daed]", "crimes[0].summary: unknown figure 'daed' "
                 "(did you mean 'dead'?)", id="figure-in-prose"),
    pytest.param(("[=velk]", "[=vekl]"), "[=vekl]", "request.sought: unknown party or person 'vekl' "
                 "(did you mean 'velk'?)", id="person-in-prose"),
    pytest.param(("figures: [dead]", "figures: [deaf]"), "deaf]", "crimes[0].figures[0]: unknown figure 'deaf' "
                 "(did you mean 'dead'?)", id="crime-figures"),
    pytest.param(("sources: [report]", "sources: [reprt]"), "reprt]", "figures[0].sources[0]: unknown source "
                 "'reprt' (did you mean 'report'?)", id="figure-sources"),
    pytest.param(("  from: league", "  from: leage"), "leage", "request.from: unknown party 'leage' "
                 "(did you mean 'league'?)", id="request-from"),
    pytest.param(("  to: arcadia", "  to: arcadya"), "arcadya", "request.to: unknown party 'arcadya' "
                 "(did you mean 'arcadia'?)", id="request-to"),
    pytest.param(("    figures: [dead]\n", "    figures: [dead]\n    accused: [vekl]\n"), "vekl]",
                 "crimes[0].accused[0]: unknown accused person 'vekl' (did you mean 'velk'?)", id="crime-accused"),
    pytest.param(("    figures: [dead]\n", "    figures: [dead]\n    liability: [orderin]\n"), "orderin",
                 "crimes[0].liability[0]: unknown mode of liability 'orderin' (did you mean 'ordering'?)",
                 id="liability"),
    pytest.param(("conduct: cah-murder", "conduct: cah-murdr"), "cah-murdr", "crimes[0].conduct: unknown conduct "
                 "'cah-murdr' (did you mean 'cah-murder'?) (`casefile crimes` lists the catalogue)", id="conduct"),
    pytest.param(("  sought:", "  warrant: reprt\n  sought:"), "reprt", "request.warrant: unknown source 'reprt' "
                 "(did you mean 'report'?)", id="warrant"),
    pytest.param(("sources:\n", WITNESS + "sources:\n"), "reprot", "witnesses[0].statement: unknown source 'reprot' "
                 "(did you mean 'report'?)", id="witness-statement"),
    pytest.param(("    positions:", "    location: {place: Borduria, sources: [reprot]}\n    positions:"), "reprot",
                 "accused[0].location.sources[0]: unknown source 'reprot' (did you mean 'report'?)",
                 id="location-sources"),
    pytest.param(("sources:\n", "facts:\n  - {heading: Events, sources: [reprot]}\nsources:\n"), "reprot",
                 "facts[0].sources[0]: unknown source 'reprot' (did you mean 'report'?)", id="fact-sources"),
]


@pytest.mark.parametrize(("edit", "needle", "message"), UNKNOWN)
def test_an_unknown_reference_is_an_error_at_the_reference_with_a_suggestion(write_case, edit: tuple[str, str],
                                                                              needle: str, message: str) -> None:
    path = write_case(replace=edit)
    assert problems_of(path) == [f"{at(path, needle)}: error: {message}"]


def test_an_unknown_ground_is_an_error_with_a_suggestion(write_case) -> None:
    path = write_case(replace=("  sought:", "  grounds: [no-asylm]\n  sought:"))
    path.write_text(path.read_text(encoding="utf-8").replace("sources:\n", ARGUMENT + "sources:\n"), encoding="utf-8")
    assert problems_of(path) == [
        f"{at(path, 'no-asylm')}: error: request.grounds[0]: unknown argument 'no-asylm' (did you mean 'no-asylum'?)"
    ]


def test_an_unknown_part_of_is_an_error_with_a_suggestion(write_case) -> None:
    path = write_case(replace=(FIGURE, FIGURE + "  - {id: children, label: children killed, value: 300, "
                                                "part_of: deed, sources: [report]}\n"))
    assert problems_of(path) == [
        f"{at(path, '{id: children', len('{id: '))}: warning: figures[1].id: figure 'children' is not cited anywhere",
        f"{at(path, 'deed')}: error: figures[1].part_of: unknown figure 'deed' (did you mean 'dead'?)",
    ]


def test_an_unknown_element_key_is_an_error_at_the_key(write_case) -> None:
    path = write_case(replace=("    figures: [dead]\n", "    figures: [dead]\n    elements:\n"
                                                        "      killing: [report]\n      atack: [report]\n"
                                                        "      knowledge: [report]\n"))
    assert problems_of(path) == [
        f"{at(path, '      killing', 6)}: warning: crimes[0].elements: element 'attack' of cah-murder "
        "has no supporting source",
        f"{at(path, 'atack')}: error: crimes[0].elements.atack: 'atack' is not an element of cah-murder "
        "(did you mean 'attack'?)",
    ]


def test_an_unknown_reference_inside_a_language_mapping_is_located_in_that_language(write_case) -> None:
    description = ("    description: {en: 'Mandate [@report] of [=arcadia].', "
                   "fr: 'Mandat [@repport] de [=arcadie].'}\n")
    path = write_case(replace=("    role: requested\n", description + "    role: requested\n"))
    assert problems_of(path) == [
        f"{at(path, '[@repport]')}: error: parties[1].description.fr: unknown source 'repport' "
        "(did you mean 'report'?)",
        f"{at(path, '[=arcadie]')}: error: parties[1].description.fr: unknown party or person 'arcadie' "
        "(did you mean 'arcadia'?)",
    ]


def test_each_occurrence_of_an_unknown_reference_is_reported_where_it_is(write_case) -> None:
    path = write_case(replace=("  sought: The extradition of [=velk] to stand trial.",
                               "  sought: >\n    The extradition of [=velk] to stand trial [#dea]\n"
                               "    and again [#dea]."))
    first = at(path, "[#dea]")
    text = path.read_text(encoding="utf-8")
    second_index = text.index("[#dea]", text.index("[#dea]") + 1)
    second_line = text.count("\n", 0, second_index) + 1
    second_col = second_index - text.rfind("\n", 0, second_index)
    assert problems_of(path) == [
        f"{first}: error: request.sought: unknown figure 'dea' (did you mean 'dead'?)",
        f"case.yaml:{second_line}:{second_col}: error: request.sought: unknown figure 'dea' (did you mean 'dead'?)",
    ]
    assert first != f"case.yaml:{second_line}:{second_col}"


def test_a_name_reference_may_name_a_party_as_well_as_an_accused_person(write_case) -> None:
    path = write_case(replace=("[=velk] to stand trial", "[=velk] to stand trial before [=arcadia] [=league]"))
    assert warnings_of(path) == []


# --- Totals --------------------------------------------------------------------------------------


def test_a_part_exceeding_its_whole_is_an_error_at_the_part_value(write_case) -> None:
    path = write_case(replace=(FIGURE, FIGURE + "  - {id: children, label: children killed, value: 5000, "
                                                "part_of: dead, sources: [report]}\n"))
    assert problems_of(path) == [
        f"{at(path, '{id: children', len('{id: '))}: warning: figures[1].id: figure 'children' is not cited anywhere",
        f"{at(path, 'value: 5000', len('value: '))}: error: figures[1].value: 'children' (5,000) exceeds 'dead' "
        "(1,200), of which it is part",
    ]


def test_a_part_equal_to_its_whole_is_accepted(write_case) -> None:
    path = write_case(replace=(FIGURE, FIGURE + "  - {id: children, label: children killed, value: 1200, "
                                                "part_of: dead, sources: [report]}\n"))
    assert warnings_of(path) == [
        f"{at(path, '{id: children', len('{id: '))}: warning: figures[1].id: figure 'children' is not cited anywhere"
    ]


def test_a_figure_cannot_be_part_of_itself(write_case) -> None:
    path = write_case(replace=("qualifier: at-least,", "qualifier: at-least, part_of: dead,"))
    assert problems_of(path) == [
        f"{at(path, 'part_of: dead', len('part_of: '))}: error: figures[0].part_of: figure 'dead' "
        "cannot be part of itself"
    ]


def test_two_figures_each_part_of_the_other_are_an_error(write_case) -> None:
    path = write_case(replace=(FIGURE, FIGURE + "  - {id: men, label: men, value: 10, part_of: women, "
                                                "sources: [report]}\n"
                                                "  - {id: women, label: women, value: 10, part_of: men, "
                                                "sources: [report]}\n"))
    errors = [p for p in problems_of(path) if ": error: " in p]
    assert errors == [
        f"{at(path, 'part_of: women', len('part_of: '))}: error: figures[1].part_of: figures 'men' and 'women' "
        "are each part of the other",
        f"{at(path, 'part_of: men', len('part_of: '))}: error: figures[2].part_of: figures 'women' and 'men' "
        "are each part of the other",
    ]


def test_a_breakdown_exceeding_its_value_is_an_error(write_case) -> None:
    path = write_case(replace=(FIGURE, "  - id: dead\n    label: civilians killed\n    value: 1200\n"
                                       "    sources: [report]\n    breakdown:\n"
                                       "      - {label: men, value: 700}\n      - {label: women, value: 600}\n"))
    assert problems_of(path) == [
        f"{at(path, '      - {label: men', 6)}: error: figures[0].breakdown: the breakdown of 'dead' adds up to "
        "1,300, more than its value 1,200"
    ]


def test_a_breakdown_adding_up_to_its_value_is_accepted(write_case) -> None:
    path = write_case(replace=(FIGURE, "  - id: dead\n    label: civilians killed\n    value: 1200\n"
                                       "    sources: [report]\n    breakdown:\n"
                                       "      - {label: men, value: 700}\n      - {label: women, value: 500}\n"))
    assert warnings_of(path) == []


# --- Exhibit files -------------------------------------------------------------------------------


def test_a_missing_exhibit_file_is_an_error(write_case) -> None:
    path = write_case(replace=("evidence/field-report.txt", "evidence/lost-report.txt"))
    assert problems_of(path) == [
        f"{at(path, 'evidence/lost')}: error: sources[0].file: exhibit file 'evidence/lost-report.txt' not found"
    ]


def test_an_exhibit_outside_the_case_folder_is_refused(write_case, case_dir: Path) -> None:
    (case_dir.parent / "outside.txt").write_text("not part of the case\n", encoding="utf-8")
    path = write_case(replace=("evidence/field-report.txt", "../outside.txt"))
    assert problems_of(path) == [
        f"{at(path, '../outside')}: error: sources[0].file: '../outside.txt' leads outside the case folder"
    ]


def test_an_absolute_exhibit_path_is_refused_even_inside_the_folder(write_case, case_dir: Path) -> None:
    absolute = str(case_dir / "evidence" / "field-report.txt")
    path = write_case(replace=("evidence/field-report.txt", absolute))
    assert problems_of(path) == [
        f"{at(path, absolute)}: error: sources[0].file: '{absolute}' must be a path relative to the case file"
    ]


def test_a_symlink_pointing_outside_the_case_folder_is_refused(write_case, case_dir: Path) -> None:
    outside = case_dir.parent / "secret.txt"
    outside.write_text("not part of the case\n", encoding="utf-8")
    (case_dir / "evidence" / "link.txt").symlink_to(outside)
    path = write_case(replace=("evidence/field-report.txt", "evidence/link.txt"))
    assert problems_of(path) == [
        f"{at(path, 'evidence/link')}: error: sources[0].file: 'evidence/link.txt' leads outside the case folder"
    ]


def test_a_symlink_inside_the_case_folder_is_followed(write_case, case_dir: Path) -> None:
    (case_dir / "evidence" / "link.txt").symlink_to("field-report.txt")
    path = write_case(replace=("evidence/field-report.txt", "evidence/link.txt"))
    assert warnings_of(path) == []


def test_a_directory_is_not_an_exhibit_file(write_case) -> None:
    path = write_case(replace=("evidence/field-report.txt", "evidence"))
    assert problems_of(path) == [f"{at(path, 'file: evidence', 6)}: error: sources[0].file: 'evidence' is not "
                                 "a regular file"]


def test_an_exhibit_without_its_sha256_is_an_error(write_case) -> None:
    path = write_case(replace=(f"    sha256: {REPORT_HASH}\n", ""))
    assert problems_of(path) == [
        f"{at(path, 'evidence/')}: error: sources[0].file: an exhibit needs its sha256 (`casefile hash` fills it in)"
    ]


def test_an_exhibit_whose_hash_differs_names_the_file_and_both_hashes(write_case) -> None:
    wrong = "0123456789abcdef" * 4
    path = write_case(replace=(REPORT_HASH, wrong))
    assert problems_of(path) == [
        f"{at(path, wrong)}: error: sources[0].sha256: evidence/field-report.txt does not match its hash: "
        f"expected {wrong}, actual {REPORT_HASH} (if the file was meant to change, run `casefile hash --update`)"
    ]


def test_an_exhibit_hash_in_uppercase_matches(write_case) -> None:
    path = write_case(replace=(REPORT_HASH, REPORT_HASH.upper()))
    assert warnings_of(path) == []


def test_an_edited_exhibit_no_longer_matches_its_hash(write_case, case_dir: Path) -> None:
    path = write_case()
    with open(case_dir / "evidence" / "field-report.txt", "a", encoding="utf-8") as handle:
        handle.write("One more line.\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{at(path, REPORT_HASH)}: error: sources[0].sha256: evidence/field-report.txt "
                              f"does not match its hash: expected {REPORT_HASH}, actual ")


# --- Warnings ------------------------------------------------------------------------------------


def test_a_figure_without_sources_is_a_warning_that_fails_under_strict(write_case) -> None:
    path = write_case(replace=(", sources: [report]}", "}"))
    expected = f"{at(path, '{id: dead')}: warning: figures[0]: figure 'dead' has no source"
    assert warnings_of(path) == [expected]
    assert problems_of(path, strict=True) == [expected.replace(": warning: ", ": error: ")]


def test_a_source_cited_nowhere_is_a_warning_that_fails_under_strict(write_case) -> None:
    path = write_case(replace=("sources:\n", "sources:\n  - {id: memo, title: Fictional memo}\n"))
    expected = f"{at(path, '{id: memo', len('{id: '))}: warning: sources[0].id: source 'memo' is not cited anywhere"
    assert warnings_of(path) == [expected]
    assert problems_of(path, strict=True) == [expected.replace(": warning: ", ": error: ")]


def test_a_figure_cited_nowhere_is_a_warning_that_fails_under_strict(write_case) -> None:
    path = write_case(replace=("    figures: [dead]\n", ""))
    path.write_text(path.read_text(encoding="utf-8").replace("[#dead]", "many"), encoding="utf-8")
    expected = f"{at(path, '{id: dead', len('{id: '))}: warning: figures[0].id: figure 'dead' is not cited anywhere"
    assert warnings_of(path) == [expected]
    assert problems_of(path, strict=True) == [expected.replace(": warning: ", ": error: ")]


def test_a_figure_cited_only_in_prose_counts_as_cited(write_case) -> None:
    path = write_case(replace=("    figures: [dead]\n", ""))
    assert warnings_of(path) == []


def test_an_element_without_support_is_a_warning_only_when_elements_are_given(write_case) -> None:
    assert warnings_of(write_case()) == []
    path = write_case(replace=("    figures: [dead]\n", "    figures: [dead]\n    elements:\n"
                                                        "      killing: [report]\n      attack: []\n"))
    where = at(path, "      killing", 6)  # the `elements` mapping, which starts at its first key
    expected = [
        f"{where}: warning: crimes[0].elements: element 'attack' of cah-murder has no supporting source",
        f"{where}: warning: crimes[0].elements: element 'knowledge' of cah-murder has no supporting source",
    ]
    assert warnings_of(path) == expected
    assert problems_of(path, strict=True) == [w.replace(": warning: ", ": error: ") for w in expected]


def test_warnings_are_returned_sorted_by_line(write_case) -> None:
    path = write_case(replace=(", sources: [report]}", "}"))
    path.write_text(path.read_text(encoding="utf-8").replace("sources:\n", "sources:\n  - {id: memo, title: Memo}\n"),
                    encoding="utf-8")
    warnings = check_case(path, display="case.yaml").warnings
    assert len(warnings) == 2
    assert [w.line for w in warnings] == sorted(w.line for w in warnings)


# --- Translations --------------------------------------------------------------------------------


MISSING_IN_FRENCH = [
    ("title", "title: Request"),
    ("place", "place: Geneva"),
    ("parties[0].name", "name: Fictional Rights League"),
    ("accused[0].name", "name: Ostrand Velk"),
    ("accused[0].positions[0].title", "title: Fictional Minister"),
    ("request.forum", "forum: Borduria"),
    ("request.sought", "sought: The extradition"),
    ("crimes[0].summary", "summary: The alleged"),
    ("figures[0].label", "label: civilians"),
    ("sources[0].title", "title: Fictional field report"),
]


def test_untranslated_fields_lists_exactly_the_fields_missing_in_the_fixture(write_case) -> None:
    path = write_case()
    expected = []
    for field, needle in MISSING_IN_FRENCH:
        key_length = needle.index(": ") + 2
        expected.append(f"{at(path, needle, key_length)}: warning: {field}: no 'fr' text; the 'en' text is used")
    assert warnings_of(path, languages=["fr"]) == expected
    # parties[1].name has its French text; it is not listed.
    assert not any("parties[1]" in w for w in warnings_of(path, languages=["fr"]))


def test_untranslated_fields_is_the_same_list_when_called_directly(write_case) -> None:
    loaded = load_case(write_case(), display="case.yaml")
    case, problems = validate_case(loaded)
    assert case is not None and problems == []
    fields = [p.message.split(":")[0] for p in untranslated_fields(loaded, case, "fr")]
    assert fields == [field for field, _ in MISSING_IN_FRENCH]


def test_the_case_language_is_never_untranslated(write_case) -> None:
    assert warnings_of(write_case(), languages=["en"]) == []


def test_untranslated_fields_fail_under_strict(write_case) -> None:
    problems = problems_of(write_case(), languages=["fr"], strict=True)
    assert len(problems) == len(MISSING_IN_FRENCH)
    assert all(": error: " in p for p in problems)


# --- First citation ------------------------------------------------------------------------------


def test_first_cited_gives_each_source_the_first_place_the_file_refers_to_it(write_case) -> None:
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
            name: Ostrand Velk
            location: {place: Borduria, sources: [zeta]}
        request:
          type: extradition
          from: league
          to: arcadia
          sought: The extradition of [=velk] [@alpha] [@zeta].
          grounds: [no-asylum]
        crimes:
          - {id: killings, conduct: cah-murder, summary: 'Killings [@memo, p. 3] [@alpha].'}
        arguments:
          - {id: no-asylum, title: No asylum, text: 'Asylum is excluded [@alpha].'}
        sources:
          - {id: alpha, title: Alpha report}
          - {id: memo, title: Fictional memo}
          - {id: zeta, title: Zeta statement}
        """))
    checked = check_case(path, display="case.yaml")
    assert checked.first_cited == {
        "zeta": position(path, "[zeta]", 1),
        "alpha": position(path, "[@alpha]"),
        "memo": position(path, "[@memo, p. 3]"),
    }
    assert checked.first_cited["zeta"] == (12, 43)
    assert sorted(checked.first_cited, key=checked.first_cited.__getitem__) == ["zeta", "alpha", "memo"]
    assert checked.warnings == ()
