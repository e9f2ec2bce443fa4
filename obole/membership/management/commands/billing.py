"""`obole billing run | refund | dispute`: renewals, dunning and expiry, with progress."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from obole.membership import billing, services
from obole.membership.models import LedgerEntry
from obole.membership.models import ledger as ledger_kinds


class BarProgress(billing.Progress):
    def __init__(self, bar: Progress):
        self.bar = bar
        self.task = None

    def start(self, total: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task("charging", total=total)

    def advance(self, count: int = 1) -> None:
        self.bar.advance(self.task, count)


def moment(text: str) -> object:
    value = parse_datetime(text)
    if value is None:
        raise CommandError(f"--as-of must be a date and time such as 2026-12-01T00:00Z, not {text!r}")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.UTC)
    return value


class Command(BaseCommand):
    help = "Run renewals, dunning and expiry; refund a charge."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="charge every membership that is due, exactly once per period")
        run.add_argument("--as-of", type=moment, help="bill as if it were this moment (ISO 8601)")
        run.add_argument(
            "--concurrency",
            type=int,
            default=None,
            metavar="N",
            help="charges sent to the provider at once (default OBOLE_BILLING_CONCURRENCY, 30)",
        )
        run.add_argument(
            "--reclaim-after",
            type=int,
            default=600,
            metavar="SECONDS",
            help="take over charges claimed by a run that has been silent this long (default 600)",
        )
        refund = sub.add_parser("refund", help="refund (part of) a charge from the ledger")
        refund.add_argument("ledger_id", type=int)
        refund.add_argument("--amount", type=int, help="minor units (default: what is left of the charge)")
        refund.add_argument("--memo", default="refund")

    def handle(self, *args, action: str, **options) -> None:
        if action == "run":
            self.run(
                options["as_of"] or timezone.now(),
                timedelta(seconds=options["reclaim_after"]),
                options["concurrency"],
            )
        else:
            self.refund(options["ledger_id"], options["amount"], options["memo"])

    def run(self, now, reclaim_after: timedelta, concurrency: int | None) -> None:
        if concurrency is not None and concurrency < 1:
            raise CommandError("--concurrency must be at least 1")
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=True, disable=not self.stdout.isatty()) as bar:
            report = billing.run(
                now, reclaim_after=reclaim_after, progress=BarProgress(bar), concurrency=concurrency
            )
        self.stdout.write(f"billing as of {now.isoformat()}: {report}")

    def refund(self, ledger_id: int, amount: int | None, memo: str) -> None:
        charge = LedgerEntry.objects.filter(pk=ledger_id, kind=ledger_kinds.CHARGE).first()
        if charge is None:
            raise CommandError(f"no charge with ledger id {ledger_id}")
        try:
            entry = services.refund(charge, amount=amount, memo=memo, now=timezone.now())
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"refunded {-entry.amount} {entry.currency} minor units (ledger {entry.id})")
