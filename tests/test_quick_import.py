"""WeasyPrint imported without its compiler probes loads the very same libraries, and falls back
to the full lookup when the linker cache is not enough. Each check runs in a fresh interpreter,
since this one has WeasyPrint imported already."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

LIBRARIES = """
def libraries():
    names = ("libpango", "libharfbuzz", "libfontconfig", "libgobject", "libpangoft2")
    return sorted({line.split()[-1] for line in open("/proc/self/maps") if any(n in line for n in names)})
"""


def run(body: str) -> dict:
    result = subprocess.run([sys.executable, "-c", LIBRARIES + textwrap.dedent(body)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_import_runs_no_compiler_and_loads_the_libraries_a_plain_import_loads() -> None:
    quick = run("""
        import ctypes.util, json
        probes = []
        for name in ("_findLib_gcc", "_findLib_ld"):
            original = getattr(ctypes.util, name)
            setattr(ctypes.util, name, lambda lib, original=original, name=name: probes.append(lib) or original(lib))
        from casefile.quick_import import import_weasyprint
        import_weasyprint()
        print(json.dumps({"probes": probes, "libraries": libraries()}))
    """)
    plain = run("""
        import json, weasyprint
        print(json.dumps({"libraries": libraries()}))
    """)
    assert quick["probes"] == []
    assert quick["libraries"] == plain["libraries"] and len(plain["libraries"]) >= 5


def test_where_only_the_full_lookup_finds_the_libraries_the_import_is_tried_again_with_it() -> None:
    seen = run("""
        import ctypes.util, json, cffi
        # Simulate a machine whose libraries the linker cache does not list: every open fails
        # while find_library is the cache-only lookup.
        refused = []
        original_dlopen = cffi.FFI.dlopen
        def dlopen(self, name, *args, **kwargs):
            if ctypes.util.find_library.__qualname__.startswith("_linker_cache_lookup"):
                refused.append(name)
                raise OSError(f"cannot open {name}")
            return original_dlopen(self, name, *args, **kwargs)
        cffi.FFI.dlopen = dlopen
        from casefile.quick_import import import_weasyprint
        import_weasyprint()
        from weasyprint.text.ffi import pango
        print(json.dumps({"refused": len(refused), "libraries": libraries(),
                          "restored": ctypes.util.find_library.__module__ == "ctypes.util"}))
    """)
    assert seen["refused"] > 0 and seen["restored"] and len(seen["libraries"]) >= 5


def test_the_linker_cache_is_listed_once_and_read_as_python_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes.util

    from casefile import quick_import

    runs = []
    released = subprocess.run
    monkeypatch.setattr(quick_import.subprocess, "run", lambda *a, **k: runs.append(a) or released(*a, **k))
    lookup = quick_import._linker_cache_lookup()
    names = ["pango-1.0", "pangoft2-1.0", "harfbuzz", "harfbuzz-subset", "fontconfig", "gobject-2.0", "c", "m",
             "pango-1.0-0", "no-such-library"]
    assert [lookup(n) for n in names] == [ctypes.util._findSoname_ldconfig(n) for n in names]
    assert lookup("pango-1.0") and lookup("no-such-library") is None
    assert len(runs) == 1
