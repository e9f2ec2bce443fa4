"""The payment provider interface.

A provider does five things: attach a payment method (turning whatever the
client sent into a card summary Obole may keep), release one the rules
refused, charge it off-session with an idempotency key, refund a charge, and
verify and parse a signed webhook.
Providers never see Obole's models and never raise for a declined charge: a
decline is an ordinary ChargeResult.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pydantic

from obole.membership.cards import CardSummary


class AttachDeclined(Exception):
    """The provider refused the card when attaching it; the message is for the member."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class WebhookError(Exception):
    """A webhook whose signature, timestamp or body is not acceptable."""


@dataclass(frozen=True)
class AttachedMethod:
    provider_ref: str
    card: CardSummary


@dataclass(frozen=True)
class ChargeResult:
    provider_ref: str
    succeeded: bool
    decline_code: str = ""
    # Stripe's advice to the merchant (e.g. "do_not_try_again"); empty when none.
    advice_code: str = ""

    @property
    def retryable(self) -> bool:
        """Whether dunning may try this card again later."""
        return self.decline_code not in NEVER_RETRY and self.advice_code != "do_not_try_again"

    @property
    def message(self) -> str:
        return decline_message(self.decline_code)


@dataclass(frozen=True)
class RefundResult:
    provider_ref: str
    amount: int


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str  # "charge.refunded" or "charge.dispute.created"
    charge_ref: str
    # The provider's id of the refund or dispute itself, so it is recorded once
    # however many events mention it.
    object_ref: str
    amount: int = 0
    data: dict[str, Any] = field(default_factory=dict)


DISPUTE_CREATED = "charge.dispute.created"
CHARGE_REFUNDED = "charge.refunded"

# Declines that are never retried: the card is gone or the bank suspects fraud.
NEVER_RETRY = frozenset(
    {"lost_card", "stolen_card", "fraudulent", "pickup_card", "restricted_card", "security_violation"}
)

# What a member is told. A lost, stolen or fraudulent card is told only "declined",
# as Stripe advises, so that whoever holds it learns nothing from the refusal.
_DECLINE_REASONS = {
    "generic_decline": "",
    "card_declined": "",
    "insufficient_funds": "insufficient funds",
    "expired_card": "the card has expired",
    "incorrect_cvc": "the security code (CVC) is incorrect",
    "processing_error": "an error occurred while processing the card; try again",
    "no_payment_method": "there is no card on file",
    "authentication_required": "your bank asks you to confirm this payment",
}


def decline_message(code: str) -> str:
    reason = _DECLINE_REASONS.get(code, "")
    return f"Your card was declined: {reason}." if reason else "Your card was declined."


class PaymentProvider(Protocol):
    name: str
    # Validates what a client sends to attach a card with this provider.
    attach_schema: type[pydantic.BaseModel]

    def attach(self, source: pydantic.BaseModel, *, now: datetime, account: Any = None) -> AttachedMethod: ...

    def charge(
        self, method_ref: str, amount: int, currency: str, *, idempotency_key: str
    ) -> ChargeResult: ...

    def refund(self, charge_ref: str, amount: int, *, idempotency_key: str) -> RefundResult: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent: ...

    def release(self, method_ref: str) -> None:
        """Let go of a card that the rules refused, so it is never charged."""
