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
from obole.lib import rawrows
from obole.lib.errors import UserError
from obole.trust import counters
from obole.trust.counters import Exceeded
from obole.trust.models import Standing


class Throttled(UserError):
    status = 429


def before_post(account: Account, now: datetime) -> bool:
    """Raise Throttled past a throttled account's hourly posts; return whether the post is held."""
    with rawrows.prepared_cursor() as cursor:  # every post asks: one prepared query
        cursor.execute(_STANDING_SQL, [account.pk])
        row = cursor.fetchone()
    if row is None:
        return False
    holding_at, throttled_at = row  # only whether they are set matters here
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
    """Mark the account for scoring by the next trust sweep: one statement, which makes the
    account's Standing the first time (every post asks)."""
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(_TOUCH_SQL, [account_id, rawrows.moment(now)])


_STANDING_SQL = f"SELECT holding_at, throttled_at FROM {Standing._meta.db_table} WHERE account_id = %s"  # noqa: S608
# A new Standing as the model's defaults make it (score 0, no signals), or only dirty_at set.
_TOUCH_SQL = (
    f"INSERT INTO {Standing._meta.db_table} (account_id, score, signals, dirty_at) "  # noqa: S608
    "VALUES (%s, 0, '[]', %s) ON CONFLICT (account_id) DO UPDATE SET dirty_at = excluded.dirty_at"
)
