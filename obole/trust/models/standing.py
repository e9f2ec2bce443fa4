"""An account's standing with the trust system: its bot score, why, and what follows from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Standing(models.Model):
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="standing"
    )
    score = models.PositiveSmallIntegerField(default=0)  # 0-100
    # [{"signal", "value", "weight", "since", "detail"}]: the explanation of the score.
    signals = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    throttled_at = models.DateTimeField(null=True, blank=True)
    # New posts are held for review (visible to the author only) while this is set.
    holding_at = models.DateTimeField(null=True, blank=True)
    # Set when an account's recent posts need scoring (the row is the job; the task says "look now").
    dirty_at = models.DateTimeField(null=True, blank=True)
