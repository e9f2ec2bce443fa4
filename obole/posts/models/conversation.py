"""A member's conversation: the direct statuses among one set of accounts (obole.posts.conversations)."""

from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id
from obole.posts.models.status import Status


class Conversation(models.Model):
    """One row per participant and set of participants: each has their own `unread` and may delete
    theirs. `others` are the other participants' ids, sorted; `key` is the digest of the whole
    set (obole.posts.conversations.key), for the unique constraint."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    others = models.JSONField(default=list)
    # Null once that status is deleted; the next read finds the one before it (or drops the row).
    last_status = models.ForeignKey(Status, null=True, on_delete=models.SET_NULL, related_name="+")
    unread = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="conversation_once")]
        indexes = [models.Index(fields=["account", "-last_status"], name="conversation_by_account")]
