"""Velocity limits on payment attempts (docs/architecture.md rule 8).

A paywall attracts card testing: someone with a list of stolen numbers uses
the payment form to learn which ones work. Failed attempts are counted per
account, per address, per network (/24, /64) and per card fingerprint over
the hour, and past a limit the form answers 429 until the hour has passed.

The counting is atomic (obole.trust.counters): each attempt takes a slot
under every limit *before* the provider is asked, keeps it if it fails and
gives it back if it succeeds, so attempts racing each other cannot get more
than the limit through. Every attempt is also kept as a PaymentAttempt row
(without any card data), and every refused one is counted per day and rule
(counters.refused) for the bot pressure of /staff/economics.
The checks themselves live in obole.trust.screening.
"""

from __future__ import annotations

from datetime import datetime

import pydantic

from obole.accounts.models import Account
from obole.membership.errors import CardRejected, MembershipError, TooManyAttempts
from obole.membership.models import PaymentAttempt
from obole.trust import counters
from obole.trust.screening import PaymentGate, PaymentRefused, admit_payment


def as_error(refused: PaymentRefused) -> MembershipError:
    if refused.status == 429:
        return TooManyAttempts(str(refused), reason=refused.reason, rule=refused.rule)
    return CardRejected(str(refused), field="card_number", reason=refused.reason, rule=refused.rule)


def check(
    account: Account, ip: str | None, now: datetime, source: pydantic.BaseModel | None = None
) -> PaymentGate:
    """Take this attempt's place under the limits, or raise TooManyAttempts."""
    try:
        return admit_payment(account, ip, now, card_number=getattr(source, "card_number", None))
    except PaymentRefused as refused:
        counters.refused(counters.PAYMENT, refused.rule, now.date())
        raise as_error(refused) from None


def record(
    account: Account,
    ip: str | None,
    *,
    succeeded: bool,
    reason: str,
    now: datetime,
    gate: PaymentGate | None = None,
    rule: str = "",
) -> None:
    """Keep the attempt; a failed one is also counted as bot pressure under `rule` (or its reason)."""
    PaymentAttempt.objects.create(account=account, ip=ip, succeeded=succeeded, reason=reason[:64], at=now)
    if not succeeded:
        counters.refused(counters.PAYMENT, rule or reason, now.date())
    if gate is not None and succeeded:
        gate.succeeded()
        if gate.review:
            from obole.trust.moderation import flag

            flag(account, "; ".join(gate.review), now=now)
