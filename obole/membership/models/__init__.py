from obole.membership.models.attempt import PaymentAttempt
from obole.membership.models.invoice import Invoice
from obole.membership.models.ledger import LedgerEntry
from obole.membership.models.membership import Membership, MembershipEvent
from obole.membership.models.payment_method import CardFingerprint, PaymentMethod
from obole.membership.models.sandbox import SandboxCharge, SandboxPaymentMethod, SandboxRefund
from obole.membership.models.stripe import FraudWarning, StripeCustomer
from obole.membership.models.webhook import WebhookEvent

__all__ = [
    "CardFingerprint",
    "FraudWarning",
    "Invoice",
    "LedgerEntry",
    "Membership",
    "MembershipEvent",
    "PaymentAttempt",
    "PaymentMethod",
    "SandboxCharge",
    "SandboxPaymentMethod",
    "SandboxRefund",
    "StripeCustomer",
    "WebhookEvent",
]
