"""Tests for casefile.scaffold and `casefile new`: a commented case that checks and builds as written."""

from __future__ import annotations

import re
import subprocess
import sys
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from casefile.checks import check_case, sha256_file
from casefile.model import Case
from casefile.scaffold import REQUEST_TYPES, case_id_for, new_case
from casefile.schema import case_schema, schema_json


def test_new_writes_the_case_its_exhibit_and_the_schema(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "velk.yaml"
    result = run_cli("new", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {path}" in result.stderr
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=case.schema.json"
    assert (tmp_path / "case.schema.json").read_text(encoding="utf-8") == schema_json()
    exhibit = tmp_path / "evidence" / "velk-field-report.txt"
    assert exhibit.is_file()
    assert f"file: evidence/velk-field-report.txt\n    sha256: {sha256_file(exhibit)}\n" in text


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_every_type_of_new_case_checks_without_a_single_problem(run_cli, tmp_path: Path, request_type: str) -> None:
    path = tmp_path / f"{request_type}.yaml"
    assert run_cli("new", "--type", request_type, path).exit_code == 0
    result = run_cli("check", path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"casefile: {path}: ok (0 warning(s))\n"
    checked = check_case(path)
    assert checked.case.request.type == request_type
    assert checked.case.id == request_type


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_a_new_case_validates_against_the_schema(tmp_path: Path, request_type: str) -> None:
    written = new_case(tmp_path / "case.yaml", request_type)

    class DatesAsText(yaml.SafeLoader):
        pass

    DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", DatesAsText.construct_yaml_str)
    data = yaml.load(written.case.read_text(encoding="utf-8"), Loader=DatesAsText)
    assert [e.message for e in Draft202012Validator(case_schema()).iter_errors(data)] == []


def test_a_new_case_uses_only_invented_names(tmp_path: Path) -> None:
    text = new_case(tmp_path / "case.yaml").case.read_text(encoding="utf-8")
    for name in ("Ostrand Velk", "Fictional Rights League", "Republic of Arcadia", "Borduria"):
        assert name in text
    assert "Assad" not in text
    assert "invented" in text


def _models(model: type[BaseModel], seen: dict[type[BaseModel], None]) -> dict[type[BaseModel], None]:
    seen[model] = None
    for info in model.model_fields.values():
        for inner in _inner_models(info.annotation):
            if inner not in seen:
                _models(inner, seen)
    return seen


def _inner_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (list, dict, typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _inner_models(arg)]
    return []


def test_every_field_of_the_case_format_is_explained_in_a_comment(tmp_path: Path) -> None:
    lines = new_case(tmp_path / "case.yaml").case.read_text(encoding="utf-8").splitlines()
    comments = " ".join(line.split("#", 1)[1] for line in lines if line.lstrip().startswith("#"))
    # Each top-level field has its own line (written, or commented out) right under a comment.
    for name, info in Case.model_fields.items():
        key = info.alias or name
        at = next((i for i, line in enumerate(lines) if re.match(rf"(# )?{key}:", line)), None)
        assert at is not None, f"top-level field '{key}' is missing"
        assert lines[at - 1].startswith("#"), f"top-level field '{key}' has no comment above it"
    # Each field of the nested parts is named in the comments that explain its section.
    for model in _models(Case, {}):
        if model is Case:
            continue
        for name, info in model.model_fields.items():
            key = info.alias or name
            assert re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", comments), \
                f"{model.__name__}.{key} is not explained"


def test_new_refuses_to_overwrite_a_case_and_changes_nothing(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "velk.yaml"
    path.write_text("# the editor's own case\n", encoding="utf-8")
    result = run_cli("new", path)
    assert result.exit_code == 1
    assert result.stderr == f"casefile: error: {path}: already exists; `casefile new` never overwrites a file\n"
    assert path.read_text(encoding="utf-8") == "# the editor's own case\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["velk.yaml"]


def test_new_refuses_when_its_exhibit_exists_and_writes_nothing(run_cli, tmp_path: Path) -> None:
    exhibit = tmp_path / "evidence" / "velk-field-report.txt"
    exhibit.parent.mkdir()
    exhibit.write_text("a real exhibit\n", encoding="utf-8")
    result = run_cli("new", tmp_path / "velk.yaml")
    assert result.exit_code == 1
    assert result.stderr == f"casefile: error: {exhibit}: already exists; `casefile new` never overwrites a file\n"
    assert exhibit.read_text(encoding="utf-8") == "a real exhibit\n"
    assert not (tmp_path / "velk.yaml").exists()
    assert not (tmp_path / "case.schema.json").exists()


def test_new_refuses_a_name_that_is_not_yaml(run_cli, tmp_path: Path) -> None:
    result = run_cli("new", tmp_path / "velk.txt")
    assert result.exit_code == 1
    assert result.stderr.startswith("casefile: error: ")
    assert "ends in .yaml or .yml" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_rejects_an_unknown_type_as_a_usage_error(run_cli, tmp_path: Path) -> None:
    result = run_cli("new", "--type", "asylum", tmp_path / "velk.yaml")
    assert result.exit_code == 2
    assert not (tmp_path / "velk.yaml").exists()


def test_new_keeps_an_existing_schema_file(tmp_path: Path) -> None:
    (tmp_path / "case.schema.json").write_text("{}\n", encoding="utf-8")
    written = new_case(tmp_path / "velk.yaml")
    assert written.schema is None
    assert (tmp_path / "case.schema.json").read_text(encoding="utf-8") == "{}\n"


def test_new_with_schema_points_the_modeline_there_and_writes_no_schema(run_cli, tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    result = run_cli("new", "--schema", "../docs/case.schema.json", cases / "velk.yaml")
    assert result.exit_code == 0, result.stderr
    first = (cases / "velk.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../docs/case.schema.json"
    assert not (cases / "case.schema.json").exists()


def test_the_case_id_comes_from_the_file_name(tmp_path: Path) -> None:
    assert case_id_for(Path("Velk Case (draft).yaml")) == "velk-case-draft"
    assert case_id_for(Path("___.yaml")) == "new-case"
    written = new_case(tmp_path / "Velk Case.yml", today=date(2025, 3, 1))
    text = written.case.read_text(encoding="utf-8")
    assert "\nid: velk-case\n" in text
    assert "\ndate: 2025-03-01\n" in text


@pytest.mark.pdf
def test_a_new_case_builds_as_written(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "velk.yaml"
    assert run_cli("new", path).exit_code == 0
    out = tmp_path / "out"
    result = run_cli("build", path, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.pdf")) == ["velk.brief.en.pdf", "velk.extradition-request.en.pdf"]
    from tests.pdfread import full_text

    text = full_text(out / "velk.extradition-request.en.pdf")
    assert "Request for the extradition of Ostrand Velk" in text
    assert "at least 1,200" in text


def test_new_does_not_load_the_renderer(tmp_path: Path) -> None:
    code = ("import sys; from click.testing import CliRunner; from casefile.cli import cli; "
            f"r = CliRunner().invoke(cli, ['new', {str(tmp_path / 'velk.yaml')!r}]); "
            "assert r.exit_code == 0, r.output; "
            "print('weasyprint' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"


@pytest.mark.pdf
def test_a_new_prosecution_case_builds_its_referral(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "velk.yaml"
    assert run_cli("new", "--type", "prosecution", path).exit_code == 0
    out = tmp_path / "out"
    result = run_cli("build", path, "--out", out, "--template", "prosecution-referral")
    assert result.exit_code == 0, result.stderr
    from tests.pdfread import full_text

    text = full_text(out / "velk.prosecution-referral.en.pdf")
    assert "Referral of Ostrand Velk for prosecution" in text
    assert "Office of the Prosecutor General of the Republic of Arcadia" in text
