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

from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet

from obole.accounts.models import Account, Block, Follow, Mute
from obole.lib import rawrows
from obole.posts.access import SHOWN, not_blocked
from obole.posts.models import HomeFeedEntry, Mention, Status, StatusTag, TagFollow, Visibility

# How many of an account's recent statuses a new follower gets in their home timeline.
MERGE_ON_FOLLOW = 40


class TimelineStore(Protocol):
    def add(self, status: Status) -> None:
        """Put `status` in the home timeline of everyone in its audience (safe to repeat)."""

    def prepare_add(self, status: Status) -> Callable[[], None]:
        """`add(status)`, made ready to run: what can be worked out before a transaction is, so
        that the transaction (the fan-out's) holds its locks only while it writes."""

    def push(self, owner_id: int, status_id: int) -> None:
        """Put one status in one home timeline (the author's own post, at once)."""

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
        """Status ids, newest first (oldest first above `min_id`, as Mastodon pages).

        Includes the statuses of followed accounts too widely followed to be
        fanned out (`wide_statuses`), merged in at read time.
        """


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
        return _author_and(author, Mention.objects.filter(status=status).values("account_id"))
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
    return _author_and(author, followers.values("follower"))


def _author_and(author: int, others: QuerySet) -> QuerySet:
    """Ids of the account `author` and of the accounts `others` (a values() of ids).

    One IN over a UNION ALL: written as "id = author OR id IN (others)",
    PostgreSQL cannot use an index for the OR and reads every account (2.4 ms
    a fan-out on 10,000 members, 0.3 ms this way; SQLite managed either).
    """
    author_only = Account.objects.filter(pk=author).values("pk")
    return Account.objects.filter(pk__in=author_only.union(others, all=True)).values("pk")


def tag_audience(status: Status) -> QuerySet:
    """Ids of the accounts that follow a hashtag of `status` and get it in their home timeline.

    Public statuses only, never reposts, and not the author; as in `audience`,
    not those who mute or block the author (or the account replied to), nor
    those these accounts block. Empty (no query) when the status has no tags.
    """
    if status.visibility != Visibility.PUBLIC or status.reblog_of_id is not None or not status.tags:
        return Account.objects.none().values("pk")
    silencers = [status.account_id]
    if status.in_reply_to_account_id is not None and status.in_reply_to_account_id != status.account_id:
        silencers.append(status.in_reply_to_account_id)
    followers = (
        TagFollow.objects.filter(tag__name__in=status.tags)
        .exclude(account_id=status.account_id)
        .exclude(account__in=Mute.objects.filter(target__in=silencers).values("account"))
        .exclude(account__in=Block.objects.filter(target__in=silencers).values("account"))
        .exclude(account__in=Block.objects.filter(account__in=silencers).values("target"))
    )
    return Account.objects.filter(pk__in=followers.values("account_id"), is_active=True).values("pk")


def followed_tag_statuses(owner_id: int) -> QuerySet:
    """The reader's side of `tag_audience`: public original statuses tagged with a hashtag `owner_id`
    follows, not by an account they mute, block or are blocked by."""
    tags = TagFollow.objects.filter(account_id=owner_id).values("tag_id")
    tagged = StatusTag.objects.filter(tag_id__in=tags).values("status_id")
    silenced = [
        Mute.objects.filter(account_id=owner_id).values("target_id"),
        Block.objects.filter(account_id=owner_id).values("target_id"),
        Block.objects.filter(target_id=owner_id).values("account_id"),
    ]
    statuses = Status.objects.filter(id__in=tagged, visibility=Visibility.PUBLIC, reblog_of__isnull=True)
    for accounts in silenced:
        statuses = statuses.exclude(account_id__in=accounts)
    return statuses


def reaches_all_followers(author_followers: int) -> bool:
    """Whether an author's posts are fanned out on write, or merged in when read (too many followers)."""
    return author_followers <= settings.OBOLE_FANOUT_MAX_FOLLOWERS


