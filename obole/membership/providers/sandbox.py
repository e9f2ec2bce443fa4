"""The sandbox provider: no network, Stripe's public test cards, and a few ranges of its own.

The test cards are listed in one table, the README's "Test cards" section,
kept as data in sandbox_cards.py (which the simulated farm reads too). The
numbers Stripe's test mode knows behave as they do there: 4242 4242 4242 4242
succeeds, 4000 0000 0000 0002 and its kin are declined when attached,
4000 0000 0000 0341 attaches but every charge fails, 5105 1051 0510 5100 is a
prepaid Mastercard.

Stripe has one prepaid test card and one that fails when charged; a simulated
farm needs many of each, of several brands, so the sandbox adds ranges: any
number a network could issue that starts with one of these six digits is a
prepaid card (Visa 400099, Mastercard 510510 — the prefix of Stripe's prepaid
card —, American Express 378299) or a card that attaches and then fails every
charge (Visa 400034, Mastercard 555534, American Express 378234, Discover 601134).

Any other number that passes the Luhn check and that a network could issue
(membership.cards: a known prefix, a length its brand uses) behaves like
4242…: a credit card that succeeds, so a simulated farm can bring as many
distinct cards as it likes. Numbers failing Luhn or no network issues, past
expiry dates and malformed CVCs are refused.

Webhooks are signed like Stripe's: header `Obole-Sandbox-Signature:
t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
OBOLE_SANDBOX_WEBHOOK_SECRET, accepted for five minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime

import pydantic
from django.conf import settings
from django.db import IntegrityError
from django.views.decorators.debug import sensitive_variables

from obole.membership.cards import CardSummary, brand_of, check_card, fingerprint
from obole.membership.models import SandboxCharge, SandboxPaymentMethod, SandboxRefund
from obole.membership.providers.base import (
    DISPUTE_CREATED,
    AttachDeclined,
    AttachedMethod,
    ChargeResult,
    ProviderEvent,
    RefundResult,
    WebhookError,
    decline_message,
)
from obole.membership.providers.sandbox_cards import (
    COUNTRIES,
    DECLINED_ON_ATTACH,
    FAILS_ON_CHARGE,
    FAILS_ON_CHARGE_RANGES,
    FUNDING,
    PREPAID_RANGES,
)

SIGNATURE_HEADER = "Obole-Sandbox-Signature"
WEBHOOK_TOLERANCE_SECONDS = 300


def _country_of(digits: str) -> str:
    if digits.startswith("400000") and digits[6:9] in COUNTRIES:
        return COUNTRIES[digits[6:9]]
    return "US"


def _funding_of(digits: str) -> str:
    if digits in FUNDING:
        return FUNDING[digits]
    return "prepaid" if digits[:6] in PREPAID_RANGES.values() else "credit"


def _charge_outcome(digits: str) -> str:
    if digits in FAILS_ON_CHARGE:
        return FAILS_ON_CHARGE[digits]
    return "card_declined" if digits[:6] in FAILS_ON_CHARGE_RANGES.values() else "succeeded"


class SandboxCard(pydantic.BaseModel):
    """What a client sends to pay with the sandbox provider."""

    model_config = pydantic.ConfigDict(extra="ignore", hide_input_in_errors=True)

    # repr=False: a log line or crash report that prints the object shows no number or CVC.
    card_number: str = pydantic.Field(max_length=40, repr=False)
    exp_month: int
    exp_year: int
    cvc: str = pydantic.Field(max_length=8, repr=False)


class SandboxProvider:
    name = "sandbox"
    attach_schema = SandboxCard

    @sensitive_variables("source", "digits")
    def attach(self, source: SandboxCard, *, now: datetime, account=None) -> AttachedMethod:
        digits = check_card(source.card_number, source.exp_month, source.exp_year, source.cvc, now)
        if digits in DECLINED_ON_ATTACH:
            code = DECLINED_ON_ATTACH[digits]
            raise AttachDeclined(decline_message(code), code)
        ref = f"pm_sandbox_{secrets.token_hex(12)}"
        SandboxPaymentMethod.objects.create(ref=ref, charge_outcome=_charge_outcome(digits))
        exp_year = source.exp_year + 2000 if source.exp_year < 100 else source.exp_year
        summary = CardSummary(
            fingerprint=fingerprint(digits),
            brand=brand_of(digits),
            last4=digits[-4:],
            exp_month=source.exp_month,
            exp_year=exp_year,
            funding=_funding_of(digits),
            country=_country_of(digits),
        )
        return AttachedMethod(provider_ref=ref, card=summary)

    def release(self, method_ref: str) -> None:
        """Nothing to let go of: a sandbox card is only ever charged through an Obole row."""

    def charge(self, method_ref: str, amount: int, currency: str, *, idempotency_key: str) -> ChargeResult:
        existing = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            if settings.OBOLE_SANDBOX_LATENCY_MS:
                time.sleep(settings.OBOLE_SANDBOX_LATENCY_MS / 1000)
            method = SandboxPaymentMethod.objects.filter(ref=method_ref).first()
            outcome = method.charge_outcome if method else "no_payment_method"
            try:
                existing = SandboxCharge.objects.create(
                    ref=f"ch_sandbox_{secrets.token_hex(12)}",
                    idempotency_key=idempotency_key,
                    payment_method_ref=method_ref,
                    amount=amount,
                    currency=currency,
                    outcome=outcome,
                )
            except IntegrityError:
                # Another process sent the same key at the same moment: same answer.
                existing = SandboxCharge.objects.get(idempotency_key=idempotency_key)
        return ChargeResult(
            provider_ref=existing.ref,
            succeeded=existing.outcome == "succeeded",
            decline_code="" if existing.outcome == "succeeded" else existing.outcome,
        )

    def refund(self, charge_ref: str, amount: int, *, idempotency_key: str) -> RefundResult:
        existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            charge = SandboxCharge.objects.get(ref=charge_ref)
            existing, _ = SandboxRefund.objects.get_or_create(
                idempotency_key=idempotency_key,
                defaults={
                    "ref": f"re_sandbox_{secrets.token_hex(12)}",
                    "charge": charge,
                    "amount": amount,
                },
            )
        return RefundResult(provider_ref=existing.ref, amount=existing.amount)

    # --- webhooks ---------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | None = None) -> str:
        """The signature header value for `body`, as the sandbox's servers would send it."""
        stamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(
            settings.OBOLE_SANDBOX_WEBHOOK_SECRET.encode(),
            f"{stamp}.".encode() + body,
            hashlib.sha256,
        ).hexdigest()
        return f"t={stamp},v1={digest}"

    def event_body(self, event_type: str, charge_ref: str, amount: int, object_ref: str = "") -> bytes:
        prefix = "dp" if event_type == DISPUTE_CREATED else "re"
        event = {
            "id": f"evt_sandbox_{secrets.token_hex(12)}",
            "type": event_type,
            "data": {
                "object": {
                    "id": object_ref or f"{prefix}_sandbox_{secrets.token_hex(12)}",
                    "charge": charge_ref,
                    "amount": amount,
                }
            },
        }
        return json.dumps(event).encode()

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        if not settings.OBOLE_SANDBOX_WEBHOOK_SECRET:
            raise WebhookError("Sandbox webhooks are not configured on this server.")
        header = headers.get(SIGNATURE_HEADER, "")
        try:
            parts = dict(item.split("=", 1) for item in header.split(","))
            stamp = int(parts["t"])
            signature = parts["v1"]
        except (KeyError, ValueError):
            raise WebhookError(f"Missing or malformed {SIGNATURE_HEADER} header.") from None
        expected = self.sign(body, stamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, signature):
            raise WebhookError("The webhook signature does not match.")
        if abs(time.time() - stamp) > WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookError("The webhook is too old (or from the future); refusing a replay.")
        try:
            event = json.loads(body)
            payload = event["data"]["object"]
            return ProviderEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                charge_ref=str(payload["charge"]),
                object_ref=str(payload["id"]),
                amount=int(payload.get("amount", 0)),
                data=event,
            )
        except (ValueError, KeyError, TypeError):
            raise WebhookError("The webhook body is not a valid event.") from None
