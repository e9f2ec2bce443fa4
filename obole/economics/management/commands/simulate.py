"""`obole simulate --server URL`: a scripted bot farm and human members against a running Obole.

    OBOLE_TRUSTED_PROXIES=127.0.0.1 obole serve          # the server under test, in one shell
    obole simulate --server http://127.0.0.1:8000 --bots 200 --humans 50

The simulation talks to the server over HTTP only. It moves time with the
billing clock: between checkpoints it runs `obole billing run --as-of …` as a
subprocess with this command's environment, so run it with the server's
OBOLE_DATA_DIR / OBOLE_DATABASE_URL. At the end it prints the figures, writes
the results as JSON (and charts and a report if asked), and stores the run in
that database for the staff dashboard (/staff/economics) unless --no-store.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from obole.economics import charts, report
from obole.economics.model import Inputs
from obole.economics.models import SimulationRun
from obole.economics.simulation import runner
from obole.economics.simulation.client import Server
from obole.economics.simulation.farm import STRATEGIES, population
from obole.economics.simulation.records import summarize

BILLING_TIMEOUT = 900


class BarProgress(runner.Progress):
    def __init__(self, bar: Progress):
        self.bar = bar
        self.task = None

    def phase(self, name: str, total: int) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[-1].total)
        self.task = self.bar.add_task(name, total=total)

    def advance(self) -> None:
        self.bar.advance(self.task)


def billing_clock(moment: datetime) -> None:
    """Run `obole billing run --as-of moment` against this command's database."""
    command = [sys.executable, "-m", "obole", "billing", "run", "--as-of", moment.isoformat()]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=BILLING_TIMEOUT, env=os.environ.copy()
        )
    except subprocess.TimeoutExpired:
        raise CommandError(
            f"obole billing run --as-of {moment.isoformat()} took over {BILLING_TIMEOUT} s"
        ) from None
    if done.returncode != 0:
        raise CommandError(f"obole billing run failed:\n{done.stderr[-2000:]}")


def mix(text: str) -> dict[str, float]:
    shares = {}
    for part in filter(None, (item.strip() for item in text.split(","))):
        name, _, value = part.partition("=")
        if name not in STRATEGIES:
            raise argparse.ArgumentTypeError(f"{name!r} is not a strategy: {', '.join(STRATEGIES)}")
        try:
            shares[name] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r}: give a share such as {name}=0.2") from None
        if shares[name] < 0:
            raise argparse.ArgumentTypeError(f"{part!r}: a share cannot be negative")
    return shares


def day_list(text: str) -> list[float]:
    try:
        days = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise CommandError(f"--days must be numbers such as 0,10,31,38, not {text!r}") from None
    if not days or days[0] != 0 or days[-1] <= 0:
        raise CommandError("--days starts at 0 and goes on past it")
    return days


