"""Uploading, describing, attaching and cleaning up media (one transaction each).

Uploading is a write others may see, so it needs a paid membership
(`require_write`). Only the uploader may see, describe or attach an upload;
anyone else is told it does not exist, as Mastodon does.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from obole.accounts.models import Account
from obole.lib.errors import NotFound, UserError
from obole.lib.snowflake import parse_id
from obole.media import images
from obole.media.models import DESCRIPTION_MAX, MediaAttachment
from obole.membership.permissions import require_write

MAX_PER_STATUS = 4
# An upload no status has claimed after this long is removed.
UNATTACHED_LIFETIME = timedelta(days=1)
# Uploads removed per run at most; the task runs every hour.
CLEANUP_BATCH = 5000


def upload(
    account: Account,
    file,
    *,
    description: str = "",
    focus: str | None = None,
    now: datetime | None = None,
) -> MediaAttachment:
    """Check, clean and store an uploaded picture; answer its row (not attached yet)."""
    now = now or timezone.now()
    require_write(account, now)
    if file is None:
        raise UserError("file is required: send the picture as the multipart field `file`.")
    limit = settings.OBOLE_MEDIA_MAX_BYTES
    if file.size > limit:
        raise UserError(f"This file is too large: at most {limit:,} bytes are accepted.", status=413)
    description = _description(description)
    focus_x, focus_y = parse_focus(focus)
    processed = images.process(file, max_pixels=settings.OBOLE_MEDIA_MAX_PIXELS)
    row = MediaAttachment(
        account=account,
        content_type=processed.original.content_type,
        size=len(processed.original.data),
        width=processed.original.width,
        height=processed.original.height,
        preview_width=processed.preview.width,
        preview_height=processed.preview.height,
        description=description,
        focus_x=focus_x,
        focus_y=focus_y,
        blurhash=processed.blurhash,
        created_at=now,
    )
    # A random part in every name: files cannot be listed by guessing ids, and a
    # name is never reused, so it can be cached for ever.
    folder = f"media_attachments/{row.pk}/{secrets.token_hex(8)}"
    row.file = _save(f"{folder}/original", processed.original)
    row.preview = _save(f"{folder}/small", processed.preview)
    row.save(force_insert=True)
    return row


def _save(stem: str, encoded: images.Encoded) -> str:
    return default_storage.save(
        f"{stem}.{images.EXTENSIONS[encoded.content_type]}", ContentFile(encoded.data)
    )


def own_media(account: Account, media_id: object) -> MediaAttachment:
    """The account's own upload, or 404 — also for someone else's."""
    try:
        return MediaAttachment.objects.get(pk=parse_id(media_id), account=account)
    except MediaAttachment.DoesNotExist:
        raise NotFound("Record not found") from None


def update(
    account: Account, media_id: object, *, description: str | None = None, focus: str | None = None
) -> MediaAttachment:
    """Change the alt text or focal point of an upload not yet attached.

    Once attached, it changes with an edit of its post, so that the post's
    history shows it (Mastodon does the same)."""
    require_write(account)
    row = own_media(account, media_id)
    if row.status_id is not None:
        raise UserError("This media is attached to a post: change it by editing the post.")
    fields = []
    if description is not None:
        row.description = _description(description)
        fields.append("description")
    if focus is not None:
        row.focus_x, row.focus_y = parse_focus(focus)
        fields += ["focus_x", "focus_y"]
    if fields:
        row.save(update_fields=fields)
    return row


def claim(account: Account, media_ids: list, *, status_id: int | None = None) -> list[MediaAttachment]:
    """The uploads to attach to a post, in the order given; each must be the account's own and free
    (or already on `status_id`, when a post is edited)."""
    if len(media_ids) > MAX_PER_STATUS:
        raise UserError(f"A post may have at most {MAX_PER_STATUS} pictures.")
    wanted = list(dict.fromkeys(parse_id(value) for value in media_ids))
    if None in wanted:
        raise UserError("media_ids must be the ids of your uploads.")
    found = {row.pk: row for row in MediaAttachment.objects.filter(pk__in=wanted, account=account)}
    for pk in wanted:
        row = found.get(pk)
        if row is None:
            raise UserError(f"Media {pk} was not found among your uploads.")
        if row.status_id is not None and row.status_id != status_id:
            raise UserError(f"Media {pk} is already attached to another post.")
    return [found[pk] for pk in wanted]


def attach(status, rows: list[MediaAttachment]) -> None:
    """Inside the post's transaction: attach `rows` to `status` in order and snapshot them on it.

    The conditional UPDATE makes two posts racing for one upload safe: the
    second finds it taken and its transaction is rolled back. A picture an
    edit leaves out stays attached to the status (its history still shows
    it); it goes when the status does."""
    for position, row in enumerate(rows):
        free = Q(status__isnull=True) | Q(status=status)
        taken = MediaAttachment.objects.filter(free, pk=row.pk, account_id=status.account_id)
        if not taken.update(status=status, position=position):
            raise UserError(f"Media {row.pk} is already attached to another post.")
        row.status = status
        row.position = position
    status.media = [snapshot(row) for row in rows]


def describe(rows: list[MediaAttachment], attributes: list) -> None:
    """An edit's `media_attributes`: new alt text or focal point for some of the post's pictures."""
    by_id = {str(row.pk): row for row in rows}
    for item in attributes:
        if not isinstance(item, dict) or str(item.get("id")) not in by_id:
            raise UserError("media_attributes must name pictures of this post by id.")
        row = by_id[str(item["id"])]
        if "description" in item:
            row.description = _description(item["description"])
        if "focus" in item:
            row.focus_x, row.focus_y = parse_focus(item["focus"])
        row.save(update_fields=["description", "focus_x", "focus_y"])


def snapshot(row: MediaAttachment) -> dict:
    """What a status keeps of each attachment, so a timeline renders without reading this table."""
    return {
        "id": str(row.pk),
        "type": row.type,
        "file": row.file,
        "preview": row.preview,
        "content_type": row.content_type,
        "size": row.size,
        "width": row.width,
        "height": row.height,
        "preview_width": row.preview_width,
        "preview_height": row.preview_height,
        "description": row.description,
        "focus": [row.focus_x, row.focus_y],
        "blurhash": row.blurhash,
    }


def remove_unattached(now: datetime | None = None) -> int:
    """Delete uploads no post claimed within UNATTACHED_LIFETIME, files first. Returns how many."""
    now = now or timezone.now()
    removed = 0
    stale = MediaAttachment.objects.filter(status__isnull=True, created_at__lt=now - UNATTACHED_LIFETIME)
    for row in list(stale.only("pk", "file", "preview")[:CLEANUP_BATCH]):
        # The row goes first, on the condition that it is still unattached: a post that
        # claims the upload at this very moment keeps it. A crash before the files go
        # leaves only unreachable files behind, never a post whose pictures are gone.
        if MediaAttachment.objects.filter(pk=row.pk, status__isnull=True).delete()[0]:
            for name in (row.file, row.preview):
                default_storage.delete(name)
            removed += 1
    return removed


def remove_all(account: Account) -> None:
    """Inside the transaction that deletes an account: its uploads go, their files after the commit."""
    names = [name for pair in account.media_attachments.values_list("file", "preview") for name in pair]
    account.media_attachments.all().delete()
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def _description(value: str | None) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise UserError("description must not contain NUL characters.")
    if len(value) > DESCRIPTION_MAX:
        raise UserError(f"description is too long (at most {DESCRIPTION_MAX} characters).")
    return value


def parse_focus(value: str | None) -> tuple[float, float]:
    """Mastodon's focal point, "x,y" with both between -1.0 and 1.0 (0,0 is the centre)."""
    if value in (None, ""):
        return 0.0, 0.0
    try:
        x, y = (float(part) for part in str(value).split(","))
    except ValueError:
        raise UserError("focus must be two numbers between -1 and 1, such as 0.2,-0.5.") from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise UserError("focus must be two numbers between -1 and 1, such as 0.2,-0.5.")
    return x, y
