"""Located problems and the exceptions that carry them.

Every message a user sees about a case file is a `Problem`; its `str()` is the line format
fixed in `spec/cli.md`: `FILE:LINE:COL: severity: MESSAGE`. This module never imports click:
turning exceptions into output and exit codes is the command line's job.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or doubtful) in a case file or template, with where it is."""

    file: str
    line: int
    column: int | None
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        if self.column is not None:
            where += f":{self.column}"
        return f"{where}: {self.severity}: {self.message}"

    def as_error(self) -> Problem:
        """The same problem raised to an error (for `--strict`)."""
        return Problem(self.file, self.line, self.column, "error", self.message)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in reading order: file, line, column; duplicates dropped."""
    return sorted(set(problems), key=lambda p: (p.file, p.line, p.column or 0, p.message))


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` suffix when a candidate is close to `name`, else ''."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


class CasefileError(Exception):
    """Base of every error casefile reports to a user (exit code 1)."""


class CaseFileUnreadable(CasefileError):
    """The case file cannot be read at all: missing, a directory, too large, not UTF-8."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Errors cross process boundaries in parallel builds.
        return (type(self), (self.path, self.reason))


class ProblemsFound(CasefileError):
    """Raised when checking found errors; carries every problem found, warnings included."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sort_problems(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type, tuple[list[Problem]]]:
        return (type(self), (self.problems,))

    @property
    def errors(self) -> list[Problem]:
        """Only the problems of severity error."""
        return [p for p in self.problems if p.severity == "error"]


class CaseValidationError(ProblemsFound):
    """The case file has errors: YAML syntax, the model's rules, or unresolved references."""


class TemplateError(ProblemsFound):
    """A template failed: syntax, an undefined name, or a sandbox violation."""


class RenderError(CasefileError):
    """The PDF renderer failed or warned (a missing resource, bad CSS, a refused fetch)."""


class OutputError(CasefileError):
    """The output cannot be written (folder not writable, disk full)."""


class LeakFound(CasefileError):
    """A public edition contains a protected string (a witness's name, a confidential source's
    title, file, hash or text); raised by leaks.check_no_leaks before the PDF is written."""


class VerificationFailed(CasefileError):
    """`casefile verify` or `casefile extract` cannot read what it needs: no manifest, an
    unreadable manifest, a PDF without embedded case data."""
