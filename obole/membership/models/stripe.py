"""What Obole keeps of its Stripe side: the customer of each account, and fraud warnings to review.

The card itself stays at Stripe; Obole's PaymentMethod row holds the
PaymentMethod id (pm_…) with the same summary as for any provider.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StripeCustomer(models.Model):
    """The Stripe Customer that an account's cards are saved to, and its latest SetupIntent."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    customer_id = models.CharField(max_length=255, unique=True)
    # The SetupIntent the membership page asked for last, for support: which card
    # set-up a member was in the middle of.
    setup_intent_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class FraudWarning(models.Model):
    """A card network's early fraud warning on one of an account's charges: refunded, for staff to review."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    warning_id = models.CharField(max_length=255, unique=True)
    charge_ref = models.CharField(max_length=255)
    fraud_type = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"early fraud warning {self.warning_id} ({self.fraud_type or 'unknown'})"
