"""A status its author pinned to the top of their profile (at most MAX_PINS, obole.posts.pins)."""

from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id
from obole.posts.models.status import Status


class Pin(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "status"], name="pin_once")]
