"""Resolve a checked case into the plain data one document template receives.

Everything language-dependent happens here: the text of each field in the document language,
numbers and dates formatted by Babel, references in prose turned into footnotes, figures and
names, legal titles from the catalogue translated. Templates get dicts, lists and strings
(HTML only as `Markup` built from escaped parts), never model objects.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from casefile.catalogue import Catalogue, Element, load_catalogue
from casefile.checks import CheckedCase
from casefile.editions import edition_mark
from casefile.exhibits import Exhibit, annex_order
from casefile.i18n import Formatter, Translator, direction, translator
from casefile.model import Case, Figure, Source
from casefile.redact import WITHHELD, redact_case
from casefile.prose import CITATION_SEPARATOR, parse_prose, plain_text, to_html
from casefile.types import PartialDate, has_language, text_in


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is used."""
    return message


QUALIFIERS = {"exact": "{value}", "at-least": N_("at least {value}"),
              "approximately": N_("approximately {value}"), "at-most": N_("at most {value}")}
SOURCE_KINDS = {"statement": N_("statement"), "report": N_("report"), "testimony": N_("testimony"),
                "media": N_("media report"), "dataset": N_("dataset"), "legal-instrument": N_("legal instrument"),
                "judgment": N_("judgment"), "other": N_("other")}
REQUEST_TITLES = {"extradition": N_("Request for extradition"), "prosecution": N_("Referral for prosecution"),
                  "surrender": N_("Request for surrender"), "investigation": N_("Request for investigation")}
CLASSIFICATIONS = {"public": N_("Public"), "confidential": N_("Confidential")}
# Compact form reads better than digits only from a million up: "approximately 13 million".
_COMPACT_FROM = 1_000_000


@dataclass
class _Context:
    case: Case
    checked: CheckedCase
    lang: str
    tr: Translator
    fmt: Formatter
    catalogue: Catalogue
    annexes: dict[str, Exhibit]
    edition: str

    @property
    def dir(self) -> str:
        return direction(self.lang)

    def _(self, message: str, **values: Any) -> Markup:
        """The translation of `message`, escaped, with `values` filled in (escaped unless Markup)."""
        text = escape(self.tr.gettext(message))
        return text.format(**values) if values else text

    def plain(self, value: Any) -> str:
        """A text field's string in the document language, for places that hold no markup."""
        return text_in(value, self.lang, self.case.language) or ""

    def text(self, value: Any) -> Markup:
        """A text field in the document language; a fallback to the case language is marked with
        its own language and direction so that, say, English inside Arabic keeps its order."""
        string = escape(self.plain(value))
        fallback = self.fallback_language(value)
        if not fallback:
            return string
        return Markup('<span lang="{}">{}</span>').format(fallback, self.isolate(string, direction(fallback)))

    def isolate(self, text: str, text_direction: str = "ltr") -> str:
        """`text` in Unicode directional isolates when its direction differs from the document's.

        WeasyPrint ignores `unicode-bidi` and inline `dir`, but Pango honours the isolate
        characters, so "art. 7(1)(a)" or a hash inside Arabic keeps its order."""
        if text_direction == self.dir:
            return text
        return ("\u2066" if text_direction == "ltr" else "\u2067") + text + "\u2069"

    def bare(self, text: str | None) -> str:
        """A string that is not a text field (a publisher, an alias, a URL), isolated in its own
        direction when it has no letter of the document's direction."""
        if not text:
            return ""
        return self.isolate(text, "rtl" if _has_rtl(text) else "ltr") if self.dir == "rtl" else text

    def fallback_language(self, value: Any) -> str | None:
        """The case language when `value` has no text in the document language, else None."""
        if value is None or has_language(value, self.lang, self.case.language):
            return None
        return self.case.language

    def date(self, value: PartialDate | None) -> str:
        return self.fmt.date(value) if value else ""

    def provision(self, instrument: Markup, article: str) -> Markup:
        """"Rome Statute, art. 7(1)(a)", the article kept left to right inside any script."""
        return self._("{instrument}, art. {article}", instrument=instrument, article=self.isolate(article))


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


