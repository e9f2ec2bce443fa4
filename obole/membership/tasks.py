"""Background work of the membership app, run by `obole worker` (Huey).

Billing runs on a schedule (every OBOLE_BILLING_EVERY_MINUTES). The task only
says "bill now": which memberships are due is read from the database each
time, so a run that is skipped, lost or doubled changes nothing but timing.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from huey.contrib.djhuey import db_periodic_task, db_task

from obole.membership import billing


def billing_due(moment: datetime) -> bool:
    """Whether the scheduler should start a billing run in the minute `moment`."""
    every = settings.OBOLE_BILLING_EVERY_MINUTES
    return bool(every) and (moment.hour * 60 + moment.minute) % every == 0


@db_task()
def run_billing(as_of: str | None = None) -> str:
    """One billing run, as of now or as of an ISO 8601 moment."""
    now = parse_datetime(as_of) if as_of else timezone.now()
    return str(billing.run(now))


@db_periodic_task(billing_due)
def scheduled_billing() -> str:
    return str(billing.run(timezone.now()))
