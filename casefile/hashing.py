"""`casefile hash`: fill in (or, asked to, replace) the sha256 of each exhibit in a case file.

The case file is an editor's file, kept in git: this module patches its text at the positions
the loader records, instead of dumping a parsed document again, so comments, key order,
quoting, line endings and every line it does not touch stay byte for byte as they were. A
missing hash becomes a new `sha256:` line under `file:` (or `, sha256: ...` in a flow
mapping); a differing one is replaced in place, only with `update`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from casefile.checks import exhibit_problem, sha256_file
from casefile.errors import CaseValidationError, Problem
from casefile.loader import Limits, PathKey, Position, SourceMap, parse_yaml, read_case_text
from casefile.pdf import write_atomically
from casefile.validate import format_path


@dataclass(frozen=True)
class HashChange:
    """One hash written into the case file."""

    path: PathKey
    """The data path of the source's `sha256`."""
    file: str
    """The exhibit file, relative to the case file."""
    old: str | None
    """The hash that was there (None if there was none)."""
    new: str
    """The hash written."""
    line: int = 0
    """Where the hash now is in the case file."""
    column: int = 0

    def describe(self, display: str) -> str:
        """A line for stderr: where, which file, and what changed."""
        where = f"{display}:{self.line}:{self.column}: {format_path(self.path)}"
        if self.old is None:
            return f"{where}: filled in {self.new} ({self.file})"
        return f"{where}: replaced {self.old} with {self.new} ({self.file})"


@dataclass
class HashReport:
    """What `hash_case` did: the changes written, and whether the file was rewritten."""

    changes: list[HashChange] = field(default_factory=list)
    written: bool = False


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def hash_case(path: Path | str, *, update: bool = False, display: str | None = None,
              limits: Limits | None = None) -> HashReport:
    """Fill in the missing exhibit hashes of a case file (and replace differing ones if `update`).

    Raises CaseValidationError, and writes nothing, if the YAML cannot be read, an exhibit file
    is refused, or a hash differs without `update`.
    """
    path = Path(path)
    limits = limits or Limits()
    shown = display if display is not None else str(path)
    target = Path(os.path.realpath(path))  # patch the file a symbolic link points to, not the link
    text, _ = read_case_text(path, shown, limits)
    data, positions, problems = parse_yaml(text, shown, limits)
    if problems:
        raise CaseValidationError(problems)
    sources = data.get("sources") if isinstance(data, dict) else None
    report = HashReport()
    edits: list[_Edit] = []
    errors: list[Problem] = []
    offsets = _LineOffsets(text)
    for i, source in enumerate(sources if isinstance(sources, list) else []):
        if not isinstance(source, dict) or not isinstance(source.get("file"), str):
            continue
        relative = source["file"]
        file_path: PathKey = ("sources", i, "file")
        problem = exhibit_problem(target.parent, relative)
        if problem:
            errors.append(_problem(shown, positions.value(file_path), file_path, problem))
            continue
        actual = sha256_file(target.parent / relative)
        hash_path: PathKey = ("sources", i, "sha256")
        if "sha256" in source:
            old = source["sha256"]
            if isinstance(old, str) and old.strip().lower() == actual:
                continue
            at = positions.value(hash_path)
            if old is not None and not update:
                errors.append(_problem(
                    shown, at, hash_path,
                    f"{relative} does not match its hash: expected {old}, actual {actual}"
                    " (run `casefile hash --update` to replace it)"))
                continue
            edits.append(_replace_value(text, offsets, positions, hash_path, actual))
            report.changes.append(HashChange(hash_path, relative, old, actual))
        else:
            edits.append(_insert_after_file(text, offsets, positions, ("sources", i), actual))
            report.changes.append(HashChange(hash_path, relative, None, actual))
    if errors:
        raise CaseValidationError(errors)
    if edits:
        patched = _apply(text, edits)
        # Locate each hash in the patched text, which must read back to the same data plus the hashes.
        new_data, new_positions, _ = parse_yaml(patched, shown, limits)
        for change in report.changes:
            assert new_data["sources"][change.path[1]]["sha256"] == change.new
        report.changes = [replace(c, line=new_positions.value(c.path).line, column=new_positions.value(c.path).column)
                          for c in report.changes]
        raw = target.read_bytes()
        bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
        mode = os.stat(target).st_mode & 0o7777
        write_atomically(target, bom + patched.encode("utf-8"))
        os.chmod(target, mode)
        report.written = True
    return report


def _problem(display: str, at: Position, path: PathKey, message: str) -> Problem:
    return Problem(display, at.line, at.column, "error", f"{format_path(path)}: {message}")


class _LineOffsets:
    """Turns 1-based (line, column) positions into offsets in the text."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        for i, char in enumerate(text):
            if char == "\n":
                self.starts.append(i + 1)

    def offset(self, position: Position) -> int:
        return self.starts[position.line - 1] + position.column - 1


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _replace_value(text: str, offsets: _LineOffsets, positions: SourceMap, path: PathKey, digest: str) -> _Edit:
    """Replace the scalar at `path` by `digest`, keeping its quotes; an empty value gets one."""
    span = positions.values[path]
    start, end = offsets.offset(span.start), offsets.offset(span.end)
    scalar = text[start:end]
    if start == end:  # `sha256:` with nothing after it
        return _Edit(start, end, digest if text[start - 1:start] == " " else " " + digest)
    if scalar[:1] in "'\"" and scalar[-1:] == scalar[:1]:
        return _Edit(start + 1, end - 1, digest)
    return _Edit(start, end, digest)


def _insert_after_file(text: str, offsets: _LineOffsets, positions: SourceMap, source: PathKey, digest: str) -> _Edit:
    """A `sha256:` entry placed right after the source's `file:` entry, in the mapping's own style."""
    file_key = positions.keys[(*source, "file")]
    file_end = offsets.offset(positions.values[(*source, "file")].end)
    mapping_start = offsets.offset(positions.values[source].start)
    if text[mapping_start:mapping_start + 1] == "{":
        return _Edit(file_end, file_end, f", sha256: {digest}")
    # A block mapping: a new line after the line where the file's value ends, indented like `file:`.
    line_end = file_end - 1 if text[file_end - 1:file_end] == "\n" else text.find("\n", file_end)  # block scalar
    indent = " " * (file_key.column - 1)
    if line_end == -1:  # the last line of a file without a final newline
        return _Edit(len(text), len(text), f"{_newline(text)}{indent}sha256: {digest}")
    return _Edit(line_end + 1, line_end + 1, f"{indent}sha256: {digest}{_newline(text)}")


def _apply(text: str, edits: list[_Edit]) -> str:
    """Apply edits from the last to the first, so that earlier offsets stay valid."""
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[:edit.start] + edit.text + text[edit.end:]
    return text
