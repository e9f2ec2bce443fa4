"""The one write-permission check (docs/architecture.md rule 2).

Everything that others see — post, reply, repost, like, follow, mention —
calls `can_write` (or `write_refusal` for the reason), on the API and the web
alike. Reading, searching, managing the account and billing, and exporting
data never do.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from obole.accounts.models import Account
from obole.membership import states


def write_refusal(account: Account, now: datetime | None = None) -> str | None:
    """Why `account` may not write right now, in the member's terms; None if it may."""
    refusal = write_refusal_rule(account, now)
    return None if refusal is None else refusal[1]


# Why an account in each state may not write: (rule, message). The rule is the
# name the API's answer carries and the bot-pressure counts use.
_BY_STATE = {
    states.PENDING_PAYMENT: ("not_paid", "Your account is read-only until your membership is paid."),
    states.LAPSED: (
        "membership_lapsed",
        "Your membership lapsed after failed payments. Pay again to keep posting.",
    ),
    states.CANCELED: ("membership_ended", "Your membership has ended. Pay again to keep posting."),
    states.EXPIRED: ("membership_ended", "Your membership has ended. Pay again to keep posting."),
    states.BANNED: ("banned", "This account is banned."),
}


def write_refusal_rule(account: Account, now: datetime | None = None) -> tuple[str, str] | None:
    """(rule, message) when `account` may not write right now; None if it may."""
    if not account.is_active:
        return "disabled", "This account is disabled."
    if account.suspended_at is not None:
        return "suspended", "This account is suspended by the moderators and is read-only."
    if settings.OBOLE_EMAIL_CONFIRMATION and account.email_confirmed_at is None:
        return "email_unconfirmed", "Confirm your email address to start posting."
    membership = account.membership
    now = now or timezone.now()
    state = membership.state
    if state == states.ACTIVE:
        return None
    if state == states.CANCELED and membership.paid_until and now < membership.paid_until:
        return None
    if state == states.PAST_DUE and membership.paid_until:
        if now < membership.paid_until + timedelta(days=settings.OBOLE_GRACE_DAYS):
            return None
        return (
            "grace_period_over",
            "Your last payment failed and the grace period is over. Update your card to keep posting.",
        )
    return _BY_STATE.get(state, ("read_only", "Your account is read-only."))


# What others would read of an unpaid profile, had it any: the username alone is shown until paid.
PROFILE_TEXT_REFUSAL = "A display name and a bio are shown to others once your membership is paid."


def profile_text_refusal(account: Account, before: dict[str, str], after: dict[str, str]) -> str | None:
    """Why `account` may not publish this display name or bio; None if it may.

    A display name and a bio are text that others see (and find in search), so they need write
    rights like a post: otherwise an unpaid account is free advertising space. Clearing them, or
    saving them unchanged, is always allowed.
    """
    if all(not value or value == before.get(field) for field, value in after.items()):
        return None
    refusal = write_refusal(account)
    return None if refusal is None else f"{PROFILE_TEXT_REFUSAL} {refusal}"


def can_write(account: Account, now: datetime | None = None) -> bool:
    return write_refusal(account, now) is None


def require_write(account: Account, now: datetime | None = None) -> None:
    """Raise WriteRefused, with the reason, unless `account` may write now. Every write service calls it."""
    from obole.lib.errors import WriteRefused
    from obole.trust import counters

    refusal = write_refusal_rule(account, now)
    if refusal is not None:
        rule, message = refusal
        counters.refused(counters.WRITE, rule, (now or timezone.now()).date())
        raise WriteRefused(message, rule=rule)
