"""Markup in a case file prints as text: a `<script>` or an `<img src=x onerror=...>` written in
any text, prose or string field reaches every document as escaped characters, never as an
element or an attribute, in every built-in template, language and edition."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from markupsafe import escape

from casefile.checks import check_case
from casefile.render import builtin_template_dir, find_template, render_html
from casefile.resolve import resolve_document

from .conftest import DATA
from .fields import full_case, prose_with_references

TEMPLATES = sorted(p.parent.name for p in builtin_template_dir().glob("*/document.html"))
FIELDS: list[str] = []


def payload(path: str) -> str:
    tag = f"F{FIELDS.index(path)}x" if path in FIELDS else path
    return f"<script>alert('{tag}')</script><img src=x onerror=alert('{tag}')> & \"{tag}\""


def hostile_value(path: str, kind: str) -> Any:
    if path not in FIELDS:
        FIELDS.append(path)
    text = payload(path)
    if kind == "prose":
        return prose_with_references(text)
    if kind == "text":
        return {"en": text, "ar": text}
    return text


class Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def write_case(folder: Path, value: Any) -> Path:
    shutil.copytree(DATA / "cases" / "evidence", folder / "evidence")
    path = folder / "case.yaml"
    path.write_text(yaml.safe_dump(full_case(value), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], str]:
    """Every built-in template, in English and Arabic, in both editions, of the hostile case."""
    case = write_case(tmp_path_factory.mktemp("hostile"), hostile_value)
    checked = check_case(case)
    out = {}
    for template in TEMPLATES:
        for lang in ("en", "ar"):
            for edition in ("public", "confidential"):
                data = resolve_document(checked, lang, edition=edition)
                out[template, lang, edition] = render_html(find_template(template), data)
    return out


@pytest.fixture(scope="module")
def vocabulary(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], set[str]]:
    """The tags and attribute names the templates write for a case of plain words."""
    case = write_case(tmp_path_factory.mktemp("plain"),
                      lambda path, kind: prose_with_references("plain words") if kind == "prose" else "plain words")
    checked = check_case(case)
    tags, attributes = set(), set()
    for template in TEMPLATES:
        for edition in ("public", "confidential"):
            for tag, attrs in elements(render_html(find_template(template),
                                                   resolve_document(checked, "en", edition=edition))):
                tags.add(tag)
                attributes.update(attrs)
    return tags, attributes


def test_no_element_or_attribute_comes_from_the_case(rendered, vocabulary) -> None:
    tags, attributes = vocabulary
    for key, html in rendered.items():
        for tag, attrs in elements(html):
            assert tag in tags, (key, tag)
            assert set(attrs) <= attributes, (key, tag, attrs)
            assert tag != "script", key
            assert "onerror" not in attrs, key
            assert not (tag == "img" and attrs.get("src") == "x"), key


def test_every_field_reaches_some_document_and_always_escaped(rendered) -> None:
    seen = set()
    for key, html in rendered.items():
        for index, path in enumerate(FIELDS):
            tag = f"F{index}x"
            if f"alert(&#39;{tag}&#39;)" in html or f"'{tag}'" in html:
                seen.add(path)
                assert str(escape(payload(path))) in html, (key, path)
                assert f"<script>alert('{tag}')" not in html, (key, path)
    printed_nowhere = sorted(set(FIELDS) - seen)
    # Provenance kept for the record but printed by no built-in template.
    assert set(printed_nowhere) <= {"sources[0].acquired_by", "sources[0].method"}, printed_nowhere


def test_a_public_edition_does_not_print_a_protected_name_at_all(rendered) -> None:
    hidden = FIELDS.index("witnesses[0].name")
    for (template, _lang, edition), html in rendered.items():
        if edition == "public":
            assert f"F{hidden}x" not in html, template


@pytest.mark.pdf
def test_markup_in_the_case_prints_as_text_in_the_pdf(tmp_path: Path, run_cli) -> None:
    from tests.pdfread import full_text

    case = write_case(tmp_path, hostile_value)
    result = run_cli("build", case, "--out", tmp_path / "out", "--lang", "en", "--template", "brief", "-j", "1")
    assert result.exit_code == 0, result.stderr
    [pdf] = (tmp_path / "out").glob("*.pdf")
    text = " ".join(full_text(pdf).split())
    assert "<script>alert('F" in text
    assert "<img src=x onerror=alert('F" in text
    data = pdf.read_bytes()
    assert b"/JavaScript" not in data
    assert b"/JS " not in data
