"""Threads: the statuses a status replies to (ancestors) and the replies under it (descendants).

Two recursive queries find the thread's ids (one up, one down, whatever its
size), then one query loads those the viewer may see (obole.posts.access).
Replies from accounts the viewer mutes are left out, as Mastodon does. The API's
`context` endpoint and the web's post page both read threads here.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection

from obole.accounts.models import Account, Mute
from obole.posts.access import visible_statuses
from obole.posts.models import Status

# Mastodon's thread limits: a signed-in reader gets the whole thread (up to
# 4096 replies), a logged-out one a shallow slice of it.
ANCESTORS_LIMIT = 40
DESCENDANTS_LIMIT = 4096
ANONYMOUS_DESCENDANTS_LIMIT = 60
ANONYMOUS_DESCENDANTS_DEPTH = 20

_TABLE = Status._meta.db_table
_PARENT = Status._meta.get_field("in_reply_to").column


def thread(viewer: Account | None, focus: Status) -> tuple[list[Status], list[Status]]:
    """(ancestors oldest first, descendants depth first) of `focus` that `viewer` may see, with
    `account` and `reblog_of__account` selected. Three queries whatever the thread's size."""
    if viewer is None:
        limit, depth = ANONYMOUS_DESCENDANTS_LIMIT, ANONYMOUS_DESCENDANTS_DEPTH
    else:
        limit, depth = DESCENDANTS_LIMIT, DESCENDANTS_LIMIT
    up = ancestor_ids(focus.in_reply_to_id) if focus.in_reply_to_id else []
    down = descendant_ids(focus.pk, limit=limit, depth=depth)
    ids = [*up, *down]
    if not ids:
        return [], []
    visible = visible_statuses(viewer).filter(id__in=ids)
    if viewer is not None:
        visible = visible.exclude(account__in=Mute.objects.filter(account=viewer).values("target"))
    found = {row.pk: row for row in visible.select_related("account", "reblog_of__account")}
    return [found[pk] for pk in up if pk in found], [found[pk] for pk in down if pk in found]


def ancestor_ids(parent_id: int) -> list[int]:
    """The chain of statuses replied to, oldest first, at most ANCESTORS_LIMIT."""
    sql = f"""
        WITH RECURSIVE up(id, parent, depth) AS (
            SELECT id, {_PARENT}, 1 FROM {_TABLE} WHERE id = %s
            UNION ALL
            SELECT s.id, s.{_PARENT}, up.depth + 1 FROM {_TABLE} s JOIN up ON s.id = up.parent
            WHERE up.depth < %s
        )
        SELECT id FROM up ORDER BY depth DESC
    """  # noqa: S608 — table and column names come from the model, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [parent_id, ANCESTORS_LIMIT])
        return [row[0] for row in cursor.fetchall()]


def descendant_ids(root_id: int, *, limit: int, depth: int) -> list[int]:
    """Replies under `root_id`, in thread order: each reply followed by its own
    replies, siblings oldest first. Collected level by level (so a cut-off
    keeps the replies nearest the status), at most `limit` of them."""
    sql = f"""
        WITH RECURSIVE down(id, parent, depth) AS (
            SELECT id, {_PARENT}, 1 FROM {_TABLE} WHERE {_PARENT} = %s
            UNION ALL
            SELECT s.id, s.{_PARENT}, down.depth + 1 FROM {_TABLE} s JOIN down ON s.{_PARENT} = down.id
            WHERE down.depth < %s
        )
        SELECT id, parent FROM down LIMIT %s
    """  # noqa: S608 — table and column names come from the model, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [root_id, depth, limit])
        rows = cursor.fetchall()
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in rows:
        children[parent].append(child)
    ordered: list[int] = []
    stack = sorted(children[root_id], reverse=True)
    while stack:  # depth first without recursion: threads can be thousands deep
        current = stack.pop()
        ordered.append(current)
        stack.extend(sorted(children[current], reverse=True))
    return ordered
