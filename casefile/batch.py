"""Batch builds: which documents are already up to date, and building the rest in parallel.

A document is up to date when the digest of everything it is made from (the case file, its
exhibits, the template folders, the fonts, the build options and the versions of casefile and
WeasyPrint) equals the digest recorded when its PDF was last written, and that PDF is still
the one written then. The record is a small JSON file in `OUT/.casefile/`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from casefile import __version__, layout_server, renderer_fixes
from casefile.errors import CasefileError
from casefile.fonts import font_files

STAMP_DIR = ".casefile"


@dataclass(frozen=True)
class PendingDocument:
    """A document of a checked case that needs building, with the digest of its inputs."""

    case_path: Path
    job: Any  # casefile.build.DocumentJob
    digest: str


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _file_fingerprint(path: Path) -> str:
    info = path.stat()
    return f"{path}:{info.st_size}:{info.st_mtime_ns}"


def _folder_digest(folder: Path) -> str:
    """The contents of every file below a template folder (small files: hash them)."""
    digest = hashlib.sha256()
    root = os.path.realpath(folder)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        real = os.path.realpath(path)
        if os.path.commonpath([root, real]) != root:
            # A link leading out (to /proc/self/pagemap, say) is refused when rendering; never read it.
            digest.update(f"-> {real}".encode())
            continue
        try:
            digest.update(path.read_bytes())
        except OSError as e:
            raise CasefileError(f"cannot read the template file '{path}': {e.strerror}") from None
    return digest.hexdigest()


def input_digest(case_sha256: str, exhibit_hashes: Iterable[str], job: Any, options: Any) -> str:
    """The digest of everything a document is built from."""
    parts = {"case": case_sha256, "layout": layout_digest(exhibit_hashes, job, options)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def layout_digest(exhibit_hashes: Iterable[str], job: Any, options: Any) -> str:
    """The digest of what a document is built from but its case file: the versions, the
    exhibits, the template folders, the fonts, the document and the options. A draft keeps its
    pieces only while this holds (draft.py): a stylesheet edit lays everything out again."""
    parts = {
        "casefile": __version__,
        "weasyprint": _package_version("weasyprint") + ("" if renderer_fixes.wanted() else " as released"),
        "exhibits": sorted(exhibit_hashes),
        "templates": [_folder_digest(folder) for folder in job.template.search_path if folder.is_dir()],
        # Font files are large and come from pinned packages: their size and time stand for them.
        "fonts": [_file_fingerprint(f) for f in font_files()],
        "job": [job.template.name, job.template.entry, job.lang, job.edition],
        "options": {k: str(v) for k, v in sorted(asdict(options).items()) if k not in ("out", "force", "jobs")},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _stamp_path(output: Path) -> Path:
    return output.parent / STAMP_DIR / (output.name + ".json")


def is_up_to_date(output: Path, digest: str) -> bool:
    """Whether `output` exists, is unchanged since it was written, and was made from `digest`."""
    try:
        stamp = json.loads(_stamp_path(output).read_text(encoding="utf-8"))
        return stamp.get("inputs") == digest and stamp.get("output") == _file_fingerprint(output)
    except (OSError, ValueError):
        return False


def record_build(output: Path, digest: str) -> None:
    """Remember what `output` was built from."""
    stamp = _stamp_path(output)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"inputs": digest, "output": _file_fingerprint(output)}), encoding="utf-8")


def run_parallel(work: list[PendingDocument], build_one: Callable[[PendingDocument], Path], jobs: int,
                 on_done: Callable[[PendingDocument, Path | None, CasefileError | None], None]) -> None:
    """Build every pending document, in `jobs` processes when there is more than one."""
    if jobs <= 1 or len(work) <= 1:
        for item in work:
            try:
                on_done(item, build_one(item), None)
            except CasefileError as e:
                on_done(item, None, e)
        return
    # fork: workers inherit the imported modules, so a worker starts in milliseconds. Where the
    # build has a layout server, each worker lays out through a session of its own, forked from
    # the server with WeasyPrint imported; otherwise each imports WeasyPrint for itself.
    workers, context = min(jobs, len(work)), get_context("fork")
    sessions = layout_server.sessions(workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_adopt_session,
                             initargs=(sessions, context.Value("i", 0))) as pool:
        futures = {pool.submit(_build_in_worker, build_one, item): item for item in work}
        for future in as_completed(futures):
            path, error = future.result()
            on_done(futures[future], path, error)


def _adopt_session(sessions: list[Any], taken: Any) -> None:
    """A worker's first step: take the next free layout session, if there are any."""
    with taken.get_lock():
        index = taken.value
        taken.value += 1
    if index < len(sessions):
        layout_server.adopt(sessions[index])


def _build_in_worker(build_one: Callable[[PendingDocument], Path],
                     item: PendingDocument) -> tuple[Path | None, CasefileError | None]:
    try:
        return build_one(item), None
    except CasefileError as e:
        return None, e


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
