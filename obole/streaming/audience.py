"""Which connected viewer gets which event, and what they get: the REST API's rules, reused.

Synchronous Django code, called from the streaming server through
`sync_to_async`. A viewer gets a status on a stream only when the REST API
would list it for them on the matching timeline:

- `user`: the home timeline's audience (obole.posts.timelines.audience:
  followers who do not mute or block the author, direct posts to the accounts
  mentioned, replies to followers of both) and `can_see` (visibility, blocks
  both ways, moderation). The followed set (cached per connection) is only a
  quick first test that spares the database for strangers' posts;
- `public`, `public:local`: the public timeline (obole.posts.public), one query;
- `hashtag`, `hashtag:local`: the tag's timeline, one query.

Notifications are the viewer's shown ones (obole.posts.notify.shown_notifications).
"""

from __future__ import annotations

from obole.accounts.models import Account, Follow
from obole.api import entities
from obole.posts import rendering
from obole.posts.access import can_see
from obole.posts.models import Notification, Status, Visibility
from obole.posts.notify import shown_notifications
from obole.posts.public import not_a_reply_to_others, public_statuses, tagged
from obole.posts.timelines import audience

USER, NOTIFICATIONS = "user", "user:notification"
PUBLIC, PUBLIC_LOCAL = "public", "public:local"
HASHTAG, HASHTAG_LOCAL = "hashtag", "hashtag:local"
STREAMS = (USER, NOTIFICATIONS, PUBLIC, PUBLIC_LOCAL, HASHTAG, HASHTAG_LOCAL)
# Streams for which Mastodon asks no scope (but still a token).
PUBLIC_STREAMS = (PUBLIC, PUBLIC_LOCAL, HASHTAG, HASHTAG_LOCAL)
_OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)


def rendered(row: Status | Notification, viewer: Account | None) -> dict:
    """A Status or Notification exactly as the REST API renders it for `viewer`.

    The one call into the renderers (obole.posts.rendering for statuses, as the API and
    the web pages; obole.api.entities for notifications) from the streaming server."""
    if isinstance(row, Notification):
        return entities.notifications([row], viewer)[0]
    return rendering.status(row, viewer)


def followed(viewer_id: int) -> frozenset[int]:
    return frozenset(Follow.objects.filter(follower_id=viewer_id).values_list("target_id", flat=True))


def load_status(status_id: int) -> Status | None:
    return Status.objects.select_related("account", "reblog_of__account").filter(pk=status_id).first()


def load_viewer(viewer_id: int) -> Account | None:
    return Account.objects.filter(pk=viewer_id, is_active=True).first()


def mentions(status: Status, viewer_id: int) -> bool:
    return any(item.get("id") == str(viewer_id) for item in status.mentions or ())


def gets_status(
    stream: str, tag: str | None, viewer: Account, status: Status, follows: frozenset[int]
) -> bool:
    """Whether `viewer`'s `stream` (with its `tag`) shows `status`."""
    if stream == USER:
        if status.account_id == viewer.pk:
            return status.reblog_of_id is None or can_see(viewer, status)
        if status.account_id not in follows and not (
            status.visibility == Visibility.DIRECT and mentions(status, viewer.pk)
        ):
            return False
        return can_see(viewer, status) and audience(status).filter(pk=viewer.pk).exists()
    if stream in (PUBLIC, PUBLIC_LOCAL, HASHTAG, HASHTAG_LOCAL):
        if status.visibility != Visibility.PUBLIC or status.reblog_of_id is not None or status.moderation:
            return False
        rows = public_statuses(viewer).filter(pk=status.pk)
        if stream in (HASHTAG, HASHTAG_LOCAL):
            return bool(tag) and rows.filter(id__in=tagged([tag])).exists()
        return rows.filter(not_a_reply_to_others()).exists()
    return False


def gets_deletion(
    stream: str, viewer_id: int, author_id: int, visibility: str, follows: frozenset[int]
) -> bool:
    """Whether a deleted status may have been on this stream (the status itself is gone)."""
    if stream == USER:
        return author_id == viewer_id or author_id in follows
    return stream in PUBLIC_STREAMS and visibility in _OPEN


def notification_for(viewer: Account, notification_id: int) -> dict | None:
    """The notification as the REST API shows it to `viewer`, or None when it is not shown."""
    row = (
        shown_notifications(viewer)
        .filter(pk=notification_id)
        .select_related("from_account", "status__account", "status__reblog_of__account")
        .first()
    )
    if row is None or (row.status is not None and not can_see(viewer, row.status)):
        return None
    return rendered(row, viewer)
