"""A poll attached to a status, and the votes cast in it."""

from __future__ import annotations

from django.db import models

from obole.accounts.models import Account
from obole.lib.snowflake import next_id
from obole.posts.models.status import Status


class Poll(models.Model):
    """The options and their tallies. `votes` is kept by obole.posts.polls.vote, under a row lock,
    so a timeline shows the tallies without counting PollVote rows."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    status = models.OneToOneField(Status, on_delete=models.CASCADE, related_name="poll")
    options = models.JSONField()  # ["title", ...]
    votes = models.JSONField()  # [count per option, ...]
    votes_count = models.PositiveIntegerField(default=0)  # choices made, all voters together
    voters_count = models.PositiveIntegerField(default=0)
    multiple = models.BooleanField(default=False)
    hide_totals = models.BooleanField(default=False)
    expires_at = models.DateTimeField()
    # Set once the "poll ended" notifications are made (obole.posts.tasks); the claim is a conditional UPDATE.
    ended_notified = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["expires_at"], condition=models.Q(ended_notified=False), name="poll_to_notify"
            )
        ]


class PollVote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="vote_set")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    choice = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "account", "choice"], name="poll_vote_once")]
        indexes = [models.Index(fields=["account", "poll"], name="poll_vote_by_account")]
