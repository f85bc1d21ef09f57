"""Importing WeasyPrint without its compiler probes.

WeasyPrint 70 opens Pango, HarfBuzz and fontconfig through cffi under a list of names per
library, the Windows and macOS ones included. cffi looks each name it cannot open directly up
with `ctypes.util.find_library`, which on Linux falls back, for every name the linker cache
does not know, to running `gcc` and then `ld` on a dummy program: some 15 probes of 15 ms each,
about 0.25 s of every import (docs/benchmarks.md). `import_weasyprint` lets `find_library`
read only the linker cache (`ldconfig -p`) during the import, and the library names that are
the files' own (`libpango-1.0.so.0`) still open directly, so the same libraries are loaded. If
the import fails that way, it is tried again with the full lookup, so nothing is lost where
the libraries are found only by the compiler.
"""

from __future__ import annotations

import sys


def import_weasyprint() -> None:
    """Import WeasyPrint (once per process), the libraries looked up in the linker cache only."""
    if "weasyprint" in sys.modules:
        return
    import ctypes.util

    cache_only = getattr(ctypes.util, "_findSoname_ldconfig", None)
    if cache_only is None or not sys.platform.startswith("linux"):
        import weasyprint  # noqa: F401
        return
    full = ctypes.util.find_library
    ctypes.util.find_library = cache_only
    try:
        import weasyprint  # noqa: F401
    except OSError:  # a library only the compiler's search finds: a failed import leaves no module behind
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = full
    import weasyprint  # noqa: F401, F811  (imported already, or again with the full lookup)
