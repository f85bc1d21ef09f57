"""`casefile diff`: what changed between two versions of a case, as a lawyer reads it.

Not a text diff: both versions are loaded and validated, then compared item by item, by id.
Reported: figures whose value, qualifier or sources changed (formatted as the documents print
them), crimes, accused, parties, arguments, sources, witnesses and exhibits added or removed,
exhibit files and hashes that changed, every other field that changed (old -> new), and prose
changed word by word. The old version can come from a git revision (`git show REV:./CASE`).
"""

from __future__ import annotations

import difflib
import hashlib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from casefile.errors import CasefileError, CaseValidationError
from casefile.loader import LoadedCase, load_case, parse_yaml
from casefile.model import Case, Figure, Source
from casefile.types import PartialDate, text_in
from casefile.validate import validate_case

# Item lists matched by id, in the order a reader meets them.
KEYED_SECTIONS = ("parties", "accused", "crimes", "figures", "arguments", "sources", "witnesses")
SECTION_ORDER = ("case", "request", "parties", "accused", "crimes", "figures", "facts", "arguments", "sources",
                 "exhibits", "witnesses", "documents")
# Fields holding prose, compared word by word, per model.
_PROSE = {"Party": {"description"}, "Request": {"sought", "urgency", "assurances"}, "Crime": {"summary"},
          "Argument": {"text"}, "Fact": {"paragraphs"}}
# Fields reported in their own way rather than as a plain old -> new change.
_SPECIAL = {"Figure": {"value", "qualifier"}, "Source": {"file", "sha256"}}
# An equal run of more words than this is shortened in the terminal, keeping _CONTEXT each side.
_LONG_RUN = 16
_CONTEXT = 6


@dataclass(frozen=True)
class Version:
    """One side of a diff: the validated case and the name it is shown under."""

    display: str
    case: Case


@dataclass(frozen=True)
class Change:
    """One difference between the two versions."""

    section: str
    """Where: `case`, `request`, `figures`, `sources`, `exhibits`, `facts`, ..."""
    change: str
    """`added`, `removed` or `changed`."""
    id: str | None = None
    """The id of the item concerned (a figure, a source), if it has one."""
    field: str | None = None
    """The field that changed, relative to the item (`value`, `sources`, `paragraphs[2]`)."""
    lang: str | None = None
    """For a text given per language, the language whose text changed."""
    old: Any = None
    """The old value, as plain data (None when added)."""
    new: Any = None
    """The new value, as plain data (None when removed)."""
    old_text: str | None = None
    """The old value as the terminal shows it (figures formatted, e.g. 'at least 202,000')."""
    new_text: str | None = None
    """The new value as the terminal shows it."""
    words: tuple[tuple[str, str], ...] = ()
    """For prose: the word-level changes, as (`equal` | `delete` | `insert`, text) runs."""

    def as_json(self) -> dict[str, Any]:
        """The change as a JSON object (the shape is documented in the README)."""
        data: dict[str, Any] = {"section": self.section, "change": self.change, "id": self.id, "field": self.field,
                                "lang": self.lang, "old": self.old, "new": self.new,
                                "old_text": self.old_text, "new_text": self.new_text}
        if self.words:
            data["words"] = [{"op": op, "text": text} for op, text in self.words]
        return data


def load_version(path: Path) -> Version:
    """Load and validate a case file (model rules only: exhibit files are not read)."""
    return _validated(load_case(path))


def load_git_version(revision: str, path: Path) -> Version:
    """Load and validate the case at `path` as it was in git revision `revision`."""
    folder = path.parent if str(path.parent) else Path(".")
    spec = f"{revision}:./{path.name}"
    try:
        result = subprocess.run(["git", "-C", str(folder), "show", spec], capture_output=True, check=False)
    except FileNotFoundError:
        raise CasefileError("git is not installed (needed by `casefile diff --git`)") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = message[0].removeprefix("fatal: ") if message else f"git exited with {result.returncode}"
        raise CasefileError(f"cannot read {path} at revision '{revision}': {reason}")
    display = f"{revision}:{path}"
    try:
        text = result.stdout.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        raise CasefileError(f"{display}: is not valid UTF-8") from None
    data, positions, problems = parse_yaml(text, display)
    if not isinstance(data, dict):
        raise CasefileError(f"{display}: a case file must be a mapping of fields")
    loaded = LoadedCase(path.resolve(), display, text, hashlib.sha256(result.stdout).hexdigest(), data, positions,
                        tuple(problems))
    return _validated(loaded)


