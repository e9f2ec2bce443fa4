"""A version of an edited status, for its history."""

from __future__ import annotations

from django.db import models

from obole.lib.snowflake import next_id
from obole.posts.models.status import Status


class StatusEdit(models.Model):
    """One version of a status as it was shown: the first edit also keeps the original.

    Versions are read only by `GET /api/v1/statuses/:id/history`, so they are
    kept out of the Status row and away from timeline queries.
    """

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="edits")
    text = models.TextField(blank=True)
    content = models.TextField(blank=True)
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    media = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="edit_by_status")]
