"""One row per membership and period: the guarantee that a period is charged once.

The row is the job (docs/architecture.md rule 5). A billing run claims an invoice with a
conditional UPDATE, charges it with an idempotency key derived from the row
and its attempt number, and records the outcome. Whatever dies in between —
the process, the machine, the network — a rerun reclaims the row, sends the
same key, gets the same answer from the provider, and records it once.
"""

from __future__ import annotations

from django.db import models

OPEN = "open"  # waiting for its (next) attempt at next_attempt_at
CHARGING = "charging"  # claimed by a run; attempt `attempts` is in flight
PAID = "paid"
FAILED = "failed"  # the last attempt failed; no more tries
VOID = "void"  # no longer owed (canceled, or replaced by a fresh start)

FIRST = "first"
RENEWAL = "renewal"


class Invoice(models.Model):
    membership = models.ForeignKey("membership.Membership", on_delete=models.CASCADE, related_name="invoices")
    kind = models.CharField(max_length=8, choices=[(FIRST, FIRST), (RENEWAL, RENEWAL)])
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    amount = models.PositiveIntegerField()  # minor units
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=8,
        choices=[(s, s) for s in (OPEN, CHARGING, PAID, FAILED, VOID)],
        default=OPEN,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The billing run that holds the claim (empty when none does).
    claimed_by = models.CharField(max_length=32, blank=True)
    # The billing run that opened a renewal, so each run reports only its own work.
    opened_by = models.CharField(max_length=32, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    # The provider's payment that waits for the member to confirm it (3-D Secure);
    # while it waits, dunning is paused (next_attempt_at is empty).
    pending_ref = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    # The card that paid: it stays bound to the membership until period_end,
    # whatever card is on file by then (services.accounts_bound_to).
    paid_with = models.ForeignKey(
        "membership.PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "period_start"], name="one_invoice_per_period"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="invoice_due")]

    def __str__(self) -> str:
        return f"invoice {self.pk} ({self.kind}, {self.status})"

    def idempotency_key(self) -> str:
        """The same key for every try of one attempt, a new key for each new attempt."""
        return f"obole-invoice-{self.pk}-attempt-{self.attempts}"
