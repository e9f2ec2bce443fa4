"""The billing run: expire, invoice, charge — safe to rerun and to overlap.

`run(now)` does three passes, each one idempotent:
  1. canceled memberships whose period has ended expire;
  2. active memberships whose period has ended get their renewal invoice
     (one per period, by a unique constraint);
  3. every due invoice is claimed, charged and recorded (see invoices.py).
Passes 2 and 3 repeat while they find work, so a membership that is several
periods behind (billing was not run for a while, or a demo moved the clock)
is brought up to date in one run.

`now` may be any moment ("billing as of"), which is how tests and demos move
the clock. Claims and their expiry use the real clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from obole.membership import invoices, states
from obole.membership.models import Invoice, Membership
from obole.membership.models import invoice as inv

log = logging.getLogger("obole.billing")

DEFAULT_RECLAIM_AFTER = timedelta(minutes=10)
MAX_ROUNDS = 60


@dataclass
class Report:
    expired: int = 0
    invoiced: int = 0
    paid: int = 0
    failed: int = 0
    lapsed: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in vars(self).items())


class Progress:
    """Receives progress; the CLI passes one that draws a bar."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


def run(
    now: datetime,
    *,
    reclaim_after: timedelta = DEFAULT_RECLAIM_AFTER,
    progress: Progress | None = None,
    after_charge: Callable[[Invoice], None] | None = None,
) -> Report:
    progress = progress or Progress()
    report = Report()
    report.expired = expire_ended(now)
    for _ in range(MAX_ROUNDS):
        report.invoiced += open_renewals(now)
        due = list(
            Invoice.objects.filter(invoices.due(now, reclaim_after))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not due:
            break
        progress.start(len(due))
        for invoice_id in due:
            charge_one(invoice_id, now, reclaim_after, report)
            if after_charge is not None:
                after_charge(invoice_id)
            progress.advance()
    log.info("billing run as of %s: %s", now.isoformat(), report)
    return report


def charge_one(invoice_id: int, now: datetime, reclaim_after: timedelta, report: Report) -> None:
    invoice = invoices.claim(invoice_id, now=now, reclaim_after=reclaim_after)
    if invoice is None:
        report.skipped += 1
        return
    result = invoices.send_charge(invoice)
    recorded = invoices.record_outcome(invoice.pk, invoice.attempts, result, now=now)
    if recorded.status == inv.PAID:
        report.paid += 1
    else:
        report.failed += 1
        if recorded.status == inv.FAILED:
            report.lapsed += 1


def expire_ended(now: datetime) -> int:
    ids = Membership.objects.filter(state=states.CANCELED, paid_until__lte=now).values_list("pk", flat=True)
    count = 0
    for membership_id in list(ids):
        with transaction.atomic():
            membership = Membership.objects.select_for_update().get(pk=membership_id)
            if membership.state == states.CANCELED and membership.paid_until <= now:
                membership.expire(now=now)
                count += 1
    return count


def open_renewals(now: datetime) -> int:
    ended = (
        Membership.objects.filter(state=states.ACTIVE, paid_until__lte=now)
        .exclude(invoices__status__in=(inv.OPEN, inv.CHARGING))
        .select_related("account")
    )
    return sum(invoices.open_renewal(membership, now=now) for membership in ended.iterator())
