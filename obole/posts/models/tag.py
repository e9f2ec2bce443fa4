from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id
from obole.posts.models.status import Status


class Tag(models.Model):
    """A hashtag, stored lower-case: #Obole and #obole are one tag."""

    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return f"#{self.name}"


class StatusTag(models.Model):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "status"], name="status_tag_once")]


class TagFollow(models.Model):
    """A member follows a hashtag: its public posts come into their home (obole.posts.tag_follows)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "tag"], name="tag_follow_once")]
        indexes = [models.Index(fields=["tag"], name="tag_follow_by_tag")]
