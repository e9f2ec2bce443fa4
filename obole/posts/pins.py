"""Pinned statuses: a member puts up to MAX_PINS of their own posts at the top of their profile.

Only one's own public, unlisted or private statuses can be pinned, not a
repost nor a direct status; pinning is a write others see, so it needs write
rights (docs/architecture.md rule 2), unpinning never does. Pinning a pinned
status again changes nothing. Who sees a pinned status is decided as for any
other (obole.posts.access): a pin shows nothing a viewer could not see anyway.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from obole.accounts.models import Account
from obole.lib.errors import UserError
from obole.membership.permissions import require_write
from obole.posts.access import get_status_for_viewer, statuses_of
from obole.posts.models import Pin, Status, Visibility

# Mastodon's limit, which apps expect.
MAX_PINS = 5


def pin(account: Account, status_id: object, now: datetime | None = None) -> Status:
    """Pin one of `account`'s statuses; returns it. 422 for someone else's, a repost, a direct
    status, or a sixth pin."""
    require_write(account, now)
    status = get_status_for_viewer(account, status_id)
    if status.reblog_of_id is not None:
        raise UserError("A repost cannot be pinned: pin your own posts.")
    if status.account_id != account.pk:
        raise UserError("Only your own posts can be pinned.")
    if status.visibility == Visibility.DIRECT:
        raise UserError("A direct message cannot be pinned.")
    with transaction.atomic():
        # The account's row is the lock that keeps two concurrent pins from making a sixth.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        pinned = Pin.objects.filter(account=account)
        if pinned.filter(status=status).exists():
            return status
        if pinned.count() >= MAX_PINS:
            raise UserError(f"You can pin at most {MAX_PINS} posts: unpin one first.")
        Pin.objects.create(account=account, status=status)
    return status


def unpin(account: Account, status_id: object) -> Status:
    """Unpin one of `account`'s statuses (nothing happens if it was not pinned); returns it."""
    status = get_status_for_viewer(account, status_id)
    Pin.objects.filter(account=account, status=status).delete()
    return status


def pinned_statuses(viewer: Account | None, author: Account) -> QuerySet[Status]:
    """`author`'s pinned statuses that `viewer` may see. Unordered."""
    pinned = Pin.objects.filter(account=author).values("status_id")
    return statuses_of(viewer, author).filter(id__in=pinned)


def pinned_first(shown: QuerySet[Status], author: Account) -> list[Status]:
    """Of `shown` (`statuses_of(viewer, author)`, already worked out for the page), the pinned ones,
    the latest pinned first (the profile page's head): one query."""
    pinned_at = Pin.objects.filter(account=author, status=OuterRef("pk")).values("id")[:1]
    rows = shown.filter(id__in=Pin.objects.filter(account=author).values("status_id"))
    return list(rows.annotate(pinned_at=Subquery(pinned_at)).order_by("-pinned_at"))
