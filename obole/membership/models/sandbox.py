"""The sandbox provider's own books: what a real provider keeps on its servers.

They live in Obole's database only because the sandbox has no servers. Obole's
code outside providers/sandbox.py never reads them.
"""

from __future__ import annotations

from django.db import models


class SandboxPaymentMethod(models.Model):
    ref = models.CharField(max_length=64, primary_key=True)
    # What charging this card does: "succeeded" or a decline code.
    charge_outcome = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)


class SandboxCharge(models.Model):
    ref = models.CharField(max_length=64, primary_key=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    payment_method_ref = models.CharField(max_length=64)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    outcome = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)


class SandboxRefund(models.Model):
    ref = models.CharField(max_length=64, primary_key=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    charge = models.ForeignKey(SandboxCharge, on_delete=models.CASCADE, related_name="refunds")
    amount = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