class Command(BaseCommand):
    help = "Drive a running Obole with a scripted bot farm and human members, and measure what gets through."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--server", required=True, help="the server's address, e.g. http://127.0.0.1:8000"
        )
        parser.add_argument(
            "--bots", type=int, default=200, help="bots, shared among the strategies (default 200)"
        )
        parser.add_argument("--humans", type=int, default=50, help="human members (default 50)")
        parser.add_argument(
            "--pool-size",
            type=int,
            help="cards in the card_pool strategy's pool (default a quarter of its bots)",
        )
        parser.add_argument(
            "--card-tests", type=int, default=25, help="numbers each card tester tries (default 25)"
        )
        parser.add_argument(
            "--days",
            default=",".join(f"{d:g}" for d in runner.DEFAULT_DAYS),
            help="simulated checkpoint days; billing runs before each after 0",
        )
        parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--mix",
            type=mix,
            default={},
            help="shares of some strategies, e.g. signup_burst=0.5,card_testing=0.3 (the rest keep theirs)",
        )
        parser.add_argument(
            "--join-minutes",
            type=float,
            help="stop starting new sign-ups after this long; the run goes on with those who joined",
        )
        parser.add_argument(
            "--results", type=Path, default=Path("simulation-results.json"), help="results file"
        )
        parser.add_argument("--charts", type=Path, metavar="DIR", help="write PNG charts into DIR")
        parser.add_argument(
            "--report", type=Path, metavar="FILE", help="write the HTML report (model and run)"
        )
        parser.add_argument(
            "--no-store", action="store_true", help="do not keep the run for /staff/economics"
        )

    def handle(self, *args, **options) -> None:
        if (
            options["bots"] < 0
            or options["humans"] < 0
            or options["concurrency"] < 1
            or options["card_tests"] < 3
        ):
            raise CommandError("--bots and --humans cannot be negative, --concurrency ≥ 1, --card-tests ≥ 3")
        try:
            server = Server(options["server"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        days = day_list(options["days"])
        nonce = secrets.randbelow(10_000)
        actors = population(
            options["bots"],
            options["humans"],
            seed=options["seed"],
            nonce=nonce,
            pool_size=options["pool_size"],
            card_tests=options["card_tests"],
            shares=STRATEGIES | options["mix"],
        )
        started, clock = timezone.now(), time.monotonic()
        console = Console(file=self.stderr)
        columns = (
            TextColumn("{task.description:>22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as bar:
            run = runner.Run(
                server,
                actors,
                clock=billing_clock,
                start=started,
                days=days,
                concurrency=options["concurrency"],
                seed=options["seed"],
                progress=BarProgress(bar),
                join_seconds=options["join_minutes"] * 60 if options["join_minutes"] else None,
            )
            run.run()
        plan = run.plan or {"amount": 0, "currency": "USD", "interval": "month"}
        from decimal import Decimal

        fee = Decimal(plan["amount"]) / 100
        server_info = {
            "url": server.base,
            "fee": str(fee),
            "currency": plan["currency"],
            "interval": plan["interval"],
        }
        params = {
            key: options[key]
            for key in ("bots", "humans", "pool_size", "card_tests", "concurrency", "seed", "mix")
        }
        records = [actor.record for actor in run.actors]
        summary = summarize(
            records,
            days,
            server=server_info,
            model_inputs=Inputs(fee=fee, interval=plan["interval"]),
            extra={
                "params": params,
                "started_at": started.isoformat(),
                "duration_seconds": round(time.monotonic() - clock, 1),
                # Every refusal the server named, by stage and rule: what its bot-pressure counts should say.
                "refused": [
                    {"stage": stage, "rule": rule, "count": count}
                    for (stage, rule), count in sorted(run.refused.items())
                ],
            },
        )
        body = {"summary": summary, "actors": [record.to_dict() for record in records]}
        options["results"].write_text(json.dumps(body, indent=1))
        self.print_summary(summary)
        self.stderr.write(f"results written to {options['results']}")
        if options["charts"]:
            options["charts"].mkdir(parents=True, exist_ok=True)
            for name, image in charts.simulation_charts(summary).items():
                (options["charts"] / f"simulation-{name}.png").write_bytes(image)
        if options["report"]:
            detection = min(Decimal(1), Decimal(summary["measured"]["detection_per_month"]))
            inputs = Inputs(
                fee=fee,
                interval=plan["interval"],
                detection=detection,
                detection_source="measured by obole simulate",
            )
            options["report"].write_text(report.render(inputs, summary))
        if not options["no_store"]:
            SimulationRun.objects.create(
                server=server.base[:200],
                started_at=started,
                finished_at=timezone.now(),
                summary=summary,
                results=body["actors"],
            )

    def print_summary(self, summary: dict) -> None:
        bots, humans, measured = summary["bots"], summary["humans"], summary["measured"]
        table = Table(
            title=f"Simulated farm against {summary['server']['url']} "
            f"({summary['server']['fee']} {summary['server']['currency']} a {summary['server']['interval']})"
        )
        table.add_column("")
        table.add_column("", justify="right")
        rows = [
            (
                "bot attempts (sign-ups + card payments)",
                f"{bots['attempts']:,} ({bots['sign_up_attempts']:,} + {bots['card_attempts']:,})",
            ),
            ("bots", f"{bots['total']:,}"),
            ("bots that got write access", f"{bots['got_write_access']:,}"),
            ("bots still writing at the end", f"{bots['writing_at_end']:,}"),
            ("bot-months of write access", bots["write_months"]),
            ("paid by the farm in fees", bots["paid_display"]),
            ("cost of each surviving bot-month", bots["cost_per_surviving_bot_month_display"]),
            (
                "measured detection per month",
                f"{measured['detection_per_month']} ({measured['caught_after_access']} caught after access)",
            ),
            ("cost multiple against CAPTCHA only", measured["multiple_display"]),
            (
                "the model at the measured detection",
                f"{measured.get('model_cost_per_bot_month_at_measured_detection', '—')} a live bot-month, "
                f"{measured['model_multiple_at_measured_detection']}",
            ),
            ("humans", f"{humans['total']:,}"),
            ("humans refused by a rule", f"{humans['refused']:,}"),
            ("humans the server did not answer in time (not counted)", f"{humans.get('no_answer', 0):,}"),
            (
                "humans wrongly refused or flagged (false positives)",
                f"{humans['false_positives']:,} ({humans['false_positive_rate']})",
            ),
        ]
        for row in rows:
            table.add_row(*row)
        Console(file=self.stdout, width=120).print(table)
        strategies = Table(title="By strategy")
        for column in ("strategy", "bots", "attempts", "got in", "at end", "stopped by"):
            strategies.add_column(column)
        for name, item in summary["by_strategy"].items():
            stopped = ", ".join(f"{rule} {count}" for rule, count in sorted(item["stopped_by"].items()))
            strategies.add_row(
                name,
                str(item["bots"]),
                str(item["attempts"]),
                str(item["got_write_access"]),
                str(item["writing_at_end"]),
                stopped,
            )
        Console(file=self.stdout, width=120).print(strategies)
        rules = Table(title="Bots stopped, by rule")
        for column in ("rule", "bots", "of them after write access", "step", "simulated day", "named by"):
            rules.add_column(column)
        for rule, item in bots.get("stopped_by_rule", {}).items():
            rules.add_row(
                rule,
                str(item["bots"]),
                str(item["after_write_access"]),
                ", ".join(f"{phase} {n}" for phase, n in sorted(item["phases"].items())),
                ", ".join(f"{day} ({n})" for day, n in item["days"].items()),
                item["source"],
            )
        Console(file=self.stdout, width=120).print(rules)
