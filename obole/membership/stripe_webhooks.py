"""Stripe webhook events: what each one does to Obole's books.

The endpoint (api/webhooks.py) has already checked the signature and age. Here
each event is applied once: its id is stored under a unique constraint in the
same transaction as its effect, so a replay or a duplicate delivery changes
nothing. The event body is only a pointer: each object is fetched again from
Stripe's API, so a forged body that slipped past the signature would still name
nothing but what Stripe says.

    payment_intent.succeeded / payment_failed / requires_action
                                   an attempt that waited (3-D Secure) or whose answer was
                                   lost is recorded (invoices.settle_waiting / record_outcome)
    setup_intent.succeeded         noted; the card is adopted when the member's page posts it
    charge.refunded                each refund of the charge enters the ledger once
    charge.dispute.created         a chargeback: ledger, ban and blocklist (services.ban)
    radar.early_fraud_warning.created
                                   the charge is refunded and the account listed for review
    payment_method.automatically_updated
                                   the card's last4 and expiry follow the bank's update
"""

from __future__ import annotations

import logging
from datetime import datetime

import stripe
from django.db import IntegrityError, transaction

from obole.membership import invoices, services, states
from obole.membership.errors import ProviderUnavailable
from obole.membership.models import FraudWarning, Invoice, LedgerEntry, PaymentMethod, WebhookEvent, ledger
from obole.membership.models import invoice as inv
from obole.membership.providers.base import ProviderEvent, WebhookError
from obole.membership.providers.stripe import UNREACHABLE, StripeProvider, invoice_attempt, result_of

log = logging.getLogger("obole.membership")

HANDLED = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
    "setup_intent.succeeded",
    "charge.refunded",
    "charge.dispute.created",
    "radar.early_fraud_warning.created",
    "payment_method.automatically_updated",
)


def apply(provider: StripeProvider, event: ProviderEvent, *, now: datetime) -> bool:
    """Apply one verified event. Returns False when it was seen before.

    An object Stripe does not know is a WebhookError (answered 400); Stripe out
    of reach is ProviderUnavailable (503), so that Stripe delivers the event again.
    """
    if WebhookEvent.objects.filter(provider=provider.name, event_id=event.id).exists():
        return False
    if event.type not in HANDLED:
        return _remember(provider, event, now)
    try:
        return _apply(provider, event, now=now)
    except stripe.StripeError as error:
        if error.http_status in (400, 404):
            raise WebhookError(f"Stripe does not know the object of event {event.id}.") from None
        raise ProviderUnavailable(UNREACHABLE) from error


def _apply(provider: StripeProvider, event: ProviderEvent, *, now: datetime) -> bool:
    api = provider.client.v1
    if event.type.startswith("payment_intent."):
        intent = api.payment_intents.retrieve(event.object_ref).to_dict()
        return _payment_intent(provider, event, intent, now=now)
    if event.type == "setup_intent.succeeded":
        api.setup_intents.retrieve(event.object_ref)
        return _remember(provider, event, now)
    if event.type == "charge.refunded":
        charge = api.charges.retrieve(event.object_ref)
        refunds = api.refunds.list({"charge": charge.id, "limit": 100})
        return _refunds(provider, event, charge.id, [r.to_dict() for r in refunds.data], now=now)
    if event.type == "charge.dispute.created":
        dispute = api.disputes.retrieve(event.object_ref).to_dict()
        return _dispute(provider, event, dispute, now=now)
    if event.type == "radar.early_fraud_warning.created":
        warning = api.radar.early_fraud_warnings.retrieve(event.object_ref).to_dict()
        return _fraud_warning(provider, event, warning, now=now)
    method = api.payment_methods.retrieve(event.object_ref).to_dict()
    return _card_updated(provider, event, method, now=now)


def _once(provider: StripeProvider, event: ProviderEvent, now: datetime) -> bool:
    """Store the event id inside the caller's transaction; False if it is there already."""
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                provider=provider.name, event_id=event.id, type=event.type, received_at=now
            )
    except IntegrityError:
        return False
    return True


def _remember(provider: StripeProvider, event: ProviderEvent, now: datetime) -> bool:
    with transaction.atomic():
        return _once(provider, event, now)


