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

Two knobs make it behave like a provider across a network, for benchmarks and
tests only (both off by default): OBOLE_SANDBOX_LATENCY_MS, the time a new
charge takes to answer, and OBOLE_SANDBOX_RATE_LIMIT, the charge requests per
second it accepts (per process, over a sliding second) before it refuses more
as Stripe does, with a 429 and a Retry-After — raised here as ProviderBusy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import datetime

import pydantic
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from obole.membership.cards import CardSummary, brand_of, check_card, fingerprint
from obole.membership.errors import ProviderBusy
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


class RateLimit:
    """At most `limit` requests in any second; past it, a 429 with a Retry-After in whole seconds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: deque[float] = deque()
        self.refused = 0

    def admit(self, limit: int) -> None:
        if not limit:
            return
        with self.lock:
            now = time.monotonic()
            while self.sent and self.sent[0] <= now - 1:
                self.sent.popleft()
            if len(self.sent) >= limit:
                self.refused += 1
                raise ProviderBusy(
                    "Too many requests hit the API too quickly (sandbox rate limit).",
                    reason="rate_limited",
                    retry_after=1,
                )
            self.sent.append(now)


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

    def __init__(self) -> None:
        self.rate_limit = RateLimit()

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
        self.rate_limit.admit(settings.OBOLE_SANDBOX_RATE_LIMIT)
        if settings.OBOLE_SANDBOX_LATENCY_MS:
            time.sleep(settings.OBOLE_SANDBOX_LATENCY_MS / 1000)
        ref, outcome = _book_charge(
            f"ch_sandbox_{secrets.token_hex(12)}", idempotency_key, method_ref, amount, currency
        )
        return ChargeResult(
            provider_ref=ref,
            succeeded=outcome == "succeeded",
            decline_code="" if outcome == "succeeded" else outcome,
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


def _book_charge(ref: str, key: str, method_ref: str, amount: int, currency: str) -> tuple[str, str]:
    """Write the charge in the sandbox's books once per idempotency key; (ref, outcome) of the one kept.

    One statement on the usual path (a new key), so that the sandbox costs
    little beside the billing it stands in for. On PostgreSQL its commit does
    not wait for the disk (synchronous_commit off for this one transaction,
    set inside the statement): these are a pretend provider's books, and what
    a benchmark or a crash test kills is the billing process, not the database.
    """
    charges = connection.ops.quote_name(SandboxCharge._meta.db_table)
    methods = connection.ops.quote_name(SandboxPaymentMethod._meta.db_table)
    quick = connection.vendor == "postgresql"
    prefix = "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)) " if quick else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"{prefix}INSERT INTO {charges} "  # noqa: S608 (names from the models)
            "(ref, idempotency_key, payment_method_ref, amount, currency, outcome, created_at) "
            f"SELECT %s, %s, %s, %s, %s, COALESCE((SELECT charge_outcome FROM {methods} WHERE ref = %s), "
            f"'no_payment_method'), %s {'FROM quick ' if quick else ''}WHERE true "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING ref, outcome",
            [
                ref,
                key,
                method_ref,
                amount,
                currency,
                method_ref,
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )
        row = cursor.fetchone()
        if row is None:  # this key was charged before: the same answer again
            cursor.execute(f"SELECT ref, outcome FROM {charges} WHERE idempotency_key = %s", [key])  # noqa: S608
            row = cursor.fetchone()
    return row[0], row[1]
