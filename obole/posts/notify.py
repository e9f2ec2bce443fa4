"""Making notifications. Called inside the transaction of the action that causes them."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from obole.accounts.models import Account, Block, Mute
from obole.posts.models import Notification, Status
from obole.streaming import publish as streaming


def notify(
    recipient_id: int, from_account: Account, type: str, status: Status | None, now: datetime
) -> Notification | None:
    """Tell `recipient_id`, unless it is the actor, or it blocks the actor or mutes its notifications."""
    if recipient_id == from_account.pk:
        return None
    if Block.objects.filter(account_id=recipient_id, target=from_account).exists():
        return None
    if Mute.objects.filter(account_id=recipient_id, target=from_account, notifications=True).exists():
        return None
    row = Notification.objects.create(
        recipient_id=recipient_id, from_account=from_account, type=type, status=status, created_at=now
    )
    streaming.notified(row.pk, recipient_id)
    return row


def withdraw(recipient_id: int, from_account: Account, type: str, status: Status | None) -> None:
    """Take back a notification whose cause was undone (an unfollow, an unlike)."""
    Notification.objects.filter(
        recipient_id=recipient_id, from_account=from_account, type=type, status=status
    ).delete()


def shown_notifications(viewer: Account) -> QuerySet[Notification]:
    """`viewer`'s notifications that are shown: not from deactivated accounts, accounts blocked either
    way, or accounts muted with their notifications. Left out when read rather than deleted, so
    unblocking brings them back; three NOT IN subqueries on indexed columns, in the page's one query."""
    hidden = Block.objects.filter(account=viewer).values("target")
    hiding = Block.objects.filter(target=viewer).values("account")
    return (
        Notification.objects.filter(recipient=viewer, from_account__is_active=True)
        .exclude(status__moderation__in=("held", "removed"))
        .exclude(from_account__in=hidden)
        .exclude(from_account__in=hiding)
        .exclude(from_account__in=Mute.objects.filter(account=viewer, notifications=True).values("target"))
        # A mention in a reply to, or a repost of, an account hidden by a block is hidden with it.
        .exclude(status__in_reply_to_account_id__in=hidden)
        .exclude(status__in_reply_to_account_id__in=hiding)
        .exclude(status__reblog_of__account__in=hidden)
        .exclude(status__reblog_of__account__in=hiding)
    )
