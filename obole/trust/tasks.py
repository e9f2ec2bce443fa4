"""Background work of the trust app, run by `obole worker` (Huey).

Every minute the worker scores the accounts the write path marked (the
Standing row's `dirty_at` is the job) and prunes counters older than a day.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from obole.trust import counters, scoring
from obole.trust.models import Counter


@db_task()
def score_marked() -> int:
    return scoring.run_once(timezone.now())


@db_periodic_task(crontab(minute="*"))
def scheduled_scoring() -> int:
    now = timezone.now()
    Counter.objects.filter(bucket__lt=counters.bucket_of(now - timedelta(days=1))).delete()
    return scoring.run_once(now)
