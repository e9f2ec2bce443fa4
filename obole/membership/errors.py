"""What can go wrong when a member pays, in words the member can act on.

Each error carries the HTTP status the API answers with, so views never
translate by hand.
"""

from __future__ import annotations

from obole.lib.errors import UserError


class MembershipError(UserError):
    status = 422

    def __init__(self, message: str, *, field: str | None = None, reason: str = "", rule: str = ""):
        super().__init__(message)
        self.field = field
        # A short machine-readable cause, counted in PaymentAttempt.reason.
        self.reason = reason or type(self).__name__
        # The check that refused (the answer's `rule`, the bot-pressure counts): the
        # screening check's name when screening refused, else the reason given.
        self.rule = rule or reason


class CardRejected(MembershipError):
    """The card cannot be used: malformed, already used elsewhere, blocklisted, disallowed."""

    status = 422


class PaymentDeclined(MembershipError):
    """The provider declined the card or the charge."""

    status = 402


class PaymentInProgress(MembershipError):
    status = 409


class NotAllowed(MembershipError):
    status = 403


class TooManyAttempts(MembershipError):
    status = 429


class AuthenticationRequired(PaymentDeclined):
    """The bank wants the member present (3-D Secure): the payment waits for them on `url`."""

    def __init__(self, message: str, *, url: str, invoice_id: int):
        super().__init__(message, reason="authentication_required")
        self.url = url
        self.invoice_id = invoice_id


class ProviderUnavailable(MembershipError):
    """The payment provider could not be reached, or failed for a reason that is not the card's."""

    status = 503


class ProviderBusy(ProviderUnavailable):
    """The provider asks to be asked again later; the charge's outcome is still unknown.

    `reason` is "rate_limited" (HTTP 429: too many requests) or "in_use" (HTTP 409:
    the same idempotency key is being answered for another request, such as a
    run whose claim was taken over while it was still alive). Never a decline:
    billing waits `retry_after` seconds (when the provider said) or backs off,
    and sends the same key again.
    """

    def __init__(self, message: str, *, reason: str, retry_after: float | None = None):
        super().__init__(message, reason=reason)
        self.retry_after = retry_after
