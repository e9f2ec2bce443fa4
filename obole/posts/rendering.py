"""Statuses and their authors as Mastodon entities (JSON-ready dicts): the one renderer.

The API, the web pages and the streaming server all render statuses here.
A page of statuses is rendered in three steps:

1. the viewer-independent part of each status and of each author, built once
   and kept in a bounded per-process cache;
2. `viewer_state`: ONE query for the viewer's own flags on the whole page
   (favourited, reblogged, bookmarked) — everything that depends on who reads
   is worked out there and applied by `_with_viewer`;
3. polls, when the page has any (their counts and the viewer's votes are read
   each time, two queries).

The cache needs no invalidation, so no service can forget one: an entry is
keyed by the status id *and its version*. For a row in hand (the general
renderer), the version is the row's own changing columns (edit time and
text, reply/repost/like counts, poll flag, sensitivity); the lean home path
reads instead the number the database sets afresh on every update of the
row (obole.lib.row_versions). The row is read for every page anyway, since
whether it may be shown (deleted, held by moderation, blocked, its author
deactivated) is decided afresh on every read. An author's part is keyed the same way by the account's profile
columns and counts. So a like, an edit (text, media descriptions), a
deletion, a moderation hold or a profile change is on the next read, from
any process, and a stale entry is simply never asked for again and falls out
of the cache. Entities handed out are copies at the top level; the cached
parts they share (the author, media, mentions) must not be changed.

`home_page` is the lean path of the hottest read: the page's statuses, their
authors and the originals of reposts in one hand-written query (building it
with the ORM cost ten times as long as running it) that selects their ids and
row versions, turned into model instances only for statuses not in the cache.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.templatetags.static import static

from obole.accounts.models import Account, Block
from obole.lib import rawrows
from obole.lib.bounded import Bounded
from obole.media.entities import attachment
from obole.posts import polls
from obole.posts.models import Bookmark, Favourite, Filter, Pin, Poll, Status
from obole.posts.text import plain_to_html

# Entries kept per process, for statuses and for authors each (obole.lib.bounded). A page of 20
# statuses (with the originals of reposts) is at most 40 entries; an entry is about 2 kB.
CACHE_SIZE = 20_000


def iso(moment: datetime | None) -> str | None:
    """Mastodon's timestamp format: 2026-11-25T03:14:15.926Z."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def profile_url(username: str) -> str:
    return f"{settings.OBOLE_BASE_URL}/@{username}"


@functools.cache
def _asset(path: str) -> str:
    # The manifest lookup behind static() costs more than rendering the rest of an
    # account; the URL of a collected file does not change while a process lives.
    return f"{settings.OBOLE_BASE_URL}{static(path)}"


_accounts = Bounded(CACHE_SIZE)
_statuses = Bounded(CACHE_SIZE)

# What an account's entity shows and a status's viewer-independent entity shows that can
# change: the version part of their cache keys.
ACCOUNT_VERSION = (
    "username",
    "display_name",
    "note",
    "bot",
    "discoverable",
    "date_joined",
    "followers_count",
    "following_count",
    "statuses_count",
    "last_status_at",
)
STATUS_VERSION = (
    "edited_at",
    "content",
    "spoiler_text",
    "sensitive",
    "replies_count",
    "reblogs_count",
    "favourites_count",
    "has_poll",
)


def clear_cache() -> None:
    """Forget every rendered entity of this process (tests; never needed for correctness)."""
    _accounts.clear()
    _statuses.clear()


def _account_key(row: Account) -> tuple:
    return (row.pk, *(getattr(row, name) for name in ACCOUNT_VERSION))


def _author(row: Account, key: tuple | None = None) -> dict:
    """The shared, cached Account entity of `row` (not to be changed)."""
    key = key or _account_key(row)
    found = _accounts.get(key)
    if found is None:
        found = _render_account(row)
        _accounts.put(key, found)
    return found


def account(row: Account) -> dict:
    """An Account entity."""
    return dict(_author(row))


def _render_account(row: Account) -> dict:
    avatar = _asset("obole/avatar.png")
    header = _asset("obole/header.png")
    return {
        "id": str(row.pk),
        "username": row.username,
        "acct": row.username,
        "display_name": row.display_name,
        "locked": False,
        "bot": row.bot,
        "discoverable": row.discoverable,
        "indexable": row.discoverable,
        "group": False,
        "noindex": False,
        "hide_collections": False,
        "created_at": iso(row.date_joined),
        "note": plain_to_html(row.note),
        "url": profile_url(row.username),
        "uri": f"{settings.OBOLE_BASE_URL}/users/{row.username}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": row.followers_count,
        "following_count": row.following_count,
        "statuses_count": row.statuses_count,
        "last_status_at": row.last_status_at.date().isoformat() if row.last_status_at else None,
        "emojis": [],
        "fields": [],
        "roles": [],
    }


