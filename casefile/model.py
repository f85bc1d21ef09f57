"""The case format as pydantic models: shapes and per-field rules only, no I/O.

Field names follow `spec/case-format.md`. Cross-references (a figure id cited in prose, a
source listed by a figure) are checked in `checks.py`, which can point at the exact node.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from casefile.types import DateTimeValue, DateValue, FullDate, Language, Number, Sha256, Slug, Text


class _Model(BaseModel):
    # The attribute docstrings below are the JSON Schema's descriptions: schema.py attaches them.
    # (pydantic's `use_attribute_docstrings` would read this file's source for every model at
    # import, about 0.1 s of every command, for the one command that needs them.)
    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=False, validate_by_alias=True)


Prose = Text
"""Prose is text with casefile's small markup (paragraphs, emphasis, lists, references)."""


class Party(_Model):
    """An organisation or authority: the requesting party, the addressee, a prosecutor."""

    id: Slug
    """Stable identifier, referred to as `[=id]` in prose and by `request.from` / `request.to`."""
    name: Text
    """The party's name, in each language."""
    role: Literal["requesting", "requested", "prosecutor", "court", "other"] = "other"
    """The party's part in the request."""
    kind: Literal["state", "ngo", "authority", "court", "person"] | None = None
    """What sort of party it is."""
    address: Text | None = None
    """Postal address or seat."""
    contact: str | None = None
    """Contact details (e-mail, telephone)."""
    description: Prose | None = None
    """Who the party is, e.g. the organisation's mandate."""


class Office(_Model):
    """A position the accused held."""

    title: Text
    """The title of the position."""
    from_: DateValue | None = Field(None, alias="from")
    """When the accused took the position."""
    to: DateValue | None = None
    """When the accused left the position."""


class Location(_Model):
    """Where the accused is believed to be."""

    place: Text
    """The place."""
    as_of: DateValue | None = None
    """The date the location was reported."""
    sources: list[Slug] = []
    """Sources for the location."""


class Identifier(_Model):
    """An identity document or number."""

    kind: str
    """What it is: passport, national ID, Interpol notice."""
    value: str
    """The number or reference."""


class Accused(_Model):
    """A person accused."""

    id: Slug
    """Stable identifier, referred to as `[=id]` in prose and by `crimes[].accused`."""
    name: Text
    """The name in each script."""
    aliases: list[str] = []
    """Other names and spellings."""
    born: DateValue | None = None
    """Date of birth, where known."""
    nationality: Text | None = None
    """Nationality."""
    positions: list[Office] = []
    """Positions held."""
    status: Text | None = None
    """Current status, e.g. 'deposed'."""
    location: Location | None = None
    """Where the accused is believed to be."""
    identifiers: list[Identifier] = []
    """Identity documents and numbers."""
    photo: str | None = None
    """Path of a photograph, relative to the case file."""


class Request(_Model):
    """What is asked, of whom, on what grounds."""

    type: Literal["extradition", "prosecution", "surrender", "investigation"]
    """The kind of request; it selects the default documents."""
    from_: Slug = Field(alias="from")
    """The id of the requesting party."""
    to: Slug
    """The id of the requested State or authority."""
    forum: Text | None = None
    """Where the accused is to be tried."""
    sought: Prose
    """The relief asked for."""
    grounds: list[Slug] = []
    """Ids of the arguments the request rests on."""
    urgency: Prose | None = None
    """Why the request is urgent."""
    assurances: list[Prose] = []
    """What the requesting side undertakes (no death penalty, a fair trial, speciality)."""
    warrant: Slug | None = None
    """The id of the source that is the arrest warrant or judgment."""


class Provision(_Model):
    """A legal provision: an instrument and an article."""

    instrument: Text
    """The instrument, e.g. 'Criminal Code of the Russian Federation'."""
    article: str
    """The article, e.g. '356'."""


class Period(_Model):
    """A period of time; partial dates are allowed."""

    from_: DateValue | None = Field(None, alias="from")
    """Start of the period."""
    to: DateValue | None = None
    """End of the period."""


class Crime(_Model):
    """An alleged crime."""

    id: Slug
    """Stable identifier."""
    conduct: str
    """A key of the built-in legal catalogue (`casefile crimes` lists them)."""
    legal_basis: list[Provision] = []
    """Extra provisions, e.g. of a national criminal code."""
    accused: list[Slug] | None = None
    """Ids of the accused charged with this crime (default: all)."""
    liability: list[str] = []
    """Catalogue keys of the modes of liability alleged."""
    period: Period | None = None
    """When the crime was committed."""
    places: list[Text] = []
    """Where the crime was committed."""
    summary: Prose | None = None
    """What happened."""
    figures: list[Slug] = []
    """Ids of the figures that quantify the crime."""
    elements: dict[str, list[Slug]] = {}
    """For each catalogue element key, the ids of the sources that support it."""


class BreakdownItem(_Model):
    """A part of a figure."""

    label: Text
    """What the part counts."""
    value: Number
    """The part's value."""


class SeriesPoint(_Model):
    """One point of a figure's series."""

    period: str
    """The period, e.g. '2012' or '2012-03'."""
    value: Number
    """The value in that period."""


