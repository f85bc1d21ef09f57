"""Every rule of the case format that spans fields: ids, references, totals, exhibit files.

`check_case` is the whole "validate" stage: load, model, then these checks. It returns every
problem at once; warnings are the things `casefile check` reports without failing.
"""

from __future__ import annotations

import hashlib
import os
import stat
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from casefile.catalogue import load_catalogue
from casefile.errors import CaseValidationError, Problem, did_you_mean, sort_problems
from casefile.loader import Limits, LoadedCase, PathKey, Position, load_case
from casefile.model import Case
from casefile.prose import references
from casefile.types import parse_text, has_language
from casefile.validate import format_path, validate_case


@dataclass(frozen=True)
class CheckedCase:
    """A case that passed checking, with its source and the warnings found."""

    case: Case
    loaded: LoadedCase
    warnings: tuple[Problem, ...]
    first_cited: dict[str, tuple[int, int]]
    """For each cited source id, the line and column where the case file first refers to it."""

    @property
    def folder(self) -> Path:
        """The folder of the case file; exhibit paths are relative to it."""
        return self.loaded.path.parent


def check_case(path: Path | str, *, languages: list[str] | None = None, strict: bool = False,
               limits: Limits = Limits(), display: str | None = None) -> CheckedCase:
    """Load and check a case; raise CaseValidationError with every problem if any is an error.

    `languages` adds a warning for each text field missing in one of them; `strict` makes
    every warning an error.
    """
    loaded = load_case(path, limits=limits, display=display)
    case, problems = validate_case(loaded)
    problems = [*loaded.problems, *problems]
    checker = None
    if case is not None:
        checker = _Checker(loaded, case)
        problems += checker.run()
        for lang in languages or []:
            problems += untranslated_fields(loaded, case, lang)
    if strict:
        problems = [p.as_error() for p in problems]
    if case is None or checker is None or any(p.severity == "error" for p in problems):
        raise CaseValidationError(problems)
    return CheckedCase(case, loaded, tuple(sort_problems(problems)), checker.first_cited)