def credential_account(row: Account) -> dict:
    """The signed-in member's own Account, with `source` (what they typed) and `role`."""
    return {
        **_author(row),
        "source": {
            "note": row.note,
            "fields": [],
            "privacy": row.default_visibility,
            "sensitive": row.default_sensitive,
            "language": row.default_language or None,
            "follow_requests_count": 0,
            "hide_collections": False,
            "discoverable": row.discoverable,
            "indexable": row.discoverable,
        },
        "role": {
            "id": "-99",
            "name": "",
            "permissions": "0",
            "color": "",
            "highlighted": False,
        },
    }


def accounts(rows: Iterable[Account]) -> list[dict]:
    return [account(row) for row in rows]


def _status_key(row: Status) -> tuple:
    return (row.pk, *(getattr(row, name) for name in STATUS_VERSION))


def _render_status(row: Status, username: str) -> dict:
    """The viewer-independent part of a Status entity, without its author, poll and repost."""
    base = settings.OBOLE_BASE_URL
    return {
        "id": str(row.pk),
        "uri": f"{base}/users/{username}/statuses/{row.pk}",
        "url": f"{base}/@{username}/{row.pk}",
        "created_at": iso(row.created_at),
        "edited_at": iso(row.edited_at),
        "account": None,
        "content": row.content,
        "visibility": row.visibility,
        "sensitive": row.sensitive,
        "spoiler_text": row.spoiler_text,
        "media_attachments": [attachment(item) for item in row.media],
        "application": None,
        "mentions": [
            {
                "id": m["id"],
                "username": m["username"],
                "acct": m["username"],
                "url": profile_url(m["username"]),
            }
            for m in row.mentions
        ],
        "tags": [{"name": name, "url": f"{base}/tags/{name}"} for name in row.tags],
        "emojis": [],
        "reblogs_count": row.reblogs_count,
        "favourites_count": row.favourites_count,
        "replies_count": row.replies_count,
        "in_reply_to_id": str(row.in_reply_to_id) if row.in_reply_to_id else None,
        "in_reply_to_account_id": str(row.in_reply_to_account_id) if row.in_reply_to_account_id else None,
        "reblog": None,
        "poll": None,
        "card": None,
        "language": row.language,
        "filtered": [],
    }


def _cached_status(row: Status, key: tuple | None = None) -> dict:
    key = key or _status_key(row)
    found = _statuses.get(key)
    if found is None:
        found = _render_status(row, row.account.username)
        _statuses.put(key, found)
    return found


@dataclass(slots=True)
class _Listed:
    """One status of a page before the viewer's part: its cached parts and what the page needs."""

    pk: int
    author_id: int
    has_poll: bool
    entity: dict  # the cached viewer-independent part
    author: dict  # the cached Account entity
    reblog: _Listed | None = None


def _listed(row: Status) -> _Listed:
    original = _listed(row.reblog_of) if row.reblog_of_id is not None else None
    return _Listed(row.pk, row.account_id, row.has_poll, _cached_status(row), _author(row.account), original)


def statuses(
    rows: list[Status], viewer: Account | None, *, with_text: bool = False, context: str | None = None
) -> list[dict]:
    """Render a page of statuses. Rows should come with `account` and `reblog_of__account` selected.
    `context` (home, public, thread, account, notifications) applies the viewer's filters there
    (`filtered` on what they match: obole.api.filters)."""
    if not rows:
        return []
    rendered, state = _render([_listed(row) for row in rows], viewer)
    if with_text:
        for row, entity in zip(rows, rendered, strict=True):
            entity["text"] = row.text
    if context is not None and state is not None and state.filters:
        from obole.api.filters import mark  # the API's FilterResult entities

        mark(rendered, rows, viewer, context)
    return rendered


def status(row: Status, viewer: Account | None, *, with_text: bool = False) -> dict:
    return statuses([row], viewer, with_text=with_text)[0]