class _References:
    """Turns prose references into HTML for one document (see prose.ReferenceRenderer)."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.sources = {s.id: s for s in ctx.case.sources}
        self.figures = {f.id: f for f in ctx.case.figures}
        self.names = {p.id: p.name for p in ctx.case.parties} | {a.id: a.name for a in ctx.case.accused}

    def cite(self, source_id: str, pinpoint: str | None) -> Markup:
        note = citation(self.ctx, self.sources[source_id], pinpoint)
        return Markup('<span class="footnote">{}</span>').format(note)

    def figure(self, figure_id: str) -> Markup:
        return Markup('<span class="figure">{}</span>').format(figure_value(self.ctx, self.figures[figure_id]))

    def name(self, ref_id: str) -> Markup:
        return Markup('<span class="name">{}</span>').format(self.ctx.text(self.names[ref_id]))


def citation(ctx: _Context, source: Source, pinpoint: str | None = None) -> Markup:
    """A footnote citation: publisher, title, date, annex, pinpoint.

    The annex reference is its own span, so a document without annexes (the brief) can hide it.
    """
    parts: list[Markup] = []
    by = source.author or source.publisher
    if by:
        parts.append(escape(ctx.bare(by)))
    title = ctx._(WITHHELD) if ctx.plain(source.title) == WITHHELD else ctx.text(source.title)
    parts.append(Markup("<cite>{}</cite>").format(title))
    if source.date:
        parts.append(escape(ctx.date(source.date)))
    note = Markup(", ").join(parts)
    exhibit = ctx.annexes.get(source.id)
    if exhibit:
        note += Markup('<span class="annex-ref">, {}</span>').format(exhibit.label)
    if pinpoint:
        note += Markup(", {}").format(pinpoint)
    return note + Markup(".")


def figure_number(fmt: Formatter, figure: Figure) -> str:
    """The figure's number without its qualifier: "202,000", or "13 million" when approximate."""
    if figure.qualifier == "approximately" and figure.value >= _COMPACT_FROM:
        return fmt.compact(figure.value)
    return fmt.number(figure.value)


def figure_value(ctx: _Context, figure: Figure) -> Markup:
    """The figure's value with its qualifier, in the document language."""
    return ctx._(QUALIFIERS[figure.qualifier], value=figure_number(ctx.fmt, figure))


def _prose(ctx: _Context, refs: _References, value: Any) -> list[dict[str, object]]:
    if not value:
        return []
    blocks = to_html(parse_prose(ctx.plain(value)), refs)
    fallback = ctx.fallback_language(value)
    for block in blocks:
        block["lang"], block["dir"] = (fallback, direction(fallback)) if fallback else ("", "")
    return blocks


def _elements(ctx: _Context, elements: tuple[Element, ...], support: dict[str, list[str]]) -> list[dict[str, Any]]:
    sources = {s.id: s for s in ctx.case.sources}
    return [{"key": e.key, "text": ctx._(e.text), "source": ctx._(e.source),
             "support": [ctx.annexes[s].label if s in ctx.annexes else source_label(ctx, sources[s])
                         for s in support.get(e.key, [])]}
            for e in elements]


def _crimes(ctx: _Context, refs: _References) -> list[dict[str, Any]]:
    people = {a.id: ctx.text(a.name) for a in ctx.case.accused}
    out = []
    for crime in ctx.case.crimes:
        conduct = ctx.catalogue.conduct(crime.conduct)
        period = crime.period
        out.append({
            "id": crime.id,
            "anchor": f"crime-{crime.id}",
            "title": ctx._(conduct.title),
            "category": ctx._(ctx.catalogue.categories[conduct.category]),
            "provision": ctx.provision(ctx._(conduct.instrument.short), conduct.article),
            "instrument": ctx._(conduct.instrument.title),
            "note": ctx._(conduct.note) if conduct.note else "",
            "elements": _elements(ctx, conduct.elements, crime.elements),
            "context_elements": _elements(ctx, conduct.context_elements, crime.elements),
            "legal_basis": [ctx.provision(ctx.text(p.instrument), p.article) for p in crime.legal_basis],
            "accused": [people[a] for a in (crime.accused or list(people))],
            "liability": [{"title": ctx._(ctx.catalogue.liability_mode(m).title),
                           "provision": ctx.provision(ctx._(ctx.catalogue.liability_mode(m).instrument.short),
                                                      ctx.catalogue.liability_mode(m).article)}
                          for m in crime.liability],
            "period": _period(ctx, period.from_, period.to) if period else "",
            "places": [ctx.text(p) for p in crime.places],
            "summary": _prose(ctx, refs, crime.summary),
            "figures": [_figure_row(ctx, refs.figures[f]) for f in crime.figures],
            "matrix": _matrix_rows(ctx, crime, conduct),
        })
    return out


