"""Mastodon entities (Account, Status, Tag, Relationship, Notification) as JSON-ready dicts.

The list renderers take a whole page at once and ask the database a fixed
number of questions for it (what the viewer liked, reposted, bookmarked),
never one per status: list endpoints assert their query counts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.db.models import QuerySet, Value
from django.templatetags.static import static

from obole.accounts.models import Account, Block, Follow, Mute
from obole.media.entities import attachment
from obole.posts import polls
from obole.posts.models import Bookmark, Favourite, Notification, Pin, Poll, Status, Tag
from obole.posts.text import plain_to_html


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


def account(row: Account) -> dict:
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
        **account(row),
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


def statuses(
    rows: list[Status], viewer: Account | None, *, with_text: bool = False, context: str | None = None
) -> list[dict]:
    """Render a page of statuses. Rows should come with `account` and `reblog_of__account` selected.
    `context` (home, public, thread, account, notifications) applies the viewer's filters there."""
    if not rows:
        return []
    ids = {row.pk for row in rows} | {row.reblog_of_id for row in rows if row.reblog_of_id}
    mine: dict[str, set[int]] = {
        "favourited": set(),
        "reblogged": set(),
        "bookmarked": set(),
        "pinned": set(),
    }
    if viewer is not None:
        # One round trip for the four flags (a UNION ALL of four index lookups): every
        # timeline page pays it, so it is one query rather than four.
        def flagged(rows: QuerySet, column: str, flag: str) -> QuerySet:
            return rows.annotate(flag=Value(flag)).values_list(column, "flag")

        found = flagged(
            Favourite.objects.filter(account=viewer, status_id__in=ids), "status_id", "favourited"
        )
        found = found.union(
            flagged(Status.objects.filter(account=viewer, reblog_of_id__in=ids), "reblog_of_id", "reblogged"),
            flagged(Bookmark.objects.filter(account=viewer, status_id__in=ids), "status_id", "bookmarked"),
            flagged(Pin.objects.filter(account=viewer, status_id__in=ids), "status_id", "pinned"),
            all=True,
        )
        for status_id, flag in found:
            mine[flag].add(status_id)
    rendered_accounts: dict[int, dict] = {}
    found_polls = _polls(rows, viewer)
    rendered = [_status(row, viewer, mine, rendered_accounts, with_text, found_polls) for row in rows]
    if context is not None and viewer is not None:
        from obole.api.filters import mark  # `filtered`: obole/api/filters.py

        mark(rendered, rows, viewer, context)
    return rendered


def _polls(rows: list[Status], viewer: Account | None) -> dict[int, dict]:
    """Poll entities by status id for the statuses of a page that have one: two queries, and
    none at all for a page without polls."""
    shown = [row.reblog_of if row.reblog_of_id is not None else row for row in rows]
    by_id = {row.pk: row for row in shown if row.has_poll}
    if not by_id:
        return {}
    found = list(Poll.objects.filter(status_id__in=by_id))
    for row in found:
        row.status = by_id[row.status_id]  # already loaded: no query for the author
    own = polls.own_votes(viewer, found)
    return {row.status_id: poll(row, viewer, own) for row in found}


def status(row: Status, viewer: Account | None, *, with_text: bool = False) -> dict:
    return statuses([row], viewer, with_text=with_text)[0]


def _status(
    row: Status,
    viewer: Account | None,
    mine: dict[str, set[int]],
    cache: dict[int, dict],
    with_text: bool,
    found_polls: dict[int, dict],
) -> dict:
    if row.account_id not in cache:
        cache[row.account_id] = account(row.account)
    base = settings.OBOLE_BASE_URL
    username = row.account.username
    entity = {
        "id": str(row.pk),
        "uri": f"{base}/users/{username}/statuses/{row.pk}",
        "url": f"{base}/@{username}/{row.pk}",
        "created_at": iso(row.created_at),
        "edited_at": iso(row.edited_at),
        "account": cache[row.account_id],
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
        "poll": found_polls.get(row.pk),
        "card": None,
        "language": row.language,
        "filtered": [],
    }
    if viewer is not None:
        entity.update(
            favourited=row.pk in mine["favourited"],
            reblogged=row.pk in mine["reblogged"],
            bookmarked=row.pk in mine["bookmarked"],
            muted=False,
            pinned=row.pk in mine["pinned"],
        )
    if with_text:
        entity["text"] = row.text
    if row.reblog_of_id is not None:
        entity["reblog"] = _status(row.reblog_of, viewer, mine, cache, False, found_polls)
        if viewer is not None:
            # Mastodon reports the viewer's flags on the wrapper as on the original.
            for flag in ("favourited", "reblogged", "bookmarked"):
                entity[flag] = entity["reblog"][flag]
    return entity


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


def tag(row: Tag, *, following: bool = False) -> dict:
    """A Tag entity; `following`: whether the viewer follows it (obole.posts.tag_follows). No usage
    history is kept yet."""
    return {
        "id": str(row.pk),
        "name": row.name,
        "url": f"{settings.OBOLE_BASE_URL}/tags/{quote(row.name)}",  # a URI: non-ASCII names escaped
        "history": [],
        "following": following,
    }


def relationships(viewer: Account, targets: list[Account]) -> list[dict]:
    """Relationship entities, with five queries for any number of targets."""
    ids = [target.pk for target in targets]
    following = set(
        Follow.objects.filter(follower=viewer, target_id__in=ids).values_list("target_id", flat=True)
    )
    followed_by = set(
        Follow.objects.filter(target=viewer, follower_id__in=ids).values_list("follower_id", flat=True)
    )
    blocking = set(
        Block.objects.filter(account=viewer, target_id__in=ids).values_list("target_id", flat=True)
    )
    blocked_by = set(
        Block.objects.filter(target=viewer, account_id__in=ids).values_list("account_id", flat=True)
    )
    mutes = dict(
        Mute.objects.filter(account=viewer, target_id__in=ids).values_list("target_id", "notifications")
    )
    return [
        {
            "id": str(pk),
            "following": pk in following,
            "showing_reblogs": pk in following,
            "notifying": False,
            "languages": None,
            "followed_by": pk in followed_by,
            "blocking": pk in blocking,
            "blocked_by": pk in blocked_by,
            "muting": pk in mutes,
            "muting_notifications": mutes.get(pk, False),
            "requested": False,
            "requested_by": False,
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        }
        for pk in ids
    ]


def notifications(rows: list[Notification], viewer: Account) -> list[dict]:
    """Rows should come with `from_account`, `status__account` and `status__reblog_of__account` selected."""
    with_status = [row.status for row in rows if row.status_id is not None]
    rendered = {entity["id"]: entity for entity in statuses(with_status, viewer, context="notifications")}
    return [
        {
            "id": str(row.pk),
            "type": row.type,
            "group_key": f"ungrouped-{row.pk}",
            "created_at": iso(row.created_at),
            "account": account(row.from_account),
            **({"status": rendered[str(row.status_id)]} if row.status_id is not None else {}),
        }
        for row in rows
    ]
