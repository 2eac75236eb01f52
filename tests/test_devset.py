"""The extractor on real reports nobody here wrote: the dev set's hand annotation and scorer.

The dev set lives beside the project (``../shared/devset``, or ``FZKG_DEVSET``) and is read, never
copied; the test is skipped where it is absent. Its scorer exits non-zero when a field misses the
targets of the extraction issue: jurisdiction with its chain (and a department's publisher) and
year ≥ 0.95, laws F1 ≥ 0.95, programs ∪ initiatives F1 ≥ 0.85, documents F1 ≥ 0.90.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEVSET = Path(os.environ.get("FZKG_DEVSET", ROOT.parent / "shared" / "devset"))
FZKG = Path(sys.executable).with_name("fzkg")


@pytest.mark.skipif(not (DEVSET / "score.py").is_file(), reason=f"no dev set at {DEVSET}")
def test_the_dev_set_scores_reach_the_targets():
    run = subprocess.run([sys.executable, str(DEVSET / "score.py"), "--fzkg", str(FZKG), "--verbose",
                          "--min-jur", "0.95", "--min-year", "0.97", "--min-laws", "0.95",
                          "--min-named", "0.85", "--min-docs", "0.90"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    print(run.stdout)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "short:" not in run.stdout.splitlines()[-1]
