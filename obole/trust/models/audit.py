"""The moderation audit log: who did what, to whom, why and when. Append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from obole.lib.snowflake import next_id


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted")


class AuditEntry(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    # None when the server acted by itself (an automatic hold or throttle).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=32)
    target_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_status_id = models.BigIntegerField(null=True, blank=True)
    report = models.ForeignKey(
        "trust.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(max_length=1000)
    created_at = models.DateTimeField()

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["target_account", "created_at"], name="audit_target")]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")
