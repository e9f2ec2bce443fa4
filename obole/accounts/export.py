"""The data archive a member downloads from /settings/export (docs/architecture.md rule 2: unpaid too).

One JSON document:
  account      the profile and post defaults
  statuses     every status and repost: id, created_at, visibility, text, content,
               in_reply_to_id, reblog_of_id, spoiler_text, language, url, edited_at,
               media (each picture's url and alt text)
  following / followers / blocks / mutes   usernames
  likes / bookmarks / pinned               status ids and urls
  lists        title, replies_policy, exclusive and the accounts' usernames
  followed_hashtags                        hashtag names
  filters      title, context, filter_action, expires_at and keywords
  membership   state, paid-until, plan, the card (brand, last four digits, expiry;
               the server never has the number) and the ledger (charges, refunds,
               disputes with amounts, currency, dates and provider references)

It is written as a stream of text pieces: the statuses, which may be many,
are read in chunks and never all held in memory. The number of queries is
fixed (fifteen), whatever the size of the account.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings

from obole.accounts.models import Account, Block, Follow, Mute
from obole.media.entities import url as media_url
from obole.membership.models import LedgerEntry, Membership
from obole.membership.plans import plan_for
from obole.posts.models import (
    AccountList,
    Bookmark,
    Favourite,
    Filter,
    FilterKeyword,
    ListMember,
    Pin,
    Status,
    TagFollow,
)

FORMAT = "obole-export/1"
CHUNK = 2000


def filename(account: Account, now: datetime) -> str:
    return f"obole-{account.username}-{now:%Y-%m-%d}.json"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _status_url(username: str, status_id: int) -> str:
    return f"{settings.OBOLE_BASE_URL}/@{username}/{status_id}"


def archive(account: Account, now: datetime) -> Iterator[str]:
    """The archive of `account` as pieces of one JSON document."""
    head = {
        "format": FORMAT,
        "exported_at": _iso(now),
        "server": settings.OBOLE_BASE_URL,
        "account": _profile(account),
    }
    yield json.dumps(head, indent=1)[:-2] + ',\n "statuses": ['
    first = True
    for row in _statuses(account):
        yield ("\n  " if first else ",\n  ") + json.dumps(row, ensure_ascii=False)
        first = False
    rest = {
        "following": _usernames(Follow.objects.filter(follower=account), "target__username"),
        "followers": _usernames(Follow.objects.filter(target=account), "follower__username"),
        "blocks": _usernames(Block.objects.filter(account=account), "target__username"),
        "mutes": _usernames(Mute.objects.filter(account=account), "target__username"),
        "likes": _status_refs(Favourite.objects.filter(account=account)),
        "bookmarks": _status_refs(Bookmark.objects.filter(account=account)),
        "pinned": _status_refs(Pin.objects.filter(account=account)),
        "lists": _lists(account),
        "followed_hashtags": _usernames(TagFollow.objects.filter(account=account), "tag__name"),
        "filters": _filters(account),
        "membership": _membership(account),
    }
    yield "\n ],\n" + json.dumps(rest, indent=1, ensure_ascii=False)[2:]


def _profile(account: Account) -> dict:
    return {
        "id": str(account.pk),
        "username": account.username,
        "url": f"{settings.OBOLE_BASE_URL}/@{account.username}",
        "email": account.email,
        "display_name": account.display_name,
        "note": account.note,
        "bot": account.bot,
        "discoverable": account.discoverable,
        "default_visibility": account.default_visibility,
        "default_sensitive": account.default_sensitive,
        "default_language": account.default_language,
        "created_at": _iso(account.date_joined),
        "followers_count": account.followers_count,
        "following_count": account.following_count,
        "statuses_count": account.statuses_count,
    }


def _statuses(account: Account) -> Iterator[dict]:
    fields = (
        "id",
        "created_at",
        "visibility",
        "text",
        "content",
        "in_reply_to_id",
        "reblog_of_id",
        "spoiler_text",
        "language",
        "sensitive",
        "edited_at",
        "media",
    )
    rows = Status.objects.filter(account=account).order_by("id").values_list(*fields)
    for row in rows.iterator(chunk_size=CHUNK):
        status = dict(zip(fields, row, strict=True))
        status["id"] = str(status["id"])
        status["created_at"] = _iso(status["created_at"])
        status["in_reply_to_id"] = _id(status["in_reply_to_id"])
        status["reblog_of_id"] = _id(status["reblog_of_id"])
        status["url"] = _status_url(account.username, row[0])
        status["edited_at"] = _iso(status["edited_at"])
        status["media"] = [
            {"url": media_url(item["file"]), "description": item["description"]} for item in status["media"]
        ]
        yield status


def _id(value: int | None) -> str | None:
    return str(value) if value is not None else None


def _usernames(rows, field: str) -> list[str]:
    return list(rows.order_by("id").values_list(field, flat=True))


def _status_refs(rows) -> list[dict]:
    return [
        {"status_id": str(status_id), "url": _status_url(username, status_id)}
        for status_id, username in rows.order_by("id").values_list("status_id", "status__account__username")
    ]


def _lists(account: Account) -> list[dict]:
    """The member's lists with their accounts' usernames (two queries)."""
    rows = list(AccountList.objects.filter(account=account).order_by("id"))
    members: dict[int, list[str]] = {row.pk: [] for row in rows}
    for list_id, username in (
        ListMember.objects.filter(list__in=rows).order_by("id").values_list("list_id", "account__username")
    ):
        members[list_id].append(username)
    return [
        {"title": row.title, "replies_policy": row.replies_policy, "exclusive": row.exclusive,
         "accounts": members[row.pk]}
        for row in rows
    ]  # fmt: skip


def _filters(account: Account) -> list[dict]:
    """The member's filters with their keywords (two queries; the posts a filter names are left out)."""
    rows = list(Filter.objects.filter(account=account).order_by("id"))
    keywords: dict[int, list[dict]] = {row.pk: [] for row in rows}
    for item in FilterKeyword.objects.filter(filter__in=rows).order_by("id"):
        keywords[item.filter_id].append({"keyword": item.keyword, "whole_word": item.whole_word})
    return [
        {"title": row.title, "context": row.context, "filter_action": row.action,
         "expires_at": _iso(row.expires_at), "keywords": keywords[row.pk]}
        for row in rows
    ]  # fmt: skip


def _membership(account: Account) -> dict | None:
    membership = Membership.objects.select_related("payment_method").filter(pk=account.pk).first()
    if membership is None:  # a staff account made with createsuperuser
        return None
    method = membership.payment_method
    ledger = LedgerEntry.objects.filter(account=account).order_by("id")
    return {
        "state": membership.state,
        "paid_until": _iso(membership.paid_until),
        "plan": plan_for(account.country).to_dict(),
        "payment_method": method.to_dict() if method else None,
        "ledger": [
            {
                "id": str(entry.pk),
                "kind": entry.kind,
                "amount": entry.amount,
                "currency": entry.currency,
                "created_at": _iso(entry.created_at),
                "memo": entry.memo,
                "provider": entry.provider,
                "provider_ref": entry.provider_ref,
                "charge_id": _id(entry.charge_id),
            }
            for entry in ledger
        ],
    }
