"""Deleting an account, at the member's request.

The ledger is append-only and its rows point at the account with
`on_delete=PROTECT` (money received must stay explainable to the operator and
the tax office), so the Account row itself cannot go. Instead
`delete_account` deactivates and scrubs it, in one transaction:

1. the membership ends at once, without a refund of the current period
   (`membership.services.end_now`); a banned account stays banned and its
   cards stay blocklisted; the card is let go so it may pay for another account;
2. every status of the account is deleted, with the reposts others made of
   them, and taken out of every home timeline; the reply and repost counters
   of other people's posts are corrected; its pictures are deleted, their
   files once the transaction commits;
3. its likes, bookmarks, lists (and its place in others'), followed hashtags,
   filters and conversations are deleted (like counters corrected), its follows
   both ways (follower and following counters corrected), its blocks and
   mutes, and the notifications it received or caused;
4. its home timeline is emptied, its API tokens revoked;
5. the profile is emptied, the email cleared, the password made unusable and
   the account deactivated. The username stays taken, so no one can pick it up
   and pass for the member who left (as Mastodon does).

What remains: the username, the ledger, the membership's history and the
cards' fingerprints, brand and last four digits (the blocklist needs them).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from obole.accounts.models import Account, Block, Follow, Mute
from obole.media import services as media_services
from obole.membership import services as membership_services
from obole.membership.models import Membership
from obole.posts import fanout
from obole.posts.models import (
    AccountList,
    Bookmark,
    Conversation,
    Favourite,
    Filter,
    ListMember,
    Notification,
    Status,
    TagFollow,
)
from obole.posts.timelines import store


def delete_account(account: Account, now: datetime) -> None:
    with transaction.atomic():
        if Membership.objects.filter(pk=account.pk).exists():  # staff made with createsuperuser have none
            membership_services.end_now(account, now=now)
        _delete_statuses(account)
        media_services.remove_all(account)
        _delete_interactions(account)
        _delete_graph(account)
        Notification.objects.filter(Q(recipient=account) | Q(from_account=account)).delete()
        store().clear(account.pk)
        _revoke_tokens(account)
        _scrub(account)


def _less(field: str, amount=1) -> Greatest:
    # Counters never go below zero, whatever happened to them before.
    return Greatest(F(field) - amount, 0)


def _delete_statuses(account: Account) -> None:
    mine = Status.objects.filter(account=account)
    # Replies to other people's posts: each parent loses as many replies as the account made to it.
    replies_to = (
        mine.filter(in_reply_to=OuterRef("pk"))
        .order_by()
        .values("in_reply_to")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Status.objects.filter(pk__in=mine.values("in_reply_to_id")).exclude(account=account).update(
        replies_count=_less("replies_count", Subquery(replies_to))
    )
    # Reposts of other people's posts (one per original at most).
    Status.objects.filter(pk__in=mine.values("reblog_of_id")).exclude(account=account).update(
        reblogs_count=_less("reblogs_count")
    )
    gone = list(
        Status.objects.filter(Q(account=account) | Q(reblog_of__account=account)).values_list("id", flat=True)
    )
    fanout.forget(gone)
    store().remove(gone)
    # Deleting the originals deletes others' reposts of them, their likes, mentions and tags.
    mine.delete()


def _delete_interactions(account: Account) -> None:
    liked = Favourite.objects.filter(account=account)
    Status.objects.filter(pk__in=liked.values("status_id")).update(favourites_count=_less("favourites_count"))
    liked.delete()
    Bookmark.objects.filter(account=account).delete()
    # The member's own lists, followed hashtags, filters and conversations, and their place in others' lists.
    for model in (AccountList, TagFollow, Filter, Conversation):
        model.objects.filter(account=account).delete()
    ListMember.objects.filter(account=account).delete()


def _delete_graph(account: Account) -> None:
    following = Follow.objects.filter(follower=account)
    followers = Follow.objects.filter(target=account)
    Account.objects.filter(pk__in=following.values("target_id")).update(
        followers_count=_less("followers_count")
    )
    Account.objects.filter(pk__in=followers.values("follower_id")).update(
        following_count=_less("following_count")
    )
    Follow.objects.filter(Q(follower=account) | Q(target=account)).delete()
    Block.objects.filter(account=account).delete()
    Mute.objects.filter(account=account).delete()


def _revoke_tokens(account: Account) -> None:
    RefreshToken.objects.filter(user=account).delete()
    AccessToken.objects.filter(user=account).delete()
    IDToken.objects.filter(user=account).delete()
    Grant.objects.filter(user=account).delete()


def _scrub(account: Account) -> None:
    account.is_active = False
    account.is_staff = account.is_superuser = False
    account.set_unusable_password()
    account.email = ""
    account.email_confirmed_at = None
    account.first_name = account.last_name = ""
    account.display_name = ""
    account.note = ""
    account.bot = False
    account.discoverable = False
    account.followers_count = account.following_count = account.statuses_count = 0
    account.last_status_at = None
    account.save()
