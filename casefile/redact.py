"""Redaction for public editions, done on the data before any template sees it.

A protected witness keeps only its pseudonym; a confidential source keeps its id and annex
slot but loses its title, author, publisher, URLs, file name and hash. What a template never
receives it cannot print, whatever the template does.
"""

from __future__ import annotations

from casefile.model import Case, Source, Witness

WITHHELD = "[withheld]"


def redact_source(source: Source) -> Source:
    """A confidential source reduced to its id, kind and a withheld marker."""
    return Source.model_construct(id=source.id, title=WITHHELD, kind=source.kind, confidential=True,
                                  **{f: None for f in ("author", "publisher", "date", "url", "archived_url",
                                                       "accessed", "file", "sha256", "pages", "acquired",
                                                       "acquired_by", "method")},
                                  custody=[])


def redact_witness(witness: Witness) -> Witness:
    """A protected witness reduced to its pseudonym."""
    return witness.model_copy(update={"name": None}) if witness.protected else witness


def redact_case(case: Case) -> Case:
    """The public edition's view of a case."""
    return case.model_copy(update={
        "sources": [redact_source(s) if s.confidential else s for s in case.sources],
        "witnesses": [redact_witness(w) for w in case.witnesses],
    })


def protected_strings(case: Case) -> list[str]:
    """Every string a public edition must not contain: protected names, confidential titles,
    file names and hashes."""
    found: list[str] = []
    for witness in case.witnesses:
        if witness.protected and witness.name:
            found += [witness.name] if isinstance(witness.name, str) else list(witness.name.values())
    for source in case.sources:
        if not source.confidential:
            continue
        found += [source.title] if isinstance(source.title, str) else list(source.title.values())
        found += [v for v in (source.file, source.sha256, source.url, source.archived_url) if v]
    return [s for s in dict.fromkeys(found) if s and s != WITHHELD]