def followed_statuses(owner_id: int, authors: QuerySet) -> QuerySet:
    """The statuses by `authors` (ids of accounts `owner_id` follows) that fan-out would give `owner_id`.

    The reader's side of `audience`: not direct, not by or reposting an account
    the reader mutes or blocks, and a reply to someone else only if the reader
    follows that account too.
    """
    following = Follow.objects.filter(follower_id=owner_id).values("target_id")
    silenced = [
        Mute.objects.filter(account_id=owner_id).values("target_id"),
        Block.objects.filter(account_id=owner_id).values("target_id"),
    ]
    statuses = Status.objects.filter(account_id__in=authors).exclude(visibility=Visibility.DIRECT)
    for accounts in silenced:
        statuses = statuses.exclude(account_id__in=accounts).exclude(reblog_of__account_id__in=accounts)
    return statuses.filter(
        Q(in_reply_to_account_id__isnull=True)
        | Q(in_reply_to_account_id=F("account_id"))
        | Q(in_reply_to_account_id__in=following)
    )


def wide_statuses(owner_id: int) -> QuerySet:
    """Statuses of followed accounts above OBOLE_FANOUT_MAX_FOLLOWERS: merged into home when read."""
    wide = Follow.objects.filter(
        follower_id=owner_id, target__followers_count__gt=settings.OBOLE_FANOUT_MAX_FOLLOWERS
    ).values("target_id")
    return followed_statuses(owner_id, wide)


def _bounds_sql(
    column: str, max_id: int | None, since_id: int | None, min_id: int | None
) -> tuple[str, list]:
    floor = max((x for x in (since_id, min_id) if x is not None), default=None)
    sql, params = "", []
    if max_id is not None:
        sql, params = f" AND {column} < %s", [max_id]
    if floor is not None:
        sql, params = f"{sql} AND {column} > %s", [*params, floor]
    return sql, params


def _silenced_sql() -> str:
    return (
        f"(SELECT target_id FROM {Mute._meta.db_table} WHERE account_id = %s "  # noqa: S608
        f"UNION ALL SELECT target_id FROM {Block._meta.db_table} WHERE account_id = %s)"
    )


def _wide_authors_sql() -> str:
    return (
        f"SELECT f.target_id FROM {Follow._meta.db_table} f "  # noqa: S608 (names from the models)
        f"JOIN {Account._meta.db_table} a ON a.id = f.target_id AND a.followers_count > %s "
        f"WHERE f.follower_id = %s AND f.target_id NOT IN {_silenced_sql()}"
    )


def _wide_authors_params(owner_id: int) -> list:
    return [settings.OBOLE_FANOUT_MAX_FOLLOWERS, owner_id, owner_id, owner_id]


def wide_authors(owner_id: int) -> list[int]:
    """The accounts `owner_id` follows that are above OBOLE_FANOUT_MAX_FOLLOWERS, less those they
    mute or block: whose statuses are merged into their home timeline when read. One query."""
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(_wide_authors_sql(), _wide_authors_params(owner_id))
        return [row[0] for row in cursor.fetchall()]