def _period(ctx: _Context, start: PartialDate | None, end: PartialDate | None) -> Markup | str:
    if start and end:
        return ctx._("{start} to {end}", start=ctx.date(start), end=ctx.date(end))
    if start:
        return ctx._("from {start}", start=ctx.date(start))
    if end:
        return ctx._("until {end}", end=ctx.date(end))
    return ""


def _figure_row(ctx: _Context, figure: Figure) -> dict[str, Any]:
    figures = {f.id: f for f in ctx.case.figures}
    sources = {s.id: s for s in ctx.case.sources}
    whole = figures.get(figure.part_of or "")
    return {
        "id": figure.id,
        "label": ctx.text(figure.label),
        "value": figure_value(ctx, figure),
        "number": ctx.fmt.number(figure.value),
        "qualifier": figure.qualifier,
        "unit": ctx.text(figure.unit) if figure.unit else "",
        "as_of": ctx.date(figure.as_of),
        "part_of": ctx._("of which part: {label}", label=ctx.text(whole.label)) if whole else "",
        "breakdown": [{"label": ctx.text(b.label), "value": ctx.fmt.number(b.value)} for b in figure.breakdown],
        "chart": _chart(ctx, figure),
        "sources": [source_label(ctx, sources[s]) for s in figure.sources],
    }


def source_label(ctx: _Context, source: Source) -> Markup:
    """A short reference to a source: its title, and its annex where it has one."""
    title = ctx._(WITHHELD) if ctx.plain(source.title) == WITHHELD else ctx.text(source.title)
    exhibit = ctx.annexes.get(source.id)
    return Markup('{}<span class="annex-ref"> ({})</span>').format(title, exhibit.label) if exhibit else title


def _sources(ctx: _Context) -> list[dict[str, Any]]:
    """The index of sources: exhibits first in annex order, then the other sources as written."""
    out = []
    order = {source_id: exhibit.number for source_id, exhibit in ctx.annexes.items()}
    for source in sorted(ctx.case.sources, key=lambda s: order.get(s.id, len(order) + 1)):
        exhibit = ctx.annexes.get(source.id)
        out.append({
            "id": source.id,
            "anchor": f"source-{source.id}",
            "title": ctx._(WITHHELD) if ctx.plain(source.title) == WITHHELD else ctx.text(source.title),
            "by": ctx.bare(source.author or source.publisher),
            "date": ctx.date(source.date),
            "kind": ctx._(SOURCE_KINDS[source.kind]),
            "url": ctx.bare(source.url),
            "archived_url": ctx.bare(source.archived_url),
            "accessed": ctx.date(source.accessed),
            "annex": exhibit.label if exhibit else "",
            "annex_number": exhibit.number if exhibit else None,
            "file": ctx.bare(os.path.basename(source.file)) if source.file else "",
            "sha256": ctx.isolate(source.sha256) if source.sha256 else "",
            "size": ctx._("{size} bytes", size=ctx.fmt.number(exhibit.size)) if exhibit and source.file else "",
            "media_type": exhibit.media_type if exhibit and source.file else "",
            **_exhibit_fields(ctx, source),
        })
    return out


