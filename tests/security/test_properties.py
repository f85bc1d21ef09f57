"""Properties that hold for any input, checked with hypothesis on generated cases.

1. `casefile check` on any text (YAML-ish tokens, mutations of a valid case, raw bytes) exits
   0 or 1 and prints no traceback: never 3, never a crash.
2. Any strings in every text, prose and string field of a valid case reach the HTML escaped:
   no element or attribute comes from the input, and each text field's characters are there.
3. A handful of PDF builds confirm the second property end to end.

The examples are derandomized (the same on every run, so CI is stable) and stay at the HTML
stage; CASEFILE_HYPOTHESIS_EXAMPLES (default 25 rendered cases, twelve times as many checks)
raises or lowers their number.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from casefile.checks import check_case
from casefile.cli import cli
from casefile.errors import CaseValidationError
from casefile.render import builtin_template_dir, find_template, render_html
from casefile.resolve import resolve_document

from .conftest import DATA
from .fields import full_case
from .test_escaping import elements

# Each rendering example costs about half a second (three templates, each in a child process);
# a `check` example a few milliseconds.
EXAMPLES = int(os.environ.get("CASEFILE_HYPOTHESIS_EXAMPLES", "25"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
CHECK_SETTINGS = settings(SETTINGS, max_examples=EXAMPLES * 12)
MINIMAL_LINES = (DATA / "cases" / "minimal.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
TEMPLATES = sorted(p.parent.name for p in builtin_template_dir().glob("*/document.html"))

YAML_TOKENS = ["casefile: 1\n", "id: x\n", "title: ", "- ", "  ", "\n", "\t", ": ", ":", ",", "[", "]", "{", "}",
               "&a ", "*a", "&b [*a, *a, *a]", "<<: *a", "!!python/object/apply:os.system ['id']", "!!binary ",
               "!custom ", "? ", "|", ">-", '"', "'", "#", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n",
               "\\", "\\x00", "\ufeff", "\r\n", "\x85", "\u2028", "null", "~", "no", "012", "1:20", "0x1F",
               ".inf", "2024-13-01", "9" * 400, "é", "\U0001F600", "crimes:\n", "accused:\n", "request:\n"]


@st.composite
def yaml_ish(draw: st.DrawFn) -> bytes:
    """Text that looks like YAML: token soup, a mutated valid case, or arbitrary bytes."""
    kind = draw(st.sampled_from(["tokens", "mutation", "bytes"]))
    if kind == "tokens":
        parts = draw(st.lists(st.one_of(st.sampled_from(YAML_TOKENS), st.text(max_size=6)), max_size=60))
        return "".join(parts).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    lines = list(MINIMAL_LINES)
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.sampled_from(["delete", "duplicate", "insert", "indent", "truncate", "swap"]))
        if operation == "delete" and len(lines) > 1:
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "insert":
            lines[index] = lines[index][: len(lines[index]) // 2] + draw(st.sampled_from(YAML_TOKENS)) \
                + lines[index][len(lines[index]) // 2:]
        elif operation == "indent":
            lines[index] = draw(st.sampled_from(["  ", "\t", " "])) + lines[index]
        elif operation == "truncate":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    return "".join(lines).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A case folder reused by every example (hypothesis and function-scoped tmp_path do not mix)."""
    folder = tmp_path_factory.mktemp("property")
    shutil.copytree(DATA / "cases" / "evidence", folder / "evidence")
    return folder


@CHECK_SETTINGS
@given(data=yaml_ish())
def test_check_on_any_yaml_ish_input_exits_0_or_1_without_a_traceback(scratch: Path, data: bytes) -> None:
    path = scratch / "case.yaml"
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.output + result.stderr
    assert "internal error" not in result.stderr
    if result.exit_code == 1:
        for line in result.stderr.splitlines():
            assert line.startswith((f"{path}:", "casefile: error: ")), line


# Strings for the fields: any characters but the few the case format gives meaning to as a
# whole value (a leading '[' would be a reference), with markup fragments mixed in.
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</p><h1>", "<!--", "-->", "&amp;",
            "&lt;b&gt;", "\"", "'", "<![CDATA[x]]>", "<base href=http://127.0.0.1/>", "{{ 7*7 }}", "{% raw %}",
            "*em*", "**strong**", "\n\n", "\n- item", "\u202e", "\u2066", "\x00", "\x07", "\ufeff", "javascript:",
            "url(file:///etc/passwd)", "</style><script>", "\\", "%2e%2e/"]
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="[]"), max_size=30)
STRINGS = st.lists(st.one_of(TEXT, st.sampled_from(PAYLOADS)), min_size=1, max_size=5).map("".join) \
    .filter(lambda s: s.strip() != "")


