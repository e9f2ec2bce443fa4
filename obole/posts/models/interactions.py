"""Likes and bookmarks: one row per account and status, ordered by their own time-ordered id."""

from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id
from obole.posts.models.status import Status


class Favourite(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="favourites")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="favourites")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "status"], name="favourite_once")]
        indexes = [models.Index(fields=["status", "-id"], name="favourite_by_status")]


class Bookmark(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="bookmarks")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "status"], name="bookmark_once")]
