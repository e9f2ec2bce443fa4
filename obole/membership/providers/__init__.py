"""Payment providers behind one small interface (docs/architecture.md rule 7)."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from obole.membership.providers.base import PaymentProvider


@cache
def _provider(name: str) -> PaymentProvider:
    if name == "sandbox":
        from obole.membership.providers.sandbox import SandboxProvider

        return SandboxProvider()
    if name == "stripe":
        from obole.membership.providers.stripe import StripeProvider

        return StripeProvider()
    raise ValueError(f"unknown payment provider {name!r}")


def get_provider() -> PaymentProvider:
    return _provider(settings.OBOLE_PAYMENT_PROVIDER)
