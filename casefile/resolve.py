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


def figure_value(ctx: _Context, figure: Figure) -> Markup:
    """The figure's value with its qualifier, in the document language."""
    if figure.qualifier == "approximately" and figure.value >= _COMPACT_FROM:
        number = ctx.fmt.compact(figure.value)
    else:
        number = ctx.fmt.number(figure.value)
    return ctx._(QUALIFIERS[figure.qualifier], value=number)


def _prose(ctx: _Context, refs: _References, value: Any) -> list[dict[str, object]]:
    if not value:
        return []
    blocks = to_html(parse_prose(ctx.plain(value)), refs)
    fallback = ctx.fallback_language(value)
    for block in blocks:
        block["lang"], block["dir"] = (fallback, direction(fallback)) if fallback else ("", "")
    return blocks


def _elements(ctx: _Context, elements: tuple[Element, ...], support: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [{"key": e.key, "text": ctx._(e.text), "source": ctx._(e.source),
             "support": [ctx.annexes[s].label if s in ctx.annexes else s for s in support.get(e.key, [])]}
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
        "sources": [source_label(ctx, sources[s]) for s in figure.sources],
    }


def source_label(ctx: _Context, source: Source) -> Markup:
    """A short reference to a source: its title, and its annex where it has one."""
    title = ctx._(WITHHELD) if ctx.plain(source.title) == WITHHELD else ctx.text(source.title)
    exhibit = ctx.annexes.get(source.id)
    return Markup('{}<span class="annex-ref"> ({})</span>').format(title, exhibit.label) if exhibit else title


def _sources(ctx: _Context) -> list[dict[str, Any]]:
    out = []
    for source in ctx.case.sources:
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
        "sources": _sources(ctx),
        "exhibits": [_sources_by_id(ctx)[e.source_id] for e in ctx.annexes.values()],
        "digits": numbering,
        "css": {"page_of": page_of_css(ctx)},
        "meta": {
            "title": ctx.plain(case.title),
            "author": ctx.plain(requesting.name),
            "subject": ctx._("{kind} addressed to {party}", kind=ctx._(REQUEST_TITLES[case.request.type]),
                             party=ctx.plain(requested.name)).striptags(),
            "keywords": ", ".join([*(ctx.plain(a.name) for a in case.accused),
                                   *dict.fromkeys(c["title"].striptags() for c in crimes)]),
            "date": str(case.date),
            "sought": plain_text(ctx.plain(case.request.sought)),
        },
    }


def _sources_by_id(ctx: _Context) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in _sources(ctx)}


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
    for field, counter in (("{page}", f"counter(page{style})"), ("{pages}", f"counter(pages{style})")):
        before, _, rest = rest.partition(field)
        if before:
            parts.append(css_string(before))
        parts.append(counter)
    if rest:
        parts.append(css_string(rest))
    return Markup(" ".join(parts))  # built from escaped CSS strings only
