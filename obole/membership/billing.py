"""The billing run: expire, invoice, charge — safe to rerun and to overlap.

`run(now)` does these passes, each one idempotent:
  0. memberships of accounts that staff deactivated are canceled: never renewed
     or charged again, they end with the period already paid (no refund);
  1. canceled memberships whose period has ended expire;
  2. active memberships whose period has ended get their renewal invoice
     (one per period, by a unique constraint);
  3. due invoices are claimed in batches, charged, and recorded (invoices.py).
Passes 2 and 3 repeat while they find work. A membership several periods
behind (billing was not run for a while, or a demo moved the clock) is charged
for the period running now only (invoices.open_renewals says why).

A run is named `<host>:<pid>:<random>` on the invoices it claims. A run killed
half-way leaves claims behind, and the provider may already have taken the
money for them; the next run on the same machine sees that the process is gone
and takes them over at once, with the same idempotency keys, so the provider
answers with the charges it already made and they are recorded. Claims of a
run on another machine are taken over once they are `reclaim_after` old.

Provider calls are network calls (a real provider answers in a few hundred
milliseconds), so the charges of a batch are sent from a thread pool of
`concurrency` threads (OBOLE_BILLING_CONCURRENCY, 30: about 100 requests/s at
300 ms each, Stripe's default live-mode rate limit); claiming and recording
stay in the run's own thread and transactions, a batch at a time. A provider
that asks to be asked later — a 429 (rate limited) or a 409 (the same key in
flight elsewhere) — is not a decline: the charge is sent again with the same
key after the Retry-After it gave, or an exponential backoff with jitter, a
bounded number of times; still refused, the claim stays, like an unanswered
one. Several runs may work side by side, on one machine or many.

`now` may be any moment ("billing as of"), which is how tests and demos move
the clock. Claims and their expiry use the real clock.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from obole.membership import invoices, states
from obole.membership.errors import ProviderBusy, ProviderUnavailable
from obole.membership.models import Membership
from obole.membership.models import invoice as inv

log = logging.getLogger("obole.billing")

DEFAULT_RECLAIM_AFTER = timedelta(minutes=10)
BATCH = 500
MAX_ROUNDS = 60
# Backoff when the provider asks to be asked later: 0.5 s, 1 s, 2 s … (at most
# 30 s, or the Retry-After it gave if longer), each drawn from 100–125 %.
BUSY_RETRIES = 6
BUSY_FIRST_DELAY = 0.5
BUSY_MAX_DELAY = 30.0


@dataclass
class Report:
    deactivated: int = 0
    expired: int = 0
    invoiced: int = 0
    paid: int = 0
    failed: int = 0
    lapsed: int = 0
    skipped: int = 0
    unanswered: int = 0
    # Answers asking to come back later: 429 (rate limited) and 409 (key in use).
    rate_limited: int = 0
    in_use: int = 0
    # Wall time spent waiting for the provider's answers, in milliseconds: the
    # rest of a run's time is Obole's own.
    provider_ms: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in vars(self).items())


class Progress:
    """Receives progress; the CLI passes one that draws a bar."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int = 1) -> None: ...


def run(
    now: datetime,
    *,
    reclaim_after: timedelta = DEFAULT_RECLAIM_AFTER,
    progress: Progress | None = None,
    concurrency: int | None = None,
    batch: int = BATCH,
) -> Report:
    if concurrency is None:
        concurrency = settings.OBOLE_BILLING_CONCURRENCY
    progress = progress or Progress()
    report = Report()
    run_id = new_run_id()
    report.deactivated = cancel_deactivated(now)
    report.expired = expire_ended(now)
    # Pool threads have connections of their own, which cannot see the rows of
    # a transaction the caller holds open (as tests do): then charge serially.
    waited = 0.0
    with _Charger(1 if connection.in_atomic_block else concurrency) as charger:
        for _ in range(MAX_ROUNDS):
            report.invoiced += invoices.open_renewals(now, run_id=run_id)
            dead = dead_runs_here()
            total = inv.Invoice.objects.filter(invoices.due(now, reclaim_after, dead)).count()
            if not total:
                break
            progress.start(total)
            after = 0
            # A batch's charges are sent while the batch before it is recorded,
            # so the pool always has the next batch queued behind the current one.
            previous: _Batch | None = None
            while True:
                seen, claimed = invoices.claim_batch(
                    run_id, now=now, reclaim_after=reclaim_after, size=batch, dead_runs=dead, after=after
                )
                if claimed:  # the next batch starts past this one (invoices.claim_batch)
                    after = claimed[-1].pk
                report.skipped += seen - len(claimed)
                current = _Batch(seen, claimed, charger.submit(claimed))
                if previous is not None:
                    waited += _record(previous, now, report, progress)
                previous = current
                if not seen:  # the last batch was recorded above; this one is empty
                    break
    report.rate_limited, report.in_use = charger.busy["rate_limited"], charger.busy["in_use"]
    report.provider_ms = round(waited * 1000)
    log.info("billing run as of %s: %s", now.isoformat(), report)
    return report


