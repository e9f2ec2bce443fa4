"""Billing at scale: `obole billing run` over N memberships due at once, then exactly once proven.

    .venv/bin/python bench/billing_scale.py [--members 1000000] [--database postgresql]
        [--latency-ms 0] [--rate-limit 0] [--concurrency N] [--json] [--no-record]

Method: a fresh database (PostgreSQL: its own database, dropped afterwards;
SQLite: a file in a temporary directory) is given Obole's schema by its
migrations (`obole migrate`). `--members` accounts, each with its own sandbox
card and an active membership paid until 1 December 2026, are written with
one set-based INSERT … SELECT per table over a generated series (every other
column takes the model's default). Then the real command,
`obole billing run --as-of 2026-12-01T00:01Z`, runs as a subprocess with the
sandbox provider answering each charge in `--latency-ms` and refusing more
than `--rate-limit` requests a second with a 429 and a Retry-After of 1 s.

Printed:
  * renewals/s: renewals paid / the command's wall time (its start-up included);
  * time per renewal: wall time / renewals, and Obole's own part of it: the
    wall time less the time the run spent waiting for the provider's answers
    (the run reports it as provider_ms); at 0 ms latency the sandbox's own
    bookkeeping (one INSERT a charge, in the same database) is the wait. Also
    the command's CPU time / renewals;
  * p50/p99 latency of a renewal from its claim to the provider's answer
    (Invoice.claimed_at to the sandbox charge's creation: the time a claim is
    held before its money is taken, batch queueing included);
  * provider requests/s held: charges accepted / the time from the first to the
    last, and the 429s the run reported (each retried with backoff);
and then checked: every membership has exactly one ledger charge and one
provider charge for the period, the ledger, the paid invoices and the
provider's books sum to the same amount, every membership is paid until the
next period's end, and no invoice is left claimed. Any failure exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from common import HERE, ROOT, discard, fresh_env, machine, postgres_available, setup_django

PERIOD_END = datetime(2026, 12, 1, tzinfo=UTC)
AS_OF = PERIOD_END + timedelta(minutes=1)


def insert_rows(model, varying: dict[str, str], fixed: dict, source: str, *, prefix: str = "") -> None:
    """One `prefix INSERT INTO <model> SELECT … source`: `varying` columns are SQL over
    `source`'s rows, `fixed` ones the values given, every other column the model's default."""
    from django.db import connection

    template = model()
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in varying:
            columns.append(field.column)
            values.append(varying[field.column])
        elif field.column in fixed or not field.primary_key:
            value = fixed[field.column] if field.column in fixed else field.pre_save(template, add=True)
            columns.append(field.column)
            values.append("%s")
            params.append(field.get_db_prep_save(value, connection))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"{prefix} INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM {source}",  # noqa: S608 (names from the models and this file)
            params,
        )


def child_seed(members: int) -> None:
    from django.db import connection, transaction

    from obole.accounts.models import Account
    from obole.lib.snowflake import next_id
    from obole.membership.models import CardFingerprint, Membership, PaymentMethod, SandboxPaymentMethod

    anchor = PERIOD_END - timedelta(days=30)
    numbers = {"prefix": "", "source": f"generate_series(1, {members:d}) AS s(i)"}
    if connection.vendor == "sqlite":
        numbers = {
            "prefix": "WITH RECURSIVE s(i) AS "  # noqa: S608 (a number)
            f"(SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {members:d})",
            "source": "s",
        }
    quote = connection.ops.quote_name
    with transaction.atomic():
        insert_rows(
            Account, {"id": f"{next_id():d} + i", "username": "'bench' || i"}, {"password": "!"}, **numbers
        )
        insert_rows(CardFingerprint, {"fingerprint": "'bench-card-' || i"}, {}, **numbers)
        insert_rows(
            SandboxPaymentMethod, {"ref": "'pm_bench_' || i"}, {"charge_outcome": "succeeded"}, **numbers
        )
        insert_rows(
            PaymentMethod,
            {
                "account_id": "a.id",
                "provider_ref": "'pm_bench_' || substr(a.username, 6)",
                "fingerprint": "'bench-card-' || substr(a.username, 6)",
            },
            {
                "provider": "sandbox", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030,
                "funding": "credit", "created_at": anchor,
            },
            f"{quote(Account._meta.db_table)} AS a",
        )  # fmt: skip
        insert_rows(
            Membership,
            {"account_id": "m.account_id", "payment_method_id": "m.id"},
            {"state": "active", "anchor": anchor, "paid_until": PERIOD_END, "state_changed_at": anchor},
            f"{quote(PaymentMethod._meta.db_table)} AS m",
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps({"seeded": Membership.objects.count()}))


def child_check(members: int) -> None:
    """Exactly once, from the ledger, the invoices, the memberships and the provider's books."""
    from django.db import connection
    from django.utils.dateparse import parse_datetime

    from obole.membership.models import Invoice, LedgerEntry, Membership, SandboxCharge

    def one(sql: str, params: list | None = None) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            return cursor.fetchone()

    table = {
        m: connection.ops.quote_name(m._meta.db_table)
        for m in (Invoice, LedgerEntry, Membership, SandboxCharge)
    }
    # Table names come from the models: noqa S608 below.
    ledger = one(
        "SELECT count(*), count(DISTINCT account_id), coalesce(sum(amount), 0) "  # noqa: S608
        f"FROM {table[LedgerEntry]} WHERE kind = 'charge'"  # noqa: S608
    )
    paid = one(f"SELECT count(*), coalesce(sum(amount), 0) FROM {table[Invoice]} WHERE status = 'paid'")  # noqa: S608
    provider = one(
        "SELECT count(*), count(DISTINCT idempotency_key), coalesce(sum(amount), 0), min(created_at), "  # noqa: S608
        f"max(created_at) FROM {table[SandboxCharge]}"  # noqa: S608
    )
    renewed = [Membership.objects.filter(state="active", paid_until=PERIOD_END + timedelta(days=31)).count()]
    claimed = one(f"SELECT count(*) FROM {table[Invoice]} WHERE status = 'charging'")  # noqa: S608
    # A renewal's latency: from its claim to the provider's answer (the charge's creation).
    pairs = (
        f"SELECT i.claimed_at, c.created_at FROM {table[Invoice]} i JOIN {table[SandboxCharge]} c "  # noqa: S608
        f"ON c.idempotency_key = 'obole-invoice-' || i.id || '-attempt-' || i.attempts"
    )
    if connection.vendor == "postgresql":
        p50, p99 = one(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "  # noqa: S608
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY s) "
            f"FROM (SELECT extract(epoch FROM created_at - claimed_at) AS s FROM ({pairs}) AS p) AS q"  # noqa: S608
        )
    else:
        with connection.cursor() as cursor:
            cursor.execute(pairs)
            seconds = sorted(
                (_moment(parse_datetime, b) - _moment(parse_datetime, a)).total_seconds()
                for a, b in cursor.fetchall()
            )
        p50, p99 = (
            seconds[min(len(seconds) - 1, int(q * len(seconds)))] if seconds else 0.0 for q in (0.5, 0.99)
        )
    first, last = (_moment(parse_datetime, v) for v in provider[3:5]) if provider[0] else (None, None)
    checks = {
        "one ledger charge per membership": ledger[0] == ledger[1] == members,
        "one provider charge per membership": provider[0] == provider[1] == members,
        "one paid invoice per membership": paid[0] == members,
        "ledger, invoices and provider sum alike": int(ledger[2]) == int(paid[1]) == int(provider[2]) > 0,
        "every membership paid until the next period's end": renewed[0] == members,
        "no invoice left claimed": claimed[0] == 0,
    }
    print(json.dumps({
        "checks": checks,
        "charges": provider[0],
        "ledger_sum": int(ledger[2]),
        "p50_s": float(p50 or 0),
        "p99_s": float(p99 or 0),
        "provider_span_s": (last - first).total_seconds() if first else 0.0,
    }))  # fmt: skip


