"""Reports, flags and the actions moderators take, each written to the audit log.

Every action takes the acting staff account and a reason, runs in one
transaction with its AuditEntry, and has an inverse where that makes sense:

    remove_post  / restore_post     the post is hidden from everyone but its author
    hold_post    / restore_post     the same, awaiting review
    suspend      / unsuspend        read-only, whatever the membership says
    hold_account / release_account  new posts are held for review
    throttle     / unthrottle       few posts an hour
    ban          / unban            the membership ends, the cards are blocklisted,
                                    and per OBOLE_BAN_REFUND the unused part of the
                                    period is refunded through the provider
    resolve      / reopen           a report or flag leaves / re-enters the queue

Nothing here deletes a post or an account: every action can be looked at again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction

from obole.accounts.models import Account
from obole.lib.errors import UserError
from obole.membership import services as membership_services
from obole.membership import states
from obole.membership.models import Invoice, LedgerEntry, Membership, ledger
from obole.membership.models import invoice as inv
from obole.posts.models import Status
from obole.posts.timelines import store
from obole.streaming import publish as streaming
from obole.trust import counters
from obole.trust.counters import Exceeded
from obole.trust.models import AuditEntry, Report, Standing

log = logging.getLogger("obole.trust")

# Actions and the action that undoes each.
UNDO = {
    "remove_post": "restore_post",
    "hold_post": "restore_post",
    "suspend": "unsuspend",
    "hold_account": "release_account",
    "throttle": "unthrottle",
    "ban": "unban",
    "resolve": "reopen",
}
ACCOUNT_ACTIONS = (
    "suspend",
    "unsuspend",
    "hold_account",
    "release_account",
    "throttle",
    "unthrottle",
    "ban",
    "unban",
)
POST_ACTIONS = ("remove_post", "hold_post", "restore_post")


class ReasonRequired(UserError):
    status = 422


def _audit(
    actor: Account | None,
    action: str,
    reason: str,
    now: datetime,
    *,
    account: Account | None = None,
    status_id: int | None = None,
    report: Report | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_account=account,
        target_status_id=status_id,
        report=report,
        reason=reason[:1000],
        created_at=now,
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("Give a reason: it goes into the audit log.")
    return reason


# --- Reports and flags --------------------------------------------------------


def report(
    reporter: Account,
    target: Account,
    *,
    status_ids: list[int],
    comment: str,
    category: str,
    now: datetime,
) -> Report:
    """A member reports an account (and some of its posts). Limited per reporter and hour."""
    if target.pk == reporter.pk:
        raise UserError("You cannot report yourself.")
    try:
        counters.take([("reports", f"report:{reporter.pk}", settings.OBOLE_REPORTS_PER_HOUR)], now)
    except Exceeded as exceeded:
        counters.hit("reports_per_hour", now.date())
        error = UserError(f"Too many reports. Try again in {max(1, exceeded.seconds // 60)} minutes.")
        error.status = 429
        raise error from None
    found = set(Status.objects.filter(pk__in=status_ids, account=target).values_list("pk", flat=True))
    missing = [sid for sid in status_ids if sid not in found]
    if missing:
        raise UserError(f"Status {missing[0]} is not a post of the reported account.")
    counters.hit("reports", now.date())
    return Report.objects.create(
        reporter=reporter,
        target=target,
        status_ids=sorted(found),
        comment=(comment or "")[:1000],
        category=category,
        created_at=now,
    )


def flag(
    account: Account, source: str, *, now: datetime, status_ids: list[int] | None = None
) -> Report | None:
    """Put `account` in the queue for `source` (a rule, a policy, the bot score) — once while open."""
    source = source[:200]
    if Report.objects.filter(target=account, reporter=None, source=source, resolved_at=None).exists():
        return None
    counters.hit("flags", now.date())
    return Report.objects.create(
        reporter=None,
        target=account,
        status_ids=status_ids or [],
        category="flag",
        source=source,
        created_at=now,
    )


def open_queue():
    """Open reports and flags, oldest first (what moderators work through)."""
    return (
        Report.objects.filter(resolved_at=None)
        .select_related("target", "reporter", "assigned_to")
        .order_by("id")
    )


def resolve(actor: Account, item: Report, reason: str, *, now: datetime) -> Report:
    reason = _reason(reason)
    with transaction.atomic():
        Report.objects.filter(pk=item.pk).update(resolved_at=now, resolved_by=actor)
        _audit(actor, "resolve", reason, now, account=item.target, report=item)
    item.refresh_from_db()
    return item


def reopen(actor: Account, item: Report, reason: str, *, now: datetime) -> Report:
    reason = _reason(reason)
    with transaction.atomic():
        Report.objects.filter(pk=item.pk).update(resolved_at=None, resolved_by=None)
        _audit(actor, "reopen", reason, now, account=item.target, report=item)
    item.refresh_from_db()
    return item


def assign(actor: Account, item: Report, to: Account | None, *, now: datetime) -> Report:
    with transaction.atomic():
        Report.objects.filter(pk=item.pk).update(assigned_to=to)
        who = to.username if to else "nobody"
        _audit(actor, "assign", f"assigned to {who}", now, account=item.target, report=item)
    item.refresh_from_db()
    return item


# --- Posts ----------------------------------------------------------------------


def _hide(actor: Account | None, status: Status, state: str, action: str, reason: str, now: datetime,
          report_row: Report | None) -> Status:  # fmt: skip
    with transaction.atomic():
        Status.objects.filter(pk=status.pk).update(moderation=state)
        reblogs = list(status.reblogs.values_list("id", flat=True))
        streaming.statuses_removed([status.pk, *reblogs])  # off the live streams of others
        # Out of every home timeline; mentions of it stop notifying (access rules hide the rest).
        store().remove([status.pk, *reblogs])
        _audit(actor, action, reason, now, account=status.account, status_id=status.pk, report=report_row)
    status.moderation = state
    return status


def remove_post(
    actor: Account, status: Status, reason: str, *, now: datetime, report: Report | None = None
) -> Status:
    return _hide(actor, status, "removed", "remove_post", _reason(reason), now, report)


def hold_post(actor: Account | None, status: Status, reason: str, *, now: datetime,
              report: Report | None = None) -> Status:  # fmt: skip
    return _hide(actor, status, "held", "hold_post", _reason(reason), now, report)


def restore_post(
    actor: Account, status: Status, reason: str, *, now: datetime, report: Report | None = None
) -> Status:
    reason = _reason(reason)
    with transaction.atomic():
        Status.objects.filter(pk=status.pk).update(moderation="")
        status.moderation = ""
        store().add(status)
        for row in status.reblogs.all():
            store().add(row)
        _audit(actor, "restore_post", reason, now, account=status.account, status_id=status.pk, report=report)
    return status


def held_posts(account: Account):
    return Status.objects.filter(account=account, moderation="held")


# --- Accounts -----------------------------------------------------------------


def standing(account: Account) -> Standing:
    return Standing.objects.get_or_create(account=account)[0]


def suspend(
    actor: Account, account: Account, reason: str, *, now: datetime, report: Report | None = None
) -> None:
    reason = _reason(reason)
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(suspended_at=now)
        _audit(actor, "suspend", reason, now, account=account, report=report)
    account.suspended_at = now


def unsuspend(
    actor: Account, account: Account, reason: str, *, now: datetime, report: Report | None = None
) -> None:
    reason = _reason(reason)
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(suspended_at=None)
        _audit(actor, "unsuspend", reason, now, account=account, report=report)
    account.suspended_at = None


def _standing_flag(actor: Account | None, account: Account, field: str, value: datetime | None, action: str,
                   reason: str, now: datetime, report_row: Report | None) -> None:  # fmt: skip
    with transaction.atomic():
        standing(account)
        Standing.objects.filter(pk=account.pk).update(**{field: value})
        _audit(actor, action, reason, now, account=account, report=report_row)


def hold_account(actor: Account | None, account: Account, reason: str, *, now: datetime,
                 report: Report | None = None) -> None:  # fmt: skip
    _standing_flag(actor, account, "holding_at", now, "hold_account", _reason(reason), now, report)


def release_account(actor: Account, account: Account, reason: str, *, now: datetime,
                    report: Report | None = None) -> None:  # fmt: skip
    """Stop holding new posts, and publish the ones held so far."""
    reason = _reason(reason)
    _standing_flag(actor, account, "holding_at", None, "release_account", reason, now, report)
    for status in held_posts(account):
        restore_post(actor, status, f"account released: {reason}", now=now, report=report)


def throttle(actor: Account | None, account: Account, reason: str, *, now: datetime,
             report: Report | None = None) -> None:  # fmt: skip
    _standing_flag(actor, account, "throttled_at", now, "throttle", _reason(reason), now, report)


def unthrottle(
    actor: Account, account: Account, reason: str, *, now: datetime, report: Report | None = None
) -> None:
    _standing_flag(actor, account, "throttled_at", None, "unthrottle", _reason(reason), now, report)


def unused_refund(account: Account, now: datetime) -> tuple[LedgerEntry, int] | None:
    """The charge for the current period and the part of it not yet used, in minor units."""
    invoice = (
        Invoice.objects.filter(
            membership_id=account.pk, status=inv.PAID, period_start__lte=now, period_end__gt=now
        )
        .order_by("-period_start")
        .first()
    )
    if invoice is None:
        return None
    charge = LedgerEntry.objects.filter(invoice=invoice, kind=ledger.CHARGE).first()
    if charge is None:
        return None
    taken_back = -sum(charge.reversals.values_list("amount", flat=True))
    length = (invoice.period_end - invoice.period_start).total_seconds()
    unused = int(charge.amount * (invoice.period_end - now).total_seconds() // length)
    amount = min(unused, charge.amount - taken_back)
    return (charge, amount) if amount > 0 else None


def _state(account: Account) -> str:
    return Membership.objects.filter(pk=account.pk).values_list("state", flat=True).first() or ""


def ban(
    actor: Account, account: Account, reason: str, *, now: datetime, report: Report | None = None
) -> None:
    """End the membership, blocklist every card the account used, refund per OBOLE_BAN_REFUND."""
    reason = _reason(reason)
    refund = unused_refund(account, now) if settings.OBOLE_BAN_REFUND == "unused" else None
    with transaction.atomic():
        if _state(account) != states.BANNED:
            membership_services.ban(account, reason=reason, now=now)
        _audit(actor, "ban", reason, now, account=account, report=report)
    if refund is not None:
        # After the ban is committed, outside any transaction: the provider may be slow.
        charge, amount = refund
        membership_services.refund(charge, amount=amount, memo="unused period after a ban", now=now)
        log.info("account %s banned: refunded %s of charge %s", account.pk, amount, charge.id)


def unban(
    actor: Account, account: Account, reason: str, *, now: datetime, report: Report | None = None
) -> None:
    reason = _reason(reason)
    if _state(account) != states.BANNED:
        raise UserError("This account is not banned.")
    with transaction.atomic():
        membership_services.unban(account, now=now)
        _audit(actor, "unban", reason, now, account=account, report=report)


def undo(actor: Account, entry: AuditEntry, reason: str, *, now: datetime) -> None:
    """Reverse the action `entry` recorded, with a new audit entry of its own."""
    inverse = UNDO.get(entry.action)
    if inverse is None:
        raise UserError(f"{entry.action} cannot be undone.")
    if entry.action in POST_ACTIONS:
        status = Status.objects.filter(pk=entry.target_status_id).select_related("account").first()
        if status is None:
            raise UserError("That post no longer exists.")
        restore_post(actor, status, reason, now=now, report=entry.report)
    elif entry.action == "resolve":
        reopen(actor, entry.report, reason, now=now)
    else:
        ACCOUNT_FUNCTIONS[inverse](actor, entry.target_account, reason, now=now, report=entry.report)


ACCOUNT_FUNCTIONS = {
    "suspend": suspend,
    "unsuspend": unsuspend,
    "hold_account": hold_account,
    "release_account": release_account,
    "throttle": throttle,
    "unthrottle": unthrottle,
    "ban": ban,
    "unban": unban,
}


def related_accounts(account: Account) -> dict[str, list[Account]]:
    """Evidence: other accounts sharing a card fingerprint or a sign-up network with `account`."""
    from obole.lib.addresses import network_of
    from obole.membership.models import PaymentMethod

    prints = PaymentMethod.objects.filter(account=account).values("fingerprint")
    same_card = Account.objects.filter(
        pk__in=PaymentMethod.objects.filter(fingerprint__in=prints).values("account")
    ).exclude(pk=account.pk)
    network = network_of(account.signup_ip)
    same_network: list[Account] = []
    if network:
        # IPv4: the first three numbers narrow the search; IPv6 forms vary, so compare in Python.
        prefix = network.split("/")[0].rsplit(".", 1)[0] + "." if "." in network else ""
        candidates = Account.objects.filter(signup_ip__startswith=prefix).exclude(pk=account.pk)[:1000]
        same_network = [a for a in candidates if network_of(a.signup_ip) == network][:50]
    return {"card": list(same_card[:50]), "network": same_network}
