"""Every footnote body lands on the page of its call, proved on a long, footnote-dense case.

WeasyPrint 70 defers some footnote bodies to later pages (Kozea/WeasyPrint#2502 and the
"orphans" path in its line layout); casefile's CSS avoids the first, casefile/renderer_fixes.py
turns the second off, and casefile/footnotes.py checks every layout and repairs what is left by
laying the pages out again.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import MINIMAL, logged

pytestmark = pytest.mark.pdf

CALL = re.compile(r"c(\d{4})x")
BODY = re.compile(r"f(\d{4})x")
_WORDS = ("the fictional guard sealed the district before dawn and searched every house while "
          "witnesses of the league watched from the roofs of the old market").split()


def long_case(sections: int = 36, seed: int = 1) -> str:
    """A fictional case of about 60 pages with three to four footnotes per paragraph."""
    rng = random.Random(seed)
    number = 0
    lines = MINIMAL.read_text(encoding="utf-8").split("figures:")[0].splitlines()
    lines += ["figures:", "  - {id: dead, label: civilians killed, value: 1200, qualifier: at-least, sources: [report]}",
              "facts:"]
    for s in range(sections):
        lines += [f"  - heading: Events in fictional district {s + 1}", "    paragraphs:"]
        for _ in range(rng.randint(3, 6)):
            parts = []
            for _ in range(rng.randint(1, 4)):
                number += 1
                words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(15, 70)))
                gloss = " ".join(rng.choice(_WORDS) for _ in range(rng.choice((0, 0, 8, 30))))
                parts.append(f"{words} c{number:04d}x [@report, p. {number} f{number:04d}x {gloss}]".rstrip() + ".")
            lines += ["      - >", "        " + " ".join(parts)]
    return "\n".join(lines) + "\nsources:\n" + MINIMAL.read_text(encoding="utf-8").split("\nsources:\n")[1]


@pytest.fixture(scope="module")
def long_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The long case's English request, and what footnotes.py logged while laying it out."""
    from casefile.build import BuildOptions, build_cases

    folder = tmp_path_factory.mktemp("long")
    (folder / "evidence").mkdir()
    (folder / "evidence" / "field-report.txt").write_bytes((MINIMAL.parent / "evidence" / "field-report.txt").read_bytes())
    case = folder / "long.yaml"
    case.write_text(long_case(), encoding="utf-8")
    with logged("casefile.footnotes", logging.INFO) as records:
        report = build_cases([case], BuildOptions(out=folder, languages=("en",), templates=("extradition-request",)))
    assert not report.failures, [str(e) for _, e in report.failures]
    return folder / "velk-extradition.extradition-request.en.pdf", [r.getMessage() for r in records]


@pytest.fixture(scope="module")
def long_pdf(long_build: tuple[Path, list[str]]) -> Path:
    return long_build[0]


def _marker_pages(pdf: Path) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    calls: dict[int, list[int]] = {}
    bodies: dict[int, list[int]] = {}
    for index, page in enumerate(PdfReader(pdf).pages):
        text = " ".join((page.extract_text() or "").split())
        for m in CALL.finditer(text):
            calls.setdefault(int(m[1]), []).append(index)
        for m in BODY.finditer(text):
            bodies.setdefault(int(m[1]), []).append(index)
    return calls, bodies


def test_the_long_fixture_is_long_and_dense(long_pdf: Path) -> None:
    calls, bodies = _marker_pages(long_pdf)
    assert len(PdfReader(long_pdf).pages) >= 45
    assert len(calls) >= 300


def test_every_footnote_body_is_on_the_page_of_its_call_and_none_is_lost(long_pdf: Path) -> None:
    calls, bodies = _marker_pages(long_pdf)
    assert set(bodies) == set(calls), "lost footnotes"
    misplaced = {n: (calls[n], bodies[n]) for n in calls if bodies[n][0] != calls[n][0]}
    assert not misplaced, f"{len(misplaced)} footnote bodies off their call's page: {misplaced}"


def test_the_long_fixture_is_laid_out_once(long_build: tuple[Path, list[str]]) -> None:
    """With renderer_fixes.py, the first layout already has every body in place: no repair pass."""
    passes = [m for m in long_build[1] if m.startswith("footnotes pass")]
    assert passes and all(m.startswith("footnotes pass 1: 0 misplaced") for m in passes), passes


