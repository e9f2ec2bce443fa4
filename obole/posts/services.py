"""Writes on statuses: post, delete, like, repost, bookmark.

Each runs in one transaction, with the counters and the notifications it
causes; a new status goes into its author's home timeline at once and into
its followers' by a task after commit (obole.posts.fanout). Each write that
others would see calls `require_write` first (docs/architecture.md rule 2).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from obole.accounts.models import Account
from obole.lib import rawrows
from obole.lib.errors import Forbidden, NotFound, UserError
from obole.media import services as media_services
from obole.membership.permissions import require_write
from obole.posts import conversations, fanout, polls
from obole.posts import text as post_text
from obole.posts.access import blocked_ids, get_status_for_viewer
from obole.posts.models import (
    Bookmark,
    Favourite,
    IdempotencyKey,
    Mention,
    Notification,
    Status,
    StatusTag,
    Tag,
    Visibility,
)
from obole.posts.notify import notify, withdraw
from obole.posts.polls import PollSpec
from obole.posts.timelines import store
from obole.trust import posting as trust_posting

IDEMPOTENCY_WINDOW = timedelta(hours=1)
# Mastodon counts every link as 23 characters, whatever its length.
URL_LENGTH = 23
_URL = re.compile(r"https?://[^\s<>\"']+")
# At most 8 characters ("zh-Hant"), the width of the language column.
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,4})?")


def text_length(text: str) -> int:
    return len(_URL.sub("x" * URL_LENGTH, text))


def post_status(
    account: Account,
    text: str,
    *,
    visibility: str | None = None,
    in_reply_to_id: object = None,
    spoiler_text: str = "",
    sensitive: bool | None = None,
    language: str | None = None,
    idempotency_key: str | None = None,
    media_ids: list | None = None,
    poll: PollSpec | None = None,
    now: datetime | None = None,
) -> Status:
    """Post a status (or reply), with up to 4 of the author's uploads (`media_ids`) or a poll.
    A repeated Idempotency-Key within an hour returns the first status; only a status made by
    this call has `made_now` set (the create call then renders it without reading flags)."""
    now = now or timezone.now()
    require_write(account, now)
    if idempotency_key:
        earlier = _idempotent_status(account, idempotency_key, now)
        if earlier is not None:
            return earlier
    media = media_services.claim(account, media_ids) if media_ids else []
    if media and poll is not None:
        raise UserError("A post cannot have both pictures and a poll.")
    text = checked_text(text, spoiler_text, with_media=bool(media))
    visibility = visibility or account.default_visibility or Visibility.PUBLIC
    if visibility not in Visibility.values:
        raise UserError("visibility must be one of public, unlisted, private, direct")
    if language and not LANGUAGE.fullmatch(language):
        raise UserError("language must be an ISO 639 code such as en")
    held = trust_posting.before_post(account, now)  # 429 when throttled; held posts await review
    parent = None
    if in_reply_to_id not in (None, ""):
        parent = get_status_for_viewer(account, in_reply_to_id)
        if parent.reblog_of_id is not None:
            parent = parent.reblog_of

    parsed, mentioned = rendered(account, text)

    with transaction.atomic():
        status = Status.objects.create(
            account=account,
            text=text,
            content=parsed.html,
            spoiler_text=spoiler_text or "",
            sensitive=bool(sensitive if sensitive is not None else account.default_sensitive)
            or bool(spoiler_text),
            visibility=visibility,
            language=language or account.default_language or None,
            in_reply_to=parent,
            in_reply_to_account_id=parent.account_id if parent else None,
            mentions=[{"id": str(m.pk), "username": m.username} for m in mentioned],
            tags=parsed.tags,
            created_at=now,
            moderation="held" if held else "",
        )
        status.made_now = True
        Mention.objects.bulk_create([Mention(status=status, account=m) for m in mentioned])
        tag_status(status, parsed.tags)
        if media:
            media_services.attach(status, media)
            status.save(update_fields=["media"])
        if poll is not None:
            polls.create(status, poll, now)
        Account.objects.filter(pk=account.pk).update(
            statuses_count=F("statuses_count") + 1, last_status_at=now
        )
        # The same in memory, so the status can be shown without reading the account again.
        account.statuses_count += 1
        account.last_status_at = now
        if parent is not None:
            Status.objects.filter(pk=parent.pk).update(replies_count=F("replies_count") + 1)
        if idempotency_key:
            # One statement: the key is recorded, or takes over the row of the same key past
            # its hour. If a concurrent request with the same key inserts first, ours is
            # ignored and both statuses stand.
            with rawrows.prepared_cursor() as cursor:
                cursor.execute(
                    _idempotency_record_sql(),
                    [
                        account.pk,
                        idempotency_key,
                        status.pk,
                        rawrows.moment(now),
                        rawrows.moment(now - IDEMPOTENCY_WINDOW),
                    ],
                )
        if not held:  # a held post reaches no timeline and notifies nobody until released
            fanout.schedule(status, now)
            conversations.record(status)  # direct statuses only
            for target in mentioned:
                notify(target.pk, account, Notification.Type.MENTION, status, now)
        trust_posting.touched(account.pk, now)
    return status


def checked_text(text: str, spoiler_text: str, *, with_media: bool) -> str:
    """The text to keep, stripped; refused when blank (unless pictures come with it) or too long."""
    text = (text or "").strip()
    if not text and not with_media:
        raise UserError("Validation failed: Text can't be blank")
    limit = settings.OBOLE_MAX_STATUS_CHARS
    if text_length(text) + len(spoiler_text) > limit:
        raise UserError(f"Validation failed: Text is too long (at most {limit} characters)")
    return text


def rendered(account: Account, text: str) -> tuple[post_text.Parsed, list[Account]]:
    """The text as safe HTML, and the accounts it mentions that exist and do not block each other."""
    names = post_text.mentioned_usernames(text)
    known = {}
    if names:  # most posts mention nobody: then neither the blocks nor the accounts are read
        hidden = blocked_ids(account)
        known = {
            row.username.lower(): row
            for row in Account.objects.filter(username__in=_case_variants(names), is_active=True)
            if row.pk not in hidden
        }
    parsed = post_text.render(text, settings.OBOLE_BASE_URL, {k: v.username for k, v in known.items()})
    return parsed, [known[name.lower()] for name in parsed.mentions]


def _case_variants(names: list[str]) -> list[str]:
    # Usernames are unique case-insensitively; match them in one IN query per spelling.
    return list({variant for name in names for variant in (name, name.lower())})


def _idempotent_status(account: Account, key: str, now: datetime) -> Status | None:
    # Every post with a key asks, and almost never finds one: one prepared query, by the
    # unique (account, key) index; the status is read only when found.
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(_idempotent_sql(), [account.pk, key, rawrows.moment(now - IDEMPOTENCY_WINDOW)])
        found = cursor.fetchone()
    return Status.objects.filter(pk=found[0]).first() if found else None


@functools.cache
def _idempotent_sql() -> str:
    return (
        f"SELECT status_id FROM {IdempotencyKey._meta.db_table} "  # noqa: S608 (names from the model)
        "WHERE account_id = %s AND key = %s AND created_at > %s"
    )


@functools.cache
def _idempotency_record_sql() -> str:
    table = IdempotencyKey._meta.db_table
    return (
        f"INSERT INTO {table} (account_id, key, status_id, created_at) VALUES (%s, %s, %s, %s) "  # noqa: S608
        "ON CONFLICT (account_id, key) DO UPDATE SET status_id = excluded.status_id, "
        f"created_at = excluded.created_at WHERE {table}.created_at <= %s"
    )


def tag_status(status: Status, names: list[str]) -> None:
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tags = Tag.objects.filter(name__in=names)
    StatusTag.objects.bulk_create([StatusTag(tag=tag, status=status) for tag in tags])


def delete_status(account: Account, status_id: object) -> Status:
    """Delete one of `account`'s statuses (and the reposts of it). Returns it, as it was."""
    status = get_status_for_viewer(account, status_id)
    if status.account_id != account.pk:
        raise Forbidden("This action is not allowed")
    if status.reblog_of_id is not None:
        raise NotFound("Record not found")  # a repost is undone with unreblog
    with transaction.atomic():
        reblogs = list(status.reblogs.values_list("id", flat=True))
        fanout.forget([status.pk, *reblogs])
        store().remove([status.pk, *reblogs])
        if status.in_reply_to_id is not None:
            Status.objects.filter(pk=status.in_reply_to_id, replies_count__gt=0).update(
                replies_count=F("replies_count") - 1
            )
        Account.objects.filter(pk=account.pk, statuses_count__gt=0).update(
            statuses_count=F("statuses_count") - 1
        )
        status.delete()
    return status


