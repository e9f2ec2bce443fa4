"""Payment methods and card fingerprints (docs/architecture.md rule 4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CardFingerprint(models.Model):
    """One row per card ever seen: the lock for the per-card account cap, and the blocklist.

    The fingerprint is a keyed HMAC of the card number (membership.cards); the
    number itself is never stored.
    """

    fingerprint = models.CharField(max_length=64, primary_key=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.fingerprint[:12]}…{' (blocked)' if self.blocked_at else ''}"


class PaymentMethod(models.Model):
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods"
    )
    provider = models.CharField(max_length=16)
    provider_ref = models.CharField(max_length=255)
    fingerprint = models.ForeignKey(CardFingerprint, on_delete=models.PROTECT, db_column="fingerprint")
    brand = models.CharField(max_length=16)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    funding = models.CharField(max_length=16)
    # The issuing country (ISO 3166-1 alpha-2) as the provider reports it; it sets the price.
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField()
    # Set when replaced by another card, or let go after a failed first charge.
    detached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_ref"], name="payment_method_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"

    def to_dict(self) -> dict:
        return {
            "brand": self.brand,
            "last4": self.last4,
            "funding": self.funding,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
        }