def _accused(ctx: _Context, refs: _References) -> list[dict[str, Any]]:
    out = []
    for person in ctx.case.accused:
        location = person.location
        out.append({
            "id": person.id,
            "name": ctx.text(person.name),
            "other_scripts": [ctx.bare(n) for n in (person.name.values() if isinstance(person.name, dict) else [])
                              if n != ctx.plain(person.name)],
            "aliases": [ctx.bare(a) for a in person.aliases],
            "born": ctx.date(person.born),
            "nationality": ctx.text(person.nationality),
            "status": ctx.text(person.status),
            "positions": [{"title": ctx.text(p.title), "period": _period(ctx, p.from_, p.to)} for p in person.positions],
            "location": {
                "place": ctx.text(location.place), "as_of": ctx.date(location.as_of),
                "citations": CITATION_SEPARATOR.join(refs.cite(s, None) for s in location.sources),
            } if location else None,
            "identifiers": [{"kind": ctx.bare(i.kind), "value": ctx.bare(i.value)} for i in person.identifiers],
        })
    return out


def resolve_document(checked: CheckedCase, lang: str, *, edition: str = "public",
                     numbering: str = "default") -> dict[str, Any]:
    """The template data for one document of `checked` in `lang`."""
    case = redact_case(checked.case) if edition == "public" else checked.case
    ctx = _Context(case, checked, lang, translator(lang), Formatter(lang, numbering), load_catalogue(),
                   {e.source_id: e for e in annex_order(checked, _label_annex(lang, numbering))}, edition)
    refs = _References(ctx)
    parties = {p.id: p for p in case.parties}
    requesting, requested = parties[case.request.from_], parties[case.request.to]
    arguments = {a.id: a for a in case.arguments}
    title = ctx.text(case.title)
    crimes = _crimes(ctx, refs)
    accused = _accused(ctx, refs)
    sources = _sources(ctx)
    by_id = {s["id"]: s for s in sources}
    return {
        "lang": lang,
        "dir": direction(lang),
        "edition": edition,
        "classification": ctx._(CLASSIFICATIONS[edition]),
        "case": {"id": case.id, "title": title, "date": ctx.date(case.date), "place": ctx.text(case.place),
                 "kind": ctx._(REQUEST_TITLES[case.request.type]), "type": case.request.type},
        "requesting": _party(ctx, refs, requesting),
        "requested": _party(ctx, refs, requested),
        "parties": [_party(ctx, refs, p) for p in case.parties],
        "accused": accused,
        "request": {
            "sought": _prose(ctx, refs, case.request.sought),
            "forum": ctx.text(case.request.forum),
            "urgency": _prose(ctx, refs, case.request.urgency),
            "assurances": [_prose(ctx, refs, a) for a in case.request.assurances],
            "grounds": [{"title": ctx.text(arguments[g].title), "anchor": f"argument-{g}"} for g in case.request.grounds],
            "warrant": source_label(ctx, refs.sources[case.request.warrant]) if case.request.warrant else "",
        },
        "facts": [{"heading": ctx.text(f.heading), "anchor": f"facts-{i + 1}",
                   "paragraphs": [b for p in f.paragraphs for b in _prose(ctx, refs, p)],
                   "sources": [source_label(ctx, refs.sources[s]) for s in f.sources]}
                  for i, f in enumerate(case.facts)],
        "crimes": crimes,
        "figures": [_figure_row(ctx, f) for f in case.figures],
        "arguments": [{"id": a.id, "anchor": f"argument-{a.id}", "title": ctx.text(a.title),
                       "paragraphs": _prose(ctx, refs, a.text),
                       "authorities": [{"instrument": ctx.text(x.instrument), "article": x.article or "",
                                        "note": ctx.text(x.note)} for x in a.authorities]}
                      for a in case.arguments],
        "sources": sources,
        "exhibits": [by_id[e.source_id] for e in ctx.annexes.values()],
        "annexes": _annexes(ctx, by_id),
        "suspects": _suspects(ctx, accused, crimes),
        "complainants": [_party(ctx, refs, p) for p in case.parties if p.role == "requesting"],
        "witnesses": _witnesses(ctx, refs),
        "digits": numbering,
        "css": {"page_of": page_of_css(ctx)},
        "meta": {
            # A confidential edition says so in its title and keywords (editions.py).
            "title": " — ".join(filter(None, [ctx.plain(case.title), edition_mark(edition, lang)])),
            "author": ctx.plain(requesting.name),
            "subject": ctx._("{kind} addressed to {party}", kind=ctx._(REQUEST_TITLES[case.request.type]),
                             party=ctx.plain(requested.name)).striptags(),
            "keywords": ", ".join([*filter(None, [edition_mark(edition, lang)]),
                                   *(ctx.plain(a.name) for a in case.accused),
                                   *dict.fromkeys(c["title"].striptags() for c in crimes)]),
            "date": str(case.date),
            "sought": plain_text(ctx.plain(case.request.sought)),
        },
    }


