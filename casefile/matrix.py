"""The evidence matrix: each crime's elements against the sources that support them.

Modelled on the ICC's Case Matrix: for every crime, every element the catalogue lists for its
conduct (its own elements, then the context elements it shares, e.g. the widespread or
systematic attack of every crime against humanity), the sources the case maps to it in
`crimes[].elements`, and the figures that quantify the crime. An element with no source is
marked unsupported; `casefile check` warns about the same elements (when `elements` is given).

`matrix_data` gives the language-resolved matrix as plain data: what `casefile matrix
--format json` prints (its shape is `docs/matrix.schema.json`), and what the table and CSV
forms are made from.
"""

from __future__ import annotations

import csv
import io
import textwrap
from typing import Any

from casefile.catalogue import load_catalogue
from casefile.checks import CheckedCase
from casefile.exhibits import annex_order
from casefile.i18n import Formatter, translator
from casefile.types import text_in

FORMAT_VERSION = 1
_QUALIFIERS = {"exact": "{value}", "at-least": "at least {value}", "approximately": "approximately {value}",
               "at-most": "at most {value}"}


def matrix_data(checked: CheckedCase, lang: str) -> dict[str, Any]:
    """The evidence matrix of a case, with titles and texts in `lang` (see docs/matrix.schema.json)."""
    case = checked.case
    catalogue = load_catalogue()
    tr, fmt = translator(lang), Formatter(lang)
    annexes = {e.source_id: e.number for e in annex_order(checked, str)}
    sources = {s.id: s for s in case.sources}
    figures = {f.id: f for f in case.figures}
    people = {a.id: a for a in case.accused}

    def text(value: Any) -> str:
        return text_in(value, lang, case.language) or ""

    def provision(short: str, article: str) -> str:
        return tr.gettext("{instrument}, art. {article}").format(instrument=tr.gettext(short), article=article)

    crimes = []
    for crime in case.crimes:
        conduct = catalogue.conduct(crime.conduct)
        context = {e.key for e in conduct.context_elements}
        elements = []
        for element in conduct.all_elements:
            ids = crime.elements.get(element.key, [])
            elements.append({
                "key": element.key, "context": element.key in context, "text": tr.gettext(element.text),
                "authority": tr.gettext(element.source), "supported": bool(ids),
                "sources": [{"id": sid, "title": text(sources[sid].title), "annex": annexes.get(sid)} for sid in ids],
            })
        crimes.append({
            "id": crime.id,
            "conduct": crime.conduct,
            "title": tr.gettext(conduct.title),
            "provision": provision(conduct.instrument.short, conduct.article),
            "accused": [{"id": a, "name": text(people[a].name)} for a in (crime.accused or list(people))],
            "liability": [{"key": m, "title": tr.gettext(catalogue.liability_mode(m).title),
                           "provision": provision(catalogue.liability_mode(m).instrument.short,
                                                  catalogue.liability_mode(m).article)} for m in crime.liability],
            "mapped": bool(crime.elements),
            "elements": elements,
            "unsupported": [e["key"] for e in elements if not e["supported"]],
            "figures": [_figure(figures[f], tr.gettext, fmt, text) for f in crime.figures],
        })
    counted = [e for c in crimes for e in c["elements"]]
    return {
        "format": FORMAT_VERSION,
        "case": case.id,
        "language": lang,
        "crimes": crimes,
        "totals": {"crimes": len(crimes), "elements": len(counted),
                   "supported": sum(e["supported"] for e in counted),
                   "unsupported": sum(not e["supported"] for e in counted)},
    }


def _figure(figure: Any, gettext: Any, fmt: Formatter, text: Any) -> dict[str, Any]:
    value = gettext(_QUALIFIERS[figure.qualifier]).format(value=fmt.number(figure.value))
    return {"id": figure.id, "label": text(figure.label), "value": figure.value, "qualifier": figure.qualifier,
            "text": value, "unit": text(figure.unit) if figure.unit else None,
            "as_of": str(figure.as_of) if figure.as_of else None}


def matrix_csv(data: dict[str, Any]) -> str:
    """One row per crime and element: for spreadsheets and other tools."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["crime", "conduct", "provision", "element", "context", "element_text", "supported",
                     "sources", "annexes", "figures"])
    for crime in data["crimes"]:
        figures = "; ".join(f"{f['id']}={f['value']}" for f in crime["figures"])
        for e in crime["elements"]:
            writer.writerow([crime["id"], crime["conduct"], crime["provision"], e["key"],
                             "yes" if e["context"] else "no", e["text"], "yes" if e["supported"] else "no",
                             "; ".join(s["id"] for s in e["sources"]),
                             "; ".join(str(s["annex"]) for s in e["sources"] if s["annex"]), figures])
    return out.getvalue()


def matrix_table(data: dict[str, Any], width: int = 100) -> str:
    """The matrix for a terminal: per crime, one line per element, unsupported ones marked."""
    width = max(60, min(width, 140))
    key_width = min(40, max((len(e["key"]) + 2 for c in data["crimes"] for e in c["elements"]), default=10) + 2)
    lines: list[str] = []
    for crime in data["crimes"]:
        lines.append(f"{crime['id']}: {crime['title']} ({crime['provision']})")
        who = ", ".join(a["name"] for a in crime["accused"])
        modes = "; ".join(f"{m['title']} ({m['provision']})" for m in crime["liability"])
        lines += textwrap.wrap(f"accused: {who}" + (f"; liability: {modes}" if modes else ""), width,
                               initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)
        if not crime["mapped"]:
            lines.append("  (no `elements` mapping given for this crime: every element is unsupported)")
        for e in crime["elements"]:
            mark = "ok" if e["supported"] else "--"
            key = e["key"] + (" *" if e["context"] else "")
            support = ", ".join(_source_label(s) for s in e["sources"]) or "NO SUPPORTING SOURCE"
            wrapped = textwrap.wrap(support, max(20, width - key_width - 8), break_on_hyphens=False) or [""]
            lines.append(f"  {mark}  {key:<{key_width}}{wrapped[0]}")
            lines += [f"      {'':<{key_width}}{rest}" for rest in wrapped[1:]]
        for f in crime["figures"]:
            lines.append(f"  figure {f['id']}: {f['text']} {f['label']}")
        lines.append("")
    totals = data["totals"]
    lines.append(f"{totals['supported']} of {totals['elements']} elements supported, "
                 f"{totals['unsupported']} unsupported (* context element)")
    return "\n".join(lines) + "\n"


def _source_label(source: dict[str, Any]) -> str:
    return f"{source['id']} (Annex {source['annex']})" if source["annex"] else source["id"]
