"""`casefile new`: write a commented starting case that checks and builds as written.

The case explains every field in a comment, uses only invented placeholder names, and annexes
one placeholder exhibit (in `evidence/`) whose sha256 is filled in. Its first line is the
`yaml-language-server` modeline, so editors that read JSON Schema for YAML offer completion
and inline errors at once; by default the schema is written beside the case as
`case.schema.json`. Nothing that exists is ever overwritten.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

from casefile.errors import CasefileError
from casefile.loader import CASE_SUFFIXES

log = logging.getLogger(__name__)

REQUEST_TYPES = ("extradition", "prosecution", "surrender", "investigation")
SCHEMA_FILE = "case.schema.json"


@dataclass(frozen=True)
class NewCase:
    """What `new_case` wrote."""

    case: Path
    exhibit: Path
    schema: Path | None
    """The schema file written beside the case, or None (one was there already, or `schema_ref` was given)."""


@dataclass(frozen=True)
class _Kind:
    title: str
    addressee: str
    addressee_id: str
    forum: str
    sought: str


_ARCADIA = """\
  - id: arcadia
    name: {en: Republic of Arcadia, fr: République d'Arcadie}
    role: requested
    kind: state"""
_PROSECUTOR = """\
  - id: arcadia-prosecutor
    name: Office of the Prosecutor General of the Republic of Arcadia
    role: prosecutor
    kind: authority
    address: 2 Placeholder Square, Arcadia City"""

# What changes with `request.type`: the title, the addressee and the relief sought.
_KINDS = {
    "extradition": _Kind(
        "Request for the extradition of Ostrand Velk to stand trial in the Republic of Borduria", _ARCADIA,
        "arcadia", "Republic of Borduria",
        "That the Republic of Arcadia extradite [=velk] to the Republic of Borduria to stand trial for the\n"
        "    crimes against humanity set out below."),
    "prosecution": _Kind(
        "Referral of Ostrand Velk for prosecution", _PROSECUTOR, "arcadia-prosecutor",
        "Courts of the Republic of Arcadia",
        "That [=arcadia-prosecutor] open criminal proceedings against [=velk] for the crimes against\n"
        "    humanity set out below."),
    "surrender": _Kind(
        "Request for the surrender of Ostrand Velk to the Fictional International Tribunal", _ARCADIA,
        "arcadia", "Fictional International Tribunal",
        "That the Republic of Arcadia arrest [=velk] and surrender him to the Fictional International\n"
        "    Tribunal to stand trial for the crimes against humanity set out below."),
    "investigation": _Kind(
        "Request for an investigation into the conduct of Ostrand Velk", _PROSECUTOR,
        "arcadia-prosecutor", "Courts of the Republic of Arcadia",
        "That [=arcadia-prosecutor] open an investigation into the conduct of [=velk] set out below."),
}

_CASE = Template("""\
# yaml-language-server: $$schema=$schema_ref
# A new case written by `casefile new`. Every name, date and number below is an invented
# placeholder: replace them with the case's own, keep the shape, and run
#   casefile check $case_name
# after each change (`casefile build $case_name` makes the PDFs). The modeline above gives
# editors that read JSON Schema (e.g. VS Code's YAML extension) completion and inline errors.
#
# Text fields take one string, or one string per language: {en: ..., fr: ..., ar: ...}.
# Prose fields are text with a little markup: a blank line starts a new numbered paragraph;
# *emphasis*, **strong**; lines starting "- " make a list (write the field with "|");
# [@source-id] cites a source in a footnote ([@source-id, p. 4] adds a pinpoint);
# [#figure-id] prints a figure with its qualifier; [=id] prints a party's or person's name.
# Dates are YYYY-MM-DD, or YYYY-MM / YYYY where only that much is known.

# Format version of the case file: always 1.
casefile: 1
# Stable identifier (lowercase letters, digits, hyphens); it names the output files.
id: $case_id
# The case's title (text).
title: $title
# The language the case is written in (en, fr, ar, ru, ...).
language: en
# Further languages every document is also produced in, e.g. [fr, ar, ru].
translations: []
# The date of the documents (a full date).
date: $today
# Place of signature.
place: Geneva
# Prefix of the running page numbers stamped on exhibits (default: the requesting party's id,
# upper-cased).
# bates_prefix: FRL
# The default edition: public (protected witness names and confidential sources withheld) or
# confidential (everything).
classification: public

# Organisations and authorities. Each party has:
#   id           referred to as [=id] in prose and by request.from / request.to
#   name         text
#   role         requesting, requested, prosecutor, court or other
#   kind         state, ngo, authority, court or person
#   address      postal address or seat (text)
#   contact      e-mail or telephone
#   description  prose: who the party is, e.g. its mandate
parties:
  - id: league
    name: Fictional Rights League
    role: requesting
    kind: ngo
    address: 1 Placeholder Street, Geneva
    contact: office@example.org
    description: >
      An invented non-governmental organisation that documents alleged crimes against civilians.
$addressee

# The persons accused (at least one). Each has:
#   id           referred to as [=id] in prose and by crimes[].accused
#   name         text: the name in each script
#   aliases      other names and spellings
#   born         date of birth, where known
#   nationality  text
#   positions    offices held: title (text), from and to (dates, optional)
#   status       text, e.g. "dismissed", "at large"
#   location     where the person is believed to be: place, as_of (date), sources (ids)
#   identifiers  identity documents: kind and value
#   photo        path of a photograph, relative to this file
accused:
  - id: velk
    name: Ostrand Velk
    aliases: [O. Velk]
    born: 1961
    nationality: Bordurian
    positions:
      - title: Minister of Order of the Republic of Borduria
        from: 2015-03
        to: 2023-11-30
    status: dismissed from office
    location:
      place: Arcadia City, Republic of Arcadia
      as_of: 2024-01-31
      sources: [field-report]
    identifiers:
      - {kind: passport, value: X0000000}
    # photo: evidence/velk.jpg

# What is asked, of whom, on what grounds:
#   type        extradition, prosecution, surrender or investigation; it picks the default
#               documents (extradition: extradition-request and brief; the others:
#               prosecution-referral and brief)
#   from        the id of the requesting party
#   to          the id of the requested State or authority
#   forum       where the accused is to be tried (text)
#   sought      prose: the relief asked for
#   grounds     ids of the arguments (below) the request rests on
#   urgency     prose, optional: why the request is urgent
#   assurances  list of prose: what the requesting side undertakes
#   warrant     the id of the source that is the arrest warrant or judgment, where one exists
request:
  type: $request_type
  from: league
  to: $addressee_id
  forum: $forum
  sought: >
    $sought
  grounds: [no-impunity]
  urgency: >
    The accused is reported to be preparing to leave Arcadia City [@field-report].
  assurances:
    - The requesting party asks that the accused receive a fair trial before an independent court.
  # warrant: arrest-warrant

# The alleged crimes (at least one). Each has:
#   id           stable identifier
#   conduct      a key of the built-in legal catalogue (`casefile crimes` lists them); it
#                supplies the legal title, the provision and the elements
#   legal_basis  extra provisions: instrument (text) and article
#   accused      ids of the accused charged (default: all of them)
#   liability    modes of liability from the catalogue (ordering, co-perpetration, ...)
#   period       from and to (dates; partial dates allowed)
#   places       where (text)
#   summary      prose: what happened
#   figures      ids of the figures that quantify the crime
#   elements     for each element key of the conduct, the ids of the sources that support it;
#                `casefile check` warns about an element with none
crimes:
  - id: killings
    conduct: cah-murder
    legal_basis:
      - {instrument: Criminal Code of the Republic of Borduria, article: "105"}
    accused: [velk]
    liability: [ordering]
    period: {from: 2016, to: 2023-11}
    places: [Arcadia City]
    summary: The alleged killing of [#killed] civilians [@field-report, p. 1].
    figures: [killed]
    elements:
      killing: [field-report]
      attack: [field-report]
      knowledge: [field-report]

# The supporting figures: each number is written once here and printed in prose as [#id].
#   id         stable identifier
#   label      text: what the figure counts
#   value      the number (write 1200, not 1,200)
#   qualifier  exact, at-least, approximately or at-most (default exact)
#   unit       text (default: persons)
#   as_of      the date the figure refers to
#   part_of    the id of a figure this one is part of (it must not exceed it)
#   breakdown  parts of the figure: label and value (together no more than the value)
#   series     values over time: period and value
#   sources    ids of the sources (a figure without one is reported)
figures:
  - id: killed
    label: civilians killed
    value: 1200
    qualifier: at-least
    as_of: 2024-01-31
    breakdown:
      - {label: women and children, value: 300}
    sources: [field-report]
  - id: killed-in-2023
    label: civilians killed in 2023
    value: 400
    qualifier: approximately
    part_of: killed
    series:
      - {period: 2023-06, value: 150}
      - {period: 2023-12, value: 250}
    sources: [field-report]

# The statement of facts: sections, each with a heading (text), paragraphs (prose, numbered
# in the documents) and sources (ids for the section as a whole).
facts:
  - heading: The alleged killings in Arcadia City
    paragraphs:
      - >
        Between 2016 and November 2023, forces under the command of [=velk] allegedly killed
        [#killed] civilians in Arcadia City, [#killed-in-2023] of them in 2023
        [@field-report].
      - >
        [=velk] is reported to have been in Arcadia City since January 2024 [@field-report].
    sources: [field-report]

# Legal arguments, listed in request.grounds:
#   id           stable identifier
#   title        text
#   text         prose
#   authorities  instrument (text), article, note (text)
arguments:
  - id: no-impunity
    title: The alleged crimes must be tried
    text: >
      Crimes against humanity are among the most serious crimes of concern to the international
      community as a whole and must not go unpunished [@field-report].
    authorities:
      - instrument: Rome Statute of the International Criminal Court
        article: Preamble
        note: The most serious crimes must not go unpunished.

# Everything cited. A source with a `file` is an exhibit: annexed to the dossier, numbered in
# the order the case first cites it, and checked against its sha256 at every build.
#   id            cited as [@id]
#   title         text
#   author, publisher
#   date          date of the source
#   kind          statement, report, testimony, media, dataset, legal-instrument, judgment
#                 or other
#   url, archived_url, accessed (date)
#   file          path of the exhibit, relative to this file
#   sha256        the file's hash (`casefile hash --update $case_name` refreshes it after the
#                 file changes)
#   confidential  true withholds the source from public editions
#   pages         number of pages
#   acquired (date-time), acquired_by, method, custody (who, when, what): chain of custody
sources:
  - id: field-report
    title: Field report on the alleged killings in Arcadia City (placeholder)
    author: Fictional Rights League
    publisher: Fictional Rights League
    date: 2024-01-31
    kind: report
    # url: https://example.org/field-report
    # archived_url: https://web.archive.org/...
    # accessed: 2024-02-01
    file: $exhibit
    sha256: $sha256
    confidential: false
    pages: 1
    acquired: 2024-01-31T09:00:00Z
    acquired_by: Fictional Rights League
    method: Written by the league's field team; saved as plain text.
    custody:
      - {who: Fictional Rights League, when: 2024-01-31T09:00:00Z, what: received the report}

# Witnesses. A protected witness appears only by pseudonym in public editions:
#   id, pseudonym (required, e.g. W-001), name (text), protected (default true),
#   statement (the id of the source that is the witness's statement)
witnesses: []
#  - id: witness-1
#    pseudonym: W-001
#    name: Placeholder Witness
#    protected: true
#    statement: witness-1-statement

# Which documents to build (default: per request.type). Each entry: template (a built-in
# name or a folder), languages (default: language plus translations), edition (public or
# confidential; default: classification).
# documents:
#   - template: brief
#     languages: [en]
#     edition: public
""")

_EXHIBIT = Template("""\
PLACEHOLDER EXHIBIT for the case '$case_id'

This file stands in for the first exhibit of the case. Everything in it, and every name in
the case file written by `casefile new`, is invented.

Replace this file with the real exhibit (a PDF, an image or a text file), point the source's
`file` at it, and refresh its `sha256` (`casefile hash --update CASE`, or `sha256sum FILE`):
the build refuses an exhibit whose hash does not match.
""")


def case_id_for(path: Path) -> str:
    """A valid case id made from the file name: `Velk Case.yaml` -> `velk-case`."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    return slug or "new-case"


def render_case(case_id: str, request_type: str, *, exhibit: str, sha256: str, schema_ref: str,
                case_name: str, today: date) -> str:
    """The text of a new case file."""
    kind = _KINDS[request_type]
    return _CASE.substitute(
        schema_ref=schema_ref, case_name=case_name, case_id=case_id, title=kind.title, today=today.isoformat(),
        addressee=kind.addressee, request_type=request_type, addressee_id=kind.addressee_id, forum=kind.forum,
        sought=kind.sought, exhibit=exhibit, sha256=sha256)


def new_case(path: Path, request_type: str = "extradition", *, schema_ref: str | None = None,
             today: date | None = None) -> NewCase:
    """Write a new case at `path`, its placeholder exhibit and (unless `schema_ref`) the schema.

    Refuses, before writing anything, if the case file or the exhibit exists.
    """
    if request_type not in _KINDS:
        raise CasefileError(f"unknown request type '{request_type}'; use one of {', '.join(REQUEST_TYPES)}")
    if path.suffix not in CASE_SUFFIXES:
        raise CasefileError(f"{path}: a case file name ends in .yaml or .yml")
    if path.exists() or path.is_symlink():
        raise CasefileError(f"{path}: already exists; `casefile new` never overwrites a file")
    case_id = case_id_for(path)
    folder = path.parent
    relative_exhibit = f"evidence/{case_id}-field-report.txt"
    exhibit = folder / relative_exhibit
    if exhibit.exists() or exhibit.is_symlink():
        raise CasefileError(f"{exhibit}: already exists; `casefile new` never overwrites a file")
    exhibit_bytes = _EXHIBIT.substitute(case_id=case_id).encode("utf-8")
    schema_path = folder / SCHEMA_FILE if schema_ref is None else None
    text = render_case(case_id, request_type, exhibit=relative_exhibit,
                       sha256=hashlib.sha256(exhibit_bytes).hexdigest(), schema_ref=schema_ref or SCHEMA_FILE,
                       case_name=path.name, today=today or date.today())
    try:
        exhibit.parent.mkdir(parents=True, exist_ok=True)
        with open(exhibit, "xb") as handle:
            handle.write(exhibit_bytes)
        written_schema = _write_schema(schema_path) if schema_path else None
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError as e:
        raise CasefileError(f"{e.filename}: already exists; `casefile new` never overwrites a file") from None
    except OSError as e:
        raise CasefileError(f"cannot write '{e.filename or path}': {e.strerror}") from None
    return NewCase(path, exhibit, written_schema)


def _write_schema(path: Path) -> Path | None:
    """Write the case schema at `path` unless a file is there (it may be a shared copy); return what was written."""
    from casefile.schema import schema_json

    if path.exists():
        log.info("%s exists; left as it is (`casefile schema -o %s` refreshes it)", path, path)
        return None
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(schema_json())
    return path