class Figure(_Model):
    """A supporting figure, written once and referred to as `[#id]`."""

    id: Slug
    """Stable identifier."""
    label: Text
    """What the figure counts."""
    value: Number
    """The number."""
    qualifier: Literal["exact", "at-least", "approximately", "at-most"] = "exact"
    """How exact the number is."""
    unit: Text | None = None
    """The unit (default: persons)."""
    as_of: DateValue | None = None
    """The date the figure refers to."""
    part_of: Slug | None = None
    """The id of a figure this one is part of; it must not exceed it."""
    breakdown: list[BreakdownItem] = []
    """Parts of the figure; together they must not exceed it."""
    series: list[SeriesPoint] = []
    """Values over time, for a chart."""
    sources: list[Slug] = []
    """Ids of the sources for the figure."""


class Fact(_Model):
    """A section of the statement of facts."""

    heading: Text
    """The section heading."""
    paragraphs: list[Prose] = []
    """The paragraphs, numbered in the document."""
    sources: list[Slug] = []
    """Sources for the section as a whole."""


class Authority(_Model):
    """A legal authority relied on in an argument."""

    instrument: Text
    """The instrument, judgment or resolution."""
    article: str | None = None
    """The article or paragraph."""
    note: Text | None = None
    """What it says or why it matters."""


class Argument(_Model):
    """A legal argument."""

    id: Slug
    """Stable identifier, listed in `request.grounds`."""
    title: Text
    """The argument's heading."""
    text: Prose
    """The argument."""
    authorities: list[Authority] = []
    """The authorities relied on."""


class CustodyEvent(_Model):
    """One link in an exhibit's chain of custody."""

    who: str
    """Who held or handled the exhibit."""
    when: DateTimeValue
    """When (ISO 8601 date-time)."""
    what: Text
    """What was done."""


class Source(_Model):
    """Something cited; with a `file` it is annexed as an exhibit."""

    id: Slug
    """Stable identifier, cited as `[@id]`."""
    title: Text
    """The source's title."""
    author: str | None = None
    """The author."""
    publisher: str | None = None
    """The publisher."""
    date: DateValue | None = None
    """The date of the source."""
    kind: Literal["statement", "report", "testimony", "media", "dataset",
                  "legal-instrument", "judgment", "other"] = "other"
    """What sort of source it is."""
    url: str | None = None
    """Where it was published."""
    archived_url: str | None = None
    """An archived copy."""
    accessed: DateValue | None = None
    """When the URL was accessed."""
    file: str | None = None
    """Path of the exhibit file, relative to the case file."""
    sha256: Sha256 | None = None
    """The sha256 of the exhibit file (required with `file`)."""
    confidential: bool = False
    """Withheld from public editions."""
    pages: int | None = Field(None, ge=1)
    """Number of pages."""
    acquired: DateTimeValue | None = None
    """When the exhibit was acquired (Berkeley Protocol)."""
    acquired_by: str | None = None
    """Who acquired it."""
    method: str | None = None
    """How it was acquired and with what tool."""
    custody: list[CustodyEvent] = []
    """Chain of custody."""


class Witness(_Model):
    """A witness; a protected witness appears only by pseudonym in public editions."""

    id: Slug
    """Stable identifier."""
    pseudonym: str
    """The pseudonym, e.g. 'W-001'."""
    name: Text | None = None
    """The real name (never printed in public editions when protected)."""
    protected: bool = True
    """Whether the name is withheld from public editions."""
    statement: Slug | None = None
    """The id of the source that is the witness's statement."""


class DocumentSpec(_Model):
    """A document to build from the case."""

    template: str
    """A built-in template name, or a folder holding `document.html`."""
    languages: list[Language] | None = None
    """Languages to build (default: `language` plus `translations`)."""
    edition: Literal["public", "confidential"] | None = None
    """The edition to build (default: the case's `classification`)."""


class Case(_Model):
    """A case file."""

    casefile: int
    """Format version; 1."""
    id: Slug
    """Stable identifier; names the output files."""
    title: Text
    """The case's title."""
    language: Language
    """The language the case is written in."""
    translations: list[Language] = []
    """Further languages the documents must be produced in."""
    date: FullDate
    """The date of the documents."""
    place: Text | None = None
    """Place of signature."""
    bates_prefix: str | None = None
    """Prefix of the running exhibit page numbers (default: the requesting party's id, upper-cased)."""
    classification: Literal["public", "confidential"] = "public"
    """The default edition."""
    parties: list[Party] = []
    """Organisations and authorities."""
    accused: list[Accused] = Field(min_length=1)
    """The persons accused (at least one)."""
    request: Request
    """The request: what is asked, of whom, on what grounds."""
    crimes: list[Crime] = Field(min_length=1)
    """The alleged crimes (at least one)."""
    figures: list[Figure] = []
    """The supporting figures."""
    facts: list[Fact] = []
    """The statement of facts."""
    arguments: list[Argument] = []
    """Legal arguments."""
    sources: list[Source] = []
    """Everything cited."""
    witnesses: list[Witness] = []
    """Witnesses."""
    documents: list[DocumentSpec] = []
    """Which documents to build (default: per `request.type`)."""

    @field_validator("casefile")
    @classmethod
    def _supported_version(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"format version {value} is not supported; this casefile reads version 1")
        return value

    @property
    def languages(self) -> list[str]:
        """The case language followed by its translations, without repeats."""
        return list(dict.fromkeys([self.language, *self.translations]))