def _footnoted_html(paragraphs: int, seed: int, footnote_rule: str, tables: bool = False) -> str:
    """A5 pages of random paragraphs, each with one footnote, under the given @footnote rule;
    with `tables`, about half the blocks are tables with a footnote in every row."""
    rng = random.Random(seed)
    blocks = []
    for n in range(paragraphs):
        if tables and rng.random() < 0.5:
            rows = "".join(
                f'<tr><td>{r}</td><td>{" ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 40)))}'
                f'<span class="footnote" id="fn{n}-{r}">{" ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 40)))}'
                "</span></td></tr>" for r in range(rng.randint(2, 8)))
            blocks.append(f'<table id="t{n}">{rows}</table>')
            continue
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(20, 90)))
        note = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 60)))
        blocks.append(f'<p id="p{n}">{words}<span class="footnote" id="fn{n}">{note}</span> {words}</p>')
    return (f"<style>@page {{ size: A5; @footnote {{ {footnote_rule} }} }}"
            ".footnote { float: footnote; footnote-policy: line } td { vertical-align: top }</style>" + "".join(blocks))


@pytest.fixture
def weasyprint_as_released(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from casefile import renderer_fixes

    monkeypatch.setenv(renderer_fixes.AS_RELEASED_ENV, "1")
    assert not renderer_fixes.apply()
    yield
    monkeypatch.delenv(renderer_fixes.AS_RELEASED_ENV)
    assert renderer_fixes.apply()


def _laid_out(html: str) -> list[tuple[str, int, int]]:
    from weasyprint import HTML

    from casefile.footnotes import misplaced_footnotes

    return misplaced_footnotes(HTML(string=html).render())


def test_the_layout_check_finds_late_footnotes_in_a_plain_weasyprint_render(weasyprint_as_released: None) -> None:
    """The detector itself: without casefile's CSS, fix and repairs, WeasyPrint leaves bodies late."""
    assert _laid_out(_footnoted_html(160, 3, "border-top: 0.5pt solid; padding-top: 2mm"))


def test_weasyprint_as_released_moves_earlier_footnotes_to_fit_an_orphan_line(weasyprint_as_released: None) -> None:
    """What renderer_fixes.py is for: even with whole-px rules and `footnote-policy: line`,
    WeasyPrint 70 puts bodies a page after their calls (its "orphans path")."""
    for tables in (False, True):
        late = [m for seed in (1, 2, 3)
                for m in _laid_out(_footnoted_html(25 if tables else 60, seed, "border-top: 1px solid; padding-top: 8px",
                                                   tables))]
        assert late and all(body > call for _, call, body in late), late


def test_with_the_fix_the_first_layout_keeps_every_body_on_its_calls_page() -> None:
    from casefile import renderer_fixes

    assert renderer_fixes.apply()
    for seed in (1, 2, 3):
        assert _laid_out(_footnoted_html(60, seed, "border-top: 1px solid; padding-top: 8px")) == []
    for seed in (1, 3):  # footnotes in table rows, where the released code's reports were not even undone
        assert _laid_out(_footnoted_html(25, seed, "border-top: 1px solid; padding-top: 8px", tables=True)) == []


def test_turning_the_fix_off_changes_the_digest_builds_and_drafts_are_kept_by(monkeypatch: pytest.MonkeyPatch) -> None:
    from casefile import renderer_fixes
    from casefile.batch import layout_digest
    from casefile.build import BuildOptions, plan_documents
    from casefile.checks import check_case

    job = plan_documents(check_case(MINIMAL), BuildOptions())[0]
    fixed = layout_digest([], job, BuildOptions())
    monkeypatch.setenv(renderer_fixes.AS_RELEASED_ENV, "1")
    assert not renderer_fixes.wanted()
    assert layout_digest([], job, BuildOptions()) != fixed


def test_a_weasyprint_without_the_orphans_line_is_left_as_it_is(tmp_path: Path) -> None:
    """Another WeasyPrint's code is not rewritten: footnotes.py's repair then does the work."""
    import importlib.util

    from casefile import renderer_fixes

    module_file = tmp_path / "other_block.py"
    module_file.write_text("def _linebox_layout(context):\n    report = True\n    return report\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("other_block", module_file)
    assert spec and spec.loader
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    assert renderer_fixes._fixed(other) is None
