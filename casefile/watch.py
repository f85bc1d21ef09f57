"""`casefile watch`: rebuild a case's documents when the case, an exhibit or a template changes.

Each case is built once at the start, then again whenever one of its inputs changes: the case
file, an exhibit file it annexes, a photograph it shows, or a file in a template folder its
documents use. A case file that appears in a folder named on the command line is watched and
built from then on; one deleted from such a folder is no longer watched. Unchanged documents
are skipped by the build's own up-to-date check, so a save rebuilds only what it affects. A
broken case is reported (the same `FILE:LINE:COL` problems as `casefile check`) and the watch
goes on; the last good PDF stays in place, since the build writes a PDF only once it is
complete. File events come from `watchfiles` (inotify and its
equivalents; set WATCHFILES_FORCE_POLLING=1 on file systems that send no events).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from casefile.build import DEFAULT_TEMPLATES, BuildOptions, BuildReport, Progress, build_case
from casefile.errors import CasefileError
from casefile.loader import find_cases, load_case
from casefile.render import builtin_template_dir, find_template
from casefile.validate import validate_case

log = logging.getLogger(__name__)

# Group the burst of events one save makes (write, rename, chmod) into one rebuild.
DEBOUNCE_MS = 1600
STEP_MS = 100
# How long the watcher waits for events before yielding an empty batch.
READY_MS = 250


@dataclass
class CaseInputs:
    """The files and template folders one case's documents are made from."""

    files: set[Path] = field(default_factory=set)
    template_dirs: set[Path] = field(default_factory=set)


def case_inputs(path: Path, options: BuildOptions) -> CaseInputs | None:
    """What the documents of the case at `path` depend on, or None if the case cannot be read.

    Read through the loader and the model only: exhibit files are listed, not hashed.
    """
    try:
        loaded = load_case(path)
    except CasefileError:
        return None
    case, _ = validate_case(loaded)
    if case is None:
        return None
    folder = loaded.path.parent
    files = {loaded.path}
    files |= {_absolute(folder / s.file) for s in case.sources if s.file}
    files |= {_absolute(folder / a.photo) for a in case.accused if a.photo}
    names = list(options.templates) or [d.template for d in case.documents] or \
        list(DEFAULT_TEMPLATES[case.request.type])
    template_dirs = {_absolute(d) for d in options.template_dirs} | {builtin_template_dir().resolve()}
    for name in names:
        try:
            template_dirs |= set(find_template(name, options.template_dirs).search_path)
        except CasefileError:
            continue  # the build reports an unknown template
    return CaseInputs(files, template_dirs)


def _absolute(path: Path) -> Path:
    # Resolve the folder, not a link at the end: events name the path the editor wrote.
    return path.parent.resolve() / path.name


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def watch_roots(inputs: Iterable[CaseInputs], case_folders: Iterable[Path] = ()) -> list[Path]:
    """The folders to watch: each input file's folder, each template folder and each folder of
    cases, nested ones dropped."""
    folders = {_absolute(f) for f in case_folders}
    for each in inputs:
        folders |= {f.parent for f in each.files} | each.template_dirs
    existing = sorted(f for f in folders if f.is_dir())
    return [f for f in existing if not any(other != f and _inside(f, other) for other in existing)]


class Watcher:
    """Rebuilds watched cases as their inputs change; report callbacks do all the printing."""

    def __init__(self, cases: Sequence[Path], options: BuildOptions, *,
                 on_build: Callable[[Path, BuildReport], None],
                 progress: Progress | None = None, case_folders: Sequence[Path] = ()) -> None:
        self.cases = list(cases)
        self.case_folders = list(case_folders)
        """Folders named on the command line: the case files in them come and go."""
        self.options = options
        self.on_build = on_build
        self.progress = progress
        self.inputs: dict[Path, CaseInputs] = {}
        for path in self.cases:
            self._refresh_inputs(path)

    def _refresh_inputs(self, path: Path) -> None:
        # A broken case keeps the inputs of its last good version, so fixing an exhibit still counts.
        found = case_inputs(path, self.options)
        if found is not None:
            self.inputs[path] = found
        elif path not in self.inputs:
            self.inputs[path] = CaseInputs({_absolute(path)}, {builtin_template_dir().resolve()})

    def build(self, path: Path) -> BuildReport:
        """Build one case (its up-to-date documents are skipped) and report it."""
        report = build_case(path, self.options, self.progress)
        self._refresh_inputs(path)
        self.on_build(path, report)
        return report

    def affected(self, changed: Iterable[str]) -> list[Path]:
        """The watched cases that depend on any of the changed paths, in command-line order."""
        paths = [Path(p) for p in changed]
        hit = []
        for case in self.cases:
            inputs = self.inputs[case]
            if any(p in inputs.files or any(_inside(p, d) for d in inputs.template_dirs) for p in paths):
                hit.append(case)
        return hit

    def discover(self) -> list[Path]:
        """Watch the case files that appeared in the case folders since the last look, and stop
        watching those deleted from them; return the new ones."""
        present = find_cases(self.case_folders)
        from_folders = {p for p in self.cases if p.parent in self.case_folders}
        for gone in from_folders - set(present):
            self.cases.remove(gone)
            self.inputs.pop(gone, None)
            log.info("%s: deleted, no longer watched", gone)
        new = [p for p in present if p not in self.cases]
        for path in new:
            self.cases.append(path)
            self._refresh_inputs(path)
        return new

    def roots(self) -> list[Path]:
        """The folders to watch now."""
        return watch_roots(self.inputs.values(), self.case_folders)

    def run(self, stop_event: threading.Event | None = None, on_ready: Callable[[list[Path]], None] | None = None,
            initial_build: bool = True) -> None:
        """Build every case, then rebuild on change until `stop_event` is set (or KeyboardInterrupt)."""
        import watchfiles

        if initial_build:
            for case in self.cases:
                self.build(case)
        while stop_event is None or not stop_event.is_set():
            roots = self.roots()
            ready = False
            # The first (possibly empty) batch proves the watcher is listening: only then say so.
            for changes in watchfiles.watch(*roots, debounce=DEBOUNCE_MS, step=STEP_MS, stop_event=stop_event,
                                            rust_timeout=READY_MS, yield_on_timeout=True):
                if not ready:
                    ready = True
                    if on_ready:
                        on_ready(roots)
                if not changes:
                    continue
                changed = {os.path.abspath(p) for _, p in changes}
                log.debug("changed: %s", ", ".join(sorted(changed)))
                new = self.discover()
                todo = self.affected(changed)
                for case in todo + [n for n in new if n not in todo]:
                    self.build(case)
                if self.roots() != roots:
                    break  # a new exhibit or template folder: watch again with the new roots
            else:
                return
