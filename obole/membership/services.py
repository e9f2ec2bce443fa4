"""Writes on memberships: pay, cancel, resume, refund, ban, and provider events.

Each write runs in one transaction with the membership row locked. Calls to
the payment provider happen between transactions, never inside one: a slow
provider must not hold database locks, and a crash between "charged" and
"recorded" is repaired by the invoice's idempotency key (see models/invoice.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pydantic
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.views.decorators.debug import sensitive_variables

from obole.accounts.models import Account
from obole.membership import invoices, states, velocity
from obole.membership.cards import CardError
from obole.membership.errors import (
    AuthenticationRequired,
    CardRejected,
    MembershipError,
    NotAllowed,
    PaymentDeclined,
    PaymentInProgress,
)
from obole.membership.models import (
    CardFingerprint,
    Invoice,
    LedgerEntry,
    Membership,
    PaymentMethod,
    WebhookEvent,
    ledger,
)
from obole.membership.models import invoice as inv
from obole.membership.models.membership import CARD_HOLDING_STATES
from obole.membership.providers import get_provider
from obole.membership.providers.base import (
    CHARGE_REFUNDED,
    DISPUTE_CREATED,
    AttachDeclined,
    AttachedMethod,
    ProviderEvent,
)

log = logging.getLogger("obole.membership")


def locked(account_id: int) -> Membership:
    return Membership.objects.select_for_update().select_related("account").get(pk=account_id)


@sensitive_variables("source")
def pay(account: Account, source: pydantic.BaseModel, *, now: datetime, ip: str | None = None) -> Membership:
    """Attach a card and, if the membership is not paid up, charge for a period.

    Too many failed attempts from the account or its IP address in the last
    hour are refused before the provider is asked (velocity.py); every attempt
    that reaches the card is counted.

    1. The provider checks the card and returns what may be kept of it.
    2. In one transaction: the card's fingerprint row is locked, the blocklist and
       the per-card account cap are checked, the card becomes the account's, and
       an invoice is claimed if a charge is due.
    3. The charge is sent with the invoice's idempotency key.
    4. The outcome is recorded (invoices.record_outcome).
    """
    if account.membership.state == states.BANNED:
        raise NotAllowed("This account is banned and cannot pay for a membership.")
    gate = velocity.check(account, ip, now, source)
    try:
        membership = _pay(account, source, now=now, gate=gate)
    except (CardRejected, PaymentDeclined) as error:
        velocity.record(account, ip, succeeded=False, reason=error.reason, now=now, rule=error.rule)
        raise
    except BaseException:
        gate.release()  # not a failed card attempt: give its place under the limits back
        raise
    velocity.record(account, ip, succeeded=True, reason="", now=now, gate=gate)
    return membership


@sensitive_variables("source")
def _pay(
    account: Account, source: pydantic.BaseModel, *, now: datetime, gate: velocity.PaymentGate
) -> Membership:
    provider = get_provider()
    try:
        attached = provider.attach(source, now=now, account=account)
    except CardError as error:
        raise CardRejected(str(error), field=error.field, reason=f"invalid_{error.field}") from None
    except AttachDeclined as error:
        raise PaymentDeclined(str(error), reason=error.code) from None
    try:
        try:
            gate.screen(attached.card)  # prepaid policy, card country, rules (obole.trust.screening)
        except velocity.PaymentRefused as refused:
            raise velocity.as_error(refused) from None
        with transaction.atomic():
            membership = locked(account.pk)
            invoice = _adopt_card(membership, attached, now=now)
    except MembershipError:
        # A refused card is let go at the provider before anything is charged.
        provider.release(attached.provider_ref)
        raise
    if invoice is None:
        return membership
    result = invoices.send_charge(invoice)
    invoice = invoices.record_outcome(invoice.pk, invoice.attempts, result, now=now)
    membership.refresh_from_db()
    if invoice.status == inv.OPEN and invoice.last_error == invoices.AUTHENTICATION:
        url = payment_page_url(invoice)
        raise AuthenticationRequired(f"{result.message} Confirm it at {url}", url=url, invoice_id=invoice.pk)
    if invoice.status != inv.PAID:
        raise PaymentDeclined(result.message, reason=result.decline_code)
    return membership


def payment_page_url(invoice: Invoice) -> str:
    """Where the member confirms a payment that waits for them (3-D Secure)."""
    from django.urls import reverse

    return settings.OBOLE_BASE_URL.rstrip("/") + reverse("membership-confirm", args=[invoice.pk])


def _adopt_card(membership: Membership, attached: AttachedMethod, *, now: datetime) -> Invoice | None:
    """Make `attached` the membership's card; return the invoice to charge, if any."""
    if membership.state == states.BANNED:
        raise NotAllowed("This account is banned and cannot pay for a membership.")
    card = attached.card
    CardFingerprint.objects.get_or_create(fingerprint=card.fingerprint)
    # This row lock serialises every account trying the same card at once, so the
    # cap below cannot be beaten by two sign-ups racing each other.
    row = CardFingerprint.objects.select_for_update().get(pk=card.fingerprint)
    if row.blocked_at:
        raise CardRejected("This card cannot be used on Obole.", field="card_number", reason="blocklisted")
    holders = accounts_bound_to(row.pk, now=now).exclude(pk=membership.pk).count()
    if holders >= settings.OBOLE_ACCOUNTS_PER_CARD:
        raise CardRejected(
            "This card already pays for another Obole account. Each card can pay for "
            + (
                "one account."
                if settings.OBOLE_ACCOUNTS_PER_CARD == 1
                else f"{settings.OBOLE_ACCOUNTS_PER_CARD} accounts."
            ),
            field="card_number",
            reason="card_in_use",
        )
    if Invoice.objects.filter(membership=membership, status=inv.CHARGING).exists():
        raise PaymentInProgress("A payment for this account is already in progress; try again in a minute.")

    method = PaymentMethod.objects.create(
        account_id=membership.pk,
        provider=get_provider().name,
        provider_ref=attached.provider_ref,
        fingerprint=row,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        funding=card.funding,
        country=card.country,
        created_at=now,
    )
    PaymentMethod.objects.filter(account_id=membership.pk, detached_at=None).exclude(pk=method.pk).update(
        detached_at=now
    )
    membership.payment_method = method
    membership.save(update_fields=["payment_method"])
    log.info("membership %s: attached %s card ending %s", membership.pk, card.brand, card.last4)

    if membership.state in (states.PENDING_PAYMENT, states.LAPSED, states.EXPIRED):
        # A fresh start: whatever was owed from before is forgiven, not collected.
        Invoice.objects.filter(membership=membership, status=inv.OPEN).update(status=inv.VOID)
        return invoices.open_first(membership, now=now)
    if membership.state == states.PAST_DUE:
        return invoices.claim_open_now(membership, now=now)
    return None  # active or canceled: the new card is used from the next renewal


