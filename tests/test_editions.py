"""Editions on the data and the HTML: what a template can see in a public or confidential edition.

Everything here runs without rendering a PDF: the redaction is in the data, so the strongest
test is that no protected string is anywhere in what templates receive.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from casefile.casedata import case_attachment, public_case_yaml
from casefile.checks import CheckedCase, check_case
from casefile.editions import edition_css, edition_mark
from casefile.leaks import find_leaks_in_text, fold, protected_needles
from casefile.manifest import input_ref, resolve_ref, template_files
from casefile.render import builtin_template_dir, find_template, render_html
from casefile.resolve import resolve_document

EDITIONS = Path(__file__).resolve().parent / "data" / "editions"
FIXTURE = EDITIONS / "protected.yaml"
NAME = "Quillon Marrowgate-Vyss"
TITLE = "Sealed deposition of the Zephyrine harbour pilot"


@pytest.fixture(scope="module")
def checked() -> CheckedCase:
    return check_case(FIXTURE)


def _all_text(value: Any) -> str:
    """Every string in template data, keys included, as one text."""
    if isinstance(value, dict):
        return " ".join(f"{k} {_all_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return " ".join(_all_text(v) for v in value)
    return str(value)


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_nothing_a_template_receives_in_a_public_edition_holds_a_protected_string(
        checked: CheckedCase, lang: str) -> None:
    data = resolve_document(checked, lang, edition="public")
    leaks = find_leaks_in_text(_all_text(data), protected_needles(checked), "the template data")
    assert leaks == []


def test_the_confidential_edition_gives_templates_everything(checked: CheckedCase) -> None:
    text = fold(_all_text(resolve_document(checked, "en", edition="confidential")))
    for needle in (NAME, TITLE, "kelvarran-deposition.txt", "https://example.org/sealed/zephyrine-ledger"):
        assert fold(needle) in text


def test_witnesses_appear_by_pseudonym_and_unprotected_ones_by_name_too(checked: CheckedCase) -> None:
    public = resolve_document(checked, "en", edition="public")["witnesses"]
    assert [(w["pseudonym"], str(w["name"]), w["protected"]) for w in public] == \
        [("W-017", "", True), ("W-018", "Tamsin Orle", False)]
    assert str(public[0]["statement"]) == '[withheld]<span class="annex-ref"> (Annex 2)</span>'
    confidential = resolve_document(checked, "en", edition="confidential")["witnesses"]
    assert [str(w["name"]) for w in confidential] == [NAME, "Tamsin Orle"]


def test_the_request_lists_witnesses_in_its_own_section(checked: CheckedCase) -> None:
    ref = find_template("extradition-request")
    public = render_html(ref, resolve_document(checked, "en", edition="public"))
    section = public[public.index('id="sec-witnesses"'):public.index('id="sec-sources"')]
    assert "<td>W-017</td><td>—</td><td>[withheld]" in section
    assert "<td>W-018</td><td>Tamsin Orle</td>" in section
    assert "Protected witnesses are named by pseudonym only in this edition." in section
    assert '<a href="#sec-witnesses">Witnesses</a>' in public
    confidential = render_html(ref, resolve_document(checked, "en", edition="confidential"))
    assert f"<td>W-017</td><td>{NAME}</td><td>{TITLE}" in confidential
    assert "pseudonym only" not in confidential


def test_a_case_without_witnesses_has_no_witness_section() -> None:
    from tests.conftest import MINIMAL

    html = render_html(find_template("extradition-request"), resolve_document(check_case(MINIMAL), "en"))
    assert "sec-witnesses" not in html


def test_a_user_template_that_reaches_for_a_real_name_gets_only_the_pseudonym(
        checked: CheckedCase, tmp_path: Path) -> None:
    snoop = tmp_path / "snoop"
    snoop.mkdir()
    (snoop / "document.html").write_text(
        "{% for w in witnesses %}<p>{{ w.name or w.pseudonym }}</p>"
        "{% for key, value in w.items() %}<i>{{ key }}={{ value }}</i>{% endfor %}{% endfor %}"
        "{% for s in sources %}{{ s.title }} {{ s.file }} {{ s.sha256 }} {{ s.url }}{% endfor %}",
        encoding="utf-8")
    html = render_html(find_template("snoop", [tmp_path]), resolve_document(checked, "en", edition="public"))
    assert "<p>W-017</p>" in html
    assert "Quillon" not in html
    assert "Zephyrine" not in html
    assert "kelvarran" not in html


def test_a_confidential_edition_says_so_in_its_title_keywords_and_page_marks(checked: CheckedCase) -> None:
    meta = resolve_document(checked, "en", edition="confidential")["meta"]
    assert meta["title"] == "Request concerning the fictional accused Ostrand Velk — CONFIDENTIAL"
    assert meta["keywords"].startswith("CONFIDENTIAL, ")
    public = resolve_document(checked, "en", edition="public")["meta"]
    assert "CONFIDENTIAL" not in public["title"] + public["keywords"]
    assert "@bottom-left" in edition_css("confidential", "en")
    assert "@bottom-right" in edition_css("confidential", "en")
    assert edition_css("public", "en") == ""


@pytest.mark.parametrize(("lang", "mark"), [("en", "CONFIDENTIAL"), ("fr", "CONFIDENTIAL · CONFIDENTIEL"),
                                            ("ru", "CONFIDENTIAL · КОНФИДЕНЦИАЛЬНО")])
def test_the_confidential_mark_carries_the_document_language_s_word(lang: str, mark: str) -> None:
    assert edition_mark("confidential", lang) == mark
    assert edition_mark("public", lang) == ""


def test_the_public_case_data_is_the_redacted_case_and_validates_as_a_case(
        checked: CheckedCase, tmp_path: Path) -> None:
    data = public_case_yaml(checked.case)
    assert find_leaks_in_text(data.decode(), protected_needles(checked), "the public case data") == []
    folder = tmp_path / "case"
    shutil.copytree(EDITIONS, folder)
    extracted = folder / "extracted.yaml"
    extracted.write_bytes(data)
    again = check_case(extracted)
    assert again.case.witnesses[0].name is None
    assert again.case.witnesses[1].name == "Tamsin Orle"
    deposition = again.case.sources[1]
    assert (deposition.id, deposition.title, deposition.file, deposition.confidential) == \
        ("deposition", "[withheld]", None, True)
    assert again.case.model_dump(exclude={"sources", "witnesses"}) == \
        checked.case.model_dump(exclude={"sources", "witnesses"})


def test_the_confidential_case_data_is_the_case_file_itself(checked: CheckedCase) -> None:
    attachment = case_attachment(checked, "confidential")
    assert (attachment.name, attachment.data) == ("protected.yaml", FIXTURE.read_bytes())
    assert attachment.date.isoformat() == "2025-02-03T00:00:00"
    assert case_attachment(checked, "public").name == "velk-protected.public.yaml"


def test_the_manifest_finds_every_template_file_a_document_uses() -> None:
    used = {input_ref(p, Path.cwd()) for p in template_files(find_template("extradition-request"))}
    assert {"builtin:extradition-request/document.html", "builtin:base.html", "builtin:partials/cover.html",
            "builtin:partials/macros.html", "builtin:partials/witnesses.html"} <= used
    brief = {input_ref(p, Path.cwd()) for p in template_files(find_template("brief"))}
    assert "builtin:partials/witnesses.html" not in brief


def test_a_user_template_overriding_a_partial_is_the_file_listed(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "cover.html").write_text("<p>cover</p>", encoding="utf-8")
    used = template_files(find_template("extradition-request", [tmp_path]))
    assert (tmp_path / "partials" / "cover.html").resolve() in used
    assert builtin_template_dir().resolve() / "partials" / "cover.html" not in used
    assert input_ref(tmp_path / "partials" / "cover.html", tmp_path / "out") == "../partials/cover.html"


def test_manifest_paths_resolve_back_to_the_same_files(tmp_path: Path) -> None:
    from casefile.fonts import font_files

    font = font_files()[0]
    for path in (font, builtin_template_dir() / "base.html", FIXTURE):
        assert resolve_ref(input_ref(path, tmp_path), tmp_path).resolve() == path.resolve()
    assert input_ref(font, tmp_path).startswith("font:fontpkg_")
