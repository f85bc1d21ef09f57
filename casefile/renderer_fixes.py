"""Fixes to WeasyPrint 70 (and pydyf, its PDF writer), applied in the process that lays out.

1. Line layout: footnotes stay on the page of their call.

When the `orphans`-th line of a block (the 2nd, by default) does not fit at the bottom of a
page that already holds footnotes, WeasyPrint 70 (`layout/block.py`, `_linebox_layout`)
"reports" the page's last footnotes to the next page until the line fits. Their calls stay on
this page, so their bodies land a page late, and the footnotes called in that very line are
never laid out at all. CSS 2.1 says what should happen instead: a block that cannot leave
`orphans` lines at the bottom of the page moves whole to the next one. The fix turns the
reporting off, so `orphans` is applied as on a page without footnotes.

Without it casefile still keeps footnotes in place (footnotes.py finds the late bodies and
lays the pages out again with `orphans` raised on the block concerned, which comes to the
same page breaks), but at the cost of a second layout: about half of a whole build on the
benchmark cases (docs/benchmarks.md). footnotes.py stays as the check and the repair for
whatever is left, e.g. a template of one's own with `footnote-policy: auto`.

The fix rewrites one line of WeasyPrint's source, in memory, in the process that lays out.
WeasyPrint is pinned (pyproject.toml); if the line is not found exactly once, the fix is not
applied and footnotes.py's repair does the work as before. `CASEFILE_WEASYPRINT_AS_RELEASED=1`
lays out with WeasyPrint's own function, to compare or to rule the fix out.

2. The tagged PDF/A write, which the filing copy needs, without work done twice. The bytes
written are the same; only the time changes (docs/benchmarks.md: about 0.35 s of a 40-page
request, a quarter of its write).
- A PDF/A file needs an identifier, and pydyf makes it by hashing every object's data, which it
  has just serialized, and compressed, to write the file: so every stream was compressed twice
  and every structure element serialized twice. While a PDF is written, each numbered object's
  data is now kept the first time it is made. Nothing changes an object during the write.
- The structure tree asks `PDF.page_references` for each of its elements, and pydyf builds the
  tuple of every page's reference for each question: quadratic in the page count. The tuple is
  now kept until a page is added.
`CASEFILE_WEASYPRINT_AS_RELEASED=1` turns these off too.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import types
from typing import Any

log = logging.getLogger(__name__)

AS_RELEASED_ENV = "CASEFILE_WEASYPRINT_AS_RELEASED"
_ORPHANS_REPORT = "report = not context.in_column and can_break_now and not could_break_before"
_functions: dict[str, Any] = {}  # "released" and, where the line was found, "fixed"
_released_writer: dict[str, Any] = {}  # pydyf's own PDF.write and PDF.page_references


def wanted() -> bool:
    """Whether layout should use the fix (it does unless `CASEFILE_WEASYPRINT_AS_RELEASED` is set)."""
    return os.environ.get(AS_RELEASED_ENV, "").strip() in ("", "0")


def apply() -> bool:
    """Put the fixed or the released function in WeasyPrint, as `wanted()` says; return whether
    the fix is in place. Cheap after the first call in a process."""
    from weasyprint.layout import block

    if not _functions:
        _functions["released"] = block._linebox_layout
        fixed = _fixed(block)
        if fixed is not None:
            _functions["fixed"] = fixed
    use_fix = wanted() and "fixed" in _functions
    block._linebox_layout = _functions["fixed" if use_fix else "released"]
    _apply_to_writer(wanted())
    return use_fix


def _fixed(block: Any) -> Any | None:
    """WeasyPrint's `_linebox_layout` with the orphans path's reporting turned off, or None."""
    function = block._linebox_layout
    try:
        source, first_line = inspect.getsourcelines(function)
    except (OSError, TypeError):  # installed without its source
        source, first_line = [], 0
    text = "".join(source)
    if text.count(_ORPHANS_REPORT) != 1:
        log.debug("WeasyPrint's orphans path was not found; footnotes.py repairs what it moves")
        return None
    # Blank lines keep tracebacks pointing at the right lines of WeasyPrint's file; the new
    # function reads the names of WeasyPrint's module, as the released one does.
    fixed = "\n" * (first_line - 1) + text.replace(_ORPHANS_REPORT, "report = False")
    module_code = compile(fixed, inspect.getsourcefile(function) or block.__file__, "exec")
    code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType) and c.co_name == function.__name__)
    return types.FunctionType(code, vars(block), function.__name__, function.__defaults__)


def _apply_to_writer(fixed: bool) -> None:
    import pydyf

    if not _released_writer:
        _released_writer.update(write=pydyf.PDF.write, page_references=pydyf.PDF.page_references)
    if fixed:
        pydyf.PDF.write = _write_serializing_once
        pydyf.PDF.page_references = property(_page_references_kept)
    else:
        pydyf.PDF.write = _released_writer["write"]
        pydyf.PDF.page_references = _released_writer["page_references"]


def _write_serializing_once(pdf: Any, *args: Any, **kwargs: Any) -> Any:
    with _data_kept():
        return _released_writer["write"](pdf, *args, **kwargs)


@contextlib.contextmanager
def _data_kept() -> Any:
    """While it lasts, each numbered pydyf object makes its data once (see the module's doc)."""
    import pydyf

    kept: dict[int, tuple[Any, bytes]] = {}  # id -> (the object, kept alive so its id stays its own; data)

    def keeping(released: property) -> property:
        def data(obj: Any) -> bytes:
            if obj.number is None:  # a direct object, serialized within its one parent
                return released.fget(obj)  # type: ignore[misc]
            hit = kept.get(id(obj))
            if hit is None:
                hit = kept[id(obj)] = (obj, released.fget(obj))  # type: ignore[misc]
            return hit[1]
        return property(data)

    released = {cls: cls.__dict__["data"] for cls in _subclasses(pydyf.Object)
                if isinstance(cls.__dict__.get("data"), property)}
    for cls, prop in released.items():
        cls.data = keeping(prop)
    try:
        yield
    finally:
        for cls, prop in released.items():
            cls.data = prop


def _subclasses(cls: type) -> list[type]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _subclasses(sub)
    return found


def _page_references_kept(pdf: Any) -> Any:
    kids = pdf.pages["Kids"]
    kept = pdf.__dict__.get("_casefile_page_references")
    if kept is None or kept[0] is not kids or kept[1] != len(kids):
        kept = pdf._casefile_page_references = (kids, len(kids), _released_writer["page_references"].fget(pdf))
    return kept[2]
