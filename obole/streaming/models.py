"""The outbox of live events, for the embedded default (no Redis): see obole.streaming.publish."""

from __future__ import annotations

from django.db import models


class OutboxEvent(models.Model):
    """One event (JSON), written in the transaction that caused it and read by the streaming server.

    Rows live a few minutes (`PRUNE_AFTER` in obole.streaming.publish): a stream that was not
    connected when an event happened never gets it, as with Redis pub/sub."""

    body = models.TextField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "streaming_outbox_event"
