"""The busy-day benchmark runs end to end with tiny parameters and prints its figures beside Erlang C.

It starts its own servers (gunicorn, the scheduler, a throwaway Redis) on a SQLite
database of its own, so it does not depend on the suite's database.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bench" / "bench_busy_day.py"

pytestmark = pytest.mark.timeout(180)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_a_small_busy_day_prints_its_figures_beside_erlang_c() -> None:
    """Twenty calls over six simulated minutes with three workers: every call queued, some answered."""
    argv = [sys.executable, str(SCRIPT), "--calls", "20", "--hours", "0.1", "--workers", "3", "--speed", "60"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=170)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for label in ("answer rate", "abandonment", "average speed of answer", "service level (20 s)", "Erlang C"):
        assert label in out, out
    assert re.search(r"calls queued\s+20 of 20", out), out
    answered = float(re.search(r"answer rate\s+([\d.]+) %", out).group(1))
    assert answered > 0, out
    assert "network errors: 0" in out, out
