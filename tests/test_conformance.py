"""The shared conformance cases: each file's exit code and stderr line, through the real command line.

`shared/conformance/expected.json` fixes what `casefile check FILE`, run in that folder, must do
for each file; running it as a subprocess keeps the message format tied to the contract.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from conftest import SHARED

CONFORMANCE = SHARED / "conformance"
EXPECTED = CONFORMANCE / "expected.json"

if not EXPECTED.is_file():
    pytest.skip(f"no conformance cases: {EXPECTED} does not exist", allow_module_level=True)

CASES: list[dict[str, Any]] = json.loads(EXPECTED.read_text(encoding="utf-8"))["cases"]


def test_the_conformance_folder_lists_cases_that_exist() -> None:
    assert CASES
    for case in CASES:
        assert (CONFORMANCE / case["file"]).is_file(), case["file"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_conformance_case(case: dict[str, Any]) -> None:
    result = subprocess.run([sys.executable, "-m", "casefile", "check", case["file"]], cwd=CONFORMANCE,
                            capture_output=True, text=True, timeout=120)
    why = f"{case['file']} ({case['why']}):\n{result.stderr}"
    assert result.returncode == case["exit"], why
    assert "Traceback" not in result.stderr, why
    if case["stderr_matches"] is not None:
        assert re.search(case["stderr_matches"], result.stderr, re.MULTILINE), why
    if case["exit"] == 0:
        assert ": error: " not in result.stderr, why
