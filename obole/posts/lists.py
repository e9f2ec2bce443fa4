"""Lists: a member groups accounts they follow and reads their posts as a timeline of its own.

A list belongs to its owner alone: anyone else's list is "Record not found".
Only followed accounts can be added, as on Mastodon; the timeline is read at
query time from the statuses of the members the owner still follows, with
the same rules as home (obole.posts.access: visibility, blocks, moderation;
mutes), and the list's `replies_policy` deciding which replies to others
show. Making, renaming and filling a list need write rights like every write
(docs/architecture.md rule 2); deleting a list or taking accounts out never do.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet

from obole.accounts.models import Account, Follow, Mute
from obole.lib.errors import NotFound, UserError
from obole.lib.snowflake import parse_id
from obole.membership.permissions import require_write
from obole.posts.access import visible_statuses
from obole.posts.models import AccountList, ListMember, Status, Visibility

# Mastodon's limits, which apps expect.
MAX_LISTS = 50
MAX_MEMBERS = 500
TITLE_MAX = AccountList._meta.get_field("title").max_length
POLICIES = AccountList.RepliesPolicy.values


def checked_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise UserError("title: can't be blank")
    title = title.strip()
    if len(title) > TITLE_MAX:
        raise UserError(f"title: is too long (at most {TITLE_MAX} characters)")
    return title


def checked_policy(policy: object) -> str:
    if policy not in POLICIES:
        raise UserError(f"replies_policy: must be one of {', '.join(POLICIES)}")
    return str(policy)


def create(
    owner: Account,
    title: object,
    replies_policy: object = None,
    exclusive: bool = False,
    now: datetime | None = None,
) -> AccountList:
    require_write(owner, now)
    title = checked_title(title)
    policy = (
        checked_policy(replies_policy) if replies_policy not in (None, "") else AccountList.RepliesPolicy.LIST
    )
    with transaction.atomic():
        # The owner's row keeps two concurrent creations from passing the limit together.
        Account.objects.select_for_update().filter(pk=owner.pk).first()
        if AccountList.objects.filter(account=owner).count() >= MAX_LISTS:
            raise UserError(f"You can have at most {MAX_LISTS} lists.")
        return AccountList.objects.create(
            account=owner, title=title, replies_policy=policy, exclusive=exclusive
        )


def owned(owner: Account, list_id: object) -> AccountList:
    """One of `owner`'s lists; NotFound for anyone else's, as if it did not exist."""
    number = parse_id(list_id)
    found = AccountList.objects.filter(pk=number, account=owner).first() if number is not None else None
    if found is None:
        raise NotFound("Record not found")
    return found


def update(owner: Account, row: AccountList, changes: dict) -> AccountList:
    """Change the title, replies_policy or exclusive (those given) of one of `owner`'s lists."""
    require_write(owner)
    if "title" in changes:
        row.title = checked_title(changes["title"])
    if changes.get("replies_policy") not in (None, ""):
        row.replies_policy = checked_policy(changes["replies_policy"])
    if "exclusive" in changes:
        row.exclusive = bool(changes["exclusive"])
    row.save(update_fields=["title", "replies_policy", "exclusive"])
    return row


def delete(row: AccountList) -> None:
    row.delete()


def members(row: AccountList) -> QuerySet[ListMember]:
    """The list's members that its owner still follows (an unfollowed account drops out), active ones."""
    following = Follow.objects.filter(follower_id=row.account_id).values("target_id")
    return ListMember.objects.filter(list=row, account_id__in=following, account__is_active=True)


def add(owner: Account, row: AccountList, account_ids: list[str], now: datetime | None = None) -> None:
    """Add accounts `owner` follows; NotFound for an unknown account, 422 for one not followed."""
    require_write(owner, now)
    wanted = _accounts(account_ids)
    followed = set(
        Follow.objects.filter(follower=owner, target_id__in=[a.pk for a in wanted]).values_list(
            "target_id", flat=True
        )
    )
    for target in wanted:
        if target.pk not in followed:
            raise UserError(f"account_ids: you can only add accounts you follow (not @{target.username})")
    with transaction.atomic():
        if ListMember.objects.filter(list=row).count() + len(wanted) > MAX_MEMBERS:
            raise UserError(f"A list holds at most {MAX_MEMBERS} accounts.")
        try:
            ListMember.objects.bulk_create(
                [ListMember(list=row, account=target) for target in wanted], ignore_conflicts=True
            )
        except IntegrityError:  # an account deleted in between
            raise NotFound("Record not found") from None


def remove(row: AccountList, account_ids: list[str]) -> None:
    numbers = [number for number in (parse_id(value) for value in account_ids) if number is not None]
    ListMember.objects.filter(list=row, account_id__in=numbers).delete()


def _accounts(account_ids: list[str]) -> list[Account]:
    if not account_ids:
        raise UserError("account_ids: give at least one account")
    numbers = [parse_id(value) for value in account_ids]
    if None in numbers:
        raise NotFound("Record not found")
    found = {row.pk: row for row in Account.objects.filter(pk__in=numbers, is_active=True)}
    if len(found) != len(set(numbers)):
        raise NotFound("Record not found")
    return [found[number] for number in dict.fromkeys(numbers)]


def lists_with(owner: Account, target: Account) -> QuerySet[AccountList]:
    """`owner`'s lists that hold `target`, oldest first."""
    holding = ListMember.objects.filter(account=target).values("list_id")
    return AccountList.objects.filter(account=owner, id__in=holding).order_by("id")


def statuses(row: AccountList) -> QuerySet[Status]:
    """The list's timeline, unordered: the statuses (and reposts) of its members that its owner
    may see, not direct, nothing by or of an account the owner mutes, and replies to others as
    `replies_policy` says."""
    owner = row.account
    following = Follow.objects.filter(follower=owner).values("target_id")
    member_ids = members(row).values("account_id")
    muted = Mute.objects.filter(account=owner).values("target_id")
    shown = (
        visible_statuses(owner)
        .filter(account_id__in=member_ids)
        .exclude(visibility=Visibility.DIRECT)
        .exclude(account_id__in=muted)
        .exclude(reblog_of__account_id__in=muted)
    )
    replies = Q(in_reply_to_account_id__isnull=True) | Q(in_reply_to_account_id=F("account_id"))
    if row.replies_policy == AccountList.RepliesPolicy.FOLLOWED:
        replies |= Q(in_reply_to_account_id__in=following) | Q(in_reply_to_account_id=owner.pk)
    elif row.replies_policy == AccountList.RepliesPolicy.LIST:
        replies |= Q(in_reply_to_account_id__in=member_ids)
    return shown.filter(replies)
