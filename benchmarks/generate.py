"""Generate synthetic, plainly fictional cases of a chosen size for the benchmarks.

    python benchmarks/generate.py --pages 40 --out /tmp/bench   # writes /tmp/bench/synthetic-40.yaml

Each fact section holds paragraphs with footnoted citations and figure references, an Arabic
and a Russian paragraph, so layout exercises footnotes, shaping and both directions. About
seven sections make ten pages of the extradition request.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

SECTIONS_PER_10_PAGES = 6.7
_SENTENCE = ("Witnesses of the Fictional Rights League describe how units of the fictional "
             "Arcadian Guard sealed the district of Nortown before dawn and searched each house. ")
_ARABIC = "يصف شهود الرابطة الخيالية لحقوق الإنسان كيف طوّقت وحدات الحرس الأركادي الخيالي الحي قبل الفجر."
_RUSSIAN = "Свидетели вымышленной Лиги прав описывают, как подразделения вымышленной гвардии оцепили квартал до рассвета."


def synthetic_case(pages: int) -> str:
    """The YAML text of a fictional case that renders to about `pages` pages."""
    sections = max(1, round(pages * SECTIONS_PER_10_PAGES / 10))
    lines = [
        "# Synthetic benchmark case: every name, place and number is invented.",
        "casefile: 1",
        f"id: synthetic-{pages}",
        "title: Request for the extradition of the fictional accused Ostrand Velk",
        "language: en",
        "date: 2025-01-15",
        "place: Geneva",
        "parties:",
        "  - {id: league, name: Fictional Rights League, role: requesting, kind: ngo}",
        "  - {id: arcadia, name: Republic of Arcadia, role: requested, kind: state}",
        "accused:",
        "  - id: velk",
        "    name: {en: Ostrand Velk, ar: أوستراند فيلك, ru: Остранд Велк}",
        "request:",
        "  type: extradition",
        "  from: league",
        "  to: arcadia",
        "  sought: The extradition of [=velk] to stand trial in Borduria [@report-0].",
        "crimes:",
        "  - id: killings",
        "    conduct: cah-murder",
        "    summary: The alleged killing of [#dead] civilians [@report-0].",
        "    figures: [dead]",
        "  - id: torture",
        "    conduct: cah-torture",
        "    summary: The alleged torture of [#detained] detainees [@report-1].",
        "    figures: [detained]",
        "figures:",
        "  - {id: dead, label: civilians killed, value: 12000, qualifier: at-least, sources: [report-0]}",
        "  - {id: detained, label: detainees tortured, value: 3400, qualifier: approximately, sources: [report-1]}",
        "facts:",
    ]
    for s in range(sections):
        lines += [f"  - heading: Events in fictional district {s + 1}", "    paragraphs:"]
        for p in range(5):
            source = f"report-{(s * 5 + p) % 20}"
            lines += [
                "      - >",
                f"        {_SENTENCE * (2 + p % 3)}At least [#dead] people were killed in the province",
                f"        according to [=league] [@{source}, p. {p + 1}], and [=velk] was informed [@report-{(p + 3) % 20}].",
            ]
        # Quoted testimony in Arabic and Russian, as a dossier carries it: shaping and both directions.
        lines += ["      - >", f"        {_ARABIC} [@report-{s % 20}]", "      - >", f"        {_RUSSIAN} [@report-{s % 20}]"]
    lines.append("sources:")
    for r in range(20):
        lines += [f"  - {{id: report-{r}, title: Fictional field report {r + 1}, publisher: Fictional Rights League, "
                  f"date: 2024-{(r % 12) + 1:02d}-10, kind: report}}"]
    return "\n".join(lines) + "\n"


def write_case(pages: int, folder: Path) -> Path:
    """Write the synthetic case of about `pages` pages into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"synthetic-{pages}.yaml"
    path.write_text(synthetic_case(pages), encoding="utf-8")
    return path


def digest(text: str) -> str:
    """A short digest of a case text, to name benchmark runs."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("/tmp/casefile-bench"))
    args = parser.parse_args()
    print(write_case(args.pages, args.out))