@dataclass(frozen=True, slots=True)
class ViewerState:
    """What depends on who reads a page: the statuses (by id) the viewer liked, reposted,
    bookmarked, and pinned to their own profile."""

    favourited: frozenset[int]
    reblogged: frozenset[int]
    bookmarked: frozenset[int]
    pinned: frozenset[int] = frozenset()
    filters: bool = False  # whether the viewer has filters at all (obole.posts.filters)


NOTHING_YET = ViewerState(frozenset(), frozenset(), frozenset(), frozenset())


def new_status(row: Status) -> dict:
    """A status as its author's create call answers it. No one can have liked, reposted,
    bookmarked or pinned a status that did not exist, so the author's flags are not read."""
    return _render([_listed(row)], row.account, NOTHING_YET)[0][0]


def viewer_state(viewer: Account, ids: Iterable[int]) -> ViewerState:
    """The viewer's own flags on statuses `ids`, and whether they have filters at all: one query
    (a UNION ALL of five index lookups), written out in SQL as every timeline page pays it."""
    ids = list(ids)
    if not ids:
        return NOTHING_YET
    found: dict[str, set[int]] = {"f": set(), "r": set(), "b": set(), "p": set(), "x": set()}
    listed = rawrows.id_param(ids)
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(_viewer_sql(connection.vendor), [*([viewer.pk, listed] * 4), viewer.pk])
        for status_id, flag in cursor.fetchall():
            found[flag].add(status_id)
    return ViewerState(*(frozenset(found[flag]) for flag in "frbp"), filters=bool(found["x"]))


@functools.cache
def _viewer_sql(vendor: str) -> str:
    flags = [
        f"SELECT {column}, '{flag}' FROM {table} WHERE account_id = %s AND {rawrows.id_list(column)}"  # noqa: S608
        for flag, (table, column) in zip("frbp", _flag_tables(), strict=True)
    ]
    # Whether the viewer has filters (their ids): the page reads them only then.
    flags.append(f"SELECT id, 'x' FROM {Filter._meta.db_table} WHERE account_id = %s")  # noqa: S608
    return " UNION ALL ".join(flags)


def _flag_tables() -> tuple[tuple[str, str], ...]:
    """Where the viewer's flags live, in ViewerState's order (favourited, reblogged, bookmarked,
    pinned): each a table of the viewer's rows and its column naming the status."""
    return (
        (Favourite._meta.db_table, "status_id"),
        (Status._meta.db_table, "reblog_of_id"),
        (Bookmark._meta.db_table, "status_id"),
        (Pin._meta.db_table, "status_id"),
    )


def _with_viewer(entity: dict, pk: int, state: ViewerState) -> None:
    """Put the viewer's part (from `viewer_state`) into a status entity of their own."""
    entity["favourited"] = pk in state.favourited
    entity["reblogged"] = pk in state.reblogged
    entity["bookmarked"] = pk in state.bookmarked
    entity["muted"] = False
    entity["pinned"] = pk in state.pinned


def _render(
    page: list[_Listed], viewer: Account | None, state: ViewerState | None = None
) -> tuple[list[dict], ViewerState | None]:
    """The entities of `page` for `viewer`; `state` when the caller has read the viewer's flags."""
    if not page:  # every status of the page was deleted, held or hidden since it was listed
        return [], None
    shown = [item.reblog or item for item in page]
    if viewer is not None and state is None:
        state = viewer_state(viewer, {item.pk for item in page} | {item.pk for item in shown})
    found_polls = _polls({item.pk: item.author_id for item in shown if item.has_poll}, viewer)
    return [_compose(item, state, found_polls) for item in page], state


def _compose(item: _Listed, state: ViewerState | None, found_polls: dict[int, dict]) -> dict:
    entity = dict(item.entity)
    entity["account"] = item.author
    entity["poll"] = found_polls.get(item.pk)
    if state is not None:
        _with_viewer(entity, item.pk, state)
    if item.reblog is not None:
        entity["reblog"] = original = _compose(item.reblog, state, found_polls)
        if state is not None:
            # Mastodon reports the viewer's flags on the wrapper as on the original.
            for flag in ("favourited", "reblogged", "bookmarked"):
                entity[flag] = original[flag]
    return entity


def _polls(authors: dict[int, int], viewer: Account | None) -> dict[int, dict]:
    """Poll entities by status id for the statuses (id: author id) of a page that have one: two
    queries, and none at all for a page without polls."""
    if not authors:
        return {}
    found = list(Poll.objects.filter(status_id__in=authors))
    for row in found:
        row.status = Status(pk=row.status_id, account_id=authors[row.status_id])  # all poll() reads of it
    own = polls.own_votes(viewer, found)
    return {row.status_id: poll(row, viewer, own) for row in found}


