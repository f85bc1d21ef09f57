"""Importing WeasyPrint without its compiler probes.

WeasyPrint 70 opens Pango, HarfBuzz and fontconfig through cffi under a list of names per
library, the Windows and macOS ones included. cffi looks each name it cannot open directly up
with `ctypes.util.find_library`, which on Linux falls back, for every name the linker cache
does not know, to running `gcc` and then `ld` on a dummy program: some 15 probes of 15 ms each,
about 0.25 s of every import (docs/benchmarks.md). `import_weasyprint` lets `find_library`
read only the linker cache (`ldconfig -p`) during the import, and the library names that are
the files' own (`libpango-1.0.so.0`) still open directly, so the same libraries are loaded. If
the import fails that way, it is tried again with the full lookup, so nothing is lost where
the libraries are found only by the compiler. The cache is listed once for all the names
(Python's own cache-only lookup runs `ldconfig -p` for each: 22 runs, about 40 ms).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable

# The ABI `ldconfig -p` names for this machine's libraries, as ctypes.util reads it.
_ABI = {"x86_64": "libc6,x86-64", "ppc64": "libc6,64bit", "sparc64": "libc6,64bit", "s390x": "libc6,64bit",
        "ia64": "libc6,IA-64"}


def import_weasyprint() -> None:
    """Import WeasyPrint (once per process), the libraries looked up in the linker cache only."""
    if "weasyprint" in sys.modules:
        return
    import ctypes.util

    if not sys.platform.startswith("linux") or not os.path.exists("/sbin/ldconfig"):
        import weasyprint  # noqa: F401
        return
    full = ctypes.util.find_library
    ctypes.util.find_library = _linker_cache_lookup()
    try:
        import weasyprint  # noqa: F401
    except OSError:  # a library only the compiler's search finds: a failed import leaves no module behind
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = full
    import weasyprint  # noqa: F401, F811  (imported already, or again with the full lookup)


def _linker_cache_lookup() -> Callable[[str], str | None]:
    """`find_library` reading only the linker cache, listed once (ctypes.util's
    `_findSoname_ldconfig`, with `ldconfig -p` run for the first name only)."""
    abi = _ABI.get(os.uname().machine, "libc6") if sys.maxsize > 2**32 else "libc6"
    listing: list[bytes] = []

    def find(name: str) -> str | None:
        if not listing:
            try:
                listing.append(subprocess.run(["/sbin/ldconfig", "-p"], stdin=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                              env={"LC_ALL": "C", "LANG": "C"}, check=False).stdout)
            except OSError:
                listing.append(b"")
        found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(abi)}".encode(), listing[0])
        return os.fsdecode(found.group(1)) if found else None

    return find
