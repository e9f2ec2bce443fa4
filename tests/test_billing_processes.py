"""Billing runs as real `obole billing run` processes: overlapping, and killed half-way."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from obole.membership.models import Invoice, LedgerEntry, SandboxCharge
from obole.membership.models import invoice as inv
from tests.conftest import NOW, bench_env, make_account, obole, subprocess_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MEMBERS = 40
ROOT = Path(__file__).resolve().parent.parent
AS_OF = (NOW + timedelta(days=31)).isoformat()


@pytest.fixture
def members():
    return [make_account(f"payer{i}", paid=True) for i in range(MEMBERS)]


def slow_provider_env(latency_ms: int) -> dict[str, str]:
    env = subprocess_env()
    env["OBOLE_SANDBOX_LATENCY_MS"] = str(latency_ms)
    return env


def assert_each_renewed_exactly_once(members):
    renewals = Counter(
        LedgerEntry.objects.filter(kind="charge", invoice__kind=inv.RENEWAL).values_list(
            "account_id", flat=True
        )
    )
    assert renewals == Counter({m.pk: 1 for m in members})
    # The provider's own books agree: one charge per member and period, never two.
    assert SandboxCharge.objects.count() == 2 * len(members)
    assert Invoice.objects.filter(kind=inv.RENEWAL, status=inv.PAID).count() == len(members)


@pytest.mark.parametrize("reclaim_after", ["600", "0"], ids=["partitioned", "racing-for-every-row"])
def test_two_overlapping_runs_charge_each_period_once(members, reclaim_after):
    env = slow_provider_env(10)
    runs = [
        obole("billing", "run", "--as-of", AS_OF, "--reclaim-after", reclaim_after, env=env) for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert_each_renewed_exactly_once(members)
    # Each run reports what it did itself: together, each renewal once.
    reports = [reported(out) for out, _ in outputs]
    assert sum(r["paid"] for r in reports) == MEMBERS, reports
    assert sum(r["invoiced"] for r in reports) == MEMBERS, reports


def reported(output: bytes | str) -> dict[str, int]:
    """The counts of `obole billing run`'s last line: "billing as of …: expired 0, paid 12, …"."""
    text = output.decode() if isinstance(output, bytes) else output
    line = text.strip().splitlines()[-1].split(": ", 1)[1]
    return {name: int(value) for name, value in (item.rsplit(" ", 1) for item in line.split(", "))}


def test_a_run_killed_half_way_and_run_again_charges_each_period_once(members):
    """Killed while charges are in flight: the provider has taken money that Obole has not recorded."""
    run = obole("billing", "run", "--as-of", AS_OF, "--concurrency", "2", env=slow_provider_env(40))
    deadline = time.monotonic() + 60
    while SandboxCharge.objects.count() < MEMBERS + MEMBERS // 4:
        assert time.monotonic() < deadline, "the billing run made no progress"
        assert run.poll() is None, run.communicate()
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.wait()
    recorded = LedgerEntry.objects.filter(invoice__kind=inv.RENEWAL).count()
    assert recorded < SandboxCharge.objects.count() - MEMBERS, "nothing was left unrecorded; lower the wait"

    # The dead run left its claims behind; a rerun on this machine sees that its
    # process is gone and takes them over at once (not after --reclaim-after,
    # ten minutes by default), sending the same keys.
    rerun = obole("billing", "run", "--as-of", AS_OF)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert_each_renewed_exactly_once(members)
    assert not Invoice.objects.filter(status=inv.CHARGING).exists()


def test_the_crash_harness_kills_billing_runs_and_finds_each_period_charged_once():
    """A small run of bench/crash_billing.py: SIGKILLs at seeded random moments, then exactly once."""
    database, env = bench_env()
    done = subprocess.run(
        [sys.executable, "bench/crash_billing.py", "--kills", "4", "--kills-per-period", "2"]
        + ["--members", "20", "--window", "3", "--databases", database, "--no-record"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    figures = r"kills (\d+) .* periods (\d+)\s+charges (\d+)\s+double (\d+)\s+missed (\d+)"
    row = re.search(figures, done.stdout)
    assert row, done.stdout
    kills, periods, charges, double, missed = map(int, row.groups())
    assert (kills, double, missed) == (4, 0, 0)
    assert charges == 20 * periods and periods >= 2
