"""Rendering reads only what it should: no HTML or CSS construct and no path trick in a user
template reaches a file outside the case folder, the template folders and the packaged fonts.

Each construct is also built once pointing at the same kind of file *inside* the case folder:
that build succeeds and carries the file, which shows the construct really fetches, so the
refusal beside it is the fetcher's doing and not an accident of the template.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import VISIBLE, Arena, contains, write_resources

# name: (HTML using {url}, kind of file it reaches for)
CONSTRUCTS = {
    "link-attachment": ('<link rel="attachment" href="{url}">', "txt"),
    "a-attachment": ('<p><a rel="attachment" href="{url}">the exhibit</a></p>', "txt"),
    "img": ('<p><img src="{url}" alt="x" style="width: 1cm"></p>', "png"),
    "css-import": ('<style>@import url("{url}");</style><p>text</p>', "css"),
    "link-stylesheet": ('<link rel="stylesheet" href="{url}"><p>text</p>', "css"),
    "font-face": ("<style>@font-face { font-family: Probe; src: url(\"{url}\"); } p { font-family: Probe; }</style>"
                  "<p>text</p>", "ttf"),
    "css-background": ('<div style="background: url(\'{url}\'); width: 2cm; height: 2cm"></div>', "png"),
    "css-content": ('<style>p.probe::before { content: url("{url}"); }</style><p class="probe">text</p>', "png"),
    "css-list-style-image": ('<ul style="list-style-image: url(\'{url}\')"><li>item</li></ul>', "png"),
    "object": ('<object data="{url}" type="image/png" style="width: 1cm">fallback</object>', "png"),
    "embed": ('<embed src="{url}" type="image/png" style="width: 1cm">', "png"),
    "svg-image": ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
                  '<image href="{url}" width="40" height="40"/></svg>', "png"),
    "svg-xlink-image": ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                        'width="40" height="40"><image xlink:href="{url}" width="40" height="40"/></svg>', "png"),
    "img-of-svg": ('<p><img src="{url}" alt="x"></p>', "svg"),
    "iframe": ('<iframe src="{url}"></iframe>', "txt"),
}


def snippet(construct: str, url: str) -> str:
    html, _ = CONSTRUCTS[construct]
    return html.replace("{url}", url)


def assert_refused(arena: Arena, result, needle: str) -> None:
    assert result.exit_code == 1, result.output + result.stderr
    assert re.search(r"^casefile: error: (refused to fetch|refused <base|cannot fetch)", result.stderr, re.M), \
        result.stderr
    assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert arena.pdfs() == []
    arena.assert_no_leak(result)


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_each_construct_is_refused_a_file_outside_the_case_folder(arena: Arena, construct: str) -> None:
    kind = CONSTRUCTS[construct][1]
    canary = arena.secret / f"canary.{kind}"
    arena.template(snippet(construct, canary.as_uri()))
    assert_refused(arena, arena.build(), f"canary.{kind}")


def test_a_data_url_svg_cannot_reach_outside_either(arena: Arena) -> None:
    inner = (f'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
             f'<image href="{(arena.secret / "canary.png").as_uri()}" width="40" height="40"/></svg>')
    arena.template(f'<p><img src="data:image/svg+xml,{quote(inner)}" alt="x"></p>')
    assert_refused(arena, arena.build(), "canary.png")


# The same constructs inside the case folder, all in one document: it builds and carries each file.
IMAGES = [c for c, (_, kind) in CONSTRUCTS.items() if kind == "png"]


@pytest.mark.pdf
def test_every_construct_does_fetch_a_file_inside_the_case_folder(arena: Arena) -> None:
    from tests.pdfread import full_text

    body = []
    for construct, (_, kind) in CONSTRUCTS.items():
        if construct in ("font-face", "iframe"):
            continue
        marker = f"{VISIBLE}-{construct}"
        resource = arena.case_dir / "assets" / f"{construct}.{kind}"
        write_resources(arena.root / "scratch", marker)
        resource.write_bytes((arena.root / "scratch" / f"canary.{kind}").read_bytes())
        if construct == "css-import":  # its own selector, so the two stylesheets do not overlap
            resource.write_text(f'h1::after {{ content: " {marker}"; }}', encoding="utf-8")
        body.append(snippet(construct, resource.as_uri()))
    arena.template("\n".join(body))
    result = arena.build()
    assert result.exit_code == 0, result.stderr
    [pdf] = arena.pdfs()
    text = "".join(full_text(pdf).split())  # a line may break inside a marker
    for construct in ("css-import", "link-stylesheet", "img-of-svg"):
        assert f"{VISIBLE}-{construct}" in text, construct
    for construct in ("link-attachment", "a-attachment"):
        assert contains(pdf, f"{VISIBLE}-{construct}"), construct
    assert _images(pdf) >= len(IMAGES)


def _images(path: Path) -> int:
    import pikepdf
    with pikepdf.open(path) as pdf:
        return sum(isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image" for o in pdf.objects)


@pytest.mark.pdf
def test_an_iframe_inside_the_case_folder_is_harmless_and_builds(arena: Arena) -> None:
    # WeasyPrint does not render iframes; one pointing inside the case folder is harmless.
    arena.template(snippet("iframe", (arena.case_dir / "assets" / "canary.txt").as_uri()))
    result = arena.build()
    assert result.exit_code == 0, result.stderr


# Path tricks, each through an <img> (and the relative ones also through @import).
def tricks(arena: Arena) -> dict[str, str]:
    secret = arena.secret / "canary.png"
    (arena.case_dir / "evidence" / "link.png").symlink_to(secret)
    (arena.case_dir / "linked-folder").symlink_to(arena.secret, target_is_directory=True)
    return {
        "relative": "../secret/canary.png",
        "relative-deep": "../../../../../../../../../.." + str(secret),
        "absolute-path": str(secret),
        "absolute-url": secret.as_uri(),
        "percent-encoded-dots": "..%2fsecret%2fcanary.png",
        "percent-encoded-dot-segments": "%2e%2e/secret/canary.png",
        "double-encoded": "..%252fsecret%252fcanary.png",
        "symlink-in-case-folder": (arena.case_dir / "evidence" / "link.png").as_uri(),
        "symlinked-folder-in-case-folder": (arena.case_dir / "linked-folder" / "canary.png").as_uri(),
        "sibling-folder-prefix": (arena.sibling / "canary.png").as_uri(),
        "sibling-folder-prefix-relative": "../case-evil/canary.png",
        "file-localhost": "file://localhost" + str(secret),
        "file-other-host": "file://127.0.0.1" + str(secret),
        "upper-case-scheme": "FILE://" + str(secret),
        "single-slash-file-url": "file:" + str(secret),
        "proc-self-root": "file:///proc/self/root" + str(secret),
        "dot-segments-through-case": (arena.case_dir.as_uri() + "/../secret/canary.png"),
        "encoded-case-escape": arena.case_dir.as_uri() + "/%2e%2e/secret/canary.png",
        "null-byte": arena.case_dir.as_uri() + "/assets/canary.png%00.png",
    }


TRICKS = ["relative", "relative-deep", "absolute-path", "absolute-url", "percent-encoded-dots",
          "percent-encoded-dot-segments", "double-encoded", "symlink-in-case-folder",
          "symlinked-folder-in-case-folder", "sibling-folder-prefix", "sibling-folder-prefix-relative",
          "file-localhost", "file-other-host", "upper-case-scheme", "single-slash-file-url", "proc-self-root",
          "dot-segments-through-case", "encoded-case-escape", "null-byte"]


@pytest.mark.parametrize("trick", TRICKS)
def test_each_path_trick_is_refused(arena: Arena, trick: str) -> None:
    url = tricks(arena)[trick]
    arena.template(snippet("img", url))
    result = arena.build()
    assert_refused(arena, result, f'<img src="{url}">')  # the message names the reference as written


@pytest.mark.parametrize("trick", ["relative", "percent-encoded-dots", "symlink-in-case-folder",
                                   "sibling-folder-prefix-relative"])
def test_path_tricks_in_css_are_refused_too(arena: Arena, trick: str) -> None:
    url = tricks(arena)[trick].replace(".png", ".css").replace("link.css", "link.png")
    if trick == "symlink-in-case-folder":
        (arena.case_dir / "style.css").symlink_to(arena.secret / "canary.css")
        url = (arena.case_dir / "style.css").as_uri()
    arena.template(f'<style>@import url("{url}");</style><p>text</p>')
    assert_refused(arena, arena.build(), "css")


def test_a_template_folder_symlinked_to_a_secret_is_not_a_way_out(arena: Arena) -> None:
    (arena.templates / "probe").mkdir()
    (arena.templates / "probe" / "secret").symlink_to(arena.secret, target_is_directory=True)
    arena.template('<p><img src="probe/secret/canary.png" alt="x"></p>')
    assert_refused(arena, arena.build(), "canary.png")


def test_a_symlink_to_dev_zero_inside_the_case_folder_is_refused_at_once(arena: Arena) -> None:
    (arena.case_dir / "zero.png").symlink_to("/dev/zero")
    arena.template(snippet("img", (arena.case_dir / "zero.png").as_uri()))
    assert_refused(arena, arena.build(), "zero.png")


def test_a_fifo_inside_the_case_folder_is_refused_without_blocking(arena: Arena) -> None:
    os.mkfifo(arena.case_dir / "pipe.css")
    arena.template(f'<style>@import url("{(arena.case_dir / "pipe.css").as_uri()}");</style>')
    result = arena.build()
    assert result.exit_code == 1
    assert "not a regular file" in result.stderr


def test_a_resource_over_the_size_cap_is_refused(arena: Arena) -> None:
    big = arena.case_dir / "big.png"
    with big.open("wb") as handle:  # sparse: 60 MB on paper, nothing on disk
        handle.truncate(60 * 1024 * 1024)
    arena.template(snippet("img", big.as_uri()))
    result = arena.build()
    assert result.exit_code == 1
    assert "larger than 52,428,800 bytes" in result.stderr


def test_a_missing_resource_fails_the_build_naming_it(arena: Arena) -> None:
    arena.template(snippet("img", (arena.case_dir / "assets" / "missing.png").as_uri()))
    result = arena.build()
    assert result.exit_code == 1
    assert "missing.png" in result.stderr
    assert arena.pdfs() == []


def test_allow_warnings_does_not_let_a_refused_fetch_through(arena: Arena) -> None:
    arena.template(snippet("css-import", (arena.secret / "canary.css").as_uri()))
    assert_refused(arena, arena.build("--allow-warnings"), "canary.css")


def test_an_asset_call_cannot_name_a_file_outside_the_template_folders(arena: Arena) -> None:
    arena.template('<link rel="stylesheet" href="{{ asset(\'../secret/canary.css\') }}">')
    result = arena.build()
    assert result.exit_code == 1
    assert re.search(r"^probe/document\.html:\d+: error: ", result.stderr, re.M), result.stderr
    arena.assert_no_leak(result)
