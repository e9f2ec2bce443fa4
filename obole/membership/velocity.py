"""Velocity limits on payment attempts (docs/architecture.md rule 8).

A paywall attracts card testing: someone with a list of stolen numbers uses
the payment form to learn which ones work. Failed attempts are counted per
account and per IP address over the last hour, and past the limit the form
answers 429 until the hour has passed. Every attempt is kept (without any
card data) so operators and researchers can count bot pressure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from obole.accounts.models import Account
from obole.membership.errors import TooManyAttempts
from obole.membership.models import PaymentAttempt

WINDOW = timedelta(hours=1)


def check(account: Account, ip: str | None, now: datetime) -> None:
    failures = PaymentAttempt.objects.filter(succeeded=False, at__gt=now - WINDOW)
    limits = [(failures.filter(account=account), settings.OBOLE_PAYMENT_FAILURES_PER_ACCOUNT)]
    if ip:
        limits.append((failures.filter(ip=ip), settings.OBOLE_PAYMENT_FAILURES_PER_IP))
    for recent, limit in limits:
        if limit and recent.count() >= limit:
            oldest = recent.order_by("at").values_list("at", flat=True)[recent.count() - limit]
            minutes = max(1, int((oldest + WINDOW - now).total_seconds() // 60) + 1)
            raise TooManyAttempts(
                f"Too many failed payment attempts. Please wait {minutes} minutes and try again."
            )


def record(account: Account, ip: str | None, *, succeeded: bool, reason: str, now: datetime) -> None:
    PaymentAttempt.objects.create(account=account, ip=ip, succeeded=succeeded, reason=reason[:64], at=now)