def _payment_intent(provider: StripeProvider, event: ProviderEvent, intent, *, now: datetime) -> bool:
    named = invoice_attempt(intent.get("metadata"))
    with transaction.atomic():
        if not _once(provider, event, now):
            return False
        if named is None:
            return True
        invoice_id, attempt = named
        result = result_of(intent)
        if intent["status"] == "processing":
            return True
        settled = invoices.settle_waiting(invoice_id, attempt, result, now=now)
        # Otherwise: an attempt whose run died before recording Stripe's answer, or one recorded already.
        in_flight = Invoice.objects.filter(pk=invoice_id, attempts=attempt, status=inv.CHARGING)
        if settled is None and in_flight.exists():
            invoices.record_outcome(invoice_id, attempt, result, now=now)
    return True


def _charge_entry(charge_ref: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(provider="stripe", provider_ref=charge_ref, kind=ledger.CHARGE).first()


def _refunds(provider: StripeProvider, event: ProviderEvent, charge_ref: str, refunds, *, now) -> bool:
    with transaction.atomic():
        if not _once(provider, event, now):
            return False
        charge = _charge_entry(charge_ref)
        if charge is None:
            log.warning("stripe event %s names unknown charge %s", event.id, charge_ref)
            return True
        for refund in refunds:
            if refund.get("status", "succeeded") in ("succeeded", "pending"):
                memo = "refunded at Stripe"
                services._take_back(charge, ledger.REFUND, refund["id"], refund["amount"], memo, now)
    return True


def _dispute(provider: StripeProvider, event: ProviderEvent, dispute, *, now: datetime) -> bool:
    charge_ref = _id(dispute.get("charge"))
    with transaction.atomic():
        if not _once(provider, event, now):
            return False
        charge = _charge_entry(charge_ref)
        if charge is None:
            log.warning("stripe dispute %s names unknown charge %s", dispute["id"], charge_ref)
            return True
        amount = dispute.get("amount") or charge.amount
        services._take_back(charge, ledger.DISPUTE, dispute["id"], amount, "chargeback", now)
        membership = services.locked(charge.account_id)
        if membership.state != states.BANNED:
            # A chargeback bans the account and blocklists its cards (docs/architecture.md rule 4).
            services.ban(membership.account, reason="chargeback", now=now)
    return True


def _fraud_warning(provider: StripeProvider, event: ProviderEvent, warning, *, now: datetime) -> bool:
    charge_ref = _id(warning.get("charge"))
    charge = _charge_entry(charge_ref)
    if charge is None:
        log.warning("stripe fraud warning %s names unknown charge %s", warning["id"], charge_ref)
        return _remember(provider, event, now)
    # Refund before recording: the key makes a repeat (after a crash, or a second
    # delivery racing this one) get the same refund back, never a second one.
    remaining = charge.amount + sum(charge.reversals.values_list("amount", flat=True))
    refund = None
    if remaining > 0:
        refund = provider.refund(charge_ref, remaining, idempotency_key=f"obole-efw-{warning['id']}")
    with transaction.atomic():
        if not _once(provider, event, now):
            return False
        if refund is not None:
            services._take_back(
                charge, ledger.REFUND, refund.provider_ref, refund.amount, "early fraud warning", now
            )
        FraudWarning.objects.get_or_create(
            warning_id=warning["id"],
            defaults={
                "account_id": charge.account_id,
                "charge_ref": charge_ref,
                "fraud_type": str(warning.get("fraud_type") or "")[:64],
                "created_at": now,
            },
        )
    return True


def _card_updated(provider: StripeProvider, event: ProviderEvent, method, *, now: datetime) -> bool:
    card = method.get("card") or {}
    with transaction.atomic():
        if not _once(provider, event, now):
            return False
        PaymentMethod.objects.filter(provider=provider.name, provider_ref=method["id"]).update(
            last4=str(card.get("last4") or "")[:4],
            exp_month=int(card.get("exp_month") or 0),
            exp_year=int(card.get("exp_year") or 0),
        )
    return True


def _id(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value.get("id", ""))
