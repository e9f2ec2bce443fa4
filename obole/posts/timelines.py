"""Home timelines: the TimelineStore interface and its database implementation.

Home timelines are filled on write (fan-out): when a status is made, its id is
added to the home timeline of the author and of each follower who should see
it, so reading a home timeline is one indexed range scan, however many
accounts the reader follows. Mutes and blocks take the muted author out of the
reader's timeline when they are made, so reads need no filtering.

`audience(status)` is the query of who gets a status; the store only keeps
ids. A Redis store (bounded lists per account) can be put behind the same
interface for scale.
"""

from __future__ import annotations

from typing import Protocol

from django.db import connection
from django.db.models import Q, QuerySet

from obole.accounts.models import Account, Block, Follow, Mute
from obole.posts.access import not_blocked
from obole.posts.models import HomeFeedEntry, Mention, Status, Visibility

# How many of an account's recent statuses a new follower gets in their home timeline.
MERGE_ON_FOLLOW = 40


class TimelineStore(Protocol):
    def add(self, status: Status) -> None:
        """Put `status` in the home timeline of everyone in its audience."""

    def remove(self, status_ids: list[int]) -> None:
        """Take these statuses out of every home timeline."""

    def merge_author(self, owner_id: int, author_id: int) -> None:
        """Put `author_id`'s recent statuses in `owner_id`'s timeline (a new follow)."""

    def remove_author(self, owner_id: int, author_id: int) -> None:
        """Take `author_id`'s statuses and reposts of them out of `owner_id`'s timeline."""

    def clear(self, owner_id: int) -> None:
        """Empty `owner_id`'s home timeline (the account is deleted)."""

    def page(
        self,
        owner_id: int,
        *,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        limit: int = 20,
    ) -> list[int]:
        """Status ids, newest first (oldest first above `min_id`, as Mastodon pages)."""


def audience(status: Status) -> QuerySet:
    """Ids of the accounts whose home timeline gets `status`.

    The author, and for anything but a direct status, the followers of the
    author who do not mute or block them; a reply to someone else goes only to
    followers who also follow the account replied to (as Mastodon does), and
    a repost or a reply skips followers who mute or block the original's
    author or the account replied to, and those whom that account blocks.
    Direct statuses go to the accounts mentioned.
    """
    author = status.account_id
    if status.visibility == Visibility.DIRECT:
        mentioned = Mention.objects.filter(status=status).values("account_id")
        return Account.objects.filter(Q(pk=author) | Q(pk__in=mentioned)).values("pk")
    followers = Follow.objects.filter(target_id=author)
    replied_to = status.in_reply_to_account_id
    silencers = [author]
    if status.reblog_of_id is not None:
        silencers.append(status.reblog_of.account_id)
    if replied_to is not None and replied_to != author:
        silencers.append(replied_to)
    followers = followers.exclude(follower__in=Mute.objects.filter(target__in=silencers).values("account"))
    followers = followers.exclude(follower__in=Block.objects.filter(target__in=silencers).values("account"))
    # Blocks hold both ways: who the original's author (or the account replied to) blocks gets nothing.
    followers = followers.exclude(follower__in=Block.objects.filter(account__in=silencers).values("target"))
    if replied_to is not None and replied_to != author:
        followers = followers.filter(
            follower__in=Follow.objects.filter(target_id=replied_to).values("follower")
        )
    return Account.objects.filter(Q(pk=author) | Q(pk__in=followers.values("follower"))).values("pk")


class DatabaseTimelineStore:
    """Home timelines as rows of (owner, status) in the database."""

    table = HomeFeedEntry._meta.db_table

    def add(self, status: Status) -> None:
        # One INSERT … SELECT: the audience never travels to Python.
        sql, params = audience(status).query.sql_with_params()
        with connection.cursor() as cursor:
            insert = f"INSERT INTO {self.table} (owner_id, status_id) SELECT audience.pk, %s FROM ({sql}) AS audience"  # noqa: S608, E501
            cursor.execute(insert, (status.pk, *params))

    def remove(self, status_ids: list[int]) -> None:
        HomeFeedEntry.objects.filter(status_id__in=status_ids).delete()

    def merge_author(self, owner_id: int, author_id: int) -> None:
        recent = (
            Status.objects.filter(
                account_id=author_id, visibility__in=[Visibility.PUBLIC, Visibility.PRIVATE]
            )
            .filter(Q(in_reply_to_account_id__isnull=True) | Q(in_reply_to_account_id=author_id))
            .exclude(id__in=HomeFeedEntry.objects.filter(owner_id=owner_id).values("status_id"))
            .order_by("-id")
            .values_list("id", flat=True)[:MERGE_ON_FOLLOW]
        )
        HomeFeedEntry.objects.bulk_create(
            [HomeFeedEntry(owner_id=owner_id, status_id=status_id) for status_id in recent],
            ignore_conflicts=True,
        )

    def remove_author(self, owner_id: int, author_id: int) -> None:
        theirs = Status.objects.filter(Q(account_id=author_id) | Q(reblog_of__account_id=author_id))
        HomeFeedEntry.objects.filter(owner_id=owner_id, status_id__in=theirs.values("id")).delete()

    def clear(self, owner_id: int) -> None:
        HomeFeedEntry.objects.filter(owner_id=owner_id).delete()

    def page(
        self,
        owner_id: int,
        *,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        limit: int = 20,
    ) -> list[int]:
        entries = HomeFeedEntry.objects.filter(owner_id=owner_id)
        if max_id is not None:
            entries = entries.filter(status_id__lt=max_id)
        if since_id is not None:
            entries = entries.filter(status_id__gt=since_id)
        if min_id is not None:
            ids = entries.filter(status_id__gt=min_id).order_by("status_id")
            return list(reversed(ids.values_list("status_id", flat=True)[:limit]))
        return list(entries.order_by("-status_id").values_list("status_id", flat=True)[:limit])


def home_statuses(owner: Account, ids: list[int]) -> dict[int, Status]:
    """The statuses behind a page of `owner`'s home timeline, by id, with their authors: those of
    deactivated accounts, and those that a block hides (a reply to a blocked account written
    before the block was made, say), are left out when read. One query."""
    return (
        Status.objects.select_related("account", "reblog_of__account")
        .filter(account__is_active=True)
        .filter(not_blocked(owner))
        .in_bulk(ids)
    )


_store: TimelineStore = DatabaseTimelineStore()


def store() -> TimelineStore:
    return _store