def _wide_page_sql(owner_id: int, authors: list[int], bounds: dict, *, windowed: bool) -> tuple[str, list]:
    """One page of `wide_statuses(owner_id)` by `authors` (from `wide_authors`), written out in SQL.

    `windowed`: the bounds hold the page to a window of time (`narrowed`), so
    one query reads the authors' statuses inside it from the (account, id)
    index. Otherwise the newest page of each author is read on its own and
    stops at the page's length — an author with a million statuses costs what
    one with twenty does — and the pages are merged. The rules are those of
    `followed_statuses`; the tests hold the two to the same results.
    """
    where, params = _bounds_sql("s.id", bounds["max_id"], bounds["since_id"], bounds["min_id"])
    order = "ASC" if bounds["min_id"] is not None else "DESC"
    limit = bounds["limit"]
    silenced = _silenced_sql()
    rules = (
        f"s.visibility <> %s AND (o.account_id IS NULL OR o.account_id NOT IN {silenced}) "  # noqa: S608
        f"AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id "
        f"OR s.in_reply_to_account_id IN "
        f"(SELECT target_id FROM {Follow._meta.db_table} WHERE follower_id = %s)){where}"
    )
    rule_args = [Visibility.DIRECT, owner_id, owner_id, owner_id, *params]
    statuses = (
        f"SELECT s.id FROM {Status._meta.db_table} s "  # noqa: S608 (names from the models)
        f"LEFT JOIN {Status._meta.db_table} o ON o.id = s.reblog_of_id"
    )
    if windowed:
        sql = f"{statuses} WHERE {rawrows.id_list('s.account_id')} AND {rules} ORDER BY s.id {order} LIMIT %s"
        return sql, [rawrows.id_param(authors), *rule_args, limit]
    one = f"{statuses} WHERE s.account_id = %s AND {rules} ORDER BY s.id {order} LIMIT %s"
    each = " UNION ALL ".join(f"SELECT id FROM ({one}) AS w{n}" for n in range(len(authors)))  # noqa: S608
    sql = f"SELECT id FROM ({each}) AS wide ORDER BY id {order} LIMIT %s"  # noqa: S608
    args = []
    for author in authors:
        args += [author, *rule_args, limit]
    return sql, [*args, limit]


def narrowed(bounds: dict, page: list[int]) -> dict:
    """`bounds` for the widely followed accounts' page, given the page of fanned-out ids: when that
    page is full, a wide status older than its oldest (newer than its newest, paging up from
    min_id) cannot be on the merged page, so the wide page need not look past it. A reader's
    wide authors may have years of statuses; the merged page spans hours. Marked `windowed`."""
    if len(page) < bounds["limit"]:
        return bounds
    if bounds["min_id"] is None:
        floor = max(x for x in (bounds["since_id"], min(page)) if x is not None)
        return {**bounds, "since_id": floor, "windowed": True}
    ceiling = min(x for x in (bounds["max_id"], max(page)) if x is not None)
    return {**bounds, "max_id": ceiling, "windowed": True}


def wide_page(
    owner_id: int, authors: list[int] | None = None, *, windowed: bool = False, **bounds
) -> list[int]:
    """A page of `wide_statuses(owner_id)` ids (oldest first above `min_id`); `authors` when the
    caller has read `wide_authors` already. No query at all when the reader follows no account
    above the threshold (most readers, once `authors` is known)."""
    if authors is None:
        authors = wide_authors(owner_id)
    if not authors:
        return []
    sql, params = _wide_page_sql(owner_id, authors, bounds, windowed=windowed)
    with rawrows.prepared_cursor() as cursor:  # a few texts (authors followed, bounds given): prepared
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def home_from_database(owner_id: int) -> QuerySet:
    """The whole home timeline of `owner_id` worked out from the statuses: what the stores hold.

    The author's own statuses, those of followed accounts as fan-out gives
    them, direct statuses that mention the owner, and public statuses with a
    hashtag the owner follows. The Redis store rebuilds
    a lost timeline from it; it is also what reads past the Redis store's
    bounded list fall back on.
    """
    following = Follow.objects.filter(follower_id=owner_id).values("target_id")
    followed = followed_statuses(owner_id, following).values("id")
    mentioned = Mention.objects.filter(account_id=owner_id, status__visibility=Visibility.DIRECT)
    return Status.objects.filter(
        Q(account_id=owner_id)
        | Q(id__in=followed)
        | Q(id__in=mentioned.values("status_id"))
        | Q(id__in=followed_tag_statuses(owner_id).values("id"))
    )


# How many followed accounts' newest pages one statement of `newest_home` reads (SQLite allows
# at most 500 terms in a compound SELECT).
AUTHORS_A_STATEMENT = 100


