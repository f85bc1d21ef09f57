"""The built-in legal catalogue: crimes (conducts), their elements and the modes of liability."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType
from typing import Any, NoReturn

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Instrument:
    """A treaty or other text that the catalogue cites."""

    key: str
    title: str
    short: str
    year: int


@dataclass(frozen=True)
class Element:
    """One element of a crime or mode of liability, to be proved with evidence."""

    key: str
    text: str
    source: str


@dataclass(frozen=True)
class Conduct:
    """A crime that a case can charge: its provision, title and elements."""

    key: str
    category: str
    instrument: Instrument
    article: str
    title: str
    elements: tuple[Element, ...]
    context_elements: tuple[Element, ...]
    note: str | None = None

    @property
    def all_elements(self) -> tuple[Element, ...]:
        """The specific elements, then the shared context ones, as in the Elements of Crimes."""
        return self.elements + self.context_elements

    @property
    def provision(self) -> str:
        """The provision in English, e.g. "Rome Statute art. 7(1)(a)"."""
        return f"{self.instrument.short} art. {self.article}"


@dataclass(frozen=True)
class LiabilityMode:
    """A mode of individual criminal responsibility, e.g. ordering or command responsibility."""

    key: str
    instrument: Instrument
    article: str
    title: str
    elements: tuple[Element, ...]
    note: str | None = None

    @property
    def provision(self) -> str:
        """The provision in English, e.g. "Rome Statute art. 28(a)"."""
        return f"{self.instrument.short} art. {self.article}"


@dataclass(frozen=True)
class Catalogue:
    """The whole catalogue, each mapping in the order of the data file."""

    instruments: Mapping[str, Instrument]
    categories: Mapping[str, str]
    conducts: Mapping[str, Conduct]
    liability: Mapping[str, LiabilityMode]

    def conduct(self, key: str) -> Conduct:
        """Return the conduct with this key (KeyError if unknown)."""
        return self.conducts[key]

    def liability_mode(self, key: str) -> LiabilityMode:
        """Return the mode of liability with this key (KeyError if unknown)."""
        return self.liability[key]


class _Loader(_BaseLoader):
    """Safe loader that refuses duplicate keys, which PyYAML would otherwise merge silently."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Construct a mapping, raising ValueError on a repeated key."""
        seen: set[object] = set()
        for key_node, _ in node.value:
            if (key := self.construct_object(key_node, deep=True)) in seen:
                msg = f"catalogue: duplicate key '{key}' (line {key_node.start_mark.line + 1})"
                raise ValueError(msg)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _fail(where: str, message: str) -> NoReturn:
    msg = f"catalogue: {where}: {message}"
    raise ValueError(msg)


