"""Read a case file into plain data and a map from each node to its line and column.

PyYAML's own composer recurses (the C one segfaults on deep nesting), expands aliases without
limit, lets a duplicate key silently win and applies YAML 1.1 typing (`no` -> False, dates ->
date objects). So this module reads only the *event* stream, which libyaml produces without
recursion, and builds the data itself: depth and aliases are bounded as it goes, duplicate keys
are reported with both lines, and every plain scalar stays a string (the model decides what a
field's type is). Only `null`, `~` and the empty scalar become None.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casefile.errors import CaseFileUnreadable, CaseValidationError, Problem
from casefile.limits import max_case_bytes

try:
    _EventLoader: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _EventLoader = yaml.SafeLoader

PathKey = tuple[str | int, ...]
CASE_SUFFIXES = (".yaml", ".yml")

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Explicit standard tags only restate what the model decides anyway; anything else
# (`!!python/object`, custom tags) is refused rather than constructed.
_ALLOWED_TAGS = frozenset(
    {None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
     "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
     "tag:yaml.org,2002:seq", "tag:yaml.org,2002:timestamp"}
)


@dataclass(frozen=True)
class Limits:
    """Bounds on what a case file may cost to read (see README, "Limits")."""

    max_bytes: int | None = None
    """None: the CASEFILE_MAX_CASE_BYTES environment variable, else 5 MB."""
    max_depth: int = 64
    max_aliases: int = 100
    max_alias_nodes: int = 10_000


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a file."""

    line: int
    column: int


@dataclass(frozen=True)
class _Span:
    start: Position
    end: Position


@dataclass
class SourceMap:
    """Where each node of a loaded case sits in its file, by data path."""

    lines: list[str]
    values: dict[PathKey, _Span] = field(default_factory=dict)
    keys: dict[PathKey, Position] = field(default_factory=dict)

    def value(self, path: PathKey) -> Position:
        """The position of the node at `path`, or of its nearest ancestor that exists."""
        while path not in self.values and path:
            path = path[:-1]
        span = self.values.get(path)
        return span.start if span else Position(1, 1)

    def key(self, path: PathKey) -> Position:
        """The position of the key of a mapping entry, or of its value when it has no key."""
        return self.keys.get(path) or self.value(path)

    def locate(self, path: PathKey, needle: str, occurrence: int = 0) -> Position:
        """The position of the `occurrence`-th `needle` inside the scalar at `path`.

        Found by searching the scalar's own source lines, so it works for plain, quoted and
        block scalars alike; falls back to the scalar's start.
        """
        span = self.values.get(path)
        if span is None:
            return self.value(path)
        seen = 0
        for line_no in range(span.start.line, span.end.line + 1):
            text = self.lines[line_no - 1] if line_no <= len(self.lines) else ""
            start = span.start.column - 1 if line_no == span.start.line else 0
            stop = span.end.column - 1 if line_no == span.end.line else len(text)
            col = text.find(needle, start, max(stop, start))
            while col != -1:
                if seen == occurrence:
                    return Position(line_no, col + 1)
                seen += 1
                col = text.find(needle, col + 1, stop)
        return span.start


@dataclass(frozen=True)
class LoadedCase:
    """A case file read into plain data, with its positions and the problems met reading it."""

    path: Path
    display: str
    text: str
    sha256: str
    data: dict[str, Any]
    positions: SourceMap
    problems: tuple[Problem, ...] = ()

    def problem(self, path: PathKey, message: str, *, severity: str = "error",
                at: Position | None = None, on_key: bool = False) -> Problem:
        """A problem located at the node for `path` (or at `at`)."""
        pos = at or (self.positions.key(path) if on_key else self.positions.value(path))
        return Problem(self.display, pos.line, pos.column, severity, message)  # type: ignore[arg-type]


