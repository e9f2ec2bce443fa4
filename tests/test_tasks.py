"""Background work: scheduled billing, and `obole worker` taking tasks from the real queue.

The queue is a SQLite file in the data directory, or Redis when OBOLE_REDIS_URL
is set (CI's PostgreSQL pass sets it, so both are exercised).
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from obole.membership import states
from obole.membership.models import LedgerEntry
from obole.membership.tasks import billing_due, run_billing, scheduled_billing
from tests.conftest import NOW, make_account, obole, subprocess_env


@pytest.mark.parametrize(
    ("every", "minute", "due"),
    [
        (10, 0, True),
        (10, 20, True),
        (10, 25, False),
        (0, 0, False),
        (1, 37, True),
        (90, 90, True),
        (90, 60, False),
    ],
)
def test_billing_is_scheduled_every_n_minutes(settings, every, minute, due):
    settings.OBOLE_BILLING_EVERY_MINUTES = every
    moment = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(minutes=minute)
    assert billing_due(moment) is due


@pytest.mark.django_db
def test_the_scheduled_task_renews_what_is_due():
    member = make_account("due", paid=True, now=timezone.now() - timedelta(days=32))
    assert "paid 1" in scheduled_billing.call_local()
    member.membership.refresh_from_db()
    assert member.membership.state == states.ACTIVE
    assert member.membership.paid_until > timezone.now()
    assert LedgerEntry.objects.filter(account=member).count() == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_takes_billing_from_the_queue(real_queue):
    members = [make_account(f"queued{i}", paid=True) for i in range(3)]
    env = subprocess_env()
    env["OBOLE_BILLING_EVERY_MINUTES"] = "0"  # only what this test enqueues
    worker = obole("worker", env=env)
    try:
        result = run_billing((NOW + timedelta(days=31)).isoformat())
        report = result.get(blocking=True, timeout=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert "paid 3" in report, err
    assert worker.returncode == 0, err
    assert LedgerEntry.objects.filter(account__in=members).count() == 6
    queue = type(django_settings.HUEY).__name__
    assert queue == ("RedisHuey" if django_settings.OBOLE_REDIS_URL else "SqliteHuey")