def _mapping(where: str, raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        _fail(where, "expected a non-empty mapping")
    for key in raw:
        if not isinstance(key, str) or not _SLUG.fullmatch(key):
            _fail(where, f"'{key}' is not a lowercase-hyphenated key")
    return raw


def _names(where: str, raw: object, required: str, optional: str = "") -> dict[str, Any]:
    """Check that a mapping has all the required field names and no others."""
    if not isinstance(raw, dict):
        _fail(where, "expected a mapping")
    if unknown := sorted(set(raw) - set(required.split()) - set(optional.split()), key=str):
        _fail(where, f"unknown field '{unknown[0]}'")
    if missing := sorted(set(required.split()) - set(raw)):
        _fail(where, f"missing field '{missing[0]}'")
    return raw


def _fields(where: str, raw: object, required: str, optional: str = "") -> dict[str, Any]:
    """Check an entry's fields: `year` is an int, `key` a slug, `elements` apart, the rest text."""
    fields = _names(where, raw, required, optional)
    for name, value in fields.items():
        if name == "year" and not isinstance(value, int):
            _fail(f"{where}.year", "expected a year")
        if name not in ("year", "elements") and not (isinstance(value, str) and value.strip()):
            _fail(f"{where}.{name}", "expected text")
        if name == "key" and not _SLUG.fullmatch(value):
            _fail(where, f"'{value}' is not a lowercase-hyphenated key")
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def _elements(where: str, raw: object, context: tuple[Element, ...] = ()) -> tuple[Element, ...]:
    if not isinstance(raw, list) or not raw:
        _fail(where, "expected a non-empty list of elements")
    fields = (_fields(f"{where}[{i}]", item, "key text source") for i, item in enumerate(raw))
    elements = [Element(**f) for f in fields]
    seen = {e.key for e in context}
    for i, element in enumerate(elements):
        if element.key in seen:
            _fail(f"{where}[{i}]", f"duplicate element key '{element.key}'")
        seen.add(element.key)
    return tuple(elements)


def _parse_catalogue(data: object) -> Catalogue:
    """Build a Catalogue from parsed YAML, raising ValueError at the first problem."""
    top = _names("top level", data, "instruments categories contexts conducts liability")
    instruments = {
        k: Instrument(k, **_fields(f"instruments.{k}", v, "title short year"))
        for k, v in _mapping("instruments", top["instruments"]).items()
    }
    categories = _mapping("categories", top["categories"])
    if bad := [k for k, v in categories.items() if not (isinstance(v, str) and v.strip())]:
        _fail(f"categories.{bad[0]}", "expected text")
    contexts = {
        k: _elements(f"contexts.{k}", v) for k, v in _mapping("contexts", top["contexts"]).items()
    }

    def ref(where: str, fields: dict[str, Any], name: str, known: Mapping[str, Any]) -> Any:
        if fields[name] not in known:
            _fail(f"{where}.{name}", f"unknown {name} '{fields[name]}'")
        return known[fields[name]]

    conducts: dict[str, Conduct] = {}
    for k, v in _mapping("conducts", top["conducts"]).items():
        where = f"conducts.{k}"
        f = _fields(where, v, "category instrument article title elements", "context note")
        ref(where, f, "category", categories)
        context = ref(where, f, "context", contexts) if "context" in f else ()
        elements = _elements(f"{where}.elements", f["elements"], context)
        instrument, note = ref(where, f, "instrument", instruments), f.get("note")
        conducts[k] = Conduct(
            k, f["category"], instrument, f["article"], f["title"], elements, context, note
        )
    liability: dict[str, LiabilityMode] = {}
    for k, v in _mapping("liability", top["liability"]).items():
        where = f"liability.{k}"
        f = _fields(where, v, "instrument article title elements", "note")
        elements = _elements(f"{where}.elements", f["elements"])
        instrument, note = ref(where, f, "instrument", instruments), f.get("note")
        liability[k] = LiabilityMode(k, instrument, f["article"], f["title"], elements, note)
    # Read-only views, since load_catalogue() hands the same object to every caller.
    sections = (instruments, categories, conducts, liability)
    return Catalogue(*(MappingProxyType(section) for section in sections))


@functools.cache
def load_catalogue() -> Catalogue:
    """Load and check the catalogue shipped in casefile/data/catalogue.yaml (once per process)."""
    text = (files("casefile") / "data" / "catalogue.yaml").read_text(encoding="utf-8")
    return _parse_catalogue(yaml.load(text, Loader=_Loader))


def catalogue_messages() -> list[str]:
    """Every human-readable string of the catalogue, once each, in file order, for gettext."""
    cat = load_catalogue()
    texts: list[str] = []
    for instrument in cat.instruments.values():
        texts += [instrument.title, instrument.short]
    texts += cat.categories.values()
    entries: list[Conduct | LiabilityMode] = [*cat.conducts.values(), *cat.liability.values()]
    for entry in entries:
        texts += [entry.title, *([entry.note] if entry.note else [])]
        elements = entry.all_elements if isinstance(entry, Conduct) else entry.elements
        for element in elements:
            texts += [element.text, element.source]
    return list(dict.fromkeys(texts))
