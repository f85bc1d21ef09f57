"""The fuzz harnesses run for a bounded time without finding a crash.

Each harness (tests/security/fuzz/) starts from its committed corpus (tests/security/corpus/)
and runs under libFuzzer for its share of CASEFILE_FUZZ_SECONDS (default 60 in all); new
inputs go to a temporary folder, so the committed corpus changes only when someone merges
into it on purpose (see the README, "Fuzzing"). With CASEFILE_FUZZ_SECONDS=0 each harness
only replays its corpus.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="atheris (the fuzzing engine) is in the test extra on Linux x86-64")

pytestmark = pytest.mark.fuzz

HERE = Path(__file__).resolve().parent
HARNESSES = {"loader": HERE / "fuzz" / "fuzz_loader.py", "prose": HERE / "fuzz" / "fuzz_prose.py"}


def seconds_each() -> int:
    raw = os.environ.get("CASEFILE_FUZZ_SECONDS", "60").strip() or "60"
    return max(int(raw), 0) // len(HARNESSES)


@pytest.mark.parametrize("harness", HARNESSES)
def test_the_fuzz_harness_finds_no_crash_in_its_time(harness: str, tmp_path: Path) -> None:
    corpus = HERE / "corpus" / harness
    assert any(corpus.iterdir()), f"the committed corpus {corpus} is empty"
    seconds = seconds_each()
    budget = ["-runs=0"] if seconds == 0 else [f"-max_total_time={seconds}"]
    new_inputs = tmp_path / "new"
    new_inputs.mkdir()
    result = subprocess.run(
        [sys.executable, str(HARNESSES[harness]), *budget, "-timeout=10", "-rss_limit_mb=2048", "-max_len=8192",
         f"-artifact_prefix={tmp_path}/", "-print_final_stats=1", str(new_inputs), str(corpus)],
        capture_output=True, text=True, timeout=seconds + 300)
    crashes = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    assert not crashes, (crashes, result.stderr[-4000:])
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done" in result.stderr or "INITED" in result.stderr, result.stderr[-2000:]