def poll(row: Poll, viewer: Account | None, own: dict[int, list[int]], now: datetime | None = None) -> dict:
    """A Poll entity; `own` holds the viewer's choices by poll (obole.posts.polls.own_votes)."""
    ended = polls.expired(row, now)
    shown = ended or not row.hide_totals
    entity = {
        "id": str(row.pk),
        "expires_at": iso(row.expires_at),
        "expired": ended,
        "multiple": row.multiple,
        "votes_count": row.votes_count,
        "voters_count": row.voters_count,
        "options": [
            {"title": title, "votes_count": count if shown else None}
            for title, count in zip(row.options, row.votes, strict=True)
        ],
        "emojis": [],
    }
    if viewer is not None:
        mine = own.get(row.pk, [])
        # The author counts as having voted, as in Mastodon: an app then shows the results.
        entity["voted"] = bool(mine) or row.status.account_id == viewer.pk
        entity["own_votes"] = mine
    return entity


# --- The lean path: a page of a home timeline from its ids ---------------------------------
#
# The page's query selects no more than the cache needs to answer: for each status and the
# original of a repost, its id, author and poll flag, and the row versions of it and of its
# author (obole.lib.row_versions). Only statuses or authors not in the cache are then read
# in full. The ids travel as one parameter (obole.lib.rawrows.id_list), so the statement's
# text is the same for every page: prepared once per connection on PostgreSQL, converted once.


def _flag_columns() -> str:
    """The viewer's flags (as viewer_state reads them) on the status and on the original of a
    repost, and whether the viewer has filters: columns of the page's own query, one round trip
    fewer than asking apart."""
    tables = _flag_tables()
    flags = [
        f"EXISTS (SELECT 1 FROM {table} WHERE account_id = %s AND {column} = {alias}.id)"  # noqa: S608
        for alias in ("s", "o")
        for table, column in tables
    ]
    flags.append(f"EXISTS (SELECT 1 FROM {Filter._meta.db_table} WHERE account_id = %s)")  # noqa: S608
    return ", ".join(flags)


# The flag columns end each row of _page_sql: favourited, reblogged, bookmarked, pinned for the
# status, the same for the original, then whether the viewer has filters.
_FLAGS = 9


@functools.cache
def _page_sql(vendor: str) -> str:
    sql = (
        "SELECT s.id, s.account_id, s.has_poll, s.version, a.version, "  # noqa: S608
        f"o.id, o.account_id, o.has_poll, o.version, oa.version, {_flag_columns()} "
        f"FROM {Status._meta.db_table} s JOIN {Account._meta.db_table} a ON a.id = s.account_id "
        f"LEFT JOIN {Status._meta.db_table} o ON o.id = s.reblog_of_id "
        f"LEFT JOIN {Account._meta.db_table} oa ON oa.id = o.account_id "
        f"WHERE {rawrows.id_list('s.id')} AND a.is_active = %s AND s.moderation = '' "
        "AND (o.id IS NULL OR o.moderation NOT IN ('held', 'removed'))"
    )
    # obole.posts.access.not_blocked, written out: nothing by, reposted from or replying to
    # an account the viewer blocks or is blocked by.
    for hidden in (
        f"SELECT target_id FROM {Block._meta.db_table} WHERE account_id = %s",  # noqa: S608
        f"SELECT account_id FROM {Block._meta.db_table} WHERE target_id = %s",  # noqa: S608
    ):
        sql += (
            f" AND s.account_id NOT IN ({hidden})"
            f" AND (o.account_id IS NULL OR o.account_id NOT IN ({hidden}))"
            f" AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id NOT IN ({hidden}))"
        )
    return sql


# Where each part lies in a row of _page_sql: (id, author, poll flag, status version, author version).
_STATUS_PART = 5