def followed_authors(owner_id: int) -> list[int]:
    """The accounts `owner_id` follows, less those they mute or block. One query."""
    sql = (
        f"SELECT f.target_id FROM {Follow._meta.db_table} f "  # noqa: S608 (names from the models)
        f"WHERE f.follower_id = %s AND f.target_id NOT IN {_silenced_sql()}"
    )
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(sql, [owner_id, owner_id, owner_id])
        return [row[0] for row in cursor.fetchall()]


def newest_home(owner_id: int, limit: int) -> list[int]:
    """The newest `limit` ids of `home_from_database(owner_id)`, newest first: what a lost Redis
    timeline is rebuilt from.

    Read source by source, each from its own index, as Mastodon rebuilds a
    home timeline: the owner's statuses; each followed account's newest page
    (`wide_page`'s per-author pages, a hundred accounts a statement), each
    page stopping at the oldest id the merged result already keeps once it
    is full; direct statuses that mention the owner; each followed hashtag's
    newest statuses. Asked of the statuses table as one query, the planner
    walks its primary key back from the newest status until it has found
    `limit` of this reader's: every status posted since their 400th newest,
    which on a large network is millions of rows for one rebuild.
    """
    own = Status.objects.filter(account_id=owner_id).order_by("-id")
    found = set(own.values_list("id", flat=True)[:limit])
    mentions = Mention.objects.filter(account_id=owner_id, status__visibility=Visibility.DIRECT)
    found |= set(mentions.order_by("-status_id").values_list("status_id", flat=True)[:limit])
    newest = sorted(found, reverse=True)[:limit]
    authors = followed_authors(owner_id)
    for start in range(0, len(authors), AUTHORS_A_STATEMENT):
        chunk = authors[start : start + AUTHORS_A_STATEMENT]
        floor = newest[-1] if len(newest) == limit else None
        more = wide_page(owner_id, chunk, max_id=None, since_id=floor, min_id=None, limit=limit)
        newest = sorted(set(newest) | set(more), reverse=True)[:limit]
    for tag_id in TagFollow.objects.filter(account_id=owner_id).values_list("tag_id", flat=True):
        tagged = followed_tag_statuses(owner_id).filter(
            id__in=StatusTag.objects.filter(tag_id=tag_id).values("status_id")
        )
        if len(newest) == limit:
            tagged = tagged.filter(id__gt=newest[-1])
        more = tagged.order_by("-id").values_list("id", flat=True)[:limit]
        newest = sorted(set(newest) | set(more), reverse=True)[:limit]
    return newest


def bounded(
    ids: QuerySet,
    column: str,
    *,
    max_id: int | None,
    since_id: int | None,
    min_id: int | None,
    limit: int,
) -> QuerySet:
    """One page of `ids` (a values_list of status ids named `column`), as Mastodon pages.

    Newest first, or, above `min_id`, the oldest first (callers reverse it).
    """
    if max_id is not None:
        ids = ids.filter(**{f"{column}__lt": max_id})
    if since_id is not None:
        ids = ids.filter(**{f"{column}__gt": since_id})
    if min_id is not None:
        return ids.filter(**{f"{column}__gt": min_id}).order_by(column)[:limit]
    return ids.order_by(f"-{column}")[:limit]


def merged(ids: list[int], more: list[int], *, ascending: bool, limit: int) -> list[int]:
    """Two pages of ids merged into one (no repeats), newest first."""
    together = sorted(set(ids) | set(more), reverse=not ascending)[:limit]
    return together if not ascending else list(reversed(together))


