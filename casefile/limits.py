"""What rendering may cost, and running a rendering step in a child process that keeps to it.

A hostile template can make Jinja loop for ever or allocate gigabytes in one call; a hostile
stylesheet can make WeasyPrint lay out pages for hours. None of that can be interrupted from
inside the process, so each rendering step runs in a forked child: the parent waits at most
the time limit and then kills it, and the child's address space is capped, so a huge
allocation fails with MemoryError instead of taking the machine down. The result, or the
CasefileError the step raised, comes back pickled through a pipe.

Every limit has a default and an environment variable (see README, "Limits").
"""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from casefile.errors import CasefileError, RenderError

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_CASE_BYTES = 5 * 1024 * 1024
DEFAULT_TIME_LIMIT = 300.0
DEFAULT_MAX_PAGES = 1000
DEFAULT_MAX_MEMORY_MB = 4096

# Failures of the file system, not of casefile: reported as user errors naming the file.
_FILE_SYSTEM_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


def env_number(name: str, default: float, *, integer: bool = True) -> float:
    """A positive number from the environment variable `name`, or `default` when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", "")) if integer else float(raw)
    except ValueError:
        value = 0
    if not value > 0 or value != value or value == float("inf"):
        kind = "a whole number" if integer else "a number"
        raise CasefileError(f"{name} must be {kind} greater than 0, not '{raw}'")
    return value


def max_case_bytes() -> int:
    """The size cap of a case file: CASEFILE_MAX_CASE_BYTES, else 5 MB."""
    return int(env_number("CASEFILE_MAX_CASE_BYTES", DEFAULT_MAX_CASE_BYTES))


@dataclass(frozen=True)
class RenderLimits:
    """Bounds on one rendering step (the template, or the PDF layout) of one document."""

    seconds: float = DEFAULT_TIME_LIMIT
    """Wall-clock time a step may take (CASEFILE_TIME_LIMIT)."""
    max_pages: int = DEFAULT_MAX_PAGES
    """Pages a document may have (CASEFILE_MAX_PAGES); layout stops at the first page past it."""
    memory_mb: int = DEFAULT_MAX_MEMORY_MB
    """Memory a step may take on top of what the process already holds (CASEFILE_MAX_MEMORY_MB)."""

    @classmethod
    def from_env(cls) -> RenderLimits:
        """The limits set by the environment, with the defaults for those not set."""
        return cls(seconds=env_number("CASEFILE_TIME_LIMIT", DEFAULT_TIME_LIMIT, integer=False),
                   max_pages=int(env_number("CASEFILE_MAX_PAGES", DEFAULT_MAX_PAGES)),
                   memory_mb=int(env_number("CASEFILE_MAX_MEMORY_MB", DEFAULT_MAX_MEMORY_MB)))


class Child(Protocol):
    """A process running one task (`_child`), as the parent sees it."""

    def kill(self) -> None: ...

    def wait(self) -> int | None:
        """Its wait status once it has ended, or None where that cannot be known."""


@dataclass(frozen=True)
class _ForkedChild:
    pid: int

    def kill(self) -> None:
        _kill(self.pid)

    def wait(self) -> int:
        return os.waitpid(self.pid, 0)[1]


def fork_child(task: Callable[[], object], write_end: int, limits: RenderLimits, what: str) -> Child:
    """Fork a child of this process that runs `task` and writes its outcome to `write_end`."""
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(task, write_end, limits.memory_mb, what)
    return _ForkedChild(pid)


Starter = Callable[[Callable[[], object], int, RenderLimits, str], Child]


def run_limited(task: Callable[[], T], *, what: str, limits: RenderLimits, start: Starter = fork_child) -> T:
    """Run `task` in a child process within `limits`; return its result or raise its CasefileError.

    `start` makes the child (a fork of this process unless a layout server gives one). Where
    the platform cannot fork, the task runs in this process without the time and memory
    limits. The child shares nothing back but the return value: a task must return whatever
    the caller needs to see.
    """
    if not hasattr(os, "fork"):
        return task()
    read_end, write_end = os.pipe()
    try:
        child = start(task, write_end, limits, what)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    payload, timed_out = b"", False
    try:
        payload, timed_out = _read_until(read_end, time.monotonic() + limits.seconds)
    finally:
        os.close(read_end)
        if timed_out or not payload:
            child.kill()
        status = child.wait()
    if timed_out:
        raise RenderError(f"{what} took longer than {limits.seconds:g} s and was stopped "
                          "(CASEFILE_TIME_LIMIT sets the limit)")
    if not payload:
        raise RenderError(f"{what} crashed ({_describe_status(status)})")
    try:
        kind, value, records = pickle.loads(payload)
    except Exception:  # cut short: the child died while writing
        raise RenderError(f"{what} crashed ({_describe_status(status)})") from None
    for record in records:  # what the child logged, to this process's handlers
        logging.getLogger(record.name).handle(record)
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "memory":
        raise RenderError(f"{what} ran out of memory (CASEFILE_MAX_MEMORY_MB allows {limits.memory_mb:,} MB)")
    if kind == "error":
        raise value
    summary, _, child_traceback = str(value).partition("\n")
    bug = RenderProcessError(summary)
    bug.add_note(f"in the rendering process:\n{child_traceback}")
    raise bug


class RenderProcessError(Exception):
    """An unexpected exception in a rendering process: a bug in casefile (exit 3). The child's
    traceback is in a note, which `--debug` shows."""


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything the child writes until it closes the pipe, or (partial, True) at the deadline."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return b"".join(chunks), True
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _describe_status(status: int | None) -> str:
    if status is None:
        return "exit status unknown"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}" + (", probably for lack of memory" if number == signal.SIGKILL else "")
    return f"exit status {os.WEXITSTATUS(status)}"


def _child(task: Callable[[], object], write_end: int, memory_mb: int, what: str) -> None:
    """Run the task, send back ("ok", result), ("error", CasefileError), ("memory", None) or
    ("bug", description), and leave without running any of the parent's exit handlers."""
    code = 0
    records = _capture_logging()
    _collect_garbage_rarely()
    try:
        _cap_memory(memory_mb)
        try:
            message: tuple[str, object] = ("ok", task())
        except CasefileError as e:
            message = ("error", e)
        except MemoryError:
            message = ("memory", None)
        except OSError as e:
            if e.errno not in _FILE_SYSTEM_ERRORS:
                raise
            where = f" ('{e.filename}')" if e.filename else ""
            message = ("error", CasefileError(f"{what} failed: {e.strerror}{where}"))
        try:
            payload = pickle.dumps((*message, records))
        except Exception as e:  # an unpicklable result or error is a bug in casefile
            payload = pickle.dumps(("bug", f"cannot send the result back: {type(e).__name__}: {e}", records))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    except BaseException as e:
        code = 70
        text = "".join(traceback.format_exception(e))
        try:
            with os.fdopen(write_end, "wb", closefd=False) as pipe:
                pipe.write(pickle.dumps(("bug", f"{type(e).__name__}: {e}\n{text}", [])))
        except BaseException:
            pass
    finally:
        os._exit(code)


def _collect_garbage_rarely() -> None:
    """Spare the child most of Python's full garbage collections.

    A layout builds a large heap that lives until the PDF is written, and each full collection
    walks all of it: 10-12% of WeasyPrint's time on 40 to 160 pages (docs/benchmarks.md). What the
    child inherits is frozen (never walked again, and its pages stay shared with the parent), and
    the young generation is collected after 50,000 new objects instead of 700, which leaves the
    full collections to the largest documents. The cost is memory: the cycles a layout drops live
    until the child ends, about an eighth more at its peak.
    """
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


class _Capture(logging.Handler):
    """Keeps the child's log records, made picklable, to be handled again in the parent."""

    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)


def _capture_logging() -> list[logging.LogRecord]:
    """In the child: log records go to a list instead of the parent's handlers (stderr)."""
    records: list[logging.LogRecord] = []
    logging.getLogger().handlers = [_Capture(records)]
    return records


def _cap_memory(memory_mb: int) -> None:
    """Limit the child's address space to what it holds now plus `memory_mb`."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):  # no /proc or no RLIMIT_AS: time limit only
        log.debug("cannot cap the memory of the rendering process")
