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


SOAK = re.compile(
    r"held (?P<held>[\d.]+)/s .*\n"
    r"latency: p50 (?P<p50>[\d.]+) ms, p99 (?P<p99>[\d.]+) ms\nerrors: (?P<errors>\S+)\n"
    r"server RSS \(whole process tree\): start (?P<start>[\d.]+) MB, end (?P<end>[\d.]+) MB"
)


def test_the_soak_measures_throughput_errors_and_server_memory_in_a_few_seconds():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBOLE_")}
    done = subprocess.run(
        [sys.executable, "bench/soak.py", "--members", "30", "--duration", "3", "--measure", "2"]
        + ["--connections", "4", "--sample-every", "1", "--no-record"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = SOAK.search(done.stdout)
    assert found, done.stdout
    assert found["errors"] == "0"
    assert float(found["held"]) > 0
    # Granian's processes and the task worker: tens of MB at least, read from /proc.
    assert 20 < float(found["start"]) < 4000 and 20 < float(found["end"]) < 4000


def test_a_server_is_measured_once_its_start_has_settled():
    """bench's Server waits until the server's processes are quiet (a task worker still importing
    would otherwise be measured with it): a group busy for a second and a half is waited for."""
    import subprocess
    import sys
    import time

    from bench.social_load import settle

    busy = "import time\nend = time.monotonic() + 1.5\nwhile time.monotonic() < end: pass\ntime.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", busy], start_new_session=True)
    try:
        time.sleep(0.2)
        waited = settle(child.pid)
        assert 0.9 <= waited < 10
        assert settle(child.pid) < 1.5  # quiet now: one look
    finally:
        child.kill()
        child.wait()
