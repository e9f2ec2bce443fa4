"""Writes on the social graph: follow, block, mute, and their undoing.

A follow is something others see (fake followers are what bot markets sell),
so it needs write rights. Unfollowing, blocking and muting protect the member
and never need them. Each runs in one transaction with its counters, its
home-timeline change and its notification.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from obole.accounts.models import Account, Block, Follow, Mute
from obole.lib.errors import Forbidden, UserError
from obole.membership.permissions import require_write
from obole.streaming import publish as streaming


def follow(account: Account, target: Account, now: datetime | None = None) -> None:
    from obole.posts.models import Notification
    from obole.posts.notify import notify
    from obole.posts.timelines import store
    from obole.trust.posting import touched

    now = now or timezone.now()
    require_write(account, now)
    if target.pk == account.pk:
        raise UserError("You cannot follow yourself.")
    if Block.objects.filter(Q(account=account, target=target) | Q(account=target, target=account)).exists():
        raise Forbidden("This action is not allowed")
    try:
        with transaction.atomic():
            _, created = Follow.objects.get_or_create(follower=account, target=target)
            if not created:
                return
            Account.objects.filter(pk=account.pk).update(following_count=F("following_count") + 1)
            Account.objects.filter(pk=target.pk).update(followers_count=F("followers_count") + 1)
            store().merge_author(account.pk, target.pk)
            streaming.graph_changed(account.pk)
            notify(target.pk, account, Notification.Type.FOLLOW, None, now)
            touched(account.pk, now)  # follow bursts are a bot signal (obole.trust)
    except IntegrityError:
        return  # a concurrent request made the same follow


def unfollow(account: Account, target: Account) -> None:
    from obole.posts.models import Notification
    from obole.posts.notify import withdraw
    from obole.posts.timelines import store

    with transaction.atomic():
        _end_follow(account, target)
        withdraw(target.pk, account, Notification.Type.FOLLOW, None)
        store().remove_author(account.pk, target.pk)
        streaming.graph_changed(account.pk)


def _end_follow(follower: Account, target: Account) -> None:
    deleted, _ = Follow.objects.filter(follower=follower, target=target).delete()
    if deleted:
        Account.objects.filter(pk=follower.pk, following_count__gt=0).update(
            following_count=F("following_count") - 1
        )
        Account.objects.filter(pk=target.pk, followers_count__gt=0).update(
            followers_count=F("followers_count") - 1
        )


def block(account: Account, target: Account) -> None:
    """Block `target`: follows both ways end and each leaves the other's home timeline."""
    from obole.posts.timelines import store

    if target.pk == account.pk:
        raise UserError("You cannot block yourself.")
    with transaction.atomic():
        Block.objects.get_or_create(account=account, target=target)
        _end_follow(account, target)
        _end_follow(target, account)
        store().remove_author(account.pk, target.pk)
        store().remove_author(target.pk, account.pk)
        streaming.graph_changed(account.pk)
        streaming.graph_changed(target.pk)


def unblock(account: Account, target: Account) -> None:
    Block.objects.filter(account=account, target=target).delete()


def mute(account: Account, target: Account, *, notifications: bool = True) -> None:
    from obole.posts.timelines import store

    if target.pk == account.pk:
        raise UserError("You cannot mute yourself.")
    with transaction.atomic():
        Mute.objects.update_or_create(
            account=account, target=target, defaults={"notifications": notifications}
        )
        store().remove_author(account.pk, target.pk)


def unmute(account: Account, target: Account) -> None:
    Mute.objects.filter(account=account, target=target).delete()
