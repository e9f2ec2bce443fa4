"""Payment attempts: counted for velocity limits and bot-pressure statistics. No card data."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PaymentAttempt(models.Model):
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField()
    # Why it failed: a decline code, or the kind of rejection ("CardRejected").
    reason = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "at"], name="attempt_account_at"),
            models.Index(fields=["ip", "at"], name="attempt_ip_at"),
        ]
