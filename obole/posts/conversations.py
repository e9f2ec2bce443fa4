"""Conversations: the direct statuses among one set of accounts, as each participant sees them.

`record(status)` is called by obole.posts.services.post_status for every
direct status it makes (not held by moderation), in its transaction: each
participant (the author and the accounts mentioned) gets their row for that
set of accounts made or moved to the new status, unread for everyone but the
author. A member reads, marks read and deletes only their own rows; deleting
one leaves the others' and the statuses. A row whose last status was deleted
is pointed at the one before it when next read, or dropped if none is left.
"""

from __future__ import annotations

import hashlib

from django.db.models import Q, QuerySet

from obole.accounts.models import Account
from obole.lib.errors import NotFound
from obole.lib.snowflake import parse_id
from obole.posts.access import visible_statuses
from obole.posts.models import Conversation, Status, Visibility

# How far back a repair looks for the status before a deleted last one.
REPAIR_SCAN = 200


def participants(status: Status) -> set[int]:
    return {status.account_id} | {int(mention["id"]) for mention in status.mentions}


def key(everyone: set[int]) -> str:
    return hashlib.sha256(",".join(str(pk) for pk in sorted(everyone)).encode()).hexdigest()


def record(status: Status) -> None:
    """Make or move each participant's conversation to this direct status."""
    if status.visibility != Visibility.DIRECT:
        return
    everyone = participants(status)
    digest = key(everyone)
    rows = Conversation.objects.filter(key=digest, account_id__in=everyone)
    rows.exclude(account_id=status.account_id).update(last_status=status, unread=True)
    rows.filter(account_id=status.account_id).update(last_status=status, unread=False)
    have = set(rows.values_list("account_id", flat=True))
    Conversation.objects.bulk_create(
        [
            Conversation(
                account_id=owner,
                key=digest,
                others=sorted(everyone - {owner}),
                last_status=status,
                unread=owner != status.account_id,
            )
            for owner in everyone - have
        ],
        ignore_conflicts=True,  # a concurrent direct status made it first: it is as good
    )


def shown(owner: Account) -> QuerySet[Conversation]:
    """`owner`'s conversations whose last status they may still see, unordered."""
    _repair(owner)
    direct = visible_statuses(owner).filter(visibility=Visibility.DIRECT).values("id")
    return Conversation.objects.filter(account=owner, last_status__in=direct)


def owned(owner: Account, conversation_id: object) -> Conversation:
    """One of `owner`'s conversations; NotFound for anyone else's."""
    number = parse_id(conversation_id)
    found = Conversation.objects.filter(pk=number, account=owner).first() if number is not None else None
    if found is None:
        raise NotFound("Record not found")
    return found


def mark_read(owner: Account, conversation_id: object) -> Conversation:
    row = owned(owner, conversation_id)
    if row.unread:
        row.unread = False
        row.save(update_fields=["unread"])
    return row


def remove(owner: Account, conversation_id: object) -> None:
    owned(owner, conversation_id).delete()


def _repair(owner: Account) -> None:
    """Point rows whose last status was deleted at the latest one left, or drop them."""
    for row in Conversation.objects.filter(account=owner, last_status__isnull=True):
        everyone = {owner.pk, *row.others}
        candidates = (
            Status.objects.filter(visibility=Visibility.DIRECT, account_id__in=everyone)
            .filter(Q(account=owner) | Q(mention_set__account=owner))
            .order_by("-id")[:REPAIR_SCAN]
        )
        latest = next((status for status in candidates if participants(status) == everyone), None)
        if latest is None:
            row.delete()
        else:
            row.last_status = latest
            row.save(update_fields=["last_status"])
