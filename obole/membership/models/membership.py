"""The Membership: one per account, the state machine of docs/architecture.md rule 1."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from obole.membership import states

log = logging.getLogger("obole.membership")

# States in which an account holds on to its card for the fingerprint cap
# (docs/architecture.md rule 4): paying or paid up. A pending account holds a card only while
# its first charge is in flight — a failed first charge lets go of the card.
CARD_HOLDING_STATES = (states.PENDING_PAYMENT, states.ACTIVE, states.PAST_DUE, states.CANCELED)


class Membership(models.Model):
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    state = models.CharField(max_length=16, choices=states.CHOICES, default=states.PENDING_PAYMENT)
    # The first moment paid for; periods are counted from here (see periods.py).
    anchor = models.DateTimeField(null=True, blank=True)
    paid_until = models.DateTimeField(null=True, blank=True)
    payment_method = models.ForeignKey(
        "membership.PaymentMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="current_for",
    )
    state_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "paid_until"], name="membership_due")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.state}"

    # --- transitions: each one a declared edge of states.TRANSITIONS ----------
    # Callers hold the row lock (select_for_update) inside a transaction.

    def activate(self, *, anchor: datetime, paid_until: datetime, now: datetime) -> None:
        self.anchor = anchor
        self.paid_until = paid_until
        self._move("activate", now)

    def renew(self, *, paid_until: datetime, now: datetime) -> None:
        self.paid_until = paid_until
        self._move("renew", now)

    def mark_past_due(self, *, now: datetime, reason: str = "") -> None:
        self._move("mark_past_due", now, reason)

    def lapse(self, *, now: datetime, reason: str = "") -> None:
        self._move("lapse", now, reason)

    def cancel(self, *, now: datetime, reason: str = "") -> None:
        self._move("cancel", now, reason)

    def resume(self, *, now: datetime) -> None:
        self._move("resume", now)

    def expire(self, *, now: datetime) -> None:
        self._move("expire", now)

    def ban(self, *, now: datetime, reason: str) -> None:
        self._move("ban", now, reason)

    def unban(self, *, now: datetime, reason: str = "") -> None:
        self._move("unban", now, reason)

    def _move(self, transition: str, now: datetime, reason: str = "") -> None:
        source = self.state
        self.state = states.check(transition, source)
        self.state_changed_at = now
        self.save(update_fields=["state", "state_changed_at", "anchor", "paid_until"])
        MembershipEvent.objects.create(
            membership=self,
            transition=transition,
            from_state=source,
            to_state=self.state,
            reason=reason[:200],
            at=now,
        )
        log.info(
            "membership %s: %s (%s -> %s) %s",
            self.account_id,
            transition,
            source,
            self.state,
            reason,
        )

    def to_dict(self) -> dict:
        from obole.membership.plans import plan_for

        method = self.payment_method
        return {
            "state": self.state,
            "paid_until": self.paid_until.isoformat().replace("+00:00", "Z") if self.paid_until else None,
            "plan": plan_for((method.country if method else "") or self.account.country).to_dict(),
            "payment_method": method.to_dict() if method else None,
        }


class MembershipEvent(models.Model):
    """The audit trail of state changes; written by Membership._move only."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    transition = models.CharField(max_length=32)
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
