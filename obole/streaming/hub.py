"""The streaming process's connections, and the one loop that feeds them events.

One `Hub` per process. Its source is Redis pub/sub (OBOLE_REDIS_URL) or the
outbox table (the embedded default), both described in obole.streaming.publish.
Events are handled one at a time, in the order they were published, so a
`delete` never overtakes the `update` it undoes. For each event the hub asks,
connection by connection, whether that viewer's streams concern it
(obole.streaming.audience) and renders it for that viewer, in threads
(`sync_to_async`, not thread-sensitive: each call is a short read of its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from obole.posts.models import Visibility
from obole.streaming import audience
from obole.streaming.auth import Viewer
from obole.streaming.publish import channel, prune

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
# Outbox rows are read again for this long: on PostgreSQL a row with a smaller id may commit later.
LOOKBACK = timedelta(seconds=10)
PRUNE_EVERY = 60.0
# A client that lets this many messages pile up unread is disconnected.
QUEUE_LIMIT = 1000


def db(function: Callable) -> Callable:
    """`function` run in a thread of its own; its connection is dropped first if broken or too old
    (this long-lived process has no requests, whose start would do that)."""

    def fresh(*args, **kwargs):  # noqa: ANN202
        close_old_connections()
        return function(*args, **kwargs)

    return sync_to_async(fresh, thread_sensitive=False)


class Connection:
    """One client (an event stream or a WebSocket) and the streams it listens to."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        # (stream, tag) → the `stream` list Mastodon puts on WebSocket messages.
        self.subscriptions: dict[tuple[str, str | None], list[str]] = {}
        self.outbox: asyncio.Queue[tuple[list[str], str, str] | None] = asyncio.Queue(QUEUE_LIMIT)
        self.follows: frozenset[int] | None = None  # read again after the viewer's follows change

    def put(self, names: list[str], event: str, payload: str) -> None:
        try:
            self.outbox.put_nowait((names, event, payload))
        except asyncio.QueueFull:
            log.warning("streaming client of account %s too slow: disconnected", self.viewer.pk)
            self.close()

    def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            while not self.outbox.empty():
                self.outbox.get_nowait()
            self.outbox.put_nowait(None)


class Hub:
    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self._source: asyncio.Task | None = None
        self._ready = asyncio.Event()

    async def join(self, connection: Connection) -> None:
        """Listen for `connection`; returns once events are being received (none is lost after)."""
        self.connections.add(connection)
        if self._source is None or self._source.done():
            self._ready.clear()
            if settings.OBOLE_REDIS_URL:
                self._source = asyncio.get_running_loop().create_task(self._redis())
            else:
                self._source = asyncio.get_running_loop().create_task(self._outbox(timezone.now()))
                self._ready.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), 5)

    def leave(self, connection: Connection) -> None:
        self.connections.discard(connection)

    def close_all(self) -> None:
        for connection in list(self.connections):
            connection.close()

    # --- Sources ------------------------------------------------------------------

    async def _redis(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.from_url(settings.OBOLE_REDIS_URL)
        while True:
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(channel())
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            await self._handle(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("streaming: Redis subscription lost; subscribing again")
                await asyncio.sleep(1)

    async def _outbox(self, started) -> None:  # noqa: ANN001
        from obole.streaming.models import OutboxEvent

        seen: dict[int, float] = {}
        last_prune = 0.0

        def fresh() -> list[tuple[int, str]]:
            since = max(started, timezone.now() - LOOKBACK)
            rows = OutboxEvent.objects.filter(created_at__gt=since).order_by("id").values_list("id", "body")
            return [row for row in rows if row[0] not in seen]

        while self.connections:  # only while someone listens; the next to join starts it again
            now = time.monotonic()
            try:
                for pk, body in await db(fresh)():
                    seen[pk] = now
                    await self._handle(body)
                if now - last_prune > PRUNE_EVERY:
                    last_prune = now
                    await db(prune)()
            except Exception:
                log.exception("streaming: reading the outbox failed")
            horizon = now - LOOKBACK.total_seconds() - 5
            for pk in [pk for pk, at in seen.items() if at < horizon]:
                del seen[pk]
            await asyncio.sleep(POLL_SECONDS)

    # --- Dispatch -----------------------------------------------------------------

    async def _handle(self, body: str | bytes) -> None:
        try:
            event = json.loads(body)
            await self.dispatch(event)
        except Exception:
            log.exception("streaming: could not deliver event %r", body[:200])

    async def dispatch(self, event: dict) -> None:
        kind = event.get("event")
        targets = list(self.connections)
        if kind == "graph":
            for connection in targets:
                if connection.viewer.pk == event["account"]:
                    connection.follows = None
        elif kind in ("update", "status.update"):
            status = await db(audience.load_status)(event["status"])
            if status is not None:
                await asyncio.gather(*(self._status(c, kind, status) for c in targets))
        elif kind == "delete":
            for connection in targets:
                await self._deletion(connection, event["statuses"])
        elif kind == "notification":
            await asyncio.gather(
                *(
                    self._notification(c, event["notification"])
                    for c in targets
                    if c.viewer.pk == event["recipient"]
                )
            )

    async def _follows(self, connection: Connection) -> frozenset[int]:
        if connection.follows is None:
            connection.follows = await db(audience.followed)(connection.viewer.pk)
        return connection.follows

    async def _status(self, connection: Connection, kind: str, status) -> None:  # noqa: ANN001
        viewer = connection.viewer
        follows = (
            await self._follows(connection) if (audience.USER, None) in connection.subscriptions else None
        )

        def might(stream: str) -> bool:  # the cheap tests, before any query
            if stream == audience.USER:
                return (
                    status.account_id == viewer.pk
                    or status.account_id in follows
                    or (status.visibility == Visibility.DIRECT and audience.mentions(status, viewer.pk))
                )
            return stream in audience.PUBLIC_STREAMS and status.visibility == Visibility.PUBLIC

        wanted = [(key, names) for key, names in connection.subscriptions.items() if might(key[0])]
        if not wanted:
            return

        def decide() -> tuple[str | None, list[list[str]]]:
            matched = [
                names
                for (stream, tag), names in wanted
                if audience.gets_status(stream, tag, viewer.account, status, follows or frozenset())
            ]
            if not matched:
                return None, []
            return json.dumps(audience.rendered(status, viewer.account)), matched

        payload, matched = await db(decide)()
        for names in matched:
            connection.put(names, kind, payload)

    async def _deletion(self, connection: Connection, rows: list[list]) -> None:
        follows = (
            await self._follows(connection) if (audience.USER, None) in connection.subscriptions else None
        )
        for status_id, author_id, visibility in rows:
            for (stream, _tag), names in connection.subscriptions.items():
                if audience.gets_deletion(
                    stream, connection.viewer.pk, author_id, visibility, follows or frozenset()
                ):
                    connection.put(names, "delete", str(status_id))

    async def _notification(self, connection: Connection, notification_id: int) -> None:
        streams = [
            names
            for (stream, _tag), names in connection.subscriptions.items()
            if stream == audience.NOTIFICATIONS
            or (stream == audience.USER and connection.viewer.may_read_notifications())
        ]
        if not streams:
            return
        entity = await db(audience.notification_for)(connection.viewer.account, notification_id)
        if entity is None:
            return
        payload = json.dumps(entity)
        for names in streams:
            connection.put(names, "notification", payload)