def _validated(loaded: LoadedCase) -> Version:
    case, problems = validate_case(loaded)
    problems = [*loaded.problems, *problems]
    if case is None or problems:
        raise CaseValidationError(problems)
    return Version(loaded.display, case)


@dataclass
class _Differ:
    old: Case
    new: Case
    lang: str
    changes: list[Change] = field(default_factory=list)

    def add(self, section: str, change: str, **kw: Any) -> None:
        self.changes.append(Change(section, change, **kw))

    def run(self) -> list[Change]:
        self._case()
        self._model("request", None, self.old.request, self.new.request)
        for section in KEYED_SECTIONS:
            self._keyed(section)
        self._exhibits()
        self._facts()
        if self.old.documents != self.new.documents:
            old, new = _plain(self.old.documents), _plain(self.new.documents)
            self.add("documents", "changed", field="documents", old=old, new=new, old_text=_show(old),
                     new_text=_show(new))
        order = {name: i for i, name in enumerate(SECTION_ORDER)}
        return sorted(self.changes, key=lambda c: order[c.section])

    def _case(self) -> None:
        skip = {*KEYED_SECTIONS, "request", "facts", "documents"}
        for name, info in Case.model_fields.items():
            key = info.alias or name
            if key not in skip:
                self._field("case", None, key, getattr(self.old, name), getattr(self.new, name), prose=False)

    def _model(self, section: str, ident: str | None, old: BaseModel, new: BaseModel, prefix: str = "") -> None:
        kind = type(old).__name__
        if isinstance(old, Figure) and isinstance(new, Figure):
            self._figure_value(old, new)
        for name, info in type(old).model_fields.items():
            key = info.alias or name
            if key in _SPECIAL.get(kind, ()):
                continue
            self._field(section, ident, prefix + key, getattr(old, name), getattr(new, name),
                        prose=key in _PROSE.get(kind, ()))

    def _field(self, section: str, ident: str | None, key: str, old: Any, new: Any, *, prose: bool) -> None:
        if old == new:
            return
        if prose and isinstance(old, list) and isinstance(new, list):
            self._paragraphs(section, ident, key, old, new)
        elif prose:
            self._prose(section, ident, key, old, new)
        else:
            a, b = _plain(old), _plain(new)
            self.add(section, "changed", id=ident, field=key, old=a, new=b, old_text=_show(a), new_text=_show(b))

    def _figure_value(self, old: Figure, new: Figure) -> None:
        if (old.value, old.qualifier) == (new.value, new.qualifier):
            return
        key = "value" if old.value != new.value else "qualifier"
        self.add("figures", "changed", id=new.id, field=key,
                 old={"value": old.value, "qualifier": old.qualifier},
                 new={"value": new.value, "qualifier": new.qualifier},
                 old_text=format_figure(old, self.lang), new_text=format_figure(new, self.lang))

    def _keyed(self, section: str) -> None:
        old = {item.id: item for item in getattr(self.old, section)}
        new = {item.id: item for item in getattr(self.new, section)}
        for ident, item in old.items():
            if ident not in new:
                self.add(section, "removed", id=ident, old=_plain(item), old_text=self._summary(item))
        for ident, item in new.items():
            if ident not in old:
                self.add(section, "added", id=ident, new=_plain(item), new_text=self._summary(item))
            else:
                self._model(section, ident, old[ident], item)

    def _exhibits(self) -> None:
        old = {s.id: s for s in self.old.sources if s.file}
        new = {s.id: s for s in self.new.sources if s.file}
        for ident, source in old.items():
            if ident not in new:
                self.add("exhibits", "removed", id=ident, old=_exhibit(source), old_text=_exhibit_text(source))
        for ident, source in new.items():
            if ident not in old:
                self.add("exhibits", "added", id=ident, new=_exhibit(source), new_text=_exhibit_text(source))
                continue
            before = old[ident]
            for key in ("file", "sha256"):
                a, b = getattr(before, key), getattr(source, key)
                if a != b:
                    self.add("exhibits", "changed", id=ident, field=key, old=a, new=b, old_text=_show(a),
                             new_text=_show(b))

    def _facts(self) -> None:
        old, new = self.old.facts, self.new.facts
        for i in range(max(len(old), len(new))):
            path = f"facts[{i}]"
            if i >= len(new):
                self.add("facts", "removed", field=path, old=_plain(old[i]), old_text=self._text(old[i].heading))
            elif i >= len(old):
                self.add("facts", "added", field=path, new=_plain(new[i]), new_text=self._text(new[i].heading))
            else:
                self._model("facts", None, old[i], new[i], prefix=f"{path}.")

    def _paragraphs(self, section: str, ident: str | None, key: str, old: list[Any], new: list[Any]) -> None:
        """Align two lists of prose so that an inserted paragraph does not shift every later one."""
        matcher = difflib.SequenceMatcher(a=[_normal(p) for p in old], b=[_normal(p) for p in new], autojunk=False)
        for op, a0, a1, b0, b1 in matcher.get_opcodes():
            if op == "equal":
                continue
            pairs = min(a1 - a0, b1 - b0)
            for k in range(pairs):
                self._prose(section, ident, f"{key}[{b0 + k}]", old[a0 + k], new[b0 + k])
            for k in range(a0 + pairs, a1):
                self.add(section, "removed", id=ident, field=f"{key}[{k}]", old=_plain(old[k]),
                         old_text=self._text(old[k]))
            for k in range(b0 + pairs, b1):
                self.add(section, "added", id=ident, field=f"{key}[{k}]", new=_plain(new[k]),
                         new_text=self._text(new[k]))

    def _prose(self, section: str, ident: str | None, key: str, old: Any, new: Any) -> None:
        multilingual = isinstance(old, dict) or isinstance(new, dict)
        a, b = _by_language(old, self.old.language), _by_language(new, self.new.language)
        for lang in dict.fromkeys([*a, *b]):
            before, after = a.get(lang), b.get(lang)
            if _normal(before) == _normal(after):
                continue
            change = "added" if before is None else "removed" if after is None else "changed"
            self.add(section, change, id=ident, field=key, lang=lang if multilingual else None,
                     old=before, new=after, old_text=_normal(before) or None, new_text=_normal(after) or None,
                     words=word_diff(before or "", after or "") if change == "changed" else ())

    def _text(self, value: Any) -> str:
        return " ".join((text_in(value, self.lang, self.new.language) or "").split())

    def _summary(self, item: BaseModel) -> str:
        """One line naming an added or removed item."""
        if isinstance(item, Figure):
            return f"{self._text(item.label)}: {format_figure(item, self.lang)}"
        # A witness by pseudonym: a protected witness's name is not printed here either.
        for attr in ("pseudonym", "name", "title", "label"):
            value = getattr(item, attr, None)
            if value:
                text = self._text(value)
                conduct = getattr(item, "conduct", None)
                return f"{conduct}: {text}" if conduct else text
        conduct = getattr(item, "conduct", None)
        summary = self._text(getattr(item, "summary", None))
        return f"{conduct}: {summary}" if conduct and summary else str(conduct or "")


