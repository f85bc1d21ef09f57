"""Templates are sandboxed: the public Jinja2 sandbox escapes, file-system escapes and plain
mistakes in a user template all end as `TEMPLATE:LINE: error: MESSAGE` with exit code 1,
name the template file relative to its folder, and run nothing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .conftest import CANARY, Arena

ERROR_LINE = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+): error: (?P<message>.+)$", re.M)

# Each on line 5 of probe/document.html (the page header takes lines 1 to 4).
ESCAPES = {
    "mro-subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "class-base-subclasses": "{{ ().__class__.__base__.__subclasses__() }}",
    "cycler-globals": "{{ cycler.__init__.__globals__ }}",
    "joiner-globals": "{{ joiner.__init__.__globals__.os }}",
    "namespace-globals": "{{ namespace.__init__.__globals__ }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "self-globals": "{{ self.__init__.__globals__ }}",
    "gettext-globals": "{{ _.__globals__ }}",
    "asset-globals": "{{ asset.__globals__ }}",
    "attr-class": "{{ ''|attr('__class__') }}",
    "attr-format-cve-2025-27516": "{{ '{0.__class__.__init__.__globals__}'|attr('format')(cycler) }}",
    "format-attribute": "{{ '{0.__class__}'.format(case) }}",
    "format-globals": "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "format-map": "{{ '{x.__class__}'.format_map({'x': case}) }}",
    "indirect-format-cve-2024-56326": "{% set f = '{0.__init__.__globals__}'.format %}{{ f(cycler) }}",
    "attr-format-stored": "{% set f = '{0.__class__.__init__.__globals__}'|attr('format') %}{{ f(cycler) }}",
    "format-filter": "{{ '%s'|format(cycler.__init__) }}",
    "getitem-dunder": "{{ cycler['__init__']['__globals__'] }}",
    "mutate-data": "{{ case.update({'title': 'x'}) }}",
    "mutate-list": "{{ accused.append(1) }}",
    "dict-pop": "{{ case.pop('title') }}",
    "import-statement": "{% import 'os' as os %}",
    "include-absolute": "{% include '/etc/passwd' %}",
    "include-parent": "{% include '../secret/canary.txt' %}",
    "extends-parent": "{% extends '../../secret/canary.txt' %}",
}


def assert_template_error(arena: Arena, result, line: int | None = 5) -> re.Match[str]:
    assert result.exit_code == 1, result.output + result.stderr
    match = ERROR_LINE.search(result.stderr)
    assert match, result.stderr
    assert match["file"] == "probe/document.html", result.stderr
    if line is not None:
        assert int(match["line"]) == line, result.stderr
    assert "Traceback" not in result.stderr
    assert arena.pdfs() == []
    arena.assert_no_leak(result)
    return match


@pytest.mark.parametrize("escape", ESCAPES)
def test_each_sandbox_escape_is_a_located_template_error(arena: Arena, escape: str) -> None:
    arena.template(ESCAPES[escape])
    assert_template_error(arena, arena.build())


def test_a_malicious_template_file_name_runs_no_code_cve_2024_56201(
        arena: Arena, monkeypatch: pytest.MonkeyPatch) -> None:
    # The compiler used to paste a template's name into an f-string: a name carrying `{...}`
    # ran as Python when an import failed. The name below would create a folder if it ran.
    monkeypatch.chdir(arena.root)
    evil = "x{__import__('os').mkdir('pwned')}.html"
    (arena.templates / "probe").mkdir()
    (arena.templates / "probe" / "macros.html").write_text("{% macro real() %}x{% endmacro %}", encoding="utf-8")
    (arena.templates / "probe" / evil).write_text(
        "{% from 'probe/macros.html' import nothing %}{{ nothing }}", encoding="utf-8")
    arena.template('{% include "probe/' + evil + '" %}')
    result = arena.build()
    assert not (arena.root / "pwned").exists()
    assert result.exit_code == 1
    assert re.search(r"^probe/x\{__import__\('os'\)\.mkdir\('pwned'\)\}\.html:1: error: ", result.stderr, re.M), \
        result.stderr


def test_a_template_symlinked_out_of_its_folder_is_refused(arena: Arena) -> None:
    (arena.templates / "probe").mkdir()
    (arena.templates / "probe" / "part.html").symlink_to(arena.secret / "canary.txt")
    arena.template('{% include "probe/part.html" %}')
    match = assert_template_error(arena, arena.build())
    assert "leads outside the template folders" in match["message"]


def test_an_entry_point_symlinked_out_of_its_folder_is_refused(arena: Arena) -> None:
    (arena.templates / "probe").mkdir()
    (arena.templates / "probe" / "document.html").symlink_to(arena.secret / "canary.txt")
    result = arena.build()
    assert result.exit_code == 1
    assert "leads outside the template folders" in result.stderr
    arena.assert_no_leak(result)


def test_a_symlinked_template_folder_pointing_outside_is_refused(arena: Arena) -> None:
    (arena.templates / "probe").symlink_to(arena.secret, target_is_directory=True)
    (arena.secret / "document.html").write_text("<p>{{ case.title }}</p>", encoding="utf-8")
    result = arena.build()
    assert result.exit_code == 1
    assert "leads outside the template folders" in result.stderr


def test_an_undefined_name_is_an_error_at_its_line(arena: Arena) -> None:
    arena.template("<p>{{ case.titel }}</p>")
    match = assert_template_error(arena, arena.build())
    assert "has no attribute 'titel'" in match["message"]


def test_an_undefined_variable_is_an_error_at_its_line(arena: Arena) -> None:
    arena.template("<p>ok</p>\n<p>{{ no_such_thing }}</p>")
    match = assert_template_error(arena, arena.build(), line=6)
    assert match["message"] == "'no_such_thing' is undefined"


def test_an_error_in_an_included_partial_names_the_partial_and_its_line(arena: Arena) -> None:
    (arena.templates / "partials").mkdir()
    (arena.templates / "partials" / "cover.html").write_text("<p>cover</p>\n{{ nope }}\n", encoding="utf-8")
    arena.template('{% include "partials/cover.html" %}')
    result = arena.build()
    assert result.exit_code == 1
    assert "partials/cover.html:2: error: 'nope' is undefined" in result.stderr.splitlines()


def test_a_syntax_error_names_the_template_relative_to_its_folder(arena: Arena) -> None:
    arena.template("<p>{{ case.title </p>")
    match = assert_template_error(arena, arena.build())
    assert "expected token" in match["message"] or "unexpected" in match["message"]


def test_an_error_in_a_template_given_as_a_folder_keeps_the_folder_name(arena: Arena) -> None:
    arena.template("{{ missing }}", name="standalone")
    result = arena.build(template=str(arena.templates / "standalone"))
    assert result.exit_code == 1
    assert "standalone/document.html:5: error: 'missing' is undefined" in result.stderr.splitlines()


@pytest.mark.parametrize(("expression", "message"), [
    ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
    ("{{ 'a' + 1 }}", "TypeError"),
    ("{{ range(1, 2, 0)|list }}", "ValueError"),
])
def test_a_python_error_in_a_template_is_a_template_error_not_an_internal_one(
        arena: Arena, expression: str, message: str) -> None:
    arena.template(expression)
    match = assert_template_error(arena, arena.build())
    assert message in match["message"]


def test_the_templates_receive_plain_data_without_paths_or_models(arena: Arena) -> None:
    from casefile.checks import check_case
    from casefile.resolve import resolve_document

    checked = check_case(arena.case)
    data = resolve_document(checked, "en")

    def walk(value: object) -> None:
        assert isinstance(value, (str, int, float, bool, type(None), dict, list, tuple)), type(value)
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str)
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(data)
    assert not any(isinstance(v, Path) for v in data.values())


def test_no_canary_file_was_ever_readable_through_the_environment(arena: Arena) -> None:
    # The canary exists and is readable: the refusals above are the sandbox's doing.
    assert CANARY in (arena.secret / "canary.txt").read_text(encoding="utf-8")
    assert os.access(arena.secret / "canary.txt", os.R_OK)


@pytest.mark.pdf
@pytest.mark.parametrize("target", ["/proc/self/pagemap", "/proc/self/environ"])
def test_a_link_out_of_a_template_folder_is_never_read_even_unused(arena: Arena, target: str) -> None:
    # The up-to-date check hashes the template folders; it once read through such a link
    # (pagemap: an internal error; a huge file: a hang).
    arena.template("<p>{{ case.title }}</p>")
    (arena.templates / "probe" / "style.css").symlink_to(target)
    result = arena.build()
    assert result.exit_code == 0, result.stderr