@dataclass
class _Batch:
    seen: int
    claimed: list[inv.Invoice]
    results: Callable[[], list]


def _record(batch: _Batch, now: datetime, report: Report, progress: Progress) -> float:
    """Wait for a batch's answers and record them; returns the seconds spent waiting."""
    began = time.perf_counter()
    results = batch.results()
    waited = time.perf_counter() - began
    # No answer (the provider was out of reach, or still busy): the claim stays,
    # and a later run sends the same key again once it is stale.
    outcomes = [(i.pk, i.attempts, r) for i, r in zip(batch.claimed, results, strict=True) if r]
    report.unanswered += len(batch.claimed) - len(outcomes)
    for recorded in invoices.record_outcomes(outcomes, now=now):
        _count(recorded, report)
    progress.advance(batch.seen)
    return waited


def _count(invoice: inv.Invoice, report: Report) -> None:
    if invoice.status == inv.PAID:
        report.paid += 1
    else:
        report.failed += 1
        if invoice.status == inv.FAILED:
            report.lapsed += 1


class _Charger:
    """Sends a batch of charges, from a thread pool when concurrency > 1."""

    def __init__(self, concurrency: int):
        self.concurrency = max(1, concurrency)
        self.pool = ThreadPoolExecutor(self.concurrency, "obole-charge") if self.concurrency > 1 else None
        self.lock = threading.Lock()
        self.busy = {"rate_limited": 0, "in_use": 0}

    def submit(self, claimed: list[inv.Invoice]) -> Callable[[], list]:
        """Start sending a batch's charges; the returned function waits for their answers."""
        if self.pool is None:
            results = [self.send(invoice) for invoice in claimed]
            return lambda: results
        futures = [self.pool.submit(self.send, invoice) for invoice in claimed]
        return lambda: [future.result() for future in futures]

    def send(self, invoice: inv.Invoice):
        """The provider's answer, or None when it gave none (the claim then stays)."""
        for retry in range(BUSY_RETRIES + 1):
            try:
                return invoices.send_charge(invoice)
            except ProviderBusy as busy:
                with self.lock:
                    self.busy[busy.reason] = self.busy.get(busy.reason, 0) + 1
                if retry == BUSY_RETRIES:
                    log.warning(
                        "invoice %s attempt %s: the provider is still busy", invoice.pk, invoice.attempts
                    )
                    return None
                time.sleep(backoff(retry, busy.retry_after))
            except ProviderUnavailable:
                log.warning(
                    "invoice %s attempt %s: the provider did not answer", invoice.pk, invoice.attempts
                )
                return None
        return None

    def __enter__(self) -> _Charger:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is None:
            return
        # A provider that keeps books in the database (the sandbox) opened a
        # connection in each pool thread; close each in its own thread. The
        # barrier makes every thread of the pool take exactly one close task.
        barrier = threading.Barrier(self.concurrency)

        def close(_: int) -> None:
            barrier.wait(timeout=10)
            connection.close()

        list(self.pool.map(close, range(self.concurrency)))
        self.pool.shutdown()


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def new_run_id() -> str:
    """`<host>:<pid>:<random>`, at most 32 characters (Invoice.claimed_by)."""
    return f"{_host_tag()}:{os.getpid()}:{secrets.token_hex(4)}"


def dead_runs_here() -> list[str]:
    """Runs on this machine that hold claims but whose process has ended."""
    prefix = f"{_host_tag()}:"
    holders = (
        inv.Invoice.objects.filter(status=inv.CHARGING, claimed_by__startswith=prefix)
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    return [run for run in holders if not _alive(int(run.split(":")[1]))]


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def locked(membership_id: int) -> Membership:
    return Membership.objects.select_for_update().select_related("account").get(pk=membership_id)


def cancel_deactivated(now: datetime) -> int:
    """Cancel the renewing memberships of deactivated accounts, and void what they owe."""
    ids = Membership.objects.filter(
        account__is_active=False, state__in=states.TRANSITIONS["cancel"].sources
    ).values_list("pk", flat=True)
    count = 0
    for membership_id in list(ids):
        with transaction.atomic():
            membership = locked(membership_id)
            if membership.account.is_active or membership.state not in states.TRANSITIONS["cancel"].sources:
                continue
            membership.cancel(now=now, reason="account deactivated")
            inv.Invoice.objects.filter(membership=membership, status=inv.OPEN).update(status=inv.VOID)
            count += 1
    return count


def backoff(retry: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry `retry` (0, 1, …) of a charge the provider asked to send later."""
    delay = max(min(BUSY_MAX_DELAY, BUSY_FIRST_DELAY * 2**retry), retry_after or 0)
    return delay * random.uniform(1.0, 1.25)  # noqa: S311 (jitter, not a secret)


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
