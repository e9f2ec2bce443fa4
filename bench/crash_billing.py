"""Crash safety of billing: SIGKILL `obole billing run` at random moments, then prove exactly once.

    .venv/bin/python bench/crash_billing.py [--kills 60] [--members 300] [--seed 1]
                                           [--databases sqlite postgresql] [--no-record]

Method: for each database, a fresh database is seeded with `--members` active
memberships paid until 1 December 2026, each with its own sandbox card (the
seeding of bench/billing.py). Then, period after period (1 December, 1 January,
…), `obole billing run --as-of <period start + 1 minute>` is started and, after
a delay drawn from a seeded random generator (uniform in 0.1 s to `--window`),
killed with SIGKILL if it is still running; it is started again, killed at
most `--kills-per-period` times, until one run ends by itself, and the harness
moves to the next period. It stops once
`--kills` runs have been killed. The sandbox provider answers each charge in
`--latency-ms`, so most kills land while charges are in flight: money taken
by the provider but not yet recorded by Obole. Each rerun is on the same
machine, so it takes over the dead run's claims at once (obole/membership/
billing.py), with the same idempotency keys.

After every period, and at the end, it checks against the ledger and the
provider's own books (the sandbox's charge table):
  * double charges: a (member, period) with more than one ledger charge, or a
    provider charge more than the ledger records;
  * missed: a (member, period) with no charge;
  * left claimed: an invoice still `charging` after a run ended by itself.
Every figure must be zero. The same `--seed` draws the same kill delays.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from common import HERE, add_trial_arguments, machine, run_trial, run_trials, setup_django

MAX_PERIODS = 120


def trial(args: argparse.Namespace) -> dict:
    """In a child process whose environment points at a fresh database: seed, kill, check."""
    setup_django()
    from billing import PERIOD_END, child_seed

    from obole.membership.models import Invoice, SandboxCharge
    from obole.membership.periods import boundary

    child_seed(args.members)
    rng = random.Random(args.seed)  # noqa: S311 (kill moments, drawn again from the seed)
    anchor = PERIOD_END - timedelta(days=30)
    counts = {"kills": 0, "kills_with_money_unrecorded": 0, "runs": 0, "periods": 0}
    problems: list[str] = []
    while counts["kills"] < args.kills and counts["periods"] < MAX_PERIODS:
        as_of = boundary(PERIOD_END, "month", counts["periods"]) + timedelta(minutes=1)
        killed_this_period = 0
        while True:
            counts["runs"] += 1
            run = subprocess.Popen(
                [sys.executable, "-m", "obole", "billing", "run", "--as-of", as_of.isoformat()]
                + ["--concurrency", str(args.concurrency)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            # A period sees at most --kills-per-period kills; then its run is left to finish.
            killing = counts["kills"] < args.kills and killed_this_period < args.kills_per_period
            delay = rng.uniform(0.1, args.window) if killing else 600
            try:
                _, err = run.communicate(timeout=delay)
            except subprocess.TimeoutExpired:
                run.send_signal(signal.SIGKILL)
                run.communicate()
                counts["kills"] += 1
                killed_this_period += 1
                if unrecorded_charges() > 0:
                    counts["kills_with_money_unrecorded"] += 1
                continue
            if run.returncode != 0:
                problems.append(f"run as of {as_of:%Y-%m-%d} failed: {err[-500:]}")
            break
        counts["periods"] += 1
        problems += check(args.members, counts["periods"], anchor, boundary)
        if problems:
            break
    charges = SandboxCharge.objects.count()
    counts.update(
        charges=charges,
        double_charges=doubles(),
        missed=missing(args.members, counts["periods"], anchor, boundary),
        left_claimed=Invoice.objects.filter(status="charging").count(),
        problems=problems[:5],
    )
    return counts


def unrecorded_charges() -> int:
    from obole.membership.models import LedgerEntry, SandboxCharge

    return SandboxCharge.objects.count() - LedgerEntry.objects.filter(kind="charge").count()


def doubles() -> int:
    from django.db.models import Count

    from obole.membership.models import LedgerEntry

    per_period = (
        LedgerEntry.objects.filter(kind="charge")
        .values("account_id", "invoice__period_start")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return sum(row["n"] - 1 for row in per_period) + max(0, unrecorded_charges())


def missing(members: int, periods: int, anchor: datetime, boundary) -> int:
    from obole.membership.models import LedgerEntry

    expected = {boundary(anchor, "month", i + 1) for i in range(periods)}
    paid = set(LedgerEntry.objects.filter(kind="charge").values_list("account_id", "invoice__period_start"))
    accounts = {account for account, _ in paid}
    if len(accounts) < members:
        return members * periods - len(paid)
    return sum(1 for account in accounts for start in expected if (account, start) not in paid)


def check(members: int, periods: int, anchor: datetime, boundary) -> list[str]:
    from obole.membership.models import Invoice

    problems = []
    if (n := doubles()) != 0:
        problems.append(f"after period {periods}: {n} double charges")
    if (n := missing(members, periods, anchor, boundary)) != 0:
        problems.append(f"after period {periods}: {n} periods not charged")
    if (n := Invoice.objects.filter(status="charging").count()) != 0:
        problems.append(f"after period {periods}: {n} invoices left claimed")
    return problems


def measure(database: str, args: argparse.Namespace) -> dict:
    return run_trial(
        __file__,
        database,
        ["--members", str(args.members), "--kills", str(args.kills), "--seed", str(args.seed)]
        + ["--window", str(args.window), "--latency-ms", str(args.latency_ms)]
        + ["--concurrency", str(args.concurrency), "--kills-per-period", str(args.kills_per_period)],
        prefix="crash-billing",
        settings={"OBOLE_SANDBOX_LATENCY_MS": str(args.latency_ms)},
    )


def record(rows: list[dict], args: argparse.Namespace, machine: str, took: float) -> None:
    command = (
        f"`.venv/bin/python bench/crash_billing.py --kills {args.kills} --members {args.members} "
        f"--seed {args.seed} --window {args.window} --kills-per-period {args.kills_per_period} "
        f"--latency-ms {args.latency_ms} "
        f"--databases {' '.join(args.databases)}`"
    )
    lines = [
        f"\n## Crash safety of billing — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine}. Command: {command} ({took:.0f} s).",
        "Method: see the docstring of bench/crash_billing.py (SIGKILL at seeded random moments, "
        "rerun until a run ends by itself, period after period; ledger and provider books compared).",
        "",
        "| database | kills | kills with money taken, unrecorded | runs | periods | charges "
        "| double charges | missed | left claimed |",
        "|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {r['database']} | {r['kills']} | {r['kills_with_money_unrecorded']} | {r['runs']} | "
            f"{r['periods']} | {r['charges']} | {r['double_charges']} | {r['missed']} | {r['left_claimed']} |"
            for r in rows
        ),
    ]
    with (HERE / "RESULTS.md").open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def show(row: dict) -> str:
    return "\n".join(
        [
            f"  {row['database']:10} kills {row['kills']} (money taken, unrecorded: "
            f"{row['kills_with_money_unrecorded']})  runs {row['runs']}  periods {row['periods']}  "
            f"charges {row['charges']}  double {row['double_charges']}  missed {row['missed']}  "
            f"left claimed {row['left_claimed']}",
            *(f"    {problem}" for problem in row["problems"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=60, help="runs to kill, per database")
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=4.0, help="kill within this many seconds of start")
    parser.add_argument("--kills-per-period", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=20, help="sandbox provider latency per charge")
    parser.add_argument("--concurrency", type=int, default=4, help="charges in flight per run")
    add_trial_arguments(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(trial(args)))
        return

    print(f"Crash safety of billing — {machine()}; {args.members} members; seed {args.seed}")
    rows, took = run_trials(args, measure, show)
    if not args.no_record:
        record(rows, args, machine(), took)
    if any(r["double_charges"] or r["missed"] or r["left_claimed"] or r["problems"] for r in rows):
        raise SystemExit("billing was not exactly once")


if __name__ == "__main__":
    main()
