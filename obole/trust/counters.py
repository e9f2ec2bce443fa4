"""Atomic counting for limits and rule statistics.

A limit checked by counting rows and then writing can be raced: thirty
sign-ups arriving together all count nine and all pass a limit of ten. Here
the check *is* the write: one `INSERT … ON CONFLICT DO UPDATE … RETURNING`
adds to the counter and returns the new value in one statement, which both
PostgreSQL and SQLite (3.35+) run atomically, across threads and processes.
A caller that gets a value above its limit is refused; one that is let
through and then fails for an unrelated reason gives its slot back
(`release`), so only what really counts stays counted.

Windows are fixed (an hour starting on the hour); old rows are pruned by the
trust task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection

from obole.trust.models import Counter, Refusal, RuleHit

HOUR = 3600


def _upsert(table: str, columns: tuple[str, ...], values: tuple[object, ...], by: int) -> int:
    keys = ", ".join(columns)
    marks = ", ".join(["%s"] * (len(columns) + 1))
    sql = (
        f"INSERT INTO {table} ({keys}, count) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + excluded.count "
        "RETURNING count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*values, by))
        return cursor.fetchone()[0]


def bucket_of(now: datetime, window: int = HOUR) -> int:
    return int(now.timestamp()) // window


def add(key: str, now: datetime, by: int = 1, window: int = HOUR) -> int:
    """Add `by` to the counter `key` in `now`'s window; return the new count."""
    return _upsert(Counter._meta.db_table, ("key", "bucket"), (key[:200], bucket_of(now, window)), by)


def value(key: str, now: datetime, window: int = HOUR) -> int:
    row = Counter.objects.filter(key=key[:200], bucket=bucket_of(now, window)).values_list("count", flat=True)
    return next(iter(row), 0)


def seconds_left(now: datetime, window: int = HOUR) -> int:
    return (bucket_of(now, window) + 1) * window - int(now.timestamp())


def hit(rule: str, day: date) -> None:
    """Count one firing of `rule` on `day` (what `obole trust stats` reports)."""
    _upsert(RuleHit._meta.db_table, ("rule", "day"), (rule[:200], day), 1)


# Where a request can be refused, for the bot-pressure counts (Refusal.stage).
SIGN_UP, APP_REGISTRATION, PAYMENT, WRITE = "sign_up", "app_registration", "payment", "write"
STAGES = (SIGN_UP, APP_REGISTRATION, PAYMENT, WRITE)


def refused(stage: str, rule: str, day: date) -> None:
    """Count one request refused at `stage` by `rule` on `day`: no address, account or card, a count.

    Call it outside any transaction that the refusal rolls back, or the count goes with it.
    """
    _upsert(Refusal._meta.db_table, ("day", "stage", "rule"), (day, stage[:32], rule[:200]), 1)


@dataclass
class Slot:
    """A place taken under a limit, to be given back if the thing counted did not happen."""

    key: str
    now: datetime

    def release(self) -> None:
        add(self.key, self.now, by=-1)


class Exceeded(Exception):
    def __init__(self, name: str, seconds: int):
        super().__init__(name)
        self.name = name
        self.seconds = seconds


def take(limits: list[tuple[str, str, int]], now: datetime) -> list[Slot]:
    """Take one slot under each (name, key, limit); all or none.

    Raises Exceeded with the first limit gone past, after giving back what was
    taken. A limit of 0 is off: counted (rules read the counts), never refused.
    """
    taken: list[Slot] = []
    for name, key, limit in limits:
        slot = Slot(key, now)
        if add(key, now) > limit > 0:
            slot.release()
            for earlier in taken:
                earlier.release()
            raise Exceeded(name, seconds_left(now))
        taken.append(slot)
    return taken
