"""A layout process started first thing, so that WeasyPrint is imported while casefile checks the case.

Importing WeasyPrint takes about 0.4 s (quick_import.py) and importing casefile's own modules,
checking the case and rendering the HTML about 0.45 s. A build done in one process does one after the
other; on a machine with a second core they can overlap. `start()` forks a server before
casefile's heavy imports; the server imports WeasyPrint (`prepare`) and then, for each
layout the build asks of it, forks a child that runs the task exactly as a child forked by
`limits.run_limited` would: same memory cap, same time limit (the build kills the child), same
pickled answer through a pipe, which the build hands over with the request (SCM_RIGHTS).

A task that does not pickle, a server that has died, or a call from any process but the one
that started it (the workers of a parallel batch) fall back to forking this process, as
without a server. The server ends when the build's end of the socket closes, and is killed
at exit; its standard streams are /dev/null, so nothing waits on it.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pickle
import signal
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from casefile.limits import DEFAULT_MAX_MEMORY_MB, Child, RenderLimits, Starter, _child, fork_child

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")
_REPLY = struct.Struct("!q")


@dataclass
class _Server:
    sock: socket.socket
    pid: int
    owner: int
    lock: threading.Lock


_server: _Server | None = None


def start(prepare: Callable[[], None]) -> bool:
    """Fork the server, which runs `prepare` (imports WeasyPrint) and waits for layouts. Does
    nothing where there is no fork, where WeasyPrint is imported already (nothing to gain), or
    where a server runs. Returns whether one was started."""
    global _server
    if _server is not None or not hasattr(os, "fork") or not hasattr(socket, "send_fds") or not wanted():
        return False
    import sys

    if "weasyprint" in sys.modules:
        return False
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # the server: never returns
        ours.close()
        _serve(theirs, prepare)
    theirs.close()
    _server = _Server(ours, pid, os.getpid(), threading.Lock())
    atexit.register(stop)
    return True


def wanted() -> bool:
    """Whether to start a server (unless `CASEFILE_LAYOUT_SERVER=0`, to rule it out)."""
    return os.environ.get("CASEFILE_LAYOUT_SERVER", "").strip() != "0"


def stop() -> None:
    """End the server (a parallel batch frees its core for the workers; exit cleans up)."""
    global _server
    server, _server = _server, None
    if server is None or server.owner != os.getpid():
        return
    server.sock.close()
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(server.pid, 0)


def starter(warm_up: Callable[[], None]) -> Starter:
    """How `run_limited` should start a layout child: through the server when this process has
    one, else by forking this process once `warm_up` has run in it (imports the child inherits)."""
    server = _server

    def forked(task: Callable[[], object], write_end: int, limits: RenderLimits, what: str) -> Child:
        warm_up()
        return fork_child(task, write_end, limits, what)

    if server is None or server.owner != os.getpid():
        return forked

    def through_server(task: Callable[[], object], write_end: int, limits: RenderLimits, what: str) -> Child:
        return _ask(server, task, write_end, limits, what) or forked(task, write_end, limits, what)

    return through_server


@dataclass
class _ServedChild:
    """A layout child of the server: killed by its pid, its status sent by the server."""

    server: _Server
    pid: int

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int | None:
        try:
            status = _receive_number(self.server.sock)
        except OSError:
            status = None
        finally:
            self.server.lock.release()
        if status is None:
            stop()
        return status


def _ask(server: _Server, task: Callable[[], object], write_end: int, limits: RenderLimits,
         what: str) -> _ServedChild | None:
    """Send one layout to the server; the child that runs it, or None to fall back."""
    try:
        request = pickle.dumps((task, dict(os.environ), os.getcwd(), limits.memory_mb, what))
    except Exception as e:  # a task that holds a closure: lay it out from this process
        log.debug("laying out from this process: the task does not pickle (%s)", e)
        return None
    server.lock.acquire()
    try:
        socket.send_fds(server.sock, [_HEADER.pack(len(request))], [write_end])
        server.sock.sendall(request)
        pid = _receive_number(server.sock)
    except OSError:
        pid = None
    if pid is None:  # the server is gone (WeasyPrint failed to import, say)
        server.lock.release()
        stop()
        return None
    return _ServedChild(server, pid)


def _receive_number(sock: socket.socket) -> int | None:
    data = _receive_exactly(sock, _REPLY.size)
    return None if data is None else int(_REPLY.unpack(data)[0])


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _serve(sock: socket.socket, prepare: Callable[[], None]) -> None:
    """The server's life: prepare, then one forked child per request, until the socket closes."""
    try:
        _detach_streams()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build's Ctrl-C is the build's to handle
        prepare()
        while True:
            header, fds, _, _ = socket.recv_fds(sock, _HEADER.size, 1)
            rest = _receive_exactly(sock, _HEADER.size - len(header)) if header and fds else None
            if rest is None:
                break
            request = _receive_exactly(sock, _HEADER.unpack(header + rest)[0])
            if request is None:
                break
            pid = os.fork()
            if pid == 0:
                sock.close()
                _run_request(request, fds[0], prepare)
            os.close(fds[0])
            sock.sendall(_REPLY.pack(pid))
            sock.sendall(_REPLY.pack(os.waitpid(pid, 0)[1]))
    finally:
        os._exit(0)


def _run_request(request: bytes, write_end: int, prepare: Callable[[], None]) -> None:
    """In a layout child of the server: take on the build's environment and run the task."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        task, environ, cwd, memory_mb, what = pickle.loads(request)
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(cwd)
        prepare()  # again, under the build's environment (the fontconfig file, the renderer fix)
    except BaseException as e:  # reported as a bug through the pipe, as any other failure
        task, memory_mb, what = _raiser(e), DEFAULT_MAX_MEMORY_MB, "laying out the PDF"
    _child(task, write_end, memory_mb, what)


def _raiser(error: BaseException) -> Callable[[], object]:
    def fail() -> object:
        raise error
    return fail


def _detach_streams() -> None:
    """Standard streams to /dev/null: a caller reading the build's output must not wait for the server."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
