"""Lay out HTML with WeasyPrint and write the PDF safely.

WeasyPrint is imported lazily: commands that do not render (`check`, `crimes`, `--help`) never
pay for it. Rendering reads only what it should: a fetcher that allows `file` URLs inside the
allowed folders and `data` URLs, and nothing else; every refused fetch and every WeasyPrint
warning fails the build unless warnings are allowed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import mimetypes
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from casefile import renderer_fixes
from casefile.bounded import bounded_render
from casefile.errors import OutputError, RenderError
from casefile.fonts import font_face_css, font_files
from casefile.limits import RenderLimits
from casefile.quick_import import import_weasyprint

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RESOURCE_BYTES = 50 * 1024 * 1024
# The variants WeasyPrint 70 writes (weasyprint.pdf.VARIANTS without "debug"), listed here so that
# the command line can offer them without importing WeasyPrint; `none` is a plain PDF.
PDF_VARIANTS = ("pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4u", "pdf/a-1a", "pdf/a-2a",
                "pdf/a-3a", "pdf/a-4e", "pdf/a-4f", "pdf/ua-1", "pdf/ua-2", "pdf/x-1a", "pdf/x-3", "pdf/x-4",
                "pdf/x-5g")
DEFAULT_PDF_VARIANT = "pdf/a-3b"
_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<!-- casefile: only the packaged fonts, never the machine's own -->
<fontconfig>
{dirs}
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def isolate_fontconfig() -> None:
    """Point fontconfig at a configuration listing only the packaged fonts (before WeasyPrint loads)."""
    conf = Path(os.environ.get("FONTCONFIG_FILE", "/nonexistent"))
    if os.environ.get("CASEFILE_FONTCONFIG_ISOLATED") == str(conf) and conf.is_file():
        return  # done in this process (or the one it was forked from)
    folder = Path(tempfile.gettempdir()) / f"casefile-fontconfig-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        foreign = stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or bool(info.st_mode & 0o022)
    except OSError:  # a dangling link in its place, say
        foreign = True
    if foreign:  # someone else's folder (or link) in a shared /tmp must not hold our font list
        folder = Path(tempfile.mkdtemp(prefix="casefile-fontconfig-"))
    dirs = "\n".join(f"  <dir>{p}</dir>" for p in sorted({str(f.parent) for f in font_files()}))
    conf = folder / "fonts.conf"
    text = _FONTCONFIG.format(dirs=dirs, cache=folder / "cache")
    if not conf.exists() or conf.read_text() != text:
        conf.write_text(text)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    os.environ["CASEFILE_FONTCONFIG_ISOLATED"] = str(conf)


@dataclass
class FetchPolicy:
    """Where rendering may read from."""

    roots: Sequence[Path]
    max_bytes: int = MAX_RESOURCE_BYTES
    fetched: list[Path] = field(default_factory=list)
    """Every local file rendering read, in order (for the manifest)."""

    def check(self, url: str) -> Path:
        """The local file a `file:` URL names, or RenderError saying why it is refused."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise RenderError(f"refused to fetch '{url}': only files inside the case and template folders are read")
        if parts.netloc not in ("",):
            raise RenderError(f"refused to fetch '{url}': file URLs must not name a host")
        try:
            path = os.path.realpath(unquote(parts.path, errors="strict"))
        except (ValueError, UnicodeDecodeError):  # a NUL byte, or escapes that are not UTF-8
            raise RenderError(f"refused to fetch '{url}': not a valid file name") from None
        roots = [os.path.realpath(r) for r in self.roots]
        if not any(os.path.commonpath([root, path]) == root for root in roots):
            raise RenderError(f"refused to fetch '{url}': outside the case and template folders")
        try:
            info = os.stat(path)
        except OSError as e:
            raise RenderError(f"cannot fetch '{url}': {e.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            raise RenderError(f"refused to fetch '{url}': not a regular file")
        if info.st_size > self.max_bytes:
            raise RenderError(f"refused to fetch '{url}': larger than {self.max_bytes:,} bytes")
        return Path(path)


def _fetcher(policy: FetchPolicy, refusals: list[str]) -> Any:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class ConfinedFetcher(URLFetcher):  # type: ignore[misc]
        """Reads only `data:` URLs and allowed local files; never the network."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            try:
                path = policy.check(url)
                policy.fetched.append(path)
            except RenderError as e:
                refusals.append(str(e))
                raise FatalURLFetchingError(str(e)) from None
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            try:
                data = _read_regular_file(path, policy.max_bytes)
            except RenderError as e:
                refusals.append(f"{e} ('{url}')")
                raise FatalURLFetchingError(str(e)) from None
            return URLFetcherResponse(url, data, {"Content-Type": kind})

    return ConfinedFetcher()


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a checked file, re-checked on the open file: still regular, not swapped for a
    symbolic link since the check, and no larger than the cap however much it has grown."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise RenderError(f"cannot fetch '{path}': {e.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise RenderError(f"refused to fetch '{path}': not a regular file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RenderError(f"refused to fetch '{path}': larger than {max_bytes:,} bytes")
    return data


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _weasyprint_warnings() -> Iterator[list[str]]:
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


@contextlib.contextmanager
def _source_date(epoch: int | None) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH (unless the caller's environment sets it) while writing: the font
    subsetter stamps each embedded font with it instead of the clock, so bytes are reproducible."""
    if epoch is None or "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


@dataclass(frozen=True)
class EmbeddedFile:
    """A file to embed in the PDF as an associated file, with explicit dates (never the clock)."""

    name: str
    data: bytes
    media_type: str
    date: datetime
    description: str = ""
    relationship: str = "Source"


def prepare_layout() -> None:
    """Import WeasyPrint (after isolating fontconfig) with renderer_fixes applied, and what
    layout uses besides, so that each layout process inherits them: `bounded_render` runs this
    before every layout, and a layout server (layout_server.py) when it starts."""
    isolate_fontconfig()
    import_weasyprint()
    renderer_fixes.apply()
    import casefile.footnotes  # noqa: F401
    import casefile.pieces  # noqa: F401


def render_pdf(html: str, *, base_url: str, policy: FetchPolicy, allow_warnings: bool = False,
               write_options: dict[str, Any] | None = None,
               source_date_epoch: int | None = None, pdf_variant: str | None = None,
               pdf_tags: bool = False, attachments: Sequence[EmbeddedFile] = (), extra_css: str = "",
               limits: RenderLimits | None = None, splice_repairs: bool = True) -> bytes:
    """Lay out `html` and return the PDF bytes.

    Footnotes are kept on the page of their call (footnotes.py), which may lay out again the
    pages around a fix (spliced into the first layout: splice.py) or, where that cannot be
    shown to equal a whole layout or `splice_repairs` is false, the whole document.
    `source_date_epoch` (seconds) replaces the clock wherever the writer would read it. `extra_css` is a user stylesheet applied whatever the
    template says (edition marks); `pdf_variant`, `pdf_tags` and `attachments` shape the file.
    `limits` (default: from the environment) bound the layout's time, pages and memory: the
    layout runs in a child process, so only the PDF bytes and `policy` come back.
    """

    # A partial of a module-level function, not a closure: the layout's task must pickle (layout_server.py).
    write = functools.partial(_write_pdf, write_options or {}, pdf_variant, pdf_tags, tuple(attachments))
    return render_with(html, base_url=base_url, policy=policy, finish=write, allow_warnings=allow_warnings,
                       source_date_epoch=source_date_epoch, extra_css=extra_css, limits=limits,
                       splice_repairs=splice_repairs)


def _write_pdf(write_options: dict[str, Any], pdf_variant: str | None, pdf_tags: bool,
               attachments: Sequence[EmbeddedFile], document: Any, fetcher: Any) -> bytes:
    options = {**write_options, **_archival_options(pdf_variant, pdf_tags, attachments, fetcher)}
    return bytes(document.write_pdf(**options))


@bounded_render(prepare_layout)  # refuses unsafe references, then lays out in a child process within `limits`
def render_with(html: str, *, base_url: str, policy: FetchPolicy, finish: Callable[[Any, Any], T],
                allow_warnings: bool = False, source_date_epoch: int | None = None, extra_css: str = "",
                limits: RenderLimits | None = None, splice_repairs: bool = False) -> T:
    """Lay out `html` (footnotes on the page of their call) and return what `finish` makes of
    the WeasyPrint document and the confined URL fetcher: the PDF bytes, or more. `finish`
    runs in the layout's child process while the clock is replaced by `source_date_epoch`;
    what it returns must pickle. With `splice_repairs`, a footnote repair lays out again only
    the pages around the fix where it can (splice.py), not the whole document."""
    isolate_fontconfig()
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    from casefile.footnotes import place_footnotes

    refusals: list[str] = []
    fetcher = _fetcher(policy, refusals)
    skeleton = None
    if splice_repairs:
        from casefile.pieces import parse

        skeleton = parse(html)  # the same HTML, its blocks numbered
        html = skeleton.html
    with _weasyprint_warnings() as warnings, _source_date(source_date_epoch):
        try:
            font_config = FontConfiguration()
            fonts = CSS(string=font_face_css() + extra_css, font_config=font_config, url_fetcher=fetcher)

            def layout(extra: str, source: str | None = None) -> Any:
                sheets = [fonts, CSS(string=extra, font_config=font_config)] if extra.strip() else [fonts]
                return HTML(string=source or html, base_url=base_url, url_fetcher=fetcher).render(
                    font_config=font_config, stylesheets=sheets)

            placed = place_footnotes(layout, relayout=_splicer(skeleton, layout) if skeleton is not None else None)
            if placed.misplaced:
                log.warning("%d footnote(s) could not be kept on the page of their call: %s",
                            len(placed.misplaced), ", ".join(key for key, _, _ in placed.misplaced))
            result = finish(placed.document, fetcher)
        except FatalURLFetchingError as e:
            raise RenderError(refusals[0] if refusals else str(e)) from None
    if refusals:  # a refusal WeasyPrint caught itself (inside an SVG image) still fails the build
        raise RenderError(refusals[0])
    if warnings and not allow_warnings:
        raise RenderError("the renderer warned (use --allow-warnings to accept): " + "; ".join(dict.fromkeys(warnings)))
    for message in warnings:
        log.warning("renderer: %s", message)
    return result


def _splicer(skeleton: Any, layout: Callable[..., Any]) -> Callable[[str, Any, list[int]], Any]:
    """The `relayout` of footnotes.place_footnotes: lay out again the pages around a fix only."""
    from casefile.splice import relayout_pages

    # base.html names the `--digits` numbering in the root's class: `digits-arab`.
    numbering = next((c.removeprefix("digits-") for c in (skeleton.root.get("class") or "").split()
                      if c.startswith("digits-")), "default")

    def relayout(extra: str, document: Any, pages: list[int]) -> Any:
        return relayout_pages(document, skeleton, pages, lambda piece: layout(extra, piece), numbering)

    return relayout


def _archival_options(variant: str | None, tags: bool, attachments: Sequence[EmbeddedFile],
                      fetcher: Any) -> dict[str, Any]:
    """WeasyPrint write options for a PDF variant, tagging and embedded files.

    Attachments go through the confined fetcher as `data:` URLs, so they read no file and
    take their dates from the caller, not from file times or the clock."""
    import base64

    from weasyprint import Attachment

    options: dict[str, Any] = {}
    if variant and variant != "none":
        options["pdf_variant"] = variant
    if tags:
        options["pdf_tags"] = True
    if attachments:
        options["attachments"] = [
            Attachment(url=f"data:{a.media_type};base64,{base64.b64encode(a.data).decode('ascii')}",
                       url_fetcher=fetcher, name=a.name, description=a.description,
                       created=a.date, modified=a.date, relationship=a.relationship)
            for a in attachments]
        options["finisher"] = _unique_associated_files
    return options


def _unique_associated_files(document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's /AF (from the name tree and
    from the file specifications); list each once."""
    import pydyf

    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def write_atomically(target: Path, data: bytes) -> None:
    """Write bytes to `target` through a temporary file in the same folder, so a failure leaves
    the previous file intact and never a partial one."""
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise OutputError(f"cannot write to '{folder}': {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException as e:  # Ctrl-C or a full disk alike: never leave the temporary file
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write '{target}': {e.strerror}") from None
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
