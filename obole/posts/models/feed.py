from __future__ import annotations

from django.db import models


class HomeFeedEntry(models.Model):
    """One status in one account's home timeline (the database TimelineStore).

    Plain integer columns rather than foreign keys: fan-out writes these rows
    in bulk with one INSERT … SELECT, and a deleted status's rows are removed
    by the store, not by cascades.
    """

    owner_id = models.BigIntegerField()
    status_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner_id", "status_id"], name="feed_entry_once")]
        indexes = [models.Index(fields=["status_id"], name="feed_entry_by_status")]
