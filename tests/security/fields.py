"""A valid case that uses every free-text field, with each field's content chosen by the caller.

`full_case(value)` grows the minimal case (tests/data/cases/minimal.yaml) so that every text,
prose and plain-string field a template can print holds `value(path, kind)`: kind is "text"
(a text field), "prose" (a text field with markup) or "string" (a plain string). The fields
are listed once here for the escaping tests and the property-based tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Value = Callable[[str, str], Any]

REPORT_SHA256 = "94411720d92e7d3f844ebee5d161b0ff49d3484931270a7c8d96a19af1117338"


def full_case(value: Value) -> dict[str, Any]:
    """The case as data, ready for yaml.safe_dump."""
    def text(path: str) -> Any:
        return value(path, "text")

    def prose(path: str) -> Any:
        return value(path, "prose")

    def string(path: str) -> Any:
        return value(path, "string")

    return {
        "casefile": 1,
        "id": "velk-extradition",
        "title": text("title"),
        "language": "en",
        "translations": ["ar"],
        "date": "2025-01-15",
        "place": text("place"),
        "classification": "confidential",
        "parties": [
            {"id": "league", "name": text("parties[0].name"), "role": "requesting", "kind": "ngo",
             "address": text("parties[0].address"), "contact": string("parties[0].contact"),
             "description": prose("parties[0].description")},
            {"id": "arcadia", "name": text("parties[1].name"), "role": "requested", "kind": "state"},
        ],
        "accused": [{
            "id": "velk", "name": text("accused[0].name"), "aliases": [string("accused[0].aliases[0]")],
            "born": "1960-02", "nationality": text("accused[0].nationality"),
            "positions": [{"title": text("accused[0].positions[0].title"), "from": "2015-03", "to": "2023-11-30"}],
            "status": text("accused[0].status"),
            "location": {"place": text("accused[0].location.place"), "as_of": "2024-12", "sources": ["report"]},
            "identifiers": [{"kind": string("accused[0].identifiers[0].kind"),
                             "value": string("accused[0].identifiers[0].value")}],
        }],
        "request": {
            "type": "extradition", "from": "league", "to": "arcadia", "forum": text("request.forum"),
            "sought": prose("request.sought"), "grounds": ["no-asylum"], "urgency": prose("request.urgency"),
            "assurances": [prose("request.assurances[0]")],
        },
        "crimes": [{
            "id": "killings", "conduct": "cah-murder",
            "legal_basis": [{"instrument": text("crimes[0].legal_basis[0].instrument"),
                             "article": string("crimes[0].legal_basis[0].article")}],
            "liability": ["ordering"], "period": {"from": "2015", "to": "2023-11"},
            "places": [text("crimes[0].places[0]")], "summary": prose("crimes[0].summary"),
            "figures": ["dead"],
        }],
        "figures": [
            {"id": "dead", "label": text("figures[0].label"), "value": 1200, "qualifier": "at-least",
             "unit": text("figures[0].unit"), "as_of": "2024-12", "sources": ["report"],
             "breakdown": [{"label": text("figures[0].breakdown[0].label"), "value": 300}]},
        ],
        "facts": [{"heading": text("facts[0].heading"), "paragraphs": [prose("facts[0].paragraphs[0]")],
                   "sources": ["report"]}],
        "arguments": [{"id": "no-asylum", "title": text("arguments[0].title"), "text": prose("arguments[0].text"),
                       "authorities": [{"instrument": text("arguments[0].authorities[0].instrument"),
                                        "article": string("arguments[0].authorities[0].article"),
                                        "note": text("arguments[0].authorities[0].note")}]}],
        "sources": [
            {"id": "report", "title": text("sources[0].title"), "publisher": string("sources[0].publisher"),
             "date": "2025-01-10", "kind": "report", "file": "evidence/field-report.txt", "sha256": REPORT_SHA256,
             "url": string("sources[0].url"), "archived_url": string("sources[0].archived_url"),
             "accessed": "2025-01-11", "acquired_by": string("sources[0].acquired_by"),
             "method": string("sources[0].method"),
             "custody": [{"who": string("sources[0].custody[0].who"), "when": "2025-01-10T09:30:00Z",
                          "what": text("sources[0].custody[0].what")}]},
            {"id": "statement", "title": text("sources[1].title"), "author": string("sources[1].author"),
             "date": "2024", "kind": "testimony", "confidential": True},
        ],
        "witnesses": [
            {"id": "w1", "pseudonym": string("witnesses[0].pseudonym"), "name": text("witnesses[0].name"),
             "protected": True, "statement": "statement"},
            {"id": "w2", "pseudonym": string("witnesses[1].pseudonym"), "name": text("witnesses[1].name"),
             "protected": False},
        ],
    }


def prose_with_references(body: str) -> str:
    """Prose that also exercises the markup around `body`: a citation, a figure, a name."""
    return f"{body} [@report, p. 2] about [#dead] and [=velk].\n\n- {body}\n- *{body}*"
