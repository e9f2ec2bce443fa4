"""What trust does on the write path: as little as possible.

`before_post` reads the account's standing once (a throttled account may post
only a few times an hour; a held account's posts are created held), and
`touched` marks the account for scoring. The scoring itself runs in the trust
task (tasks.py) off the request path: the `dirty_at` column is the job, so a
lost queue message delays a score by one sweep and loses nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from obole.accounts.models import Account
from obole.lib.errors import UserError
from obole.trust import counters
from obole.trust.counters import Exceeded
from obole.trust.models import Standing


class Throttled(UserError):
    status = 429


def before_post(account: Account, now: datetime) -> bool:
    """Raise Throttled past a throttled account's hourly posts; return whether the post is held."""
    row = Standing.objects.filter(pk=account.pk).values_list("holding_at", "throttled_at").first()
    if row is None:
        return False
    holding_at, throttled_at = row
    if throttled_at is not None:
        try:
            counters.take(
                [("throttled_posts", f"throttle:{account.pk}", settings.OBOLE_THROTTLED_POSTS_PER_HOUR)], now
            )
        except Exceeded as exceeded:
            counters.hit("throttled_posts", now.date())
            raise Throttled(
                f"This account may post only {settings.OBOLE_THROTTLED_POSTS_PER_HOUR} times an hour "
                f"for now. Try again in {max(1, exceeded.seconds // 60)} minutes."
            ) from None
    if holding_at is not None:
        counters.hit("held_posts", now.date())
    return holding_at is not None


def touched(account_id: int, now: datetime) -> None:
    """Mark the account for scoring by the next trust sweep (one UPDATE, or one INSERT the first time)."""
    if Standing.objects.filter(pk=account_id).update(dirty_at=now) == 0:
        Standing.objects.get_or_create(account_id=account_id, defaults={"dirty_at": now})