def read_case_text(path: Path, display: str, limits: Limits) -> tuple[str, str]:
    """The decoded text of a case file and the sha256 of its bytes, or CaseFileUnreadable."""
    cap = limits.max_bytes if limits.max_bytes is not None else max_case_bytes()
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise CaseFileUnreadable(display, "is a folder, not a case file")
        if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end
            raise CaseFileUnreadable(display, "is not a regular file")
        with open(path, "rb", opener=lambda p, flags: os.open(p, flags | getattr(os, "O_NONBLOCK", 0))) as handle:
            raw = handle.read(cap + 1)
        if len(raw) > cap:
            size = max(path.stat().st_size, len(raw))
            raise CaseFileUnreadable(
                display, f"is {size:,} bytes; case files are limited to {cap:,}"
                + ("" if limits.max_bytes is not None else " (CASEFILE_MAX_CASE_BYTES sets the limit)"))
    except FileNotFoundError:
        raise CaseFileUnreadable(display, "no such file") from None
    except OSError as e:
        raise CaseFileUnreadable(display, f"cannot be read ({e.strerror})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CaseFileUnreadable(display, "is UTF-16; save it as UTF-8")
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise CaseFileUnreadable(
            display, f"is not valid UTF-8 (byte offset {e.start + bom}); save it as UTF-8") from None
    return text, hashlib.sha256(raw).hexdigest()


def load_case(path: Path | str, *, limits: Limits = Limits(), display: str | None = None) -> LoadedCase:
    """Read and parse a case file; raise CaseValidationError on YAML errors."""
    path = Path(path)
    shown = display if display is not None else str(path)
    text, digest = read_case_text(path, shown, limits)
    data, positions, problems = parse_yaml(text, shown, limits)
    if not isinstance(data, dict):
        pos = positions.value(())
        raise CaseValidationError(
            [Problem(shown, pos.line, pos.column, "error", "a case file must be a mapping of fields (casefile: 1, id: ..., ...)")])
    return LoadedCase(path.resolve(), shown, text, digest, data, positions, tuple(problems))


def parse_yaml(text: str, display: str, limits: Limits = Limits()) -> tuple[Any, SourceMap, list[Problem]]:
    """Build plain data and a SourceMap from YAML text; raise CaseValidationError if it cannot."""
    builder = _Builder(display, limits, SourceMap(text.splitlines()))
    try:
        for event in yaml.parse(text, Loader=_EventLoader):
            builder.feed(event)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        message = "YAML syntax: " + (e.problem or "invalid YAML")
        if e.context:
            message += f" ({e.context}"
            if e.context_mark and mark is not e.context_mark:
                message += f" at line {e.context_mark.line + 1}"
            message += ")"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise CaseValidationError([Problem(display, line, col, "error", message)]) from None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow, by its index
        before = text[: e.position]
        line, col = before.count("\n") + 1, e.position - (before.rfind("\n") + 1) + 1
        char = e.character if isinstance(e.character, str) else chr(e.character)
        raise CaseValidationError([Problem(
            display, line, col, "error",
            f"YAML syntax: the character U+{ord(char):04X} is not allowed in a case file")]) from None
    except yaml.YAMLError as e:
        raise CaseValidationError([Problem(display, 1, 1, "error", "YAML: " + " ".join(str(e).split()))]) from None
    if builder.fatal:
        raise CaseValidationError([*builder.problems, builder.fatal])
    return builder.root, builder.positions, builder.problems


class _Frame:
    __slots__ = ("container", "path", "pending_key", "key_lines", "nodes")

    def __init__(self, container: dict[str, Any] | list[Any], path: PathKey) -> None:
        self.container = container
        self.path = path
        self.pending_key: tuple[str, Position] | None = None
        self.key_lines: dict[str, int] = {}
        self.nodes = 1


class _StopParsing(Exception):
    pass


class _Builder:
    """Turns YAML events into data without recursion, enforcing the Limits."""

    def __init__(self, display: str, limits: Limits, positions: SourceMap) -> None:
        self.display = display
        self.limits = limits
        self.positions = positions
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: dict[int, str] = {}
        self.root: Any = None
        self.documents = 0
        self.aliases = 0
        self.alias_nodes = 0
        self.problems: list[Problem] = []
        self.fatal: Problem | None = None

    def _problem(self, mark: Any, message: str) -> Problem:
        return Problem(self.display, mark.line + 1, mark.column + 1, "error", message)

    def _stop(self, mark: Any, message: str) -> None:
        self.fatal = self._problem(mark, message)
        raise _StopParsing

    def feed(self, event: yaml.Event) -> None:
        """Consume one event."""
        if self.fatal:
            return
        try:
            self._feed(event)
        except _StopParsing:
            pass

    def _feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._stop(event.start_mark, "a case file holds one YAML document; remove the second '---'")
        elif isinstance(event, yaml.ScalarEvent):
            self._check_tag(event)
            value = self._scalar(event)
            self._attach(value, event, nodes=1)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self._check_tag(event)
            top = self.stack[-1] if self.stack else None
            if top is not None and isinstance(top.container, dict) and top.pending_key is None:
                self._stop(event.start_mark, "a mapping key must be a plain name, not a list or mapping")
            if len(self.stack) >= self.limits.max_depth:
                self._stop(event.start_mark, f"nesting deeper than {self.limits.max_depth} levels")
            container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
            path = self._child_path()
            frame = _Frame(container, path)
            self._record_position(path, event)
            if event.anchor:
                self.open_anchors[id(frame)] = event.anchor
            self.stack.append(frame)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = self.stack.pop()
            start = self.positions.values[frame.path].start
            self.positions.values[frame.path] = _Span(start, Position(event.end_mark.line + 1, event.end_mark.column + 1))
            anchor = self.open_anchors.pop(id(frame), None)
            if anchor:
                self.anchors[anchor] = (frame.container, frame.nodes)
            self._attach(frame.container, event, nodes=frame.nodes, positioned=True)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)

    def _check_tag(self, event: Any) -> None:
        if event.tag not in _ALLOWED_TAGS:
            self._stop(event.start_mark, f"YAML tag '{event.tag}' is not allowed in a case file")

    def _scalar(self, event: yaml.ScalarEvent) -> str | None:
        plain = not event.style and event.implicit[0]
        if plain and event.value in _NULLS:
            return None
        return event.value

    def _alias(self, event: yaml.AliasEvent) -> None:
        if event.anchor not in self.anchors:
            self._stop(event.start_mark, f"unknown alias '*{event.anchor}'")
        value, nodes = self.anchors[event.anchor]
        self.aliases += 1
        self.alias_nodes += nodes
        if self.aliases > self.limits.max_aliases or self.alias_nodes > self.limits.max_alias_nodes:
            self._stop(event.start_mark,
                       f"too many aliases (at most {self.limits.max_aliases} aliases expanding to "
                       f"{self.limits.max_alias_nodes:,} nodes); write the values out")
        self._attach(value, event, nodes=nodes)

    def _child_path(self) -> PathKey:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container))
        # A list or mapping in a key's place was refused before this is asked; no sentinel path
        # here, since any string (even "<key>") can be a real key (found by fuzzing).
        assert top.pending_key is not None
        return (*top.path, top.pending_key[0])

    def _record_position(self, path: PathKey, event: Any) -> None:
        start = Position(event.start_mark.line + 1, event.start_mark.column + 1)
        end = Position(event.end_mark.line + 1, event.end_mark.column + 1)
        self.positions.values[path] = _Span(start, end)

    def _attach(self, value: Any, event: Any, *, nodes: int, positioned: bool = False) -> None:
        if isinstance(event, yaml.ScalarEvent) and event.anchor:
            self.anchors[event.anchor] = (value, 1)
        if not self.stack:
            self.root = value
            if not positioned:
                self._record_position((), event)
            return
        top = self.stack[-1]
        top.nodes += nodes
        if isinstance(top.container, list):
            if not positioned:
                self._record_position((*top.path, len(top.container)), event)
            top.container.append(value)
            return
        if top.pending_key is None:
            self._take_key(top, value, event)
            return
        key, key_pos = top.pending_key
        top.pending_key = None
        path = (*top.path, key)
        if key in top.container:
            self.problems.append(Problem(
                self.display, key_pos.line, key_pos.column, "error",
                f"duplicate key '{key}' (first at line {top.key_lines[key]})"))
            return
        top.key_lines[key] = key_pos.line
        self.positions.keys[path] = key_pos
        if not positioned:
            self._record_position(path, event)
        top.container[key] = value

    def _take_key(self, top: _Frame, value: Any, event: Any) -> None:
        if isinstance(value, (dict, list)):
            self._stop(event.start_mark, "a mapping key must be a plain name, not a list or mapping")
        key = "null" if value is None else str(value)
        top.pending_key = (key, Position(event.start_mark.line + 1, event.start_mark.column + 1))

def find_cases(paths: Iterable[Path]) -> list[Path]:
    """Case files named directly, and the case files (.yaml, .yml) directly inside named folders."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in CASE_SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found
