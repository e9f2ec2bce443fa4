"""A picture a member uploaded, attached to at most one status."""

from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id

# Mastodon's limit on alt text.
DESCRIPTION_MAX = 1500


class MediaAttachment(models.Model):
    """One uploaded picture: the cleaned original and its preview, in the default storage.

    The row is the record: an upload no status claims within a day is removed
    with its files (obole.media.tasks). When its status is deleted the row
    loses its status and may be attached again (Mastodon's "delete and
    redraft"), or is cleaned up a day later like any unattached upload.
    """

    class Type(models.TextChoices):
        IMAGE = "image"  # JPEG, PNG, WebP, and GIFs (kept as GIFs, animated or not)

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="media_attachments")
    status = models.ForeignKey(
        "posts.Status", null=True, blank=True, on_delete=models.SET_NULL, related_name="media_attachments"
    )
    position = models.PositiveSmallIntegerField(default=0)
    type = models.CharField(max_length=8, choices=Type.choices, default=Type.IMAGE)
    file = models.CharField(max_length=255)  # the name in the default storage
    preview = models.CharField(max_length=255)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()  # bytes of the stored original
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    preview_width = models.PositiveIntegerField()
    preview_height = models.PositiveIntegerField()
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX)
    focus_x = models.FloatField(default=0.0)
    focus_y = models.FloatField(default=0.0)
    blurhash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "position"], name="media_by_status"),
            # The clean-up task looks for old unattached uploads.
            models.Index(
                fields=["created_at"], condition=models.Q(status__isnull=True), name="media_unattached"
            ),
        ]

    def __str__(self) -> str:
        return f"media {self.id} by {self.account_id}"
