"""Telling the streaming servers what happened: one function, two transports.

Events are small JSON objects naming what changed, never rendered statuses:
the streaming process decides who may see them and renders them for each
viewer (obole.streaming.audience). The services call these at one place each:

- `status_created` (obole.posts.fanout.run, once a post, reply or repost is in the home
  timelines: in the task worker) → `update`;
- `status_edited` (obole.posts.edits) → `status.update`;
- `statuses_removed` (obole.posts.fanout.forget, account deletion, moderation) → `delete`;
- `notified` (obole.posts.notify.notify) → `notification`;
- `graph_changed` (obole.accounts.graph) → the account's followed set is read again.

Two transports, chosen by settings:
- with OBOLE_REDIS_URL, a Redis PUBLISH once the transaction commits; every
  streaming process is subscribed, so any of them can serve any stream;
- without it (the embedded default), a row in the outbox table
  (obole.streaming.models.OutboxEvent) written in the same transaction, which
  the streaming process reads every POLL_SECONDS while it has listeners. An
  event of a transaction that rolls back is never seen, either way.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

# Outbox rows older than this are deleted (by the streaming server, and now and then by writers).
PRUNE_AFTER = timedelta(minutes=5)
PRUNE_ONE_IN = 500


def channel() -> str:
    """The Redis pub/sub channel. Pub/sub ignores Redis database numbers, so the channel is named
    for the database the events are about: two instances sharing a Redis never cross."""
    database = settings.DATABASES["default"]
    return f"obole:streaming:{database.get('HOST') or ''}:{database['NAME']}"


@cache
def _redis():  # noqa: ANN202 (a redis.Redis)
    import redis

    return redis.Redis.from_url(settings.OBOLE_REDIS_URL)


def publish(event: dict) -> None:
    """Send `event` to every streaming server once the current transaction commits."""
    body = json.dumps(event, separators=(",", ":"))
    if settings.OBOLE_REDIS_URL:
        transaction.on_commit(lambda: _send(body))
        return
    from obole.streaming.models import OutboxEvent

    now = timezone.now()
    OutboxEvent.objects.create(body=body, created_at=now)
    if random.randrange(PRUNE_ONE_IN) == 0:  # noqa: S311 (not for security)
        prune(now)


def _send(body: str) -> None:
    try:
        _redis().publish(channel(), body)
    except Exception:  # a live update lost must never fail the write that caused it
        log.exception("could not publish a streaming event")


def prune(now=None) -> int:  # noqa: ANN001
    from obole.streaming.models import OutboxEvent

    deleted, _ = OutboxEvent.objects.filter(created_at__lt=(now or timezone.now()) - PRUNE_AFTER).delete()
    return deleted


def status_created(status_id: int) -> None:
    publish({"event": "update", "status": status_id})


def status_edited(status_id: int) -> None:
    publish({"event": "status.update", "status": status_id})


def statuses_removed(status_ids: list[int]) -> None:
    """Statuses about to be deleted or hidden by moderation (call before they go): the event
    carries their author and visibility, which say which streams may have shown them."""
    from obole.posts.models import Status

    rows = Status.objects.filter(pk__in=status_ids).values_list("id", "account_id", "visibility")
    found = [list(row) for row in rows]
    if found:
        publish({"event": "delete", "statuses": found})


def notified(notification_id: int, recipient_id: int) -> None:
    publish({"event": "notification", "notification": notification_id, "recipient": recipient_id})


def graph_changed(account_id: int) -> None:
    publish({"event": "graph", "account": account_id})