class DatabaseTimelineStore:
    """Home timelines as rows of (owner, status) in the database."""

    table = HomeFeedEntry._meta.db_table

    def add(self, status: Status) -> None:
        self.prepare_add(status)()

    def prepare_add(self, status: Status) -> Callable[[], None]:
        # One INSERT … SELECT: the audience never travels to Python, and is read when the
        # statement runs. ON CONFLICT makes a repeated fan-out (a retried task) harmless;
        # "WHERE true" is SQLite's way of telling that ON CONFLICT apart from a join's ON.
        sql, params = audience(status).query.sql_with_params()
        insert = (
            f"INSERT INTO {self.table} (owner_id, status_id) SELECT audience.pk, %s "  # noqa: S608
            f"FROM ({sql}) AS audience WHERE true ON CONFLICT DO NOTHING"
        )

        def write() -> None:
            with connection.cursor() as cursor:
                cursor.execute(insert, (status.pk, *params))

        return write

    def push(self, owner_id: int, status_id: int) -> None:
        HomeFeedEntry.objects.bulk_create(
            [HomeFeedEntry(owner_id=owner_id, status_id=status_id)], ignore_conflicts=True
        )

    def remove(self, status_ids: list[int]) -> None:
        HomeFeedEntry.objects.filter(status_id__in=status_ids).delete()

    def merge_author(self, owner_id: int, author_id: int) -> None:
        recent = (
            recent_for_follower(owner_id, author_id)
            .exclude(id__in=HomeFeedEntry.objects.filter(owner_id=owner_id).values("status_id"))
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
        # One query for the page of fanned-out entries and the widely followed accounts the
        # reader follows (wide_authors); a second for those accounts' page, only if there are
        # any (wide_page); the two pages merged.
        where, params = _bounds_sql("status_id", max_id, since_id, min_id)
        order = "ASC" if min_id is not None else "DESC"
        sql = (
            f"SELECT id, 0 FROM (SELECT status_id AS id FROM {self.table} "  # noqa: S608
            f"WHERE owner_id = %s{where} ORDER BY status_id {order} LIMIT %s) AS fanned "
            f"UNION ALL SELECT target_id, 1 FROM ({_wide_authors_sql()}) AS wide"
        )
        with rawrows.prepared_cursor() as cursor:
            cursor.execute(sql, (owner_id, *params, limit, *_wide_authors_params(owner_id)))
            found = cursor.fetchall()
        fanned = sorted((pk for pk, wide in found if not wide), reverse=min_id is None)
        authors = [pk for pk, wide in found if wide]
        bounds = {"max_id": max_id, "since_id": since_id, "min_id": min_id, "limit": limit}
        wide = wide_page(owner_id, authors, **narrowed(bounds, fanned))
        if wide:
            return merged(fanned, wide, ascending=min_id is not None, limit=limit)  # newest first
        return list(reversed(fanned)) if min_id is not None else fanned


def home_statuses(owner: Account, ids: list[int]) -> dict[int, Status]:
    """The statuses behind a page of `owner`'s home timeline, by id, with their authors: those of
    deactivated accounts, those that a block hides (a reply to a blocked account written
    before the block was made, say), and those held or removed by moderation (which a Redis
    timeline rebuilt from the database, or a widely followed author's merged page, could
    otherwise bring back) are left out when read. One query."""
    return (
        Status.objects.select_related("account", "reblog_of__account")
        .filter(account__is_active=True)
        .filter(not_blocked(owner))
        .filter(SHOWN)
        .in_bulk(ids)
    )


def recent_for_follower(owner_id: int, author_id: int) -> QuerySet:
    """`author_id`'s recent statuses that a new follower gets, newest first."""
    return (
        Status.objects.filter(account_id=author_id, visibility__in=[Visibility.PUBLIC, Visibility.PRIVATE])
        .filter(Q(in_reply_to_account_id__isnull=True) | Q(in_reply_to_account_id=author_id))
        .order_by("-id")
    )


_store: TimelineStore | None = None


def store() -> TimelineStore:
    """The database store, or the Redis store when OBOLE_REDIS_URL is set."""
    global _store
    if _store is None:
        if settings.OBOLE_REDIS_URL:
            from obole.posts.timelines_redis import RedisTimelineStore

            _store = RedisTimelineStore(settings.OBOLE_REDIS_URL)
        else:
            _store = DatabaseTimelineStore()
    return _store
