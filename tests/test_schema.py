"""Tests for casefile.schema and `casefile schema`: generated from the model, and as strict or
lenient as casefile itself about what a YAML scalar may be."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from casefile.loader import load_case
from casefile.model import Case
from casefile.schema import case_schema, schema_json
from casefile.validate import validate_case
from conftest import DATA, MINIMAL, ROOT, SEED

CASES = sorted((ROOT / "cases").glob("*.y*ml"))


class _DatesAsText(yaml.SafeLoader):
    """YAML as an editor reads it, except that dates stay text (as casefile's loader keeps them)."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", _DatesAsText.construct_yaml_str)


def read_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_DatesAsText)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(case_schema())


def schema_errors(validator: Draft202012Validator, text: str) -> list[str]:
    return sorted(".".join(str(p) for p in e.absolute_path) + ": " + e.message
                  for e in validator.iter_errors(read_yaml(text)))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = case_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


def test_schema_command_prints_the_schema_on_stdout(run_cli) -> None:
    result = run_cli("schema")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert json.loads(result.stdout) == case_schema()


def test_schema_o_writes_the_schema_to_a_file(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "case.schema.json"
    result = run_cli("schema", "-o", target)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == schema_json()


def test_schema_o_into_a_missing_folder_is_a_casefile_error(run_cli, tmp_path: Path) -> None:
    result = run_cli("schema", "-o", tmp_path / "no-such-folder" / "case.schema.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("casefile: error: cannot write ")
    assert "no-such-folder" in result.stderr


def test_the_committed_docs_schema_is_the_generated_one() -> None:
    committed = ROOT / "docs" / "case.schema.json"
    assert committed.read_text(encoding="utf-8") == schema_json(), \
        "docs/case.schema.json is stale: run `casefile schema -o docs/case.schema.json`"


def test_the_seed_case_modeline_points_at_the_committed_schema() -> None:
    first = SEED.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../docs/case.schema.json"
    assert (SEED.parent / "../docs/case.schema.json").resolve().is_file()


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            yield f"{where}.{name}", prop
        for key, value in node.items():
            yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _properties(item, where)


def test_every_property_of_the_schema_has_a_description() -> None:
    properties = list(_properties(case_schema()))
    assert len(properties) > 100
    missing = [where for where, prop in properties if not prop.get("description")]
    assert missing == []


def test_properties_carry_the_names_editors_write_and_the_model_docstrings() -> None:
    schema = case_schema()
    request = schema["$defs"]["Request"]["properties"]
    assert "from" in request
    assert "from_" not in request
    assert request["from"]["description"] == Case.model_fields["request"].annotation.model_fields["from_"].description
    assert schema["properties"]["casefile"]["description"] == Case.model_fields["casefile"].description
    assert set(schema["required"]) == {"casefile", "id", "title", "language", "date", "accused", "request", "crimes"}


@pytest.mark.parametrize("path", [SEED, *CASES, MINIMAL], ids=lambda p: p.name)
def test_every_shipped_case_validates_against_the_schema(validator: Draft202012Validator, path: Path) -> None:
    assert schema_errors(validator, path.read_text(encoding="utf-8")) == []


def test_an_invalid_case_fails_the_schema_at_each_fault(validator: Draft202012Validator) -> None:
    errors = schema_errors(validator, (DATA / "schema" / "invalid.yaml").read_text(encoding="utf-8"))
    joined = "\n".join(errors)
    assert ": 'crimes' is a required property" in joined
    assert "'langauge' was unexpected" in joined
    assert any(e.startswith("date: '15 January 2025' does not match") for e in errors)
    assert any(e.startswith("accused.0.name: ") for e in errors)
    assert any(e.startswith("figures.0.qualifier: 'at-leat' is not one of") for e in errors)


# Each edit of the minimal case, and what casefile's model makes of it. The schema must agree,
# although YAML types the scalars (a year is an int, `yes` a bool) and casefile reads their text.
# LENIENT marks what a JSON Schema cannot judge (a day that does not exist, a word where a number
# goes, which casefile also accepts as text): the schema lets it through and `check` reports it.
LENIENT = "only the model rejects it"
VARIANTS = [
    (("    name: Ostrand Velk\n", "    name: Ostrand Velk\n    born: 1961\n"), True),
    (("    name: Ostrand Velk\n", "    name: Ostrand Velk\n    born: 1961-02\n"), True),
    (("    name: Ostrand Velk\n", "    name: Ostrand Velk\n    born: 1961-02-30\n"), LENIENT),
    (("    name: Ostrand Velk\n", "    name: Ostrand Velk\n    born: 61\n"), False),
    (("kind: report\n", "kind: report\n    pages: 3\n"), True),
    (("kind: report\n", "kind: report\n    pages: \"3\"\n"), True),
    (("kind: report\n", "kind: report\n    pages: 0\n"), False),
    (("kind: report\n", "kind: report\n    confidential: yes\n"), True),
    (("kind: report\n", "kind: report\n    confidential: maybe\n"), False),
    (("kind: report\n", "kind: report\n    author: 1984\n"), True),
    (("value: 1200", "value: \"1200\""), True),
    (("value: 1200", "value: many"), LENIENT),
    (("value: 1200", "value: [1200]"), False),
    (("casefile: 1", "casefile: 2"), False),
    (("casefile: 1", "casefile: \"1\""), True),
    (("date: 2025-01-15", "date: 2025-01"), False),
    (("place: Geneva", "place: Geneva\nplcae: Geneva"), False),
    (("crimes:\n",
      "crimes:\n  - id: velk2\n    conduct: cah-torture\n    legal_basis: [{instrument: Code, article: 356}]\n"), True),
    (("qualifier: at-least", "qualifier: roughly"), False),
    (("translations: [fr]", "translations: [fr, 7]"), False),
]


@pytest.mark.parametrize(("edit", "verdict"), VARIANTS, ids=[v[0][1].strip()[:40] for v in VARIANTS])
def test_the_schema_accepts_what_the_model_accepts(validator: Draft202012Validator, tmp_path: Path,
                                                   edit: tuple[str, str], verdict: bool | str) -> None:
    old, new = edit
    text = MINIMAL.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    case, problems = validate_case(load_case(path))
    schema_accepts = schema_errors(validator, text) == []
    if verdict == LENIENT:
        assert case is None
        assert schema_accepts
    else:
        assert (case is not None) == verdict, problems
        assert schema_accepts == verdict


def test_schema_does_not_load_the_renderer() -> None:
    code = ("import sys; from click.testing import CliRunner; from casefile.cli import cli; "
            "r = CliRunner().invoke(cli, ['schema']); assert r.exit_code == 0, r.output; "
            "print('weasyprint' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout == "False\n"
