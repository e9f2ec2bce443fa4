"""Background work of the posts app, run by `obole worker` (Huey).

Every minute, polls that have ended are announced to their authors and voters
(obole.posts.polls.notify_ended). The poll rows say which are still to be
announced, so a lost or doubled run changes nothing but timing.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from obole.posts import polls


@db_periodic_task(crontab())
def notify_ended_polls() -> int:
    return polls.notify_ended()