def diff_versions(old: Version, new: Version, lang: str | None = None) -> list[Change]:
    """Every difference between two validated versions of a case, section by section.

    Figures are formatted in `lang` (default: the new version's case language).
    """
    if lang is not None:
        from casefile.i18n import babel_locale

        try:
            babel_locale(lang)
        except Exception:  # babel raises UnknownLocaleError or ValueError
            raise CasefileError(f"unknown language '{lang}' for --lang; use a code such as en, fr, ar or ru") from None
    return _Differ(old.case, new.case, lang or new.case.language).run()


def format_figure(figure: Figure, lang: str) -> str:
    """A figure's value with its qualifier, as the documents print it ('at least 202,000')."""
    from casefile.i18n import Formatter, translator
    from casefile.resolve import QUALIFIERS, figure_number

    return translator(lang).gettext(QUALIFIERS[figure.qualifier]).format(
        value=figure_number(Formatter(lang), figure))


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """The word-level changes from `old` to `new`: runs of equal, deleted and inserted words."""
    a, b = old.split(), new.split()
    runs: list[tuple[str, str]] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("equal", "delete", "replace"):
            runs.append(("equal" if op == "equal" else "delete", " ".join(a[a0:a1])))
        if op in ("insert", "replace"):
            runs.append(("insert", " ".join(b[b0:b1])))
    return tuple(runs)


