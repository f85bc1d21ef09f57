"""WeasyPrint imported without its compiler probes loads the very same libraries, and falls back
to the full lookup when the linker cache is not enough. Each check runs in a fresh interpreter,
since this one has WeasyPrint imported already."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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
            if ctypes.util.find_library is ctypes.util._findSoname_ldconfig:
                refused.append(name)
                raise OSError(f"cannot open {name}")
            return original_dlopen(self, name, *args, **kwargs)
        cffi.FFI.dlopen = dlopen
        from casefile.quick_import import import_weasyprint
        import_weasyprint()
        from weasyprint.text.ffi import pango
        print(json.dumps({"refused": len(refused), "libraries": libraries(),
                          "restored": ctypes.util.find_library is not ctypes.util._findSoname_ldconfig}))
    """)
    assert seen["refused"] > 0 and seen["restored"] and len(seen["libraries"]) >= 5