def _witnesses(ctx: _Context, refs: _References) -> list[dict[str, Any]]:
    """Witnesses by pseudonym; `name` is empty for a protected witness in a public edition,
    because the redacted case no longer has it."""
    return [{"pseudonym": ctx.bare(w.pseudonym), "name": ctx.text(w.name) if w.name else "",
             "protected": w.protected,
             "statement": source_label(ctx, refs.sources[w.statement]) if w.statement else ""}
            for w in ctx.case.witnesses]


def _label_annex(lang: str, numbering: str) -> Any:
    tr, fmt = translator(lang), Formatter(lang, numbering)
    return lambda number: tr.gettext("Annex {number}").format(number=fmt.integer(number))


def _party(ctx: _Context, refs: _References, party: Any) -> dict[str, Any]:
    return {"id": party.id, "name": ctx.text(party.name), "role": party.role, "kind": party.kind or "",
            "address": ctx.text(party.address), "contact": ctx.bare(party.contact),
            "description": _prose(ctx, refs, party.description)}


def css_string(text: str) -> str:
    """A CSS string literal (the characters that end or escape a string, or an HTML tag, escaped)."""
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\<>&\n' else c for c in text)
    return f'"{escaped}"'


def page_of_css(ctx: _Context) -> Markup:
    """The CSS `content` value for "page X of Y" in the document language."""
    pattern = ctx.tr.gettext("Page {page} of {pages}")
    parts: list[str] = []
    rest = pattern
    style = ", arabic-indic" if ctx.fmt.numbering == "arab" else ""
    # Y is the dossier's own last page (base.html's #dossier-end), not the file's: the annexes
    # after it carry Bates numbers instead.
    for field, counter in (("{page}", f"counter(page{style})"),
                           ("{pages}", f"target-counter(url(#dossier-end), page{style})")):
        before, _, rest = rest.partition(field)
        if before:
            parts.append(css_string(before))
        parts.append(counter)
    if rest:
        parts.append(css_string(rest))
    return Markup(" ".join(parts))  # built from escaped CSS strings only


# ---------------------------------------------------------------- exhibits, annexes, matrix, charts

ANNEX_MODES = {"pages": N_("appended page for page"),
               "raster": N_("appended as images of its pages; the original PDF is attached to this file"),
               "image": N_("image, on one page"), "text": N_("text, typeset"),
               "withheld": N_("withheld from this edition")}
RASTER_REASONS = {"encrypted": N_("it is encrypted"), "actions": N_("it contains JavaScript or other actions"),
                  "fonts": N_("its fonts are not embedded")}


def _plans(ctx: _Context) -> dict[str, Any]:
    """How each exhibit is annexed in this edition (annex.py), by source id."""
    from casefile.annex import annex_plans

    plans = getattr(ctx, "_annex_plans", None)  # once per document: each source asks
    if plans is None:
        plans = {p.exhibit.source_id: p for p in annex_plans(ctx.checked, ctx.edition)}
        setattr(ctx, "_annex_plans", plans)  # noqa: B010 (not a field of _Context)
    return plans


def _datetime(ctx: _Context, value: str | None) -> str:
    """An ISO 8601 date-time in the document language: "30 June 2022, 10:15 UTC"."""
    if not value:
        return ""
    from datetime import datetime, timezone

    from babel.dates import format_date, format_time

    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    day = format_date(moment.date(), "long", locale=ctx.fmt.locale)
    if "T" not in value and " " not in value.strip():
        return day
    time = format_time(moment.time(), "HH:mm", locale=ctx.fmt.locale)
    pattern = N_("{date}, {time} UTC") if moment.tzinfo else N_("{date}, {time}")
    return str(ctx._(pattern, date=day, time=time))


