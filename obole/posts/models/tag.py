from __future__ import annotations

from django.db import models

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