# For the PDF builds: characters the packaged fonts have glyphs for (a missing glyph is a
# renderer warning, which fails a build on purpose), with the markup payloads.
PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x17F, exclude_categories=("Cc",),
                                  exclude_characters="[]"), max_size=30)
PDF_STRINGS = st.lists(st.one_of(PRINTABLE, st.sampled_from([p for p in PAYLOADS if p.isprintable() or p == "\n\n"])),
                       min_size=1, max_size=5).map("".join).filter(lambda s: s.strip() != "")


@st.composite
def hostile_cases(draw: st.DrawFn, strings: st.SearchStrategy[str] = STRINGS
                  ) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """The full case with generated strings in every field; also the strings by field path."""
    chosen: dict[str, tuple[str, str]] = {}

    def value(path: str, kind: str) -> str:
        chosen[path] = (kind, draw(strings, label=path))
        return chosen[path][1]

    return full_case(value), chosen


def render_all(case: Path) -> str:
    checked = check_case(case)
    return "\n".join(render_html(find_template(t), resolve_document(checked, "en", edition="confidential"))
                     for t in TEMPLATES)


@pytest.fixture(scope="module")
def vocabulary(scratch: Path) -> tuple[set[str], set[str]]:
    """The tags and attributes the templates write for a case with every kind of prose markup."""
    case = scratch / "plain.yaml"
    markup = "plain *em* **strong** [@report] [#dead] [=velk]\n\n- one\n- two"
    case.write_text(yaml.safe_dump(full_case(lambda p, k: markup if k == "prose" else "plain")), encoding="utf-8")
    tags, attributes = set(), set()
    for tag, attrs in elements(render_all(case)):
        tags.add(tag)
        attributes.update(attrs)
    return tags, attributes


@SETTINGS
@given(generated=hostile_cases())
def test_any_strings_in_every_field_reach_the_html_escaped(scratch: Path, vocabulary, generated) -> None:
    case_data, chosen = generated
    case = scratch / "hostile.yaml"
    case.write_text(yaml.safe_dump(case_data, allow_unicode=True), encoding="utf-8")
    try:
        html = render_all(case)
    except CaseValidationError as e:  # a generated value the format refuses (say, a prose reference)
        refused = e.problems
    else:
        refused = []
    assert all(p.file == str(case) for p in refused)
    if refused:
        return
    tags, attributes = vocabulary
    for tag, attrs in elements(html):
        assert tag in tags, tag
        assert set(attrs) <= attributes, (tag, attrs)
    for path, (kind, string) in chosen.items():
        if kind != "prose" and path not in ("sources[0].acquired_by", "sources[0].method"):
            # As YAML reads it back: a NEL (U+0085) is a YAML line break, and folds like one.
            read = yaml.safe_load(yaml.safe_dump(string, allow_unicode=True))
            assert str(escape(read)) in html, (path, string)


@pytest.mark.pdf
@settings(max_examples=3, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(generated=hostile_cases(PDF_STRINGS))
def test_any_strings_build_into_a_pdf_that_prints_them_as_text(scratch: Path, generated) -> None:
    from tests.pdfread import full_text

    case_data, chosen = generated
    case = scratch / "pdf.yaml"
    case.write_text(yaml.safe_dump(case_data, allow_unicode=True), encoding="utf-8")
    out = scratch / "out"
    result = CliRunner().invoke(cli, ["build", str(case), "--out", str(out), "--template", "brief",
                                      "--lang", "en", "-j", "1", "--force"])
    assert result.exit_code == 0, result.stderr
    [pdf] = out.glob("velk-extradition.brief.en*.pdf")
    data = pdf.read_bytes()
    assert b"/JavaScript" not in data
    assert b"/JS " not in data
    text = "".join(full_text(pdf).split())
    title = "".join(yaml.safe_load(yaml.safe_dump(chosen["title"][1])).split())
    assert title in text  # the title as written, markup and all, printed as text
