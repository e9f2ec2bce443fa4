"""Public listings: the public timeline and hashtag pages, for the API and the web alike.

One query each on the statuses table, newest first by the time-ordered id
(the `status_by_visibility` index for the public timeline, the (tag, status)
unique index for a hashtag). A viewer's blocks (both ways) and mutes are
subqueries, so a page stays one query however many accounts are hidden.
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from obole.accounts.models import Account, Mute
from obole.posts.access import not_blocked
from obole.posts.models import Status, StatusTag, Visibility


def public_statuses(viewer: Account | None) -> QuerySet[Status]:
    """Public statuses (no reposts) of active accounts, minus those of (or replying to) accounts the
    viewer blocks or is blocked by, and those of accounts the viewer mutes."""
    statuses = Status.objects.filter(
        visibility=Visibility.PUBLIC, reblog_of__isnull=True, account__is_active=True, moderation=""
    ).select_related("account")
    if viewer is not None:
        # Subqueries, not id lists: the page stays one query however many accounts are hidden.
        statuses = statuses.filter(not_blocked(viewer)).exclude(
            account__in=Mute.objects.filter(account=viewer).values("target")
        )
    return statuses


def not_a_reply_to_others() -> Q:
    # As Mastodon's public timeline: threads an author continues stay, replies to others do not.
    return Q(in_reply_to_account_id__isnull=True) | Q(in_reply_to_account_id=F("account_id"))


def tagged(names: list[str]) -> QuerySet:
    """Ids of the statuses tagged with any of `names` (tags are stored lower-case, without '#')."""
    wanted = [name.removeprefix("#").lower() for name in names]
    return StatusTag.objects.filter(tag__name__in=wanted).values("status_id")
