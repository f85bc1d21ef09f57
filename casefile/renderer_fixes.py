"""A fix to WeasyPrint 70's line layout that keeps footnotes on the page of their call.

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
"""

from __future__ import annotations

import inspect
import logging
import os
import types
from typing import Any

log = logging.getLogger(__name__)

AS_RELEASED_ENV = "CASEFILE_WEASYPRINT_AS_RELEASED"
_ORPHANS_REPORT = "report = not context.in_column and can_break_now and not could_break_before"
_functions: dict[str, Any] = {}  # "released" and, where the line was found, "fixed"


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
