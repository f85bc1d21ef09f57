"""The evidence matrix: elements against sources, in JSON (validated), CSV and the terminal."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from casefile.checks import check_case
from casefile.matrix import matrix_data
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "docs" / "matrix.schema.json").read_text(encoding="utf-8"))
VANTORIA = ROOT / "cases" / "vantoria-referral.yaml"
MAPPED = ("    figures: [dead]\n", "    figures: [dead]\n    elements:\n      killing: [report]\n      attack: []\n")


def validate(data: object) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_the_matrix_marks_an_element_without_a_supporting_source(write_case) -> None:
    data = matrix_data(check_case(write_case(replace=MAPPED)), "en")
    crime = data["crimes"][0]
    rows = {e["key"]: e for e in crime["elements"]}
    assert rows["killing"]["supported"] is True
    assert rows["killing"]["sources"] == [{"id": "report", "title": "Fictional field report", "annex": 1}]
    assert rows["attack"]["supported"] is False and rows["attack"]["sources"] == []
    assert crime["unsupported"] == ["attack", "knowledge"]
    assert data["totals"] == {"crimes": 1, "elements": 3, "supported": 1, "unsupported": 2}


def test_the_matrix_lists_the_context_elements_after_the_crimes_own(write_case) -> None:
    crime = matrix_data(check_case(write_case(replace=MAPPED)), "en")["crimes"][0]
    assert [(e["key"], e["context"]) for e in crime["elements"]] == \
        [("killing", False), ("attack", True), ("knowledge", True)]
    assert crime["elements"][1]["text"].startswith("The conduct was committed as part of a widespread or systematic")


def test_the_unsupported_elements_are_those_check_warns_about(write_case) -> None:
    checked = check_case(write_case(replace=MAPPED))
    warned = sorted(w.message.split("'")[1] for w in checked.warnings if "has no supporting source" in w.message)
    assert warned == matrix_data(checked, "en")["crimes"][0]["unsupported"]


def test_a_crime_without_an_elements_mapping_is_marked_unmapped_and_check_stays_quiet(write_case) -> None:
    checked = check_case(write_case())
    crime = matrix_data(checked, "en")["crimes"][0]
    assert crime["mapped"] is False
    assert crime["unsupported"] == ["killing", "attack", "knowledge"]
    assert not [w for w in checked.warnings if "supporting source" in w.message]


def test_the_matrix_gives_the_crimes_figures_with_their_qualifiers(write_case) -> None:
    crime = matrix_data(check_case(write_case()), "en")["crimes"][0]
    assert crime["figures"] == [{"id": "dead", "label": "civilians killed", "value": 1200, "qualifier": "at-least",
                                 "text": "at least 1,200", "unit": None, "as_of": None}]


def test_matrix_json_validates_against_the_documented_schema(run_cli) -> None:
    result = run_cli("matrix", VANTORIA, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    validate(data)
    assert data["case"] == "vantoria-referral"
    assert [c["id"] for c in data["crimes"]] == ["imprisonment", "torture", "disappearance"]


@pytest.mark.parametrize("lang", ["fr", "ar", "ru"])
def test_matrix_json_in_other_languages_validates_too(lang: str) -> None:
    data = matrix_data(check_case(VANTORIA), lang)
    validate(data)
    assert data["language"] == lang


def test_the_schema_refuses_what_the_matrix_never_prints() -> None:
    data = matrix_data(check_case(VANTORIA), "en")
    data["crimes"][0]["elements"][0]["supported"] = "yes"
    with pytest.raises(jsonschema.ValidationError):
        validate(data)


def test_matrix_csv_has_one_row_per_crime_and_element(run_cli) -> None:
    result = run_cli("matrix", VANTORIA, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5 + 5 + 8
    gap = next(r for r in rows if r["element"] == "awareness-of-refusal")
    assert (gap["crime"], gap["supported"], gap["sources"]) == ("disappearance", "no", "")
    deprivation = next(r for r in rows if r["element"] == "deprivation-of-liberty")
    assert (deprivation["sources"], deprivation["annexes"]) == ("kessel-register; statement-w014", "2; 3")


def test_the_terminal_table_marks_the_gap_and_counts_the_elements(run_cli) -> None:
    result = run_cli("matrix", VANTORIA)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    gap = next(line for line in lines if "awareness-of-refusal" in line)
    assert gap.split() == ["--", "awareness-of-refusal", "NO", "SUPPORTING", "SOURCE"]
    assert any(line.split()[:3] == ["ok", "deprivation-of-liberty", "kessel-register"] for line in lines)
    assert lines[-1] == "17 of 18 elements supported, 1 unsupported (* context element)"
    # The check's warning about the same gap goes to stderr, located.
    assert "warning: crimes[2].elements: element 'awareness-of-refusal'" in result.stderr


def test_matrix_of_a_case_with_errors_prints_them_and_exits_1(write_case, run_cli) -> None:
    path = write_case(replace=("conduct: cah-murder", "conduct: cah-murdre"))
    result = run_cli("matrix", path)
    assert result.exit_code == 1
    assert "unknown conduct 'cah-murdre' (did you mean 'cah-murder'?)" in result.stderr
    assert result.stdout == ""


def test_matrix_has_help(run_cli) -> None:
    assert "evidence matrix" in run_cli("matrix", "--help").stdout
    assert "Fill in the missing sha256" in run_cli("hash", "--help").stdout


def test_the_readme_documents_the_json_shape() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/matrix.schema.json" in readme
    assert Path(ROOT / "docs" / "matrix.schema.json").is_file()