def _moment(parse, value) -> datetime:
    """A stored moment as an aware datetime (SQLite gives text, PostgreSQL datetimes)."""
    moment = parse(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def child(mode: str, members: int) -> None:
    setup_django()
    {"seed": lambda: child_seed(members), "check": lambda: child_check(members)}[mode]()


def last_json(command: list[str], env: dict) -> dict:
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def reported(output: str) -> dict[str, int]:
    """The counts of `obole billing run`'s last line: "billing as of …: expired 0, paid 12, …"."""
    line = output.strip().splitlines()[-1].split(": ", 1)[1]
    return {name: int(value) for name, value in (item.rsplit(" ", 1) for item in line.split(", "))}


def measure(args: argparse.Namespace, env: dict) -> dict:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "obole", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    migrated = time.perf_counter()
    child_args = ["--members", str(args.members), "--database", args.database]
    last_json([sys.executable, __file__, "--child", "seed", *child_args], env)
    seeded = time.perf_counter()
    command = [sys.executable, "-m", "obole", "billing", "run", "--as-of", AS_OF.isoformat()]
    if args.concurrency:
        command += ["--concurrency", str(args.concurrency)]
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
    if run.returncode != 0:
        raise SystemExit(f"obole billing run failed:\n{run.stderr[-3000:]}")
    report = reported(run.stdout)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    check = last_json([sys.executable, __file__, "--child", "check", *child_args], env)
    paid = report["paid"]
    return {
        "database": args.database,
        "members": args.members,
        "latency_ms": args.latency_ms,
        "rate_limit": args.rate_limit,
        "concurrency": args.concurrency or "default",
        "migrate_s": migrated - began,
        "seed_s": seeded - migrated,
        "run_s": wall,
        "paid": paid,
        "renewals_per_s": paid / wall,
        "wall_ms_per_renewal": wall * 1000 / max(paid, 1),
        "own_ms_per_renewal": (wall * 1000 - report.get("provider_ms", 0)) / max(paid, 1),
        "cpu_ms_per_renewal": cpu * 1000 / max(paid, 1),
        "p50_ms": check["p50_s"] * 1000,
        "p99_ms": check["p99_s"] * 1000,
        "provider_per_s": check["charges"] / check["provider_span_s"] if check["provider_span_s"] else 0.0,
        "rate_limited": report.get("rate_limited", 0),
        "unanswered": report.get("unanswered", 0),
        "checks": check["checks"],
        "exactly_once": all(check["checks"].values()),
        "report": run.stdout.strip().splitlines()[-1],
        "load": load,
    }


def command_line(args: argparse.Namespace) -> str:
    line = (
        f".venv/bin/python bench/billing_scale.py --members {args.members} --database {args.database} "
        f"--latency-ms {args.latency_ms} --rate-limit {args.rate_limit}"
    )
    return line + (f" --concurrency {args.concurrency}" if args.concurrency else "")


def record(row: dict, args: argparse.Namespace) -> None:
    lines = [
        f"\n## Billing at scale — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}, load average {row['load']} over the run (1 min). "
        f"Command: `{command_line(args)}`.",
        "Method: see the docstring of bench/billing_scale.py (the real `obole billing run` as a subprocess "
        "over N memberships due at once, seeded set-wise; exactly once checked from ledger, invoices, "
        "memberships and the provider's books).",
        "",
        "| database | memberships | provider latency | rate limit | concurrency | seed s | run s "
        "| renewals/s | wall ms/renewal | Obole's own ms/renewal | CPU ms/renewal "
        "| claim→answer p50 / p99 ms | provider charges/s "
        "| 429s | exactly once |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {row['database']} | {row['members']:,} | {row['latency_ms']} ms | "
        f"{row['rate_limit'] or 'none'}{'/s' if row['rate_limit'] else ''} | {row['concurrency']} | "
        f"{row['seed_s']:.0f} | {row['run_s']:.0f} | {row['renewals_per_s']:.0f} | "
        f"{row['wall_ms_per_renewal']:.3f} | {row['own_ms_per_renewal']:.3f} | "
        f"{row['cpu_ms_per_renewal']:.3f} | "
        f"{row['p50_ms']:.0f} / {row['p99_ms']:.0f} | {row['provider_per_s']:.1f} | {row['rate_limited']} | "
        f"{'yes' if row['exactly_once'] else 'NO'} |",
    ]
    with (HERE / "RESULTS.md").open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--latency-ms", type=int, default=0, help="sandbox provider latency per charge")
    parser.add_argument("--rate-limit", type=int, default=0, help="sandbox requests/s before a 429 (0: none)")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="--concurrency of the run (0: its default)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line too")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.members)
        return
    if args.database == "postgresql" and not postgres_available():
        raise SystemExit("PostgreSQL is not reachable (BENCH_POSTGRES)")

    print(f"Billing at scale — {machine()}")
    print(f"  {command_line(args)}")
    settings = {
        "OBOLE_SANDBOX_LATENCY_MS": str(args.latency_ms),
        "OBOLE_SANDBOX_RATE_LIMIT": str(args.rate_limit),
    }
    env, name = fresh_env(args.database, "billing-scale", settings)
    try:
        row = measure(args, env)
    finally:
        discard(env, name)
    print(
        f"  migrated in {row['migrate_s']:.0f} s, "
        f"seeded {row['members']:,} memberships in {row['seed_s']:.0f} s\n"
        f"  {row['report']}\n"
        f"  {row['paid']:,} renewals in {row['run_s']:.1f} s: {row['renewals_per_s']:.0f} renewals/s "
        f"(machine load average {row['load']})\n"
        f"  time per renewal: {row['wall_ms_per_renewal']:.3f} ms wall, of which Obole's own "
        f"{row['own_ms_per_renewal']:.3f} ms (the rest waiting for the provider); "
        f"{row['cpu_ms_per_renewal']:.3f} ms CPU of the run\n"
        f"  claim to provider answer: p50 {row['p50_ms']:.0f} ms, p99 {row['p99_ms']:.0f} ms\n"
        f"  provider charges/s held: {row['provider_per_s']:.1f}; "
        f"429s seen (and retried): {row['rate_limited']}"
    )
    for check, ok in row["checks"].items():
        print(f"  {'ok ' if ok else 'FAILED'} {check}")
    if args.json:
        print(json.dumps(row))
    if not args.no_record:
        record(row, args)
    if not row["exactly_once"]:
        raise SystemExit("billing was not exactly once")


if __name__ == "__main__":
    main()
