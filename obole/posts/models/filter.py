"""A member's filters: keywords and statuses to warn about or hide where they read (obole.posts.filters)."""

from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id
from obole.posts.models.status import Status


class Filter(models.Model):
    class Action(models.TextChoices):
        WARN = "warn"  # shown behind a warning naming the filter
        HIDE = "hide"  # left out of what is read

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=256)
    # Where it applies: some of home, notifications, public, thread, account.
    context = models.JSONField(default=list)
    action = models.CharField(max_length=4, choices=Action.choices, default=Action.WARN)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "id"], name="filter_by_account")]


class FilterKeyword(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="keywords")
    keyword = models.CharField(max_length=100)
    whole_word = models.BooleanField(default=True)


class FilterStatus(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="statuses")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["filter", "status"], name="filter_status_once")]
