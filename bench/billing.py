"""Benchmark: renewals per second, through the real billing code, on SQLite and PostgreSQL.

    .venv/bin/python bench/billing.py [--members 5000] [--runs 1 2] [--latency-ms 0]

Method: for each database, a fresh database is migrated and seeded with
`--members` active memberships whose period has just ended, each with its own
sandbox card. Then `obole billing run` is timed in 1 and in 2 concurrent
processes (the month-start batch, scaled out). Throughput is renewals recorded
divided by wall-clock time; latency is the time from a renewal's claim to its
record (batches of 100, charges sent 8 at a time), p50 and p99. Every run is checked afterwards: each
membership charged exactly once for the period. The sandbox provider answers
in `--latency-ms` (0 measures Obole's own cost; a real provider adds ~300 ms,
which is why runs scale out). Results are printed and appended to
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from common import HERE, create_database, machine, postgres_available

PERIOD_END = datetime(2026, 12, 1, tzinfo=UTC)
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))


def child_seed(members: int) -> None:
    from django.core.management import call_command

    from obole.accounts.models import Account
    from obole.membership.cards import fingerprint
    from obole.membership.models import (
        CardFingerprint,
        Invoice,
        LedgerEntry,
        Membership,
        PaymentMethod,
        SandboxPaymentMethod,
    )

    call_command("migrate", verbosity=0)
    start = PERIOD_END - timedelta(days=30)
    accounts = Account.objects.bulk_create(
        [Account(username=f"bench{i}", password="!") for i in range(members)], batch_size=2000
    )
    prints = [fingerprint(f"{i:016d}") for i in range(members)]
    CardFingerprint.objects.bulk_create([CardFingerprint(fingerprint=p) for p in prints], batch_size=2000)
    SandboxPaymentMethod.objects.bulk_create(
        [SandboxPaymentMethod(ref=f"pm_bench_{i}", charge_outcome="succeeded") for i in range(members)],
        batch_size=2000,
    )
    methods = PaymentMethod.objects.bulk_create(
        [
            PaymentMethod(
                account=a, provider="sandbox", provider_ref=f"pm_bench_{i}", fingerprint_id=prints[i],
                brand="visa", last4="4242", exp_month=12, exp_year=2030, funding="credit", created_at=start,
            )
            for i, a in enumerate(accounts)
        ],
        batch_size=2000,
    )  # fmt: skip
    Membership.objects.bulk_create(
        [
            Membership(account=a, state="active", anchor=start, paid_until=PERIOD_END, payment_method=m)
            for a, m in zip(accounts, methods, strict=True)
        ],
        batch_size=2000,
    )
    assert not Invoice.objects.exists() and not LedgerEntry.objects.exists()


def child_run() -> None:
    from obole.membership import billing

    latencies: list[float] = []

    class Clock(billing.Progress):
        """Each renewal's latency is the time its batch took from claim to record."""

        def start(self, total: int) -> None:
            self.last = time.perf_counter()

        def advance(self, count: int = 1) -> None:
            now = time.perf_counter()
            latencies.extend([now - self.last] * count)
            self.last = now

    began = time.perf_counter()
    report = billing.run(PERIOD_END + timedelta(minutes=1), progress=Clock(), concurrency=CONCURRENCY)
    took = time.perf_counter() - began
    print(
        json.dumps({"paid": report.paid, "skipped": report.skipped, "seconds": took, "latencies": latencies})
    )


def child_check(members: int) -> None:
    from django.db.models import Count

    from obole.membership.models import LedgerEntry, SandboxCharge

    per_account = LedgerEntry.objects.values("account").annotate(n=Count("id"))
    ok = per_account.count() == members and all(row["n"] == 1 for row in per_account)
    print(json.dumps({"exactly_once": ok and SandboxCharge.objects.count() == members}))


def child(mode: str, members: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")
    import django

    django.setup()
    {"seed": lambda: child_seed(members), "run": child_run, "check": lambda: child_check(members)}[mode]()


def spawn(mode: str, env: dict, members: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--child", mode, "--members", str(members)],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def fresh_env(database: str, latency_ms: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBOLE_")}
    env["OBOLE_DATA_DIR"] = tempfile.mkdtemp(prefix="obole-bench-")
    env["OBOLE_SANDBOX_LATENCY_MS"] = str(latency_ms)
    env["OBOLE_LOG_LEVEL"] = "WARNING"
    if database == "postgresql":
        env["OBOLE_DATABASE_URL"] = create_database("obole_bench")
    return env


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure(database: str, members: int, runs: int, latency_ms: int) -> dict:
    env = fresh_env(database, latency_ms)
    seed = spawn("seed", env, members)
    if seed.wait() != 0:
        raise SystemExit(f"seeding {database} failed")
    began = time.perf_counter()
    processes = [spawn("run", env, members) for _ in range(runs)]
    results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in processes]
    wall = time.perf_counter() - began
    check = json.loads(spawn("check", env, members).communicate()[0].strip().splitlines()[-1])
    latencies = [x for r in results for x in r["latencies"]]
    paid = sum(r["paid"] for r in results)
    return {
        "database": database,
        "runs": runs,
        "members": members,
        "renewals_per_s": paid / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "exactly_once": check["exactly_once"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 2], help="concurrent billing processes")
    parser.add_argument("--latency-ms", type=int, default=0, help="sandbox provider latency")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.members)
        return

    databases = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    print(
        f"Billing benchmark — {machine()}; {args.members} renewals due; sandbox latency {args.latency_ms} ms"
    )
    rows = []
    for database in databases:
        for runs in args.runs:
            row = measure(database, args.members, runs, args.latency_ms)
            rows.append(row)
            print(
                f"  {database:10} {runs} run(s): {row['renewals_per_s']:8.1f} renewals/s   "
                f"p50 {row['p50_ms']:6.2f} ms   p99 {row['p99_ms']:6.2f} ms   "
                f"exactly once: {'yes' if row['exactly_once'] else 'NO'}"
            )
    lines = [
        f"\n## Billing — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}. Command: `.venv/bin/python bench/billing.py --members {args.members} "
        f"--runs {' '.join(map(str, args.runs))} --latency-ms {args.latency_ms}`.",
        "Method: see the docstring of bench/billing.py (renewals recorded / wall time; latency per renewal).",
        "",
        "| database | concurrent runs | renewals/s | p50 ms | p99 ms | exactly once |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['database']} | {r['runs']} | {r['renewals_per_s']:.1f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {'yes' if r['exactly_once'] else 'NO'} |"
            for r in rows
        ),
    ]
    results = HERE / "RESULTS.md"
    if not results.exists():
        results.write_text(
            "# Benchmark results\n\nEach section is one run of a benchmark in bench/, newest last.\n"
        )
    with results.open("a") as handle:
        handle.write("\n".join(lines) + "\n")
    if not all(r["exactly_once"] for r in rows):
        raise SystemExit("a period was charged more than once or not at all")


if __name__ == "__main__":
    main()
