"""Editing a status, and its history (Mastodon's `PUT /api/v1/statuses/:id`).

An edit is a write others see, so it needs a paid membership. Only the
author may edit, and a repost cannot be edited. In one transaction:

1. on the first edit the original version is kept as a StatusEdit (dated
   when the status was made), then every edit keeps the new version, so the
   history lists every version, oldest first, as Mastodon's does;
2. the text is rendered again: mentions and hashtags are worked out anew
   (Mention and StatusTag rows replaced; accounts mentioned for the first
   time are notified), and the pictures may change (`media_ids`);
3. `edited_at` is set, and everyone who reposted the status gets an
   `update` notification (Mastodon's `status.update` event).

Visibility and the post replied to cannot be changed, as in Mastodon.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from obole.accounts.models import Account
from obole.lib.errors import Forbidden, NotFound, UserError
from obole.media import services as media_services
from obole.membership.permissions import require_write
from obole.posts import services
from obole.posts.access import get_status_for_viewer
from obole.posts.models import Mention, Notification, Status, StatusEdit, StatusTag
from obole.posts.notify import notify
from obole.streaming import publish as streaming

# Mastodon refuses an edit of a long history beyond this many versions.
MAX_EDITS = 100


def edit_status(
    account: Account,
    status_id: object,
    text: str,
    *,
    spoiler_text: str | None = None,
    sensitive: bool | None = None,
    language: str | None = None,
    media_ids: list | None = None,
    media_attributes: list | None = None,
    now: datetime | None = None,
) -> Status:
    """Edit one of `account`'s statuses.

    `None` leaves a field as it was; `media_ids=[]` takes the pictures off."""
    now = now or timezone.now()
    require_write(account, now)
    status = get_status_for_viewer(account, status_id)
    if status.account_id != account.pk:
        raise Forbidden("This action is not allowed")
    if status.reblog_of_id is not None:
        raise NotFound("Record not found")
    spoiler_text = status.spoiler_text if spoiler_text is None else spoiler_text.strip()
    if len(spoiler_text) > 500:
        raise UserError("Validation failed: Spoiler text is too long (at most 500 characters)")
    if language and not services.LANGUAGE.fullmatch(language):
        raise UserError("language must be an ISO 639 code such as en")
    media = media_services.claim(account, media_ids, status_id=status.pk) if media_ids is not None else None
    if media_attributes and media is None:
        media = media_services.claim(account, [item["id"] for item in status.media], status_id=status.pk)
    with_media = bool(media) if media is not None else bool(status.media)
    text = services.checked_text(text, spoiler_text, with_media=with_media)
    parsed, mentioned = services.rendered(account, text)
    with transaction.atomic():
        locked = Status.objects.select_for_update().get(pk=status.pk)
        versions = StatusEdit.objects.filter(status=locked).count()
        if versions >= MAX_EDITS:
            raise UserError(f"This post has been edited {MAX_EDITS} times; it cannot be edited again.")
        if versions == 0:
            _keep_version(locked, locked.created_at)
        before = set(Mention.objects.filter(status=locked).values_list("account_id", flat=True))
        locked.text = text
        locked.content = parsed.html
        locked.spoiler_text = spoiler_text
        locked.sensitive = bool(sensitive if sensitive is not None else locked.sensitive) or bool(
            spoiler_text
        )
        if language:
            locked.language = language
        locked.mentions = [{"id": str(m.pk), "username": m.username} for m in mentioned]
        locked.tags = parsed.tags
        locked.edited_at = now
        if media is not None:
            media_services.describe(media, media_attributes or [])
            media_services.attach(locked, media)
        locked.save()
        Mention.objects.filter(status=locked).delete()
        Mention.objects.bulk_create([Mention(status=locked, account=m) for m in mentioned])
        StatusTag.objects.filter(status=locked).delete()
        services.tag_status(locked, parsed.tags)
        _keep_version(locked, now)
        streaming.status_edited(locked.pk)
        for target in mentioned:
            if target.pk not in before:
                notify(target.pk, account, Notification.Type.MENTION, locked, now)
        for reposter_id in locked.reblogs.values_list("account_id", flat=True):
            notify(reposter_id, account, Notification.Type.UPDATE, locked, now)
    locked.account = account
    return locked


def _keep_version(status: Status, moment: datetime) -> None:
    StatusEdit.objects.create(
        status=status,
        text=status.text,
        content=status.content,
        spoiler_text=status.spoiler_text,
        sensitive=status.sensitive,
        media=status.media,
        created_at=moment,
    )


def history(status: Status) -> list[StatusEdit]:
    """Every version, oldest first; a status never edited has one, itself."""
    versions = list(StatusEdit.objects.filter(status=status).order_by("created_at", "id"))
    if versions:
        return versions
    return [
        StatusEdit(
            status=status,
            text=status.text,
            content=status.content,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            media=status.media,
            created_at=status.created_at,
        )
    ]
