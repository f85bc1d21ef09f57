"""Every footnote body lands on the page of its call, proved on a long, footnote-dense case.

WeasyPrint 70 defers some footnote bodies to later pages (Kozea/WeasyPrint#2502 and the
"orphans" path in its line layout); casefile's CSS avoids the worst of it and
casefile/footnotes.py repairs the rest by laying the document out again.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import MINIMAL

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
def long_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from casefile.build import BuildOptions, build_cases

    folder = tmp_path_factory.mktemp("long")
    (folder / "evidence").mkdir()
    (folder / "evidence" / "field-report.txt").write_bytes((MINIMAL.parent / "evidence" / "field-report.txt").read_bytes())
    case = folder / "long.yaml"
    case.write_text(long_case(), encoding="utf-8")
    report = build_cases([case], BuildOptions(out=folder, languages=("en",), templates=("extradition-request",)))
    assert not report.failures, [str(e) for _, e in report.failures]
    return folder / "velk-extradition.extradition-request.en.pdf"


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


def test_the_layout_check_finds_late_footnotes_in_a_plain_weasyprint_render() -> None:
    """The detector itself: without casefile's CSS and repairs, WeasyPrint leaves bodies late."""
    from weasyprint import HTML

    from casefile.footnotes import misplaced_footnotes

    rng = random.Random(3)
    paragraphs = []
    for n in range(160):
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(20, 90)))
        note = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 60)))
        paragraphs.append(f'<p id="p{n}">{words}<span class="footnote" id="fn{n}">{note}</span> {words}</p>')
    html = ("<style>@page { size: A5; @footnote { border-top: 0.5pt solid; padding-top: 2mm } }"
            ".footnote { float: footnote }</style>" + "".join(paragraphs))
    assert misplaced_footnotes(HTML(string=html).render())
