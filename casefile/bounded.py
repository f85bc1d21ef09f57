"""The guards around PDF layout: what the HTML may refer to, and how long and large layout may get.

`bounded_render` wraps `pdf.render_pdf`. Before layout it reads every resource reference in
the HTML (`img`, `iframe`, `object`, `embed`, `link`, SVG `image`, ...) and refuses a `<base>`
element and any reference the fetch policy would refuse, so a reference WeasyPrint happens
not to fetch (an `iframe`) is refused as loudly as one it does. Then layout runs in a child
process (limits.py) that stops at the page cap, the time limit and the memory limit. The
URL fetcher inside stays the last word on what is read; this is the first.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import pickle
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urljoin

from casefile import layout_server
from casefile.errors import RenderError
from casefile.limits import RenderLimits, run_limited

# The attributes through which an element makes a renderer fetch something.
_RESOURCE_ATTRIBUTES = {
    "img": ("src",), "iframe": ("src",), "frame": ("src",), "embed": ("src",), "object": ("data",),
    "link": ("href",), "script": ("src",), "audio": ("src",), "video": ("src", "poster"),
    "source": ("src",), "track": ("src",), "input": ("src",), "image": ("href", "xlink:href", "src"),
    "feimage": ("href", "xlink:href"), "use": ("href", "xlink:href"),
}
_ABSOLUTE_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9.+-]+:")
_PAGE = re.compile(r"Page (\d+)")

F = TypeVar("F", bound=Callable[..., bytes])


class _Policy(Protocol):
    def check(self, url: str) -> Any: ...


class _References(HTMLParser):
    """Collects `<base href>` and every (element, attribute, value) that names a resource to fetch."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            self.base = next((v or "" for k, v in attrs if k == "href"), "")
        names = _RESOURCE_ATTRIBUTES.get(tag, ())
        if tag == "a" and any(k == "rel" and "attachment" in (v or "").lower().split() for k, v in attrs):
            names = ("href",)
        for name, value in attrs:
            reference = (value or "").strip()
            if name in names and reference and not reference.startswith("#"):
                self.found.append((tag, name, reference))

    handle_startendtag = handle_starttag


def _as_url(base_url: str) -> str:
    """A base given as a folder path, as the `file:` URL WeasyPrint makes of it."""
    if _ABSOLUTE_URL.match(base_url):
        return base_url
    path = os.path.abspath(base_url)
    slash = "/" if base_url.endswith(("/", os.sep)) or os.path.isdir(path) else ""
    return Path(path).as_uri() + slash


def refuse_unsafe_references(html: str, base_url: str, policy: _Policy) -> None:
    """Raise RenderError for a `<base>` element or a resource reference the policy refuses."""
    parser = _References()
    parser.feed(html)
    parser.close()
    if parser.base is not None:
        raise RenderError(f"refused <base href=\"{parser.base}\">: a template must not move the base of its "
                          "links (resources are found relative to the template folder)")
    base = _as_url(base_url)
    for tag, name, reference in parser.found:
        url = urljoin(base, reference)
        if url[:5].lower() == "data:":
            continue
        try:
            policy.check(url)
        except RenderError as e:
            raise RenderError(f"{e} (<{tag} {name}=\"{reference}\">)") from None


class _PageCapReached(BaseException):
    """Raised from inside WeasyPrint's layout at the first page past the cap. A BaseException,
    so that no `except Exception` inside WeasyPrint swallows it."""


class _PageCap(logging.Handler):
    """Watches WeasyPrint's progress messages ("Step 5 - Creating layout - Page N")."""

    def __init__(self, max_pages: int) -> None:
        super().__init__(logging.INFO)
        self.max_pages = max_pages

    def emit(self, record: logging.LogRecord) -> None:
        match = _PAGE.search(record.getMessage())
        if match and int(match.group(1)) > self.max_pages:
            raise _PageCapReached


def _with_page_cap(render: Callable[[], bytes], max_pages: int) -> bytes:
    """Run `render` with the page cap watching WeasyPrint's progress. WeasyPrint's own messages
    stop at its logger: the render function reports them (as its error, or as warnings)."""
    weasyprint, progress = logging.getLogger("weasyprint"), logging.getLogger("weasyprint.progress")
    handler = _PageCap(max_pages)
    saved = weasyprint.propagate, progress.level, progress.propagate
    weasyprint.propagate = progress.propagate = False
    progress.setLevel(logging.INFO)
    progress.addHandler(handler)
    try:
        return render()
    except _PageCapReached:
        raise RenderError(f"the document runs past {max_pages:,} pages and was stopped "
                          "(CASEFILE_MAX_PAGES sets the limit)") from None
    finally:
        progress.removeHandler(handler)
        weasyprint.propagate, progress.propagate = saved[0], saved[2]
        progress.setLevel(saved[1])  # setLevel, not the attribute: it clears the logging cache


def bounded_render(warm_up: Callable[[], None] = lambda: None) -> Callable[[F], F]:
    """Decorate `render(html, *, base_url, policy, ...)`: refuse unsafe references first, then
    lay out in a child process within `limits` (a keyword the decorator takes; default from the
    environment). `warm_up` runs in this process first (imports the child then inherits),
    unless a layout server (layout_server.py) has done it and makes the child. The policy comes
    back with what the child recorded in it (`fetched`)."""

    def decorate(render: F) -> F:
        @functools.wraps(render)
        def bounded(html: str, *, limits: RenderLimits | None = None, **options: Any) -> bytes:
            limits = limits or RenderLimits.from_env()
            policy = options["policy"]
            refuse_unsafe_references(html, options["base_url"], policy)
            start = layout_server.starter(warm_up)
            task = functools.partial(_laid_out, _Undecorated(render), html, options, limits.max_pages)
            pdf, used_policy = run_limited(task, what="laying out the PDF", limits=limits, start=start)
            if used_policy is not policy:  # came back from a child: keep what it recorded
                vars(policy).update(vars(used_policy))
            return pdf

        return cast(F, bounded)

    return decorate


def _laid_out(render: Callable[..., Any], html: str, options: dict[str, Any], max_pages: int) -> tuple[Any, Any]:
    """The layout task: what `render` makes of the HTML, and the policy it recorded fetches in."""
    return _with_page_cap(lambda: render(html, **options), max_pages), options["policy"]


class _Undecorated:
    """A decorated function's own body. It pickles by its module and name (pickle would find the
    wrapper under that name), so that a layout server can run it."""

    def __init__(self, body: Callable[..., Any]) -> None:
        self.body = body

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.body(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        if "<locals>" in self.body.__qualname__:
            raise pickle.PicklingError(f"{self.body.__qualname__} is local")
        return _body_of, (self.body.__module__, self.body.__qualname__)


def _body_of(module: str, qualname: str) -> _Undecorated:
    return _Undecorated(getattr(importlib.import_module(module), qualname).__wrapped__)
