"""The streaming server: Mastodon's streaming API as an ASGI application (served by Granian).

- `GET /api/v1/streaming/health` → `OK`;
- server-sent events: `/api/v1/streaming/user`, `/user/notification`,
  `/public`, `/public/local`, `/hashtag?tag=`, `/hashtag/local?tag=`
  (Obole has no federation: the local streams are the same as the others).
  The stream opens with the comment `:)` and a `:thump` comment every 15 s
  keeps proxies from closing it; events are `event: NAME` / `data: PAYLOAD`;
- a WebSocket at `/api/v1/streaming` (`?stream=…&tag=…`), where the client may
  send `{"type": "subscribe"|"unsubscribe", "stream": …, "tag": …}`; each
  message is `{"stream": [name(, tag)], "event": …, "payload": …}`.

Errors are JSON `{"error": …}` with Mastodon's status codes (401 without a
valid token, 400 for an unknown stream or a missing tag); on a WebSocket, a
refused subscription is a message `{"error": …, "status": …}`, and a refused
connection is closed before it opens.
Events: `update` and `status.update` (the Status as the REST API renders it for
that viewer, as a JSON string), `delete` (the status id) and `notification`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import parse_qsl

from obole.streaming import audience
from obole.streaming.auth import StreamError, Viewer, authenticate, check_scopes
from obole.streaming.hub import Connection, Hub, db

log = logging.getLogger(__name__)

PREFIX = "/api/v1/streaming"
HEARTBEAT_SECONDS = 15.0
_PATHS = {
    "/user": audience.USER,
    "/user/notification": audience.NOTIFICATIONS,
    "/public": audience.PUBLIC,
    "/public/local": audience.PUBLIC_LOCAL,
    "/hashtag": audience.HASHTAG,
    "/hashtag/local": audience.HASHTAG_LOCAL,
}
_CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"Authorization, Content-Type"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
]

hub = Hub()


def _headers(scope: dict) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _query(scope: dict) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


def _normal_tag(tag: str | None) -> str:
    return (tag or "").strip().removeprefix("#").lower()


def _subscription(
    viewer: Viewer, stream: str | None, tag: str | None
) -> tuple[tuple[str, str | None], list[str]]:
    """The subscription key and its WebSocket `stream` list; StreamError when refused."""
    if stream not in audience.STREAMS:
        raise StreamError("Unknown stream type", 400)
    check_scopes(viewer, stream)
    if stream in (audience.HASHTAG, audience.HASHTAG_LOCAL):
        if not _normal_tag(tag):
            raise StreamError("Missing tag name parameter", 400)
        return (stream, _normal_tag(tag)), [stream, tag]
    return (stream, None), [stream]


async def application(scope: dict, receive, send) -> None:  # noqa: ANN001
    if scope["type"] == "http":
        await _http(scope, receive, send)
    elif scope["type"] == "websocket":
        await _websocket(scope, receive, send)
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                hub.close_all()  # end the streams (`obole streaming` also kills a worker that lingers)
                await send({"type": "lifespan.shutdown.complete"})
                return


# --- Server-sent events ---------------------------------------------------------------


async def _answer(send, status: int, body: bytes, content_type: bytes = b"application/json") -> None:  # noqa: ANN001
    headers = [(b"content-type", content_type), (b"cache-control", b"no-store"), *_CORS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send, message: str, status: int) -> None:  # noqa: ANN001
    await _answer(send, status, json.dumps({"error": message}).encode())


async def _http(scope: dict, receive, send) -> None:  # noqa: ANN001
    path = scope["path"].rstrip("/")
    if scope["method"] == "OPTIONS":
        await _answer(send, 204, b"", b"text/plain")
        return
    if path == f"{PREFIX}/health":
        await _answer(send, 200, b"OK", b"text/plain; charset=utf-8")
        return
    if scope["method"] not in ("GET", "HEAD"):
        await _error(send, "Method not allowed", 405)
        return
    if not path.startswith(PREFIX):
        await _error(send, "Not found", 404)
        return
    stream = _PATHS.get(path.removeprefix(PREFIX))
    query = _query(scope)
    try:
        viewer = await db(authenticate)(_headers(scope), query, websocket=False)
        key, names = _subscription(viewer, stream or "", query.get("tag"))
    except StreamError as refused:
        await _error(send, refused.message, refused.status)
        return
    connection = Connection(viewer)
    connection.subscriptions[key] = names
    await hub.join(connection)
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store"), *_CORS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b":)\n", "more_body": True})
    watcher = asyncio.ensure_future(_until_disconnect(receive, connection))
    try:
        while True:
            try:
                item = await asyncio.wait_for(connection.outbox.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await send({"type": "http.response.body", "body": b":thump\n", "more_body": True})
                continue
            if item is None:
                break
            _names, event, payload = item
            chunk = f"event: {event}\ndata: {payload}\n\n".encode()
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except OSError:
        pass  # the client went away while we wrote
    finally:
        hub.leave(connection)
        watcher.cancel()
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": b""})


async def _until_disconnect(receive, connection: Connection) -> None:  # noqa: ANN001
    while (await receive())["type"] != "http.disconnect":
        pass
    connection.close()


# --- WebSocket ------------------------------------------------------------------------


async def _websocket(scope: dict, receive, send) -> None:  # noqa: ANN001
    if (await receive())["type"] != "websocket.connect":
        return
    query = _query(scope)
    try:
        viewer = await db(authenticate)(_headers(scope), query, websocket=True)
    except StreamError as refused:
        await _refuse(scope, send, refused)
        return
    accept = {"type": "websocket.accept"}
    if viewer.subprotocol:
        accept["subprotocol"] = viewer.subprotocol
    connection = Connection(viewer)
    await hub.join(connection)
    await send(accept)
    if query.get("stream"):
        await _subscribe(connection, send, query.get("stream"), query.get("tag"))
    reader = asyncio.ensure_future(_read(connection, receive, send))
    try:
        while (item := await connection.outbox.get()) is not None:
            names, event, payload = item
            message = json.dumps({"stream": names, "event": event, "payload": payload})
            await send({"type": "websocket.send", "text": message})
    except OSError:
        pass
    finally:
        hub.leave(connection)
        reader.cancel()


async def _refuse(scope: dict, send, refused: StreamError) -> None:  # noqa: ANN001
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = [(b"content-type", b"application/json")]
        await send({"type": "websocket.http.response.start", "status": refused.status, "headers": headers})
        await send(
            {"type": "websocket.http.response.body", "body": json.dumps({"error": refused.message}).encode()}
        )
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": refused.message})


async def _subscribe(connection: Connection, send, stream: object, tag: object) -> None:  # noqa: ANN001
    try:
        key, names = _subscription(connection.viewer, _text(stream), _text(tag))
    except StreamError as refused:
        await send(
            {
                "type": "websocket.send",
                "text": json.dumps({"error": refused.message, "status": refused.status}),
            }
        )
        return
    connection.subscriptions.setdefault(key, names)


def _text(value: object) -> str | None:
    if isinstance(value, list):  # Mastodon takes the first of a repeated parameter
        value = value[0] if value else None
    return value if isinstance(value, str) else None


async def _read(connection: Connection, receive, send) -> None:  # noqa: ANN001
    """The client's subscribe and unsubscribe messages; anything else is ignored, as Mastodon does."""
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("bytes") is not None:
                await send(
                    {"type": "websocket.close", "code": 1003, "reason": "binary messages are not supported"}
                )
                break
            try:
                request = json.loads(message.get("text") or "")
            except ValueError:
                continue
            if not isinstance(request, dict):
                continue
            if request.get("type") == "subscribe":
                await _subscribe(connection, send, request.get("stream"), request.get("tag"))
            elif request.get("type") == "unsubscribe":
                stream, tag = _text(request.get("stream")), _normal_tag(_text(request.get("tag"))) or None
                if stream not in (audience.HASHTAG, audience.HASHTAG_LOCAL):
                    tag = None
                connection.subscriptions.pop((stream, tag), None)
    finally:
        connection.close()
