"""Scoring accounts marked by the write path, and the automatic actions at the thresholds.

`run_once` claims the accounts whose Standing has `dirty_at` set (a
conditional UPDATE per row, so two workers never score the same account for
the same mark), scores each (signals.py) and then, at the configured
thresholds: OBOLE_BOT_SCORE_QUEUE sends the account to the moderation queue
with the explanation, OBOLE_BOT_SCORE_THROTTLE throttles it,
OBOLE_BOT_SCORE_HOLD holds its new posts for review. Each automatic action is
audited with no actor. Nothing is deleted, and a falling score undoes nothing
by itself: a moderator decides.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from obole.accounts.models import Account
from obole.trust import counters, moderation, signals
from obole.trust.models import Standing


def _reason(score: int, explanation: list[dict]) -> str:
    parts = ", ".join(f"{row['signal']} ({row['detail']})" for row in explanation)
    return f"bot score {score}: {parts}"


def score_account(account: Account, now: datetime, index: signals.RecentPosts | None = None) -> Standing:
    standing = moderation.standing(account)
    score, explanation = signals.score(account, now, standing.signals, index)
    Standing.objects.filter(pk=account.pk).update(score=score, signals=explanation, scored_at=now)
    standing.refresh_from_db()
    for row in explanation:
        if row["since"] == now.isoformat():
            counters.hit(f"signal: {row['signal']}", now.date())
    reason = _reason(score, explanation)
    if settings.OBOLE_BOT_SCORE_QUEUE and score >= settings.OBOLE_BOT_SCORE_QUEUE:
        moderation.flag(account, "bot score", now=now)
    if (
        settings.OBOLE_BOT_SCORE_THROTTLE
        and score >= settings.OBOLE_BOT_SCORE_THROTTLE
        and not standing.throttled_at
    ):
        moderation.throttle(None, account, reason, now=now)
    if settings.OBOLE_BOT_SCORE_HOLD and score >= settings.OBOLE_BOT_SCORE_HOLD and not standing.holding_at:
        moderation.hold_account(None, account, reason, now=now)
    return standing


def run_once(now: datetime, limit: int = 500) -> int:
    """Score up to `limit` marked accounts; return how many were scored."""
    done = 0
    index = None
    marked = list(
        Standing.objects.exclude(dirty_at=None).order_by("dirty_at").values_list("pk", "dirty_at")[:limit]
    )
    for account_id, mark in marked:
        # Claim: only the worker whose UPDATE clears this very mark scores it.
        if Standing.objects.filter(pk=account_id, dirty_at=mark).update(dirty_at=None) == 0:
            continue
        account = Account.objects.filter(pk=account_id).first()
        if account is not None:
            index = index or signals.RecentPosts(now)  # built once, only when there is work
            score_account(account, now, index)
            done += 1
    return done
