from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id
from obole.posts.models.status import Status


class Notification(models.Model):
    """Something another account did that `recipient` should hear about."""

    class Type(models.TextChoices):
        FOLLOW = "follow"
        FAVOURITE = "favourite"
        REBLOG = "reblog"
        MENTION = "mention"
        UPDATE = "update"  # a status the recipient reposted was edited
        POLL = "poll"  # a poll the recipient made or voted in has ended

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    recipient = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notifications")
    from_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=16, choices=Type.choices)
    status = models.ForeignKey(Status, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["recipient", "-id"], name="notification_by_recipient")]
