"""A layout process started first thing, so that WeasyPrint is imported while casefile checks the case.

Importing WeasyPrint takes about 0.4 s (quick_import.py), and importing casefile's own
modules, checking the case and rendering the HTML about 0.45 s. A build in one process does
one after the other; on a machine with a second core they can overlap. `start()` forks a server before
casefile's heavy imports; the server imports WeasyPrint (`prepare`) and then, for each
layout the build asks of it, forks a child that runs the task exactly as a child forked by
`limits.run_limited` would: same memory cap, same time limit (the build kills the child), same
pickled answer through a pipe, which the build hands over with the request (SCM_RIGHTS).

The workers of a parallel batch, forked from the build, each `adopt` a session: a fork of the
server answering a socket of its own (`sessions`). A task that does not pickle, a server that
has died, or a call from any other process fall back to forking the calling process, as
without a server. The server and its sessions end when the build's ends of their sockets
close, and are killed at exit; their standard streams are /dev/null, so nothing waits on them.
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
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from casefile.limits import DEFAULT_MAX_MEMORY_MB, Child, RenderLimits, Starter, _child, fork_child

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!BQ")  # the kind of request, the length of what follows
_LAYOUT, _SESSION = 0, 1
_REPLY = struct.Struct("!q")


@dataclass
class _Server:
    sock: socket.socket
    pid: int
    owner: int
    lock: threading.Lock


_server: _Server | None = None
_session_pids: list[int] = []


def _own_server() -> _Server | None:
    """The server this process started or adopted; a forked process does not share its parent's."""
    return _server if _server is not None and _server.owner == os.getpid() else None


def start(prepare: Callable[[], None]) -> bool:
    """Fork the server, which runs `prepare` (imports WeasyPrint) and waits for layouts. Does
    nothing where there is no fork, where WeasyPrint is imported already (nothing to gain), or
    where a server runs. Returns whether one was started."""
    global _server
    if (_server is not None or not hasattr(os, "fork") or not hasattr(socket, "send_fds") or not wanted()
            or "weasyprint" in sys.modules):
        return False
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # the server: never returns
        ours.close()
        _serve(theirs, prepare)
    theirs.close()
    _server = _Server(ours, pid, os.getpid(), threading.Lock())
    atexit.register(stop)
    log.debug("layout server started (pid %d)", pid)
    return True


def wanted() -> bool:
    """Whether to start a server (unless `CASEFILE_LAYOUT_SERVER=0`, to rule it out)."""
    return os.environ.get("CASEFILE_LAYOUT_SERVER", "").strip() != "0"


def stop() -> None:
    """End the server and its sessions (at exit, or when the server has died)."""
    global _server
    server, _server = _own_server(), None
    if server is None:
        return
    server.sock.close()
    for pid in [*_session_pids, server.pid]:  # sessions are the server's children: it is their reaper
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _session_pids.clear()
    with contextlib.suppress(ChildProcessError):
        os.waitpid(server.pid, 0)


def sessions(count: int) -> list[_Server]:
    """For a parallel batch: `count` forks of the server, each answering a socket of its own, for
    the workers about to be forked from this process to `adopt` one each. An empty list where
    there is no server, or where it has died (it is then stopped)."""
    server = _own_server()
    if server is None:
        return []
    made: list[_Server] = []
    with server.lock:
        for _ in range(count):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            pid = _send(server, _SESSION, b"", theirs.fileno())
            theirs.close()
            if pid is None:
                ours.close()
                break
            made.append(_Server(ours, pid, owner=0, lock=threading.Lock()))  # no process's until adopted
            _session_pids.append(pid)
    if len(made) < count:  # the server is gone: the workers fork for themselves
        for session in made:
            session.sock.close()
        stop()
        return []
    return made


def adopt(session: _Server) -> None:
    """In a worker process: lay out through `session` from now on."""
    global _server
    _server = replace(session, owner=os.getpid())
    _session_pids.clear()  # this process's copy: the sessions are the build's to end


def starter(warm_up: Callable[[], None]) -> Starter:
    """How `run_limited` should start a layout child: through the server when this process has
    one, else by forking this process once `warm_up` has run in it (imports the child inherits)."""
    server = _own_server()

    def forked(task: Callable[[], object], write_end: int, limits: RenderLimits, what: str) -> Child:
        warm_up()
        return fork_child(task, write_end, limits, what)

    if server is None:
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
    pid = _send(server, _LAYOUT, request, write_end)
    if pid is None:  # the server is gone (WeasyPrint failed to import, say)
        server.lock.release()
        stop()
        return None
    return _ServedChild(server, pid)


def _send(server: _Server, kind: int, request: bytes, fd: int) -> int | None:
    """Send a request with a file descriptor; the pid of the process the server forked for it,
    or None when the server is gone."""
    try:
        socket.send_fds(server.sock, [_HEADER.pack(kind, len(request))], [fd])
        server.sock.sendall(request)
        return _receive_number(server.sock)
    except OSError:
        return None


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
    """The server's life: prepare, then serve the build until the socket closes."""
    try:
        _detach_streams()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build's Ctrl-C is the build's to handle
        prepare()
        _answer(sock, prepare)
    finally:
        os._exit(0)


def _answer(sock: socket.socket, prepare: Callable[[], None]) -> None:
    """One request at a time: a layout (a child runs it; its pid, then its status, go back) or
    a session (a fork of this process that answers another socket; its pid goes back)."""
    while True:
        header, fds, _, _ = socket.recv_fds(sock, _HEADER.size, 1)
        rest = _receive_exactly(sock, _HEADER.size - len(header)) if header and fds else None
        if rest is None:
            return
        kind, size = _HEADER.unpack(header + rest)
        request = _receive_exactly(sock, size)
        if request is None:
            return
        pid = os.fork()
        if pid == 0:
            sock.close()
            if kind == _SESSION:
                _answer(socket.socket(fileno=fds[0]), prepare)
                os._exit(0)
            _run_request(request, fds[0], prepare)
        os.close(fds[0])
        sock.sendall(_REPLY.pack(pid))
        if kind == _LAYOUT:
            sock.sendall(_REPLY.pack(os.waitpid(pid, 0)[1]))


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
