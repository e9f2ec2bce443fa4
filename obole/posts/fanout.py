"""Fan-out off the request path: a post is answered at once, its followers' timelines filled after.

1. `schedule(status)`, in the transaction that makes the status: the status
   goes into its author's own home timeline at once, and a PendingFanOut row
   records that the rest is still to do. (The fan-out writes the author's
   timeline again after commit: a store outside the database, Redis, may have
   lost the first write to a rebuild that read the database before the commit.)
2. When that transaction commits, a Huey task `fan_out(status_id)` is queued.
   The worker that `obole serve` starts runs it in the embedded default; with
   Redis, any number of `obole worker` processes share the queue.
3. `run(status_id)` claims the pending row (deletes it), writes the status into the home
   timeline of everyone in its audience (obole.posts.timelines.audience), and
   of the followers of its hashtags (`tag_audience`, public posts only, even
   from widely followed authors), in one transaction.
   Run twice, the second run finds no row and does nothing; the store's
   writes are idempotent besides.
   It then tells the streaming servers (obole.streaming.publish): the
   `update` event comes when the status is in the home timelines, as Mastodon's.
4. `sweep()`, every minute and when a worker starts, runs every pending row
   older than SWEEP_AFTER: a lost or failed message loses nothing.

An author with more than OBOLE_FANOUT_MAX_FOLLOWERS followers is not fanned
out: their followers' home timelines merge those posts in when read
(`obole.posts.timelines.wide_statuses`), so such a post costs no more to
write than any other (Twitter's hybrid). Direct statuses always fan out: their
audience is the accounts they mention. The threshold is read when a post
fans out and when a page is read: an account that falls back under it leaves
the posts it made while above it out of the stores' lists (the read-time merge
no longer picks them up; a Redis rebuild does).

In Huey's immediate mode (the tests) and inside `inline()` (`obole demo`) the
fan-out runs in the status's own transaction, before it commits.

Deleting a status deletes its pending row first, which waits for a fan-out
that holds it, so the delete's removal from timelines runs after that fan-out
and misses nothing. The audience is read when the fan-out runs, so a mute,
block or unfollow made before then is respected; one made after removes the
posts as it always has.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from obole.lib import rawrows
from obole.posts import rendering
from obole.posts.models import PendingFanOut, Status, Visibility
from obole.posts.timelines import reaches_all_followers, store, tag_audience
from obole.streaming import publish as streaming

# A pending fan-out this old is run by the sweep, whatever happened to its message.
SWEEP_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 500

_inline: ContextVar[bool] = ContextVar("fanout_inline", default=False)


@contextlib.contextmanager
def inline() -> Iterator[None]:
    """Fan out in the caller's transaction instead of the task queue (for bulk seeding)."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def schedule(status: Status, now: datetime) -> None:
    """Put `status` in its author's timeline now and record that its fan-out is due."""
    from huey.contrib.djhuey import HUEY

    from obole.posts.tasks import fan_out

    store().push(status.account_id, status.pk)
    PendingFanOut.objects.create(status=status, created_at=now)
    if _inline.get() or HUEY.immediate:
        # Huey's immediate mode (the tests) runs the task here, in this transaction.
        run(status.pk)
        return
    # Queued once the status is committed, so the worker is sure to see it.
    transaction.on_commit(lambda: fan_out(status.pk))


def run(status_id: int) -> bool:
    """Fan out one status if it is still pending. Returns whether there was anything to do."""
    # Read the status and build the statements before the transaction: on SQLite the
    # transaction is the database's one write lock, and building them inside it kept every
    # post waiting on the fan-out's Python. A status deleted meanwhile takes its pending
    # row with it, which the transaction finds.
    # One prepared statement (the ORM's join was planned afresh for every fan-out on PostgreSQL,
    # a quarter of a millisecond); a repost's original is read only for a repost.
    status = rendering.in_full([status_id]).get(status_id)
    if status is None:
        return False  # deleted
    if status.visibility == Visibility.DIRECT or reaches_all_followers(status.account.followers_count):
        write = store().prepare_add(status)  # the author is in the audience
    else:
        write = functools.partial(store().push, status.account_id, status.pk)
    with transaction.atomic():
        # The pending row is claimed by deleting it, in one statement: a concurrent run, or the
        # status's deletion, waits on its lock until this commits, then finds nothing. (Should
        # the writes fail, the rollback puts the row back for a retry or the sweep.)
        if not _claim(status_id):
            return False  # done already, or the status was deleted
        write()
        for owner_id in tag_audience(status).values_list("pk", flat=True).iterator():
            store().push(owner_id, status.pk)  # followers of its hashtags (pushes are idempotent)
        # Live streams, once this commits: a client that reads its home timeline then finds it there.
        streaming.status_created(status_id)
    return True


def _claim(status_id: int) -> bool:
    """Delete the status's pending row; whether there was one."""
    with rawrows.prepared_cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [status_id])
        return cursor.fetchone() is not None


_CLAIM_SQL = f"DELETE FROM {PendingFanOut._meta.db_table} WHERE status_id = %s RETURNING status_id"  # noqa: S608


def sweep(now: datetime | None = None, older_than: timedelta = SWEEP_AFTER) -> int:
    """Run the pending fan-outs older than `older_than`, oldest first. Returns how many ran."""
    cutoff = (now or timezone.now()) - older_than
    done = 0
    while True:
        batch = list(
            PendingFanOut.objects.filter(created_at__lte=cutoff)
            .order_by("created_at")
            .values_list("status_id", flat=True)[:SWEEP_BATCH]
        )
        for status_id in batch:
            done += run(status_id)
        if len(batch) < SWEEP_BATCH:
            return done


def forget(status_ids: list[int]) -> None:
    """Drop the pending fan-out of statuses about to be deleted (waits for one in progress), and
    tell the live streams they are gone."""
    streaming.statuses_removed(status_ids)
    PendingFanOut.objects.filter(status_id__in=status_ids).delete()