def _exhibit_fields(ctx: _Context, source: Source) -> dict[str, Any]:
    """The Berkeley Protocol record of a source and, for an exhibit, how and where it is annexed."""
    plan = _plans(ctx).get(source.id)
    fields: dict[str, Any] = {
        "acquired": _datetime(ctx, source.acquired),
        "acquired_by": ctx.bare(source.acquired_by),
        "method": ctx.bare(source.method),
        "custody": [{"who": ctx.bare(c.who), "when": _datetime(ctx, c.when), "what": ctx.text(c.what)}
                    for c in source.custody],
        "annex_anchor": "", "annex_end": "", "annexed_as": "", "annex_mode": "",
    }
    if plan is not None:
        annexed_as = ctx._(ANNEX_MODES[plan.mode])
        if plan.reasons:
            annexed_as += Markup(" (") + Markup("; ").join(ctx._(RASTER_REASONS[r]) for r in plan.reasons) + ")"
        fields.update(annex_anchor=plan.anchor, annex_end=f"{plan.anchor}-end", annexed_as=annexed_as,
                      annex_mode=plan.mode)
    return fields


def _annexes(ctx: _Context, sources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What the annexes partial lays out: a cover sheet per exhibit, then its content or placeholders."""
    from casefile.annex import text_direction

    out = []
    for plan in _plans(ctx).values():
        entry: dict[str, Any] = {
            "number": plan.exhibit.number, "label": ctx.annexes[plan.exhibit.source_id].label,
            "anchor": plan.anchor, "end_anchor": f"{plan.anchor}-end", "mode": plan.mode,
            "source": sources[plan.exhibit.source_id],
            "placeholders": [plan.placeholder(k) for k in range(1, plan.pages + 1)],
            "image": plan.exhibit.path.resolve().as_uri() if plan.mode == "image" else "",
            "text": "", "text_dir": "ltr",
            "attachment": ctx.bare(plan.attachment_name) if plan.mode == "raster" else "",
        }
        if plan.mode == "text":
            text = plan.exhibit.path.read_bytes().decode("utf-8").lstrip("\ufeff")
            entry.update(text=text, text_dir=text_direction(text))
        out.append(entry)
    return sorted(out, key=lambda e: e["number"])


def _matrix_rows(ctx: _Context, crime: Any, conduct: Any) -> dict[str, Any]:
    """The crime's evidence matrix: each element (context ones marked) against its sources."""
    context = {e.key for e in conduct.context_elements}
    sources = {s.id: s for s in ctx.case.sources}
    rows = []
    for element in conduct.all_elements:
        ids = crime.elements.get(element.key, [])
        rows.append({"key": element.key, "text": ctx._(element.text), "authority": ctx._(element.source),
                     "context": element.key in context, "supported": bool(ids),
                     "sources": [source_label(ctx, sources[s]) for s in ids]})
    return {"mapped": bool(crime.elements), "rows": rows,
            "unsupported": sum(not r["supported"] for r in rows)}


def _chart(ctx: _Context, figure: Figure) -> Markup:
    """An SVG bar chart of the figure's series, or '' when it has none."""
    if not figure.series:
        return Markup("")
    from casefile.chart import figure_chart

    return figure_chart([(p.period, p.value) for p in figure.series], ctx.fmt, ctx.dir, ctx.plain(figure.label))


def _suspects(ctx: _Context, accused: list[dict[str, Any]], crimes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each accused person with the crimes alleged against them and the modes of liability alleged."""
    out = []
    for person, model in zip(accused, ctx.case.accused, strict=True):
        charged = [(crime, data) for crime, data in zip(ctx.case.crimes, crimes, strict=True)
                   if model.id in (crime.accused or [a.id for a in ctx.case.accused])]
        out.append({**person, "charges": [{"title": data["title"], "provision": data["provision"],
                                           "anchor": data["anchor"], "liability": data["liability"]}
                                          for _, data in charged]})
    return out

