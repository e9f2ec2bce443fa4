"""Background work of the posts app, run by `obole worker` (Huey).

- Home-timeline fan-out: the PendingFanOut row is the record of the work
  (obole.posts.fanout); the task only says "fan out this status now", so a
  message that is lost, retried or delivered twice changes nothing but timing.
- Every minute, polls that have ended are announced to their authors and
  voters (obole.posts.polls.notify_ended). The poll rows say which are still to
  be announced, so a lost or doubled run changes nothing but timing.
"""

from __future__ import annotations

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from obole.posts import fanout, polls

# These return nothing: Huey keeps a task's result until it is read, and no one reads these.


@db_task(retries=5, retry_delay=2)
def fan_out(status_id: int) -> None:
    fanout.run(status_id)


@db_task()
def sweep_fan_outs() -> None:
    """Every pending fan-out, whatever its age (queued when a worker starts)."""
    fanout.sweep(older_than=timedelta(0))


@db_periodic_task(crontab(minute="*"))
def scheduled_fan_out_sweep() -> None:
    fanout.sweep()


@db_periodic_task(crontab())
def notify_ended_polls() -> int:
    # Periodic tasks keep no result in Huey, so the count costs nothing; tests read it.
    return polls.notify_ended()
