"""The moderation queue: reports from members and flags raised automatically, in one table."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from obole.lib.snowflake import next_id

# Mastodon's report categories, plus "flag" for what the server raised itself.
CATEGORIES = ("spam", "legal", "violation", "other", "flag")


class Report(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    # None for an automatic flag.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status_ids = models.JSONField(default=list, blank=True)  # [int, ...]: the reported posts
    category = models.CharField(max_length=16, default="other")
    comment = models.TextField(blank=True, max_length=1000)
    # For a flag: the rule or signal that raised it ("rule:review if funding == 'prepaid'", "score").
    source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["resolved_at", "id"], name="report_queue"),
            models.Index(fields=["target", "resolved_at"], name="report_target"),
        ]

    @property
    def is_flag(self) -> bool:
        return self.reporter_id is None
