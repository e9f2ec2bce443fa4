"""Mastodon entities (Account, Status, Tag, Relationship, Notification) as JSON-ready dicts.

Statuses, accounts and polls are rendered by obole.posts.rendering, which the
web pages and the streaming server use too; this module gives them their API
names and adds what only the API shows. The list renderers take a whole page
at once and ask the database a fixed number of questions for it, never one
per status: list endpoints assert their query counts.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

from obole.accounts.models import Account, Block, Follow, Mute
from obole.posts.models import Notification, Tag
from obole.posts.rendering import (  # noqa: F401 (the API's names for them)
    account,
    accounts,
    credential_account,
    iso,
    new_status,
    poll,
    profile_url,
    status,
    statuses,
)


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
