"""The social benchmark (bench/social.py) runs end to end in a smoke mode and measures something."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^  (?P<workload>\S.*?)\s+(?P<rate>[\d.]+)/s  p50\s+(?P<p50>[\d.]+) ms", re.MULTILINE)


def test_the_social_benchmark_prints_a_table_with_throughput_for_every_workload():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBOLE_")}
    done = subprocess.run(
        [sys.executable, "bench/social.py", "--members", "50", "--duration", "1", "--connections", "8"]
        + ["--databases", "sqlite", "--fanout-rate", "5", "--celebrity-followers", "200", "--no-record"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rates = {row["workload"]: float(row["rate"]) for row in ROW.finditer(done.stdout)}
    assert set(rates) == {
        "ceiling: bare Django view, one row",
        "POST /api/v1/statuses",
        "GET /api/v1/timelines/home",
        "GET /api/v1/accounts/verify_credentials",
        "mixed: 90 % home reads, 10 % posts",
    }, done.stdout
    assert all(rate > 0 for rate in rates.values()), done.stdout
    delay = r"fan-out delay: p50 [\d.]+ ms, p99 [\d.]+ ms over [1-9]\d* posts"
    assert re.search("  " + delay, done.stdout)
    assert re.search("celebrity " + delay, done.stdout)
