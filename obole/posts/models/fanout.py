from __future__ import annotations

from django.db import models

from obole.posts.models.status import Status


class PendingFanOut(models.Model):
    """A status whose fan-out to followers' home timelines has not been done yet.

    Written in the transaction that makes the status and deleted in the one
    that fans it out: the row, not the queue message, is the record of the
    work. A lost message leaves the row, and the worker's sweep finds it. A
    deleted status takes its row with it, so it is never fanned out.
    """

    status = models.OneToOneField(Status, on_delete=models.CASCADE, primary_key=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="pending_fanout_by_age")]