def render_words(runs: Sequence[tuple[str, str]], *, shorten: bool = True) -> str:
    """Word changes as text, `[-deleted-]{+inserted+}`, long unchanged runs shortened to '…'."""
    parts = []
    for i, (op, text) in enumerate(runs):
        if op == "delete":
            parts.append(f"[-{text}-]")
        elif op == "insert":
            parts.append(f"{{+{text}+}}")
        else:
            words = text.split()
            if shorten and len(words) > _LONG_RUN:
                head = words[:_CONTEXT] if i > 0 else []
                tail = words[-_CONTEXT:] if i < len(runs) - 1 else []
                words = [*head, "…", *tail]
            parts.append(" ".join(words))
    return " ".join(parts)


def render_text(old: Version, new: Version, changes: Sequence[Change]) -> str:
    """The changes for a terminal: one section heading, then one line (or two, for prose) per change."""
    lines = [f"--- {old.display}", f"+++ {new.display}"]
    if not changes:
        lines.append("No differences in the case's content.")
        return "\n".join(lines) + "\n"
    marks = {"added": "+", "removed": "-", "changed": "~"}
    section = None
    for change in changes:
        if change.section != section:
            section = change.section
            lines.append(section.capitalize())
        where = " ".join(p for p in (change.id, _field_label(change)) if p)
        if change.words:
            lines.append(f"  {marks[change.change]} {where}:")
            lines.append(f"      {render_words(change.words)}")
        elif change.change == "changed":
            lines.append(f"  ~ {where}: {change.old_text} → {change.new_text}")
        else:
            text = change.new_text if change.change == "added" else change.old_text
            lines.append(f"  {marks[change.change]} {where}: {text}" if text else f"  {marks[change.change]} {where}")
    lines.append(f"{len(changes)} change(s).")
    return "\n".join(lines) + "\n"


def render_json(old: Version, new: Version, changes: Sequence[Change]) -> dict[str, Any]:
    """The changes as a JSON-ready object: `{"old", "new", "changes": [...]}`."""
    return {"old": old.display, "new": new.display, "changes": [c.as_json() for c in changes]}


def _field_label(change: Change) -> str | None:
    if change.field and change.lang:
        return f"{change.field} ({change.lang})"
    return change.field


def _by_language(value: Any, language: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {language: value}
    return dict(value)


def _normal(value: Any) -> str:
    """Text with its whitespace collapsed (a re-wrapped line is not a change); mappings as JSON-ish."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    return repr(sorted((k, " ".join(v.split())) for k, v in value.items()))


def _plain(value: Any) -> Any:
    """Model values as plain JSON data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, PartialDate):
        return str(value)
    return value


def _show(value: Any) -> str:
    """Plain data in the compact form of a YAML flow value."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return " ".join(str(value).split())


def _exhibit(source: Source) -> dict[str, Any]:
    return {"file": source.file, "sha256": source.sha256}


def _exhibit_text(source: Source) -> str:
    return f"{source.file} (sha256 {source.sha256})"
