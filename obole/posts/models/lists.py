"""A member's lists: named sets of followed accounts, each with its own timeline (obole.posts.lists)."""

from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id


class AccountList(models.Model):
    class RepliesPolicy(models.TextChoices):
        FOLLOWED = "followed"  # replies to anyone the owner follows
        LIST = "list"  # replies to the list's members
        NONE = "none"  # no replies to others

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=100)
    replies_policy = models.CharField(max_length=8, choices=RepliesPolicy.choices, default=RepliesPolicy.LIST)
    # Mastodon's flag to keep the members' posts out of home; stored and answered, not applied (README).
    exclusive = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["account", "id"], name="list_by_account")]


class ListMember(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    list = models.ForeignKey(AccountList, on_delete=models.CASCADE, related_name="members")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["list", "account"], name="list_member_once")]
        indexes = [models.Index(fields=["account"], name="list_member_by_account")]
