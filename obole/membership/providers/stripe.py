"""The Stripe provider, on the official SDK (`stripe.StripeClient`); operators read docs/stripe.md.

The card never reaches Obole. The membership page asks this server for a
SetupIntent (usage=off_session, card only), Stripe.js collects and confirms the
card in the browser (3-D Secure included), and the page posts back only the
PaymentMethod id. `attach` then reads the card from Stripe — fingerprint,
country, funding, brand, last4, expiry — and hands the summary to the same
rules as every provider (blocklist, accounts per card, prepaid policy). A card
those rules refuse is detached (`release`) and never charged.

Charges are off-session PaymentIntents sent with the invoice's idempotency key
(`obole-invoice-<id>-attempt-<n>`), which is also put in the intent's metadata
so a webhook can find the invoice again. Declines carry Stripe's decline_code
and advice_code; `authentication_required` becomes a paused invoice that the
member completes on the payment page (invoices.py, web/payment_views.py).

Webhooks are verified with the SDK (signature and a 300 s tolerance) and
applied by membership/stripe_webhooks.py, which fetches each object again from
the API rather than trusting the body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

import pydantic
import stripe
from django.conf import settings
from django.db import IntegrityError

from obole.accounts.models import Account
from obole.membership.cards import CardError, CardSummary, fingerprint
from obole.membership.errors import ProviderBusy, ProviderUnavailable
from obole.membership.models import PaymentMethod, StripeCustomer
from obole.membership.providers.base import (
    AttachDeclined,
    AttachedMethod,
    ChargeResult,
    ProviderEvent,
    RefundResult,
    WebhookError,
    decline_message,
)

log = logging.getLogger("obole.membership")

WEBHOOK_TOLERANCE_SECONDS = 300
AUTHENTICATION_REQUIRED = "authentication_required"
# The metadata key of a PaymentIntent that names the invoice attempt it pays.
INVOICE_KEY = "obole_idempotency_key"
UNREACHABLE = "The payment service cannot be reached; try again in a minute."
FIELD = "payment_method"


class StripePaymentMethodIn(pydantic.BaseModel):
    """What a client sends to pay with the Stripe provider: a PaymentMethod id, never card details."""

    model_config = pydantic.ConfigDict(extra="ignore")

    payment_method: str = pydantic.Field(pattern=r"^pm_[A-Za-z0-9_]+$", max_length=255)


def invoice_attempt(metadata: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """The (invoice id, attempt) a PaymentIntent's metadata names, or None."""
    key = str((metadata or {}).get(INVOICE_KEY, ""))
    parts = key.split("-")
    if len(parts) != 5 or parts[:2] != ["obole", "invoice"] or parts[3] != "attempt":
        return None
    try:
        return int(parts[2]), int(parts[4])
    except ValueError:
        return None


