"""Lay out HTML with WeasyPrint and write the PDF safely.

WeasyPrint is imported lazily: commands that do not render (`check`, `crimes`, `--help`) never
pay for it. Rendering reads only what it should: a fetcher that allows `file` URLs inside the
allowed folders and `data` URLs, and nothing else; every refused fetch and every WeasyPrint
warning fails the build unless warnings are allowed.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from casefile.errors import OutputError, RenderError
from casefile.fonts import font_face_css, font_files

log = logging.getLogger(__name__)

MAX_RESOURCE_BYTES = 50 * 1024 * 1024
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
    if os.environ.get("CASEFILE_FONTCONFIG_ISOLATED"):
        return
    folder = Path(tempfile.gettempdir()) / f"casefile-fontconfig-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    dirs = "\n".join(f"  <dir>{p}</dir>" for p in sorted({str(f.parent) for f in font_files()}))
    conf = folder / "fonts.conf"
    text = _FONTCONFIG.format(dirs=dirs, cache=folder / "cache")
    if not conf.exists() or conf.read_text() != text:
        conf.write_text(text)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    os.environ["CASEFILE_FONTCONFIG_ISOLATED"] = "1"


@dataclass
class FetchPolicy:
    """Where rendering may read from."""

    roots: Sequence[Path]
    max_bytes: int = MAX_RESOURCE_BYTES

    def check(self, url: str) -> Path:
        """The local file a `file:` URL names, or RenderError saying why it is refused."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise RenderError(f"refused to fetch '{url}': only files inside the case and template folders are read")
        if parts.netloc not in ("",):
            raise RenderError(f"refused to fetch '{url}': file URLs must not name a host")
        path = os.path.realpath(unquote(parts.path))
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
            except RenderError as e:
                refusals.append(str(e))
                raise FatalURLFetchingError(str(e)) from None
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return ConfinedFetcher()


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


def render_pdf(html: str, *, base_url: str, policy: FetchPolicy, allow_warnings: bool = False,
               prepare: Any = None, write_options: dict[str, Any] | None = None,
               source_date_epoch: int | None = None) -> bytes:
    """Lay out `html` and return the PDF bytes.

    `prepare(layout, html)` may lay the document out more than once (see footnotes.py) and
    returns the final WeasyPrint Document. `source_date_epoch` (seconds) replaces the clock
    wherever the writer would read it.
    """
    isolate_fontconfig()
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    refusals: list[str] = []
    fetcher = _fetcher(policy, refusals)
    with _weasyprint_warnings() as warnings, _source_date(source_date_epoch):
        try:
            font_config = FontConfiguration()
            fonts = CSS(string=font_face_css(), font_config=font_config, url_fetcher=fetcher)

            def layout(text: str) -> Any:
                return HTML(string=text, base_url=base_url, url_fetcher=fetcher).render(
                    font_config=font_config, stylesheets=[fonts])

            document = prepare(layout, html) if prepare else layout(html)
            pdf = document.write_pdf(**(write_options or {}))
        except FatalURLFetchingError as e:
            raise RenderError(refusals[0] if refusals else str(e)) from None
    if warnings and not allow_warnings:
        raise RenderError("the renderer warned (use --allow-warnings to accept): " + "; ".join(dict.fromkeys(warnings)))
    for message in warnings:
        log.warning("renderer: %s", message)
    return bytes(pdf)


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
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise OutputError(f"cannot write '{target}': {e.strerror}") from None
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