def accounts_bound_to(fingerprint: str, *, now: datetime) -> QuerySet[Membership]:
    """The live memberships a card counts against (docs/architecture.md rule 4, the per-card cap).

    A membership holds a card while it is on file, and also while a period that
    card paid for is running, whatever card is on file now: otherwise one card
    could pay for account A, be swapped for another, and pay for B in the same
    period (and so on down a farm).
    """
    paid_current_period = Q(
        invoices__status=inv.PAID, invoices__paid_with__fingerprint=fingerprint, invoices__period_end__gt=now
    )
    return (
        Membership.objects.filter(state__in=CARD_HOLDING_STATES)
        .filter(Q(payment_method__fingerprint=fingerprint) | paid_current_period)
        .distinct()
    )


def cancel(account: Account, *, now: datetime) -> Membership:
    """Cancel at period end: the member keeps writing until paid_until."""
    with transaction.atomic():
        membership = locked(account.pk)
        _require(membership, "cancel")
        membership.cancel(now=now)
        Invoice.objects.filter(membership=membership, status=inv.OPEN).update(status=inv.VOID)
    return membership


def resume(account: Account, *, now: datetime) -> Membership:
    with transaction.atomic():
        membership = locked(account.pk)
        _require(membership, "resume")
        if membership.paid_until is None or membership.paid_until <= now:
            raise NotAllowed("This membership has already ended; add a card to start again.")
        membership.resume(now=now)
    return membership


