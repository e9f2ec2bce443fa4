"""A status (a post, a reply or a repost) and what hangs off it."""

from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id


class Visibility(models.TextChoices):
    PUBLIC = "public"  # everyone, and the public timelines
    UNLISTED = "unlisted"  # everyone, but not the public timelines
    PRIVATE = "private"  # followers and mentioned accounts
    DIRECT = "direct"  # mentioned accounts only


class Status(models.Model):
    """One status. A repost is a Status whose `reblog_of` is the original, with no text.

    `content` is the safe HTML made from `text` when the status is written
    (obole.posts.text); `mentions` and `tags` keep what the text named, ready
    to show, so that rendering a timeline reads no other table. The Mention and
    StatusTag rows hold the same facts for queries (who was mentioned, what is
    tagged #x).
    """

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="statuses")
    text = models.TextField(blank=True)
    content = models.TextField(blank=True)
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    language = models.CharField(max_length=8, null=True, blank=True)
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    # Kept when the parent is deleted, as Mastodon does, so the reply still says whom it answered.
    in_reply_to_account_id = models.BigIntegerField(null=True, blank=True)
    reblog_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reblogs"
    )
    mentions = models.JSONField(default=list, blank=True)  # [{"id", "username"}]
    tags = models.JSONField(default=list, blank=True)  # ["name", ...]
    # The attached pictures as obole.media.services.snapshot() keeps them, in order.
    media = models.JSONField(default=list, blank=True)
    # Whether a Poll hangs off this status: a page of statuses then asks for polls only if one has.
    has_poll = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)  # the last edit (obole.posts.edits)
    # Counters kept by the services, in the transaction that changes them.
    replies_count = models.PositiveIntegerField(default=0)
    reblogs_count = models.PositiveIntegerField(default=0)
    favourites_count = models.PositiveIntegerField(default=0)
    # Moderation (obole.trust): "" is shown as usual; "held" (awaiting review) and
    # "removed" are seen by nobody but the author (obole.posts.access).
    moderation = models.CharField(max_length=8, blank=True, default="")
    # Raised by the database on every update of the row (obole.lib.row_versions).
    version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="status_by_account"),
            models.Index(fields=["visibility", "-id"], name="status_by_visibility"),
            models.Index(fields=["in_reply_to"], name="status_by_parent"),
        ]
        constraints = [
            # One repost per account and original.
            models.UniqueConstraint(
                fields=["account", "reblog_of"],
                condition=models.Q(reblog_of__isnull=False),
                name="reblog_once",
            )
        ]

    def __str__(self) -> str:
        return f"status {self.id} by {self.account_id}"


class Mention(models.Model):
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="mention_set")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mentioned_in")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["status", "account"], name="mention_once")]
        indexes = [models.Index(fields=["account", "status"], name="mention_by_account")]


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key: a repeat within an hour returns the status first made with it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="idempotency_key_once")]