def iter_text_fields(model: BaseModel, path: PathKey = ()) -> Iterator[tuple[PathKey, Any]]:
    """Every text field (string or mapping by language) of a model, with its data path."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = field.alias or name
        if value is None:
            continue
        if _is_text(field.annotation, field.metadata):
            yield (*path, key), value
        elif isinstance(value, BaseModel):
            yield from iter_text_fields(value, (*path, key))
        elif isinstance(value, list):
            item_is_text = any(_is_text(arg, ()) for arg in typing.get_args(field.annotation))
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from iter_text_fields(item, (*path, key, i))
                elif item_is_text:
                    yield (*path, key, i), item


def _is_text(annotation: Any, metadata: Any) -> bool:
    """Whether an annotation (or an arm of its union) is the Text type."""
    if any(getattr(m, "func", None) is parse_text for m in metadata):
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_text(None, annotation.__metadata__)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_text(arg, ()) for arg in typing.get_args(annotation))
    return False


def untranslated_fields(loaded: LoadedCase, case: Case, lang: str) -> list[Problem]:
    """A warning for each text field that has no string in `lang`."""
    if lang == case.language:
        return []
    return [
        loaded.problem(path, f"{format_path(path)}: no '{lang}' text; the '{case.language}' text is used",
                       severity="warning")
        for path, value in iter_text_fields(case)
        if not has_language(value, lang, case.language)
    ]


class _Checker:
    def __init__(self, loaded: LoadedCase, case: Case) -> None:
        self.loaded = loaded
        self.case = case
        self.problems: list[Problem] = []
        self.sources = {s.id: s for s in case.sources}
        self.figures = {f.id: f for f in case.figures}
        self.names = {p.id for p in case.parties} | {a.id for a in case.accused}
        self.first_cited: dict[str, tuple[int, int]] = {}
        self.used_figures: set[str] = set()

    def error(self, path: PathKey, message: str, **kw: Any) -> None:
        self.problems.append(self.loaded.problem(path, f"{format_path(path)}: {message}", **kw))

    def warn(self, path: PathKey, message: str) -> None:
        self.error(path, message, severity="warning")

    def run(self) -> list[Problem]:
        self._unique_ids()
        self._request()
        self._accused()
        self._crimes()
        self._figures()
        for i, fact in enumerate(self.case.facts):
            self._source_list(("facts", i, "sources"), fact.sources)
        for i, witness in enumerate(self.case.witnesses):
            if witness.statement:
                self._cite_source(("witnesses", i, "statement"), witness.statement)
        self._prose()
        self._exhibits()
        self._unused()
        return self.problems

    def _ref(self, path: PathKey, ref: str, known: Any, what: str, at: Position | None = None) -> bool:
        if ref in known:
            return True
        self.error(path, f"unknown {what} '{ref}'{did_you_mean(ref, known)}", at=at)
        return False

    def _cite_source(self, path: PathKey, sid: str, at: Position | None = None) -> None:
        if not self._ref(path, sid, self.sources, "source", at=at):
            return
        pos = at or self.loaded.positions.value(path)
        self.first_cited[sid] = min(self.first_cited.get(sid, (pos.line, pos.column)), (pos.line, pos.column))

    def _source_list(self, path: PathKey, ids: list[str]) -> None:
        for j, sid in enumerate(ids):
            self._cite_source((*path, j), sid)

    def _unique_ids(self) -> None:
        groups = {
            "people": [("parties", i, p.id) for i, p in enumerate(self.case.parties)]
            + [("accused", i, a.id) for i, a in enumerate(self.case.accused)],
        }
        for name in ("crimes", "figures", "arguments", "sources", "witnesses"):
            groups[name] = [(name, i, item.id) for i, item in enumerate(getattr(self.case, name))]
        for entries in groups.values():
            first: dict[str, int] = {}
            for section, i, ident in entries:
                path = (section, i, "id")
                line = self.loaded.positions.value(path).line
                if ident in first:
                    self.error(path, f"duplicate id '{ident}' (first at line {first[ident]})")
                else:
                    first[ident] = line

    def _request(self) -> None:
        req = self.case.request
        parties = {p.id for p in self.case.parties}
        self._ref(("request", "from"), req.from_, parties, "party")
        self._ref(("request", "to"), req.to, parties, "party")
        arguments = {a.id for a in self.case.arguments}
        for j, ground in enumerate(req.grounds):
            self._ref(("request", "grounds", j), ground, arguments, "argument")
        if req.warrant:
            self._cite_source(("request", "warrant"), req.warrant)

    def _accused(self) -> None:
        for i, person in enumerate(self.case.accused):
            if person.location:
                self._source_list(("accused", i, "location", "sources"), person.location.sources)

    def _crimes(self) -> None:
        catalogue = load_catalogue()
        accused = {a.id for a in self.case.accused}
        for i, crime in enumerate(self.case.crimes):
            conduct = catalogue.conducts.get(crime.conduct)
            if conduct is None:
                self.error(("crimes", i, "conduct"),
                           f"unknown conduct '{crime.conduct}'{did_you_mean(crime.conduct, catalogue.conducts)}"
                           " (`casefile crimes` lists the catalogue)")
            for j, mode in enumerate(crime.liability):
                if mode not in catalogue.liability:
                    self.error(("crimes", i, "liability", j),
                               f"unknown mode of liability '{mode}'{did_you_mean(mode, catalogue.liability)}")
            for j, person in enumerate(crime.accused or []):
                self._ref(("crimes", i, "accused", j), person, accused, "accused person")
            for j, fid in enumerate(crime.figures):
                self._ref(("crimes", i, "figures", j), fid, self.figures, "figure")
                self.used_figures.add(fid)
            element_keys = [e.key for e in conduct.all_elements] if conduct else []
            for key, ids in crime.elements.items():
                path = ("crimes", i, "elements", key)
                if conduct and key not in element_keys:
                    self.error(path, f"'{key}' is not an element of {crime.conduct}{did_you_mean(key, element_keys)}",
                               on_key=True)
                self._source_list(path, ids)
            if conduct and crime.elements:
                for key in element_keys:
                    if not crime.elements.get(key):
                        self.warn(("crimes", i, "elements"), f"element '{key}' of {crime.conduct} has no supporting source")

    def _figures(self) -> None:
        for i, figure in enumerate(self.case.figures):
            self._source_list(("figures", i, "sources"), figure.sources)
            if not figure.sources:
                self.warn(("figures", i), f"figure '{figure.id}' has no source")
            if figure.part_of:
                self._part_of(i, figure)
            total = sum(item.value for item in figure.breakdown)
            if total > figure.value:
                self.error(("figures", i, "breakdown"),
                           f"the breakdown of '{figure.id}' adds up to {total:,}, more than its value {figure.value:,}")

    def _part_of(self, i: int, figure: Any) -> None:
        path = ("figures", i, "part_of")
        if figure.part_of == figure.id:
            self.error(path, f"figure '{figure.id}' cannot be part of itself")
            return
        if not self._ref(path, figure.part_of, self.figures, "figure"):
            return
        whole = self.figures[figure.part_of]
        if figure.value > whole.value:
            self.error(("figures", i, "value"),
                       f"'{figure.id}' ({figure.value:,}) exceeds '{whole.id}' ({whole.value:,}), of which it is part")
        seen = {figure.id}
        while whole.part_of and whole.part_of in self.figures:
            if whole.part_of in seen:
                self.error(path, f"figures '{figure.id}' and '{whole.id}' are each part of the other")
                return
            seen.add(whole.id)
            whole = self.figures[whole.part_of]

    def _prose(self) -> None:
        kinds = {"#": (self.figures, "figure"), "=": (self.names, "party or person")}
        for path, text in _prose_fields(self.case):
            for lang_path, string in _strings(path, text):
                for ref in references(string):
                    at = self.loaded.positions.locate(lang_path, ref.raw, ref.occurrence)
                    if ref.sigil == "@":
                        self._cite_source(lang_path, ref.id, at=at)
                        continue
                    if ref.sigil == "#":
                        self.used_figures.add(ref.id)
                    known, what = kinds[ref.sigil]
                    self._ref(lang_path, ref.id, known, what, at=at)

    def _exhibits(self) -> None:
        folder = self.loaded.path.parent
        for i, source in enumerate(self.case.sources):
            if not source.file:
                continue
            if not source.sha256:
                self.error(("sources", i, "file"), "an exhibit needs its sha256 (`casefile hash` fills it in)")
            problem = exhibit_problem(folder, source.file)
            if problem:
                self.error(("sources", i, "file"), problem)
                continue
            if source.sha256:
                actual = sha256_file(folder / source.file)
                if actual != source.sha256:
                    self.error(("sources", i, "sha256"),
                               f"{source.file} does not match its hash: expected {source.sha256}, actual {actual}"
                               " (if the file was meant to change, run `casefile hash --update`)")
                    continue
            problem = exhibit_content_problem(folder / source.file, source.file)
            if problem:
                self.error(("sources", i, "file"), problem)

    def _unused(self) -> None:
        for i, source in enumerate(self.case.sources):
            if source.id not in self.first_cited:
                self.warn(("sources", i, "id"), f"source '{source.id}' is not cited anywhere")
        for i, figure in enumerate(self.case.figures):
            if figure.id not in self.used_figures:
                self.warn(("figures", i, "id"), f"figure '{figure.id}' is not cited anywhere")


def _prose_fields(case: Case) -> Iterator[tuple[PathKey, Any]]:
    for i, party in enumerate(case.parties):
        yield ("parties", i, "description"), party.description
    req = case.request
    yield ("request", "sought"), req.sought
    yield ("request", "urgency"), req.urgency
    for i, text in enumerate(req.assurances):
        yield ("request", "assurances", i), text
    for i, crime in enumerate(case.crimes):
        yield ("crimes", i, "summary"), crime.summary
    for i, fact in enumerate(case.facts):
        for j, text in enumerate(fact.paragraphs):
            yield ("facts", i, "paragraphs", j), text
    for i, argument in enumerate(case.arguments):
        yield ("arguments", i, "text"), argument.text


def _strings(path: PathKey, text: Any) -> Iterator[tuple[PathKey, str]]:
    if isinstance(text, str):
        yield path, text
    elif isinstance(text, dict):
        for lang, string in text.items():
            yield (*path, lang), string


def exhibit_problem(folder: Path, relative: str) -> str | None:
    """Why an exhibit path is refused, or None: it must be a regular file inside the case folder."""
    if os.path.isabs(relative) or relative.startswith("~"):
        return f"'{relative}' must be a path relative to the case file"
    root = os.path.realpath(folder)
    target = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, target]) != root:
        return f"'{relative}' leads outside the case folder"
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return f"exhibit file '{relative}' not found"
    except OSError as e:
        return f"exhibit file '{relative}' cannot be read ({e.strerror})"
    if not stat.S_ISREG(mode):
        return f"'{relative}' is not a regular file"
    return None


ANNEXABLE = ("application/pdf", "image/png", "image/jpeg", "text/plain")
"""The media types an exhibit may have: recognised by content, never by the file name."""


def exhibit_content_problem(path: Path, relative: str) -> str | None:
    """Why an exhibit's content cannot be annexed, or None: only PDF, PNG, JPEG and UTF-8 text."""
    from casefile.annex import pdf_problem  # both import this module
    from casefile.exhibits import media_type

    kind = media_type(path)
    if kind not in ANNEXABLE:
        return (f"'{relative}' is not a PDF, PNG, JPEG or UTF-8 text file (judged by its content);"
                " only these are annexed: convert it, or cite it without `file`")
    if kind == "text/plain":
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as e:
            return f"'{relative}' is not valid UTF-8 text (byte offset {e.start}); save it as UTF-8"
    if kind == "application/pdf":
        return pdf_problem(path, relative)
    return None


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
