"""Compiled templates are kept between builds (render.py), and the cache changes nothing but the
time: an edited template is compiled again, a fault in a template is located the same way from
a compiled copy, and a cache that cannot be written only makes rendering slower."""

from __future__ import annotations

from pathlib import Path

import pytest

from casefile.errors import TemplateError
from casefile.render import find_template, render_html


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CASEFILE_CACHE_DIR", str(folder))
    return folder


def _template(folder: Path, body: str) -> Path:
    (folder / "probe").mkdir(parents=True, exist_ok=True)
    (folder / "probe" / "document.html").write_text(body, encoding="utf-8")
    return folder / "probe"


def _compiled(cache: Path) -> list[Path]:
    return sorted(cache.glob("templates/*/__jinja2_*.cache"))


def test_a_template_is_compiled_once_and_renders_the_same_from_the_cache(cache: Path, tmp_path: Path) -> None:
    ref = find_template(str(_template(tmp_path / "t", "<p>{{ title }}</p>\n")))
    first = render_html(ref, {"lang": "en", "title": "Velk"})
    compiled = _compiled(cache)
    assert len(compiled) == 1
    assert render_html(ref, {"lang": "en", "title": "Velk"}) == first == "<p>Velk</p>"
    assert _compiled(cache) == compiled


def test_an_edited_template_is_compiled_again(cache: Path, tmp_path: Path) -> None:
    folder = _template(tmp_path / "t", "<p>{{ title }}</p>\n")
    ref = find_template(str(folder))
    assert render_html(ref, {"lang": "en", "title": "Velk"}) == "<p>Velk</p>"
    _template(tmp_path / "t", "<h1>{{ title }}</h1>\n")
    assert render_html(ref, {"lang": "en", "title": "Velk"}) == "<h1>Velk</h1>"


def test_a_fault_is_located_alike_from_source_and_from_the_cache(cache: Path, tmp_path: Path) -> None:
    ref = find_template(str(_template(tmp_path / "t", "<p>\n{{ title }}\n{{ 1 / 0 }}\n</p>\n")))
    messages = []
    for _ in range(2):
        with pytest.raises(TemplateError) as caught:
            render_html(ref, {"lang": "en", "title": "Velk"})
        messages.append([str(p) for p in caught.value.problems])
    assert len(_compiled(cache)) == 1
    assert messages[0] == messages[1] and "probe/document.html:3:" in messages[0][0], messages


def test_a_cache_that_cannot_be_written_does_not_fail_the_render(cache: Path, tmp_path: Path) -> None:
    cache.parent.mkdir(exist_ok=True)
    cache.write_text("a file where the cache folder should be", encoding="utf-8")
    ref = find_template(str(_template(tmp_path / "t", "<p>{{ title }}</p>\n")))
    assert render_html(ref, {"lang": "en", "title": "Velk"}) == "<p>Velk</p>"


def test_compiled_code_is_not_read_from_a_folder_others_can_write_to(cache: Path, tmp_path: Path) -> None:
    ref = find_template(str(_template(tmp_path / "t", "<p>{{ title }}</p>\n")))
    render_html(ref, {"lang": "en", "title": "Velk"})
    (folder,) = {p.parent for p in _compiled(cache)}
    for entry in _compiled(cache):
        entry.unlink()
    folder.chmod(0o777)
    assert render_html(ref, {"lang": "en", "title": "Velk"}) == "<p>Velk</p>"
    assert _compiled(cache) == []


def test_the_manifest_follows_a_templates_references_alike_from_the_cache(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    from casefile.manifest import template_files

    folder = _template(tmp_path / "t", '{% extends "base.html" %}{% block body %}{% include "part.html" %}{% endblock %}')
    (folder / "base.html").write_text("<body>{% block body %}{% endblock %}</body>", encoding="utf-8")
    (folder / "part.html").write_text("<p>part</p>", encoding="utf-8")
    ref = find_template(str(folder))
    listed = template_files(ref)
    assert [p.name for p in listed] == ["base.html", "document.html", "part.html"]
    with monkeypatch.context() as patch:  # the second time, from the cache: nothing is parsed
        patch.setattr(jinja2.Environment, "parse", lambda *a, **k: pytest.fail("parsed again"))
        assert template_files(ref) == listed
    # An edited template is followed anew; a damaged cache entry is parsed again.
    (folder / "part.html").write_text('{% include "more.html" %}', encoding="utf-8")
    (folder / "more.html").write_text("<p>more</p>", encoding="utf-8")
    for kept in cache.glob("templates/*/references-*.json"):
        kept.write_text("{not json", encoding="utf-8")
    assert [p.name for p in template_files(ref)] == ["base.html", "document.html", "more.html", "part.html"]
