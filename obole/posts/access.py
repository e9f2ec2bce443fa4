"""Who may see which status — the one place that decides it.

Views never fetch a status without `get_status_for_viewer` (one status) or
`visible_statuses` (a query). The rules, one per line:
- the author sees every status of their own;
- nobody sees the statuses of an account that blocks them, or that they block,
  nor reposts of its statuses, nor replies to it (whoever wrote them);
- public and unlisted statuses are for everyone (logged in or not);
- private statuses are for the author's followers and the accounts mentioned;
- direct statuses are for the accounts mentioned;
- a status held or removed by moderation (obole.trust) is for nobody else.
A repost is visible when its original is.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from obole.accounts.models import Account, Block, Follow, Mute
from obole.lib.errors import NotFound
from obole.lib.snowflake import parse_id
from obole.posts.models import Mention, Status, Visibility

_OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)
# Not held or removed by moderation, nor a repost of such a status.
SHOWN = Q(moderation="") & ~Q(reblog_of__moderation__in=("held", "removed"))


def blocked_ids(viewer: Account | None) -> set[int]:
    """Accounts `viewer` blocks or is blocked by: hidden both ways."""
    if viewer is None:
        return set()
    rows = Block.objects.filter(Q(account=viewer) | Q(target=viewer)).values_list("account_id", "target_id")
    return {other for pair in rows for other in pair if other != viewer.pk}


def not_blocked(viewer: Account) -> Q:
    """Statuses not written by, reposted from, or replying to an account that `viewer` blocks or
    is blocked by. Subqueries, so a page stays one query however many blocks there are."""
    condition = Q()
    for hidden in (
        Block.objects.filter(account=viewer).values("target"),
        Block.objects.filter(target=viewer).values("account"),
    ):
        condition &= (
            ~Q(account__in=hidden) & ~Q(reblog_of__account__in=hidden) & ~Q(in_reply_to_account_id__in=hidden)
        )
    return condition


def visible_statuses(viewer: Account | None) -> QuerySet[Status]:
    """Statuses `viewer` may see (None: someone logged out)."""
    if viewer is None:
        return Status.objects.filter(visibility__in=_OPEN).filter(SHOWN)
    followed = Follow.objects.filter(follower=viewer).values("target")
    mentioned = Mention.objects.filter(account=viewer).values("status")
    return Status.objects.filter(
        Q(account=viewer)
        | (
            (
                Q(visibility__in=_OPEN)
                | Q(visibility=Visibility.PRIVATE, account__in=followed)
                | Q(id__in=mentioned)
            )
            & not_blocked(viewer)
            & SHOWN
        )
    )


def statuses_of(viewer: Account | None, author: Account) -> QuerySet[Status]:
    """`author`'s statuses and reposts that `viewer` may see: none when either blocks the other, and
    no reposts of accounts the viewer blocks, is blocked by or mutes. Unordered."""
    hidden = blocked_ids(viewer)
    if author.pk in hidden:
        return Status.objects.none()
    rows = visible_statuses(viewer).filter(account=author)
    if hidden:
        rows = rows.exclude(reblog_of__account_id__in=hidden)
    if viewer is not None:
        rows = rows.exclude(reblog_of__account__in=Mute.objects.filter(account=viewer).values("target"))
    return rows


def can_see(viewer: Account | None, status: Status) -> bool:
    if status.reblog_of_id is not None and not can_see(viewer, status.reblog_of):
        return False
    if viewer is not None and status.account_id == viewer.pk:
        return True
    if status.moderation:
        return False
    if viewer is not None and {status.account_id, status.in_reply_to_account_id} & blocked_ids(viewer):
        return False
    if status.visibility in _OPEN:
        return True
    if viewer is None:
        return False
    if Mention.objects.filter(status=status, account=viewer).exists():
        return True
    return (
        status.visibility == Visibility.PRIVATE
        and Follow.objects.filter(follower=viewer, target_id=status.account_id).exists()
    )


def get_status_for_viewer(viewer: Account | None, status_id: object) -> Status:
    """The status with this id if `viewer` may see it; NotFound otherwise (as Mastodon, never 403)."""
    try:
        status = Status.objects.select_related("account", "reblog_of__account").get(pk=parse_id(status_id))
    except Status.DoesNotExist:
        raise NotFound("Record not found") from None
    if not can_see(viewer, status):
        raise NotFound("Record not found")
    return status


def get_account(account_id: object) -> Account:
    """An active account by id; NotFound for unknown, malformed or disabled ones."""
    try:
        return Account.objects.get(pk=parse_id(account_id), is_active=True)
    except Account.DoesNotExist:
        raise NotFound("Record not found") from None
