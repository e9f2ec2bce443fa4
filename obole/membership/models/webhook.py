"""Webhook events seen, so that a replayed event is acknowledged but never applied twice."""

from __future__ import annotations

from django.db import models


class WebhookEvent(models.Model):
    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once"),
        ]
