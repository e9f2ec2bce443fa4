"""The ledger: append-only money movements (docs/architecture.md rule 6).

Charges are positive, refunds and disputes negative, in the currency's minor
units. Revenue and balances are sums over this table, never stored elsewhere.
Rows are never updated or deleted: the model and its queryset refuse it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from obole.lib.money import format_amount
from obole.lib.snowflake import next_id

CHARGE = "charge"
REFUND = "refund"
DISPUTE = "dispute"


class AppendOnlyError(Exception):
    pass


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("ledger entries cannot be changed")

    def delete(self):
        raise AppendOnlyError("ledger entries cannot be deleted")

    def revenue(self) -> dict[str, int]:
        """Net money in, per currency, in minor units."""
        rows = self.values_list("currency").annotate(total=models.Sum("amount")).order_by()
        return {currency: total for currency, total in rows}


class LedgerEntry(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    invoice = models.ForeignKey(
        "membership.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # For refunds and disputes: the charge they take money back from.
    charge = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    kind = models.CharField(max_length=8, choices=[(k, k) for k in (CHARGE, REFUND, DISPUTE)])
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=16)
    provider_ref = models.CharField(max_length=255)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # A provider's charge, refund or dispute lands in the ledger once.
            models.UniqueConstraint(fields=["provider", "provider_ref"], name="ledger_provider_ref"),
            models.CheckConstraint(
                condition=models.Q(kind=CHARGE, amount__gt=0)
                | models.Q(kind__in=[REFUND, DISPUTE], amount__lt=0),
                name="ledger_amount_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.provider_ref})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("ledger entries cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger entries cannot be deleted")

    @property
    def amount_display(self) -> str:
        return format_amount(self.amount, self.currency)

    def to_dict(self) -> dict:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "amount": self.amount,
            "currency": self.currency,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "memo": self.memo,
        }
