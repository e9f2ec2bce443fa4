"""Invoices: open, claim, charge and record — the exactly-once machinery.

A period is charged exactly once because
  * there is one Invoice row per (membership, period_start) — a unique constraint;
  * a run owns an invoice only after a conditional UPDATE moved it to `charging`;
  * the charge carries the key `obole-invoice-<id>-attempt-<n>`, so sending it
    again (after a crash, or by a second run reclaiming a stale claim) gets the
    provider's first answer back instead of a second charge;
  * the outcome is recorded under row locks, once per attempt, and the ledger
    refuses a second row for the same provider charge.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, PositiveSmallIntegerField, Q, Subquery, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from obole.membership import periods, states
from obole.membership.errors import PaymentInProgress
from obole.membership.models import Invoice, LedgerEntry, Membership, MembershipEvent, PaymentMethod, ledger
from obole.membership.models import invoice as inv
from obole.membership.plans import plan_for
from obole.membership.providers import get_provider
from obole.membership.providers.base import ChargeResult

# The decline that pauses dunning until the member confirms the payment themselves.
AUTHENTICATION = "authentication_required"

log = logging.getLogger("obole.billing")

# Opening this many invoices in one call refreshes the planner's statistics.
REPLAN_AFTER = 10_000


def open_first(membership: Membership, *, now: datetime) -> Invoice:
    """A claimed invoice for a first period starting now (caller holds the membership lock).

    A failed first payment at the same moment is tried again as the next attempt
    of the same invoice, with a new idempotency key.
    """
    plan = plan_for(card_country(membership) or membership.account.country)
    invoice = Invoice.objects.filter(membership=membership, period_start=now).first() or Invoice(
        membership=membership, period_start=now, created_at=now
    )
    if invoice.status == inv.CHARGING:
        raise PaymentInProgress("A payment for this account is already in progress; try again in a minute.")
    if invoice.status == inv.PAID:
        raise PaymentInProgress("This period is already paid.")
    invoice.kind = inv.FIRST
    invoice.period_end = periods.boundary(now, plan.interval, 1)
    invoice.amount = plan.amount
    invoice.currency = plan.currency
    invoice.status = inv.CHARGING
    invoice.attempts += 1
    invoice.claimed_at = timezone.now()
    invoice.save()
    return invoice


def claim_open_now(membership: Membership, *, now: datetime) -> Invoice | None:
    """Claim the open renewal of a past-due membership for an immediate retry."""
    invoice = Invoice.objects.filter(membership=membership, status=inv.OPEN).order_by("-period_start").first()
    if invoice is None:
        return None
    invoice.status = inv.CHARGING
    invoice.attempts += 1
    invoice.claimed_at = timezone.now()
    invoice.save(update_fields=["status", "attempts", "claimed_at"])
    return invoice


def open_renewals(now: datetime, *, run_id: str = "", batch: int = 1000) -> int:
    """Open the invoice for the next period of every active membership whose period ended.

    Returns how many this call opened. Inserted in batches; the unique
    (membership, period_start) constraint drops an invoice that a run side by
    side inserted first, and that run counts it, not this one.

    A membership more than a whole period behind (billing did not run for a
    while) is not charged for the periods it missed: its renewal is the period
    running now, counted from its anchor. The member was not asked to pay while
    billing was stopped, so collecting those periods at once would be a
    surprise bill for a lapse that was the server's, not theirs.
    """

    def ended(after: int):
        # Every table is bounded below by `after`, so that PostgreSQL walks each
        # from the page's first id instead of merging from the start every page.
        in_flight = Invoice.objects.filter(
            membership_id=OuterRef("pk"), membership_id__gt=after, status__in=(inv.OPEN, inv.CHARGING)
        )
        return (
            Membership.objects.filter(
                state=states.ACTIVE, paid_until__lte=now, account__is_active=True, pk__gt=after
            )
            .filter(account__pk__gt=after)
            .exclude(Exists(in_flight))
            .order_by("pk")
            .values_list("pk", "anchor", "paid_until", "account__country", "payment_method__country")
        )

    opened = 0
    after = 0
    # Page by key rather than hold one cursor open: on SQLite an open read
    # would pin a snapshot, and a run writing beside it would make our inserts
    # fail at once with "database is locked" instead of waiting their turn.
    while rows := list(ended(after)[:batch]):
        Invoice.objects.bulk_create(
            [_renewal(row, now, run_id) for row in rows],
            ignore_conflicts=True,
        )
        after = rows[-1][0]
        opened += Invoice.objects.filter(
            membership_id__in=[row[0] for row in rows], opened_by=run_id, created_at=now
        ).count()
    if opened >= REPLAN_AFTER and connection.vendor == "postgresql":
        # So many new rows at once (a month-start batch) leave the planner's
        # statistics behind until autovacuum catches up, and the claims below
        # would be planned for a nearly empty table.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Invoice._meta.db_table)}")
    return opened


def card_country(membership: Membership) -> str:
    method = membership.payment_method
    return method.country if method is not None else ""


def _renewal(row: tuple, now: datetime, run_id: str) -> Invoice:
    membership_id, anchor, paid_until, declared, issuing = row
    # The card's issuing country sets the price; the country the member declared is the fallback.
    plan = plan_for(issuing or declared)
    # At most one period behind (no boundary between paid_until and now): the
    # next period, from where it was paid, as usual. Otherwise the one running now.
    start, end = paid_until, periods.next_boundary(anchor or paid_until, plan.interval, paid_until)
    if end <= now:
        start, end = periods.current_period(anchor or paid_until, plan.interval, now)
    return Invoice(
        membership_id=membership_id,
        kind=inv.RENEWAL,
        period_start=start,
        period_end=end,
        amount=plan.amount,
        currency=plan.currency,
        next_attempt_at=start,
        created_at=now,
        opened_by=run_id,
    )


def due(now: datetime, reclaim_after: timedelta, dead_runs: Collection[str] = ()) -> Q:
    """Invoices a run may claim: open and due, or claimed by a run that has gone quiet or died.

    Taking over a claim is safe for the money even if its run is alive after
    all: the same attempt is sent with the same idempotency key, the provider
    answers it once, and the outcome is recorded once (record_outcomes).
    """
    # No joins here: claim_batch's UPDATE uses this as its condition, and on
    # PostgreSQL a join becomes a subquery that is not checked again against a
    # row a run side by side has just changed — a paid invoice could be claimed.
    stale = timezone.now() - reclaim_after
    dead = Q(status=inv.CHARGING, claimed_by__in=list(dead_runs)) if dead_runs else Q(pk__in=[])
    fresh = Q(status=inv.OPEN, next_attempt_at__lte=now)
    return fresh | Q(status=inv.CHARGING, claimed_at__lte=stale) | dead


def claim_batch(
    run_id: str,
    *,
    now: datetime,
    reclaim_after: timedelta,
    size: int,
    dead_runs: Collection[str] = (),
    after: int = 0,
) -> tuple[int, list[Invoice]]:
    """Claim up to `size` due invoices with one conditional UPDATE.

    Returns how many were due and the ones this run now owns (fewer, when a run
    side by side claimed some first). A fresh claim is a new attempt; taking
    over a stale claim repeats the same attempt, and so the same idempotency key.
    Only invoices with an id above `after` are looked at: a run walks the due
    invoices in id order instead of stepping again over the ones it has paid.
    """
    candidates = (
        Invoice.objects.filter(due(now, reclaim_after, dead_runs), pk__gt=after)
        # A deactivated account is never charged again (billing.cancel_deactivated
        # voids its invoices; this covers a deactivation between two passes).
        .filter(Q(status=inv.CHARGING) | Q(membership__account__is_active=True))
        .order_by("pk")
    )
    if connection.vendor == "postgresql":
        return _claim_skipping_locked(candidates, run_id, size)
    ids = list(candidates.values_list("pk", flat=True)[:size])
    if not ids:
        return 0, []
    Invoice.objects.filter(due(now, reclaim_after, dead_runs), pk__in=ids).update(
        attempts=Case(
            When(status=inv.OPEN, then=F("attempts") + 1),
            default=F("attempts"),
            output_field=PositiveSmallIntegerField(),
        ),
        status=inv.CHARGING,
        claimed_at=timezone.now(),
        claimed_by=run_id,
    )
    return len(ids), _owned(ids, run_id)


def _owned(ids: list[int], run_id: str) -> list[Invoice]:
    owned = Invoice.objects.filter(pk__in=ids, status=inv.CHARGING, claimed_by=run_id)
    return list(owned.select_related("membership__payment_method").order_by("pk"))


def _claim_skipping_locked(candidates, run_id: str, size: int) -> tuple[int, list[Invoice]]:
    """PostgreSQL: claim up to `size` due invoices in one statement.

    The inner SELECT locks the rows it picks (FOR UPDATE, which checks its
    conditions again against a row changed since the statement began) and
    skips rows a run side by side has locked, so runs share the work instead
    of queueing behind each other; the UPDATE then claims exactly those rows.
    """
    picked, params = candidates.values("pk")[:size].query.sql_with_params()
    table = connection.ops.quote_name(Invoice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET "  # noqa: S608
            f"attempts = CASE WHEN status = %s THEN attempts + 1 ELSE attempts END, "
            f"status = %s, claimed_at = %s, claimed_by = %s "
            f"WHERE id IN ({picked} FOR UPDATE OF {table} SKIP LOCKED) RETURNING id",  # noqa: S608 (Django's SQL)
            [inv.OPEN, inv.CHARGING, timezone.now(), run_id, *params],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return 0, []
    return len(ids), _owned(ids, run_id)


def send_charge(invoice: Invoice) -> ChargeResult:
    """Ask the provider for the money. Touches no Obole table, so it may run in a thread."""
    method = invoice.membership.payment_method
    if method is None:
        return ChargeResult(provider_ref="", succeeded=False, decline_code="no_payment_method")
    return get_provider().charge(
        method.provider_ref,
        invoice.amount,
        invoice.currency,
        idempotency_key=invoice.idempotency_key(),
    )


def record_outcome(invoice_id: int, attempt: int, result: ChargeResult, *, now: datetime) -> Invoice:
    """Record what the provider answered for attempt `attempt` of one invoice, once."""
    recorded = record_outcomes([(invoice_id, attempt, result)], now=now)
    return recorded[0] if recorded else Invoice.objects.get(pk=invoice_id)


def record_outcomes(outcomes: list[tuple[int, int, ChargeResult]], *, now: datetime) -> list[Invoice]:
    """Record a batch of provider answers in one transaction.

    Rows are locked membership first, then invoice, in ascending membership
    order, so two runs recording side by side cannot deadlock. An answer for an
    attempt that is no longer in flight was recorded already (by whoever sent
    the same key) and is skipped.

    Returns the invoices whose outcome this call recorded, so that each run
    reports its own work and not that of a run side by side.
    """
    ids = [invoice_id for invoice_id, _, _ in outcomes]
    owners = Invoice.objects.filter(pk__in=ids).values("membership_id")
    with transaction.atomic():
        # Two queries lock the whole batch: memberships in ascending order, then invoices.
        memberships = {
            m.pk: m for m in Membership.objects.select_for_update().filter(pk__in=owners).order_by("pk")
        }
        locked = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        per_membership = Counter(invoice.membership_id for invoice in locked.values())
        recorded = []
        renewals = []
        for invoice_id, attempt, result in outcomes:
            invoice = locked[invoice_id]
            if invoice.status != inv.CHARGING or invoice.attempts != attempt:
                continue
            recorded.append(invoice)
            membership = memberships[invoice.membership_id]
            if (
                result.succeeded
                and invoice.kind == inv.RENEWAL
                and membership.state in states.TRANSITIONS["renew"].sources
                and per_membership[membership.pk] == 1
            ):
                renewals.append((membership, invoice, result))
                continue
            if result.succeeded:
                _record_paid(membership, invoice, result, now=now)
            else:
                _record_failed(membership, invoice, result, now=now)
            invoice.claimed_by = ""
            invoice.save()
        if renewals:
            _record_renewals_paid(renewals, now=now)
    return recorded


def _record_renewals_paid(renewals: list[tuple[Membership, Invoice, ChargeResult]], *, now: datetime) -> None:
    """The common case of a batch, written set-wise: paid renewals of memberships that renew.

    The same rows as _record_paid would write one by one — a ledger charge, the
    invoice paid with the card on file, the membership renewed to the end of
    the period with its audit event — in four statements for the whole batch.
    The caller holds the locks of every membership and invoice here, and each
    membership has only this invoice in the batch.
    """
    provider = get_provider().name
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            account_id=membership.pk,
            invoice=invoice,
            kind=ledger.CHARGE,
            amount=invoice.amount,
            currency=invoice.currency,
            provider=provider,
            provider_ref=result.provider_ref,
            memo=f"{invoice.kind} {invoice.period_start:%Y-%m-%d} to {invoice.period_end:%Y-%m-%d}",
            created_at=now,
        )
        for membership, invoice, result in renewals
    )
    invoice_ids = [invoice.pk for _, invoice, _ in renewals]
    card = Membership.objects.filter(pk=OuterRef("membership_id")).values("payment_method_id")[:1]
    Invoice.objects.filter(pk__in=invoice_ids).update(
        status=inv.PAID,
        paid_at=now,
        paid_with_id=Subquery(card),
        next_attempt_at=None,
        last_error="",
        pending_ref="",
        claimed_by="",
    )
    period_end = Invoice.objects.filter(pk__in=invoice_ids, membership_id=OuterRef("pk")).values(
        "period_end"
    )[:1]
    Membership.objects.filter(pk__in=[membership.pk for membership, _, _ in renewals]).update(
        state=states.ACTIVE,
        state_changed_at=now,
        paid_until=Greatest(Coalesce(F("paid_until"), Subquery(period_end)), Subquery(period_end)),
    )
    MembershipEvent.objects.bulk_create(
        MembershipEvent(membership=membership, transition="renew", from_state=membership.state,
                        to_state=states.ACTIVE, at=now)
        for membership, _, _ in renewals
    )  # fmt: skip
    for membership, invoice, _ in renewals:
        # The objects the caller returns say what the rows now say.
        invoice.status, invoice.paid_at, invoice.claimed_by = inv.PAID, now, ""
        invoice.paid_with_id = membership.payment_method_id
        invoice.next_attempt_at, invoice.last_error, invoice.pending_ref = None, "", ""
        membership.state, membership.state_changed_at = states.ACTIVE, now
        membership.paid_until = max(filter(None, (membership.paid_until, invoice.period_end)))
        log.info("invoice %s paid: %s %s (membership %s renewed)", invoice.pk, invoice.amount,
                 invoice.currency, membership.pk)  # fmt: skip


def settle_waiting(invoice_id: int, attempt: int, result: ChargeResult, *, now: datetime) -> Invoice | None:
    """Record the outcome of an attempt that was waiting for the member (3-D Secure), once.

    The member confirmed the payment on the payment page, or the provider's
    webhook told us how it ended. The conditional UPDATE lets exactly one of
    them move the invoice back to `charging` for that attempt and record it.
    """
    waiting = Invoice.objects.filter(
        pk=invoice_id, attempts=attempt, status=inv.OPEN, next_attempt_at=None, last_error=AUTHENTICATION
    )
    if not waiting.update(status=inv.CHARGING, claimed_at=timezone.now()):
        return None
    return record_outcome(invoice_id, attempt, result, now=now)


def _record_paid(membership: Membership, invoice: Invoice, result: ChargeResult, *, now: datetime) -> None:
    # No ledger row can exist for this charge yet: we hold the invoice's lock and
    # it is still `charging` at this attempt. The unique provider reference stays
    # as the last line of defence.
    LedgerEntry.objects.create(
        account_id=membership.pk,
        invoice=invoice,
        kind=ledger.CHARGE,
        amount=invoice.amount,
        currency=invoice.currency,
        provider=get_provider().name,
        provider_ref=result.provider_ref,
        memo=f"{invoice.kind} {invoice.period_start:%Y-%m-%d} to {invoice.period_end:%Y-%m-%d}",
        created_at=now,
    )
    invoice.status = inv.PAID
    invoice.paid_at = now
    # A card is not swapped while its invoice is charging (services._adopt_card),
    # so the card on file is the one that was charged.
    invoice.paid_with_id = membership.payment_method_id
    invoice.next_attempt_at = None
    invoice.last_error = ""
    invoice.pending_ref = ""
    paid_until = max(filter(None, (membership.paid_until, invoice.period_end)))
    if membership.state in states.TRANSITIONS["activate"].sources:
        membership.activate(anchor=invoice.period_start, paid_until=invoice.period_end, now=now)
    elif membership.state in states.TRANSITIONS["renew"].sources:
        membership.renew(paid_until=paid_until, now=now)
    else:
        # Canceled or banned while the charge was in flight: the money was taken,
        # so the period it paid for is granted; the state stays as the member or
        # a moderator set it.
        membership.paid_until = paid_until
        membership.save(update_fields=["paid_until"])
        log.warning("membership %s: charge landed while %s", membership.pk, membership.state)
    log.info("invoice %s paid: %s %s", invoice.pk, invoice.amount, invoice.currency)


def _record_failed(membership: Membership, invoice: Invoice, result: ChargeResult, *, now: datetime) -> None:
    invoice.last_error = result.decline_code
    log.info("invoice %s attempt %s failed: %s", invoice.pk, invoice.attempts, result.decline_code)
    invoice.pending_ref = ""
    if result.decline_code == AUTHENTICATION:
        # The bank wants the member present: dunning pauses (no next attempt) until
        # they confirm the payment on the payment page; the card is kept.
        invoice.status = inv.OPEN
        invoice.next_attempt_at = None
        invoice.pending_ref = result.provider_ref
        if invoice.kind == inv.RENEWAL and membership.state == states.ACTIVE:
            membership.mark_past_due(now=now, reason=result.decline_code)
        return
    if invoice.kind == inv.FIRST:
        # A card that failed its first charge is let go, so it does not count
        # against the per-card cap for an account that never paid.
        invoice.status = inv.FAILED
        if membership.payment_method_id:
            PaymentMethod.objects.filter(pk=membership.payment_method_id).update(detached_at=now)
            membership.payment_method = None
            membership.save(update_fields=["payment_method"])
        return
    retry_days = settings.OBOLE_DUNNING_RETRY_DAYS
    if membership.state == states.ACTIVE:
        membership.mark_past_due(now=now, reason=result.decline_code)
    if invoice.attempts <= len(retry_days) and result.retryable:
        invoice.status = inv.OPEN
        invoice.next_attempt_at = invoice.period_start + timedelta(days=retry_days[invoice.attempts - 1])
    else:
        invoice.status = inv.FAILED
        invoice.next_attempt_at = None
        if membership.state == states.PAST_DUE:
            membership.lapse(now=now, reason=f"renewal failed {invoice.attempts} times")