def home_page(viewer: Account, ids: list[int]) -> list[dict]:
    """The statuses `ids` of `viewer`'s home timeline, rendered, in that order: those of deactivated
    accounts, those a block hides and those held or removed by moderation are left out (the same
    rule as obole.posts.timelines.home_statuses), with the viewer's flags. One query, and one
    more for whatever the cache lacks."""
    if not ids:
        return []
    params = [*([viewer.pk] * _FLAGS), rawrows.id_param(ids), True, *([viewer.pk] * 6)]
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(_page_sql(connection.vendor), params)
        found = {row[0]: row for row in cursor.fetchall()}
    looked = [
        (_look(found[pk][:_STATUS_PART]), _look(found[pk][_STATUS_PART:-_FLAGS])) for pk in ids if pk in found
    ]
    missing = {seen.pk for pair in looked for seen in pair if seen is not None and not seen.complete}
    rows = in_full(missing) if missing else {}
    page = []
    for own, original in looked:
        item = own.listed(rows)
        if item is not None and original is not None:
            item.reblog = original.listed(rows)
            if item.reblog is None:
                continue
        if item is not None:
            page.append(item)
    rendered, state = _render(page, viewer, _flags_of(found.values()))
    if state is not None and state.filters:
        from obole.api.filters import filtered_page  # `filtered`, and "hide" filters applied

        return filtered_page(rendered, viewer, "home")
    return rendered


def _flags_of(rows: Iterable[tuple]) -> ViewerState:
    """The ViewerState of a page from the flag columns of its rows (_flag_columns)."""
    found: tuple[set[int], ...] = (set(), set(), set(), set())
    filters = False
    for row in rows:
        own, original, flags = row[0], row[_STATUS_PART], row[-_FLAGS:]
        for n in range(4):
            if flags[n]:
                found[n].add(own)
            if flags[4 + n]:
                found[n].add(original)
        filters = filters or bool(flags[8])
    return ViewerState(*(frozenset(ids) for ids in found), filters=filters)


@functools.cache
def _full_sql(vendor: str, one: bool) -> str:
    # One status (a fan-out's) by "s.id = %s": PostgreSQL plans "= ANY(array)" afresh at every
    # call (its generic plan, costed for a long array, never wins), 0.1–0.2 ms each time.
    where = "s.id = %s" if one else rawrows.id_list("s.id")
    return (
        f"SELECT {rawrows.columns(Status, 's')}, {rawrows.columns(Account, 'a')} "  # noqa: S608
        f"FROM {Status._meta.db_table} s JOIN {Account._meta.db_table} a ON a.id = s.account_id "
        f"WHERE {where}"
    )


def in_full(ids: Iterable[int]) -> dict[int, Status]:
    """The statuses `ids` with their authors, as model instances, by id (missing: deleted). One
    prepared statement: what the render cache lacks, and the status a fan-out writes. A
    repost's original is read when asked for (`row.reblog_of`)."""
    ids = list(ids)
    with rawrows.prepared_cursor() as cursor:
        if len(ids) == 1:
            cursor.execute(_full_sql(connection.vendor, True), ids)
        else:
            cursor.execute(_full_sql(connection.vendor, False), [rawrows.id_param(ids)])
        found = cursor.fetchall()
    width = rawrows.width(Status)
    rows = {}
    for values in found:
        row = rawrows.instance(Status, values[:width])
        row.account = rawrows.instance(Account, values[width:])
        rows[row.pk] = row
    return rows


def _version_key(pk: int, version: int) -> tuple:
    """The lean path's cache key: a row's id and version (obole.lib.row_versions)."""
    return ("v", pk, version)


@dataclass(slots=True)
class _Seen:
    """One status's part of a page row, looked up in the caches by row version. A status may be
    cached twice, under this key and under the general renderer's, never wrongly."""

    pk: int
    author_id: int
    has_poll: bool
    entity: dict | None
    author: dict | None

    @property
    def complete(self) -> bool:
        return self.entity is not None and self.author is not None

    def listed(self, rows: dict[int, Status]) -> _Listed | None:
        """Its `_Listed`, rendering from `rows` (what the cache lacked, read in full) what is missing,
        kept under the version it was read at. None when it was not in the cache and was deleted
        before it was read in full."""
        entity, author = self.entity, self.author
        if entity is None or author is None:
            row = rows.get(self.pk)
            if row is None:
                return None
            if entity is None:
                entity = _cached_status(row, _version_key(row.pk, row.version))
            if author is None:
                writer = row.account
                author = _author(writer, _version_key(writer.pk, writer.version))
        return _Listed(self.pk, self.author_id, self.has_poll, entity, author)


def _look(part: tuple) -> _Seen | None:
    """`part` of a page row: (id, author, poll flag, status version, author version)."""
    pk, author_id, has_poll, version, author_version = part
    if pk is None:  # no original: not a repost
        return None
    return _Seen(
        pk,
        author_id,
        bool(has_poll),
        _statuses.get(_version_key(pk, version)),
        _accounts.get(_version_key(author_id, author_version)),
    )