def end_now(account: Account, *, now: datetime) -> Membership:
    """End the membership at once, for an account being deleted: no renewal, no refund.

    An active or past-due membership is canceled and then expired in the same
    moment; a banned one stays banned (its cards stay blocklisted). Open
    invoices are voided and the card let go, so it may pay for another account.
    """
    with transaction.atomic():
        membership = locked(account.pk)
        if Invoice.objects.filter(membership=membership, status=inv.CHARGING).exists():
            raise PaymentInProgress("A payment for this account is in progress; try again in a minute.")
        if membership.state in states.TRANSITIONS["cancel"].sources:
            membership.cancel(now=now)
        if membership.state == states.CANCELED:
            membership.expire(now=now)
        Invoice.objects.filter(membership=membership, status=inv.OPEN).update(status=inv.VOID)
        PaymentMethod.objects.filter(account_id=membership.pk, detached_at=None).update(detached_at=now)
        membership.payment_method = None
        membership.save(update_fields=["payment_method"])
    return membership


def _require(membership: Membership, transition: str) -> None:
    if membership.state not in states.TRANSITIONS[transition].sources:
        raise NotAllowed(f"You cannot {transition} a membership that is {membership.get_state_display()}.")


def refund(charge: LedgerEntry, *, amount: int | None = None, memo: str = "", now: datetime) -> LedgerEntry:
    """Give back (part of) a charge. The membership's state is left as it is."""
    if charge.kind != ledger.CHARGE:
        raise ValueError("only a charge can be refunded")
    taken_back = -sum(charge.reversals.values_list("amount", flat=True))
    remaining = charge.amount - taken_back
    amount = remaining if amount is None else amount
    if not 0 < amount <= remaining:
        raise ValueError(f"can refund between 1 and {remaining} {charge.currency} minor units")
    key = f"obole-refund-{charge.id}-{taken_back}-{amount}"
    result = get_provider().refund(charge.provider_ref, amount, idempotency_key=key)
    entry = _take_back(charge, ledger.REFUND, result.provider_ref, result.amount, memo, now)
    log.info("ledger: refunded %s of charge %s", result.amount, charge.id)
    return entry


def ban(account: Account, *, reason: str, now: datetime) -> Membership:
    """Ban the account and blocklist every card it has used (docs/architecture.md rule 4)."""
    with transaction.atomic():
        membership = locked(account.pk)
        membership.ban(now=now, reason=reason)
        fingerprints = PaymentMethod.objects.filter(account=account).values("fingerprint")
        CardFingerprint.objects.filter(pk__in=fingerprints, blocked_at=None).update(
            blocked_at=now, blocked_reason=f"account {account.pk} banned: {reason}"[:200]
        )
        Invoice.objects.filter(membership=membership, status=inv.OPEN).update(status=inv.VOID)
    return membership


def unban(account: Account, *, now: datetime) -> Membership:
    """Lift a ban. The account must pay again, with a card that is not blocklisted."""
    with transaction.atomic():
        membership = locked(account.pk)
        membership.unban(now=now)
    return membership


def apply_event(event: ProviderEvent, *, provider: str, now: datetime) -> bool:
    """Apply a verified provider event once. Returns False for a replay."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(
                    provider=provider, event_id=event.id, type=event.type, received_at=now
                )
        except IntegrityError:
            return False
        charge = LedgerEntry.objects.filter(
            provider=provider, provider_ref=event.charge_ref, kind=ledger.CHARGE
        ).first()
        if charge is None:
            log.warning("webhook %s names unknown charge %s", event.id, event.charge_ref)
            return True
        if event.type == DISPUTE_CREATED:
            _take_back(
                charge, ledger.DISPUTE, event.object_ref, event.amount or charge.amount, "chargeback", now
            )
            membership = locked(charge.account_id)
            if membership.state != states.BANNED:
                # A chargeback bans the account and blocklists its cards.
                ban(membership.account, reason="chargeback", now=now)
        elif event.type == CHARGE_REFUNDED and event.amount:
            _take_back(charge, ledger.REFUND, event.object_ref, event.amount, "refunded at the provider", now)
    return True


def _take_back(
    charge: LedgerEntry, kind: str, ref: str, amount: int, memo: str, now: datetime
) -> LedgerEntry:
    """Record money leaving through a refund or dispute of `charge`, once per provider reference."""
    entry, _ = LedgerEntry.objects.get_or_create(
        provider=charge.provider,
        provider_ref=ref,
        defaults={
            "account_id": charge.account_id,
            "charge": charge,
            "kind": kind,
            "amount": -amount,
            "currency": charge.currency,
            "memo": memo[:200],
            "created_at": now,
        },
    )
    return entry


def grace_ends(membership: Membership) -> datetime | None:
    if membership.paid_until is None:
        return None
    return membership.paid_until + timedelta(days=settings.OBOLE_GRACE_DAYS)