def favourite(account: Account, status_id: object, now: datetime | None = None) -> Status:
    now = now or timezone.now()
    require_write(account, now)
    status = _original(get_status_for_viewer(account, status_id))
    with transaction.atomic():
        _, created = Favourite.objects.get_or_create(account=account, status=status)
        if created:
            Status.objects.filter(pk=status.pk).update(favourites_count=F("favourites_count") + 1)
            notify(status.account_id, account, Notification.Type.FAVOURITE, status, now)
    status.refresh_from_db(fields=["favourites_count"])
    return status


def unfavourite(account: Account, status_id: object) -> Status:
    status = _original(get_status_for_viewer(account, status_id))
    with transaction.atomic():
        deleted, _ = Favourite.objects.filter(account=account, status=status).delete()
        if deleted:
            Status.objects.filter(pk=status.pk, favourites_count__gt=0).update(
                favourites_count=F("favourites_count") - 1
            )
            withdraw(status.account_id, account, Notification.Type.FAVOURITE, status)
    status.refresh_from_db(fields=["favourites_count"])
    return status


def reblog(
    account: Account, status_id: object, visibility: str | None = None, now: datetime | None = None
) -> Status:
    """Repost a public or unlisted status. Reposting twice returns the first repost."""
    now = now or timezone.now()
    require_write(account, now)
    original = _original(get_status_for_viewer(account, status_id))
    if original.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
        raise UserError("Only public and unlisted posts can be reposted.")
    visibility = visibility or Visibility.PUBLIC
    if visibility not in (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE):
        raise UserError("visibility must be one of public, unlisted, private")
    existing = Status.objects.filter(account=account, reblog_of=original).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            repost = Status.objects.create(
                account=account, reblog_of=original, visibility=visibility, created_at=now
            )
            Status.objects.filter(pk=original.pk).update(reblogs_count=F("reblogs_count") + 1)
            fanout.schedule(repost, now)
            notify(original.account_id, account, Notification.Type.REBLOG, original, now)
    except IntegrityError:
        return Status.objects.get(account=account, reblog_of=original)  # a concurrent repost won
    return repost


