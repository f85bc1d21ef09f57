"""Fuzz the case loader and every check behind it with atheris (libFuzzer).

Each input is written as a case file beside a copy of the test exhibit and run through
`check_case`: reading (size cap, UTF-8, BOM), the YAML event stream, the data builder (depth,
aliases, duplicate keys, tags), the model and the cross-field checks. The only acceptable
outcomes are a CheckedCase or a CasefileError; anything else, a hang (-timeout) or a blown
memory limit (-rss_limit_mb) is a crash that libFuzzer reports and saves.

    python tests/security/fuzz/fuzz_loader.py -max_total_time=60 /tmp/new tests/security/corpus/loader

tests/security/test_fuzz.py runs it for a bounded time in the test suite.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["casefile", "yaml"]):
    from casefile.checks import check_case
    from casefile.errors import CasefileError
    from casefile.loader import Limits

EVIDENCE = Path(__file__).resolve().parents[2] / "data" / "cases" / "evidence"
FOLDER = Path(tempfile.mkdtemp(prefix="casefile-fuzz-"))
shutil.copytree(EVIDENCE, FOLDER / "evidence")
CASE = FOLDER / "case.yaml"
LIMITS = Limits(max_bytes=64 * 1024)


def TestOneInput(data: bytes) -> None:
    CASE.write_bytes(data)
    try:
        check_case(CASE, limits=LIMITS, display="case.yaml", languages=["fr"])
    except CasefileError as e:
        text = str(e)
        assert text, "an error without a message"
        assert "Traceback" not in text, text


def main() -> None:
    """Run libFuzzer with the command-line arguments (corpus folders, -max_total_time, ...)."""
    # libFuzzer runs argv[0] again for -merge=1: make that this interpreter and this script.
    atheris.Setup([f"{sys.executable} {Path(__file__).resolve()}", *sys.argv[1:]], TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