def _ref(value: Any) -> str:
    """An id from a field that Stripe sends either as an id or as the expanded object."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value.get("id", ""))


class StripeProvider:
    name = "stripe"
    attach_schema = StripePaymentMethodIn

    @cached_property
    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            settings.OBOLE_STRIPE_SECRET_KEY,
            base_addresses={"api": settings.OBOLE_STRIPE_API_BASE},
            max_network_retries=2,
        )

    # --- customers and SetupIntents --------------------------------------

    def customer_for(self, account: Account) -> str:
        """The account's Stripe customer id, created on first use (once, by idempotency key)."""
        row = StripeCustomer.objects.filter(account=account).first()
        if row is not None:
            return row.customer_id
        customer = self.client.v1.customers.create(
            {"metadata": {"obole_account": str(account.pk)}},
            {"idempotency_key": f"obole-customer-{account.pk}"},
        )
        try:
            StripeCustomer.objects.create(account=account, customer_id=customer.id)
        except IntegrityError:
            return StripeCustomer.objects.get(account=account).customer_id
        return customer.id

    def setup_intent(self, account: Account) -> str:
        """A new SetupIntent for the account's next card; returns its client secret for Stripe.js."""
        customer = self.customer_for(account)
        intent = self.client.v1.setup_intents.create(
            {
                "customer": customer,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": {"obole_account": str(account.pk)},
            }
        )
        StripeCustomer.objects.filter(account=account).update(setup_intent_id=intent.id)
        return intent.client_secret

    # --- the provider interface -------------------------------------------

    def attach(
        self, source: StripePaymentMethodIn, *, now: datetime, account: Account | None = None
    ) -> AttachedMethod:
        if account is None:
            raise CardError("A Stripe card must be added for an account.", "payment_method")
        if PaymentMethod.objects.filter(provider=self.name, provider_ref=source.payment_method).exists():
            # Each card set-up gives a new id; a repeat is a resubmitted form or a retrying app.
            raise CardError("This payment method was added already; add your card again to pay.", FIELD)
        customer = self.customer_for(account)
        try:
            method = self.client.v1.payment_methods.retrieve(source.payment_method).to_dict()
        except stripe.StripeError as error:
            if error.http_status in (400, 404):
                raise CardError("This payment method is unknown; add your card again.", FIELD) from None
            raise ProviderUnavailable(UNREACHABLE) from error
        owner = _ref(method.get("customer"))
        if owner and owner != customer:
            # Somebody else's saved card: never ours to charge, and not ours to detach.
            raise CardError("This payment method belongs to another customer.", "payment_method")
        if method.get("type") != "card" or not method.get("card"):
            raise CardError("Only cards are accepted.", "payment_method")
        card = method["card"]
        if not card.get("fingerprint"):
            # Without Stripe's fingerprint the one-card rule could not be applied.
            self.release(method["id"])
            raise CardError("This card cannot be identified; please use another card.", "payment_method")
        if not owner:
            try:
                self.client.v1.payment_methods.attach(method["id"], {"customer": customer})
            except stripe.StripeError as error:
                if error.http_status == 402:
                    code = _decline_code(error)
                    raise AttachDeclined(decline_message(code), code) from None
                raise ProviderUnavailable(UNREACHABLE) from error
        summary = CardSummary(
            # Keyed like every fingerprint Obole keeps, so the stored value says
            # nothing to anyone without OBOLE_FINGERPRINT_KEY.
            fingerprint=fingerprint(f"stripe:{card['fingerprint']}"),
            brand=str(card.get("brand") or "unknown"),
            last4=str(card.get("last4") or ""),
            exp_month=int(card.get("exp_month") or 0),
            exp_year=int(card.get("exp_year") or 0),
            funding=str(card.get("funding") or "unknown"),
            country=str(card.get("country") or "").upper(),
        )
        return AttachedMethod(provider_ref=method["id"], card=summary)

    def release(self, method_ref: str) -> None:
        """Detach a card the rules refused, so it stays saved to nobody."""
        try:
            self.client.v1.payment_methods.detach(method_ref)
        except stripe.StripeError as error:
            log.warning("could not detach refused payment method %s: %s", method_ref, error)

    def charge(self, method_ref: str, amount: int, currency: str, *, idempotency_key: str) -> ChargeResult:
        customer = (
            StripeCustomer.objects.filter(
                account__payment_methods__provider=self.name,
                account__payment_methods__provider_ref=method_ref,
            )
            .values_list("customer_id", flat=True)
            .first()
        )
        try:
            intent = self.client.v1.payment_intents.create(
                {
                    "amount": amount,
                    "currency": currency.lower(),
                    "customer": customer,
                    "payment_method": method_ref,
                    "payment_method_types": ["card"],
                    "confirm": True,
                    "off_session": True,
                    "metadata": {INVOICE_KEY: idempotency_key},
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            if error.http_status == 402:
                return _declined(error)
            if error.http_status in (400, 404):
                # A request Stripe will never accept (the card was removed, say): a
                # failed attempt like a decline, so dunning goes on instead of looping.
                return ChargeResult(
                    provider_ref="", succeeded=False, decline_code=error.code or "invalid_request"
                )
            if error.http_status in (409, 429):
                # Asked to come back later (the SDK has retried already): not a decline.
                raise _busy(error) from error
            # Out of reach or failing: the outcome is unknown, so nothing is
            # recorded; the same key is sent again later.
            raise ProviderUnavailable(UNREACHABLE) from error
        return result_of(intent.to_dict())

    def refund(self, charge_ref: str, amount: int, *, idempotency_key: str) -> RefundResult:
        refund = self.client.v1.refunds.create(
            {"charge": charge_ref, "amount": amount}, {"idempotency_key": idempotency_key}
        )
        return RefundResult(provider_ref=refund.id, amount=refund.amount)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        try:
            event = self.client.construct_event(
                body,
                headers.get("Stripe-Signature", ""),
                settings.OBOLE_STRIPE_WEBHOOK_SECRET,
                tolerance=WEBHOOK_TOLERANCE_SECONDS,
            )
        except stripe.SignatureVerificationError as error:
            raise WebhookError(f"The Stripe signature is not valid: {error.user_message or error}") from None
        except ValueError:
            raise WebhookError("The webhook body is not a valid Stripe event.") from None
        obj = event.to_dict()["data"]["object"]
        return ProviderEvent(
            id=event.id,
            type=event.type,
            charge_ref=_ref(obj.get("charge")) if obj.get("object") != "charge" else str(obj.get("id", "")),
            object_ref=str(obj.get("id", "")),
            amount=int(obj.get("amount") or 0),
            data={"object": obj.get("object", ""), "id": obj.get("id", "")},
        )


def result_of(intent: dict) -> ChargeResult:
    """A PaymentIntent's outcome. The ledger keeps the charge id, which refunds and disputes name."""
    charge = _ref(intent.get("latest_charge"))
    if intent["status"] == "succeeded":
        return ChargeResult(provider_ref=charge or intent["id"], succeeded=True)
    if intent["status"] == "requires_action":
        return ChargeResult(provider_ref=intent["id"], succeeded=False, decline_code=AUTHENTICATION_REQUIRED)
    error = intent.get("last_payment_error") or {}
    return ChargeResult(
        provider_ref=charge or intent["id"],
        succeeded=False,
        decline_code=str(error.get("decline_code") or error.get("code") or intent["status"]),
        advice_code=str(error.get("advice_code") or ""),
    )


def _busy(error: stripe.StripeError) -> ProviderBusy:
    """A 429 (rate limited) or a 409 (this idempotency key is in use by a request in flight)."""
    headers = {str(name).lower(): value for name, value in (error.headers or {}).items()}
    try:
        retry_after: float | None = float(headers.get("retry-after", ""))
    except ValueError:
        retry_after = None
    reason = "rate_limited" if error.http_status == 429 else "in_use"
    return ProviderBusy(UNREACHABLE, reason=reason, retry_after=retry_after)


def _decline_code(error: stripe.StripeError) -> str:
    detail = (error.json_body or {}).get("error", {}) if isinstance(error.json_body, dict) else {}
    return str(detail.get("decline_code") or detail.get("code") or error.code or "card_declined")


def _declined(error: stripe.StripeError) -> ChargeResult:
    """A 402 from Stripe: the card was declined, or it needs the member present (3-D Secure)."""
    detail = (error.json_body or {}).get("error", {}) if isinstance(error.json_body, dict) else {}
    code = _decline_code(error)
    intent = detail.get("payment_intent") or {}
    if code == AUTHENTICATION_REQUIRED or detail.get("code") == AUTHENTICATION_REQUIRED:
        return ChargeResult(provider_ref=_ref(intent), succeeded=False, decline_code=AUTHENTICATION_REQUIRED)
    return ChargeResult(
        provider_ref=str(detail.get("charge") or _ref(intent)),
        succeeded=False,
        decline_code=code,
        advice_code=str(detail.get("advice_code") or ""),
    )