def unreblog(account: Account, status_id: object) -> Status:
    """Undo `account`'s repost of the status; returns the original."""
    original = _original(get_status_for_viewer(account, status_id))
    with transaction.atomic():
        reposts = list(
            Status.objects.filter(account=account, reblog_of=original).values_list("id", flat=True)
        )
        if reposts:
            fanout.forget(reposts)
            store().remove(reposts)
            Status.objects.filter(pk__in=reposts).delete()
            Status.objects.filter(pk=original.pk, reblogs_count__gt=0).update(
                reblogs_count=F("reblogs_count") - 1
            )
            withdraw(original.account_id, account, Notification.Type.REBLOG, original)
    original.refresh_from_db(fields=["reblogs_count"])
    return original


def bookmark(account: Account, status_id: object) -> Status:
    """Bookmarks are private to their owner, so they need no paid membership."""
    status = _original(get_status_for_viewer(account, status_id))
    Bookmark.objects.get_or_create(account=account, status=status)
    return status


def unbookmark(account: Account, status_id: object) -> Status:
    status = _original(get_status_for_viewer(account, status_id))
    Bookmark.objects.filter(account=account, status=status).delete()
    return status


def _original(status: Status) -> Status:
    """Liking or reposting a repost acts on the original, as Mastodon does."""
    return status.reblog_of if status.reblog_of_id is not None else status
