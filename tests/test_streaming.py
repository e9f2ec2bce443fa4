"""Live timelines (Mastodon's streaming API) on a real `obole serve` and its streaming child.

Mastodon.py's own stream listeners for the server-sent events, the `websockets`
library for the WebSocket. On SQLite the events cross processes through the
outbox table; with OBOLE_REDIS_URL (the PostgreSQL run) through Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import queue
import urllib.error
import urllib.request

import pytest
import websockets
from mastodon import Mastodon, StreamListener

from tests.conftest import numbered_card
from tests.live import serve
from tests.test_mastodon_py import pay, sign_up

pytestmark = pytest.mark.slow

SCOPES = ["read", "write", "follow", "push"]
QUIET = 1.5  # how long a stream is watched for an event that must not come


def run_apart(scenario) -> None:
    """Run an async scenario on an event loop of its own, in a thread of its own: a test run
    earlier in the session (Playwright's sync API, for one) may have left a loop running in
    this thread, and asyncio.run() refuses to start inside one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(scenario())).result()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A dozen members sign up and post from one address in a minute: no request or sign-up limits.
    extra = {"OBOLE_RATE_LIMIT_REQUESTS": "0", "OBOLE_SIGNUPS_PER_IP": "0", "OBOLE_SIGNUPS_PER_NETWORK": "0"}
    if os.environ.get("OBOLE_REDIS_URL"):
        extra["OBOLE_REDIS_URL"] = os.environ["OBOLE_REDIS_URL"]  # the pub/sub transport
    with serve(tmp_path_factory.mktemp("obole-streaming"), "streaming", **extra) as (base, _):
        yield base


@pytest.fixture(scope="module")
def app(server):
    return Mastodon.create_app("Obole streaming tests", scopes=SCOPES, api_base_url=server)


@pytest.fixture(scope="module")
def streaming(server):
    """The streaming server's http:// address, as the instance endpoint advertises it."""
    with urllib.request.urlopen(server + "/api/v1/instance", timeout=10) as response:
        advertised = json.loads(response.read())["urls"]["streaming_api"]
    assert advertised.startswith("ws://127.0.0.1:") and advertised != server.replace("http", "ws")
    return advertised.replace("ws://", "http://")


_counter = iter(range(1000))


def member(server: str, app: tuple[str, str], name: str) -> Mastodon:
    n = next(_counter)
    account = sign_up(server, app, f"{name}{n}")
    pay(server, account, numbered_card(7000 + n))
    return account


class Recorder(StreamListener):
    """Every event into one queue, as (kind, payload); `opened` once the stream is connected."""

    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.opened = queue.Queue()

    def on_update(self, status):
        self.events.put(("update", status))

    def on_status_update(self, status):
        self.events.put(("status.update", status))

    def on_delete(self, status_id):
        self.events.put(("delete", status_id))

    def on_notification(self, notification):
        self.events.put(("notification", notification))

    def handle_heartbeat(self):
        self.opened.put(True)

    def next(self, timeout: float) -> tuple[str, object]:
        return self.events.get(timeout=timeout)

    def nothing_for(self, seconds: float) -> None:
        with pytest.raises(queue.Empty):
            kind, payload = self.events.get(timeout=seconds)
            pytest.fail(f"unexpected {kind}: {payload}")


def listen(open_stream) -> tuple[Recorder, object]:  # noqa: ANN001
    recorder = Recorder()
    handle = open_stream(recorder, run_async=True, reconnect_async=False)
    recorder.opened.get(timeout=10)  # the server's opening comment: subscribed from here on
    return recorder, handle


def fetch(url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(4096).decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_health_tokens_scopes_and_the_web_port_redirect(server, app, streaming):
    assert fetch(streaming + "/api/v1/streaming/health") == (200, "OK")
    assert Mastodon(api_base_url=server, version_check_mode="none").stream_healthy()
    # As Mastodon's streaming server: every stream needs a token, errors are JSON.
    for path in ("/user", "/user/notification", "/public"):
        status, body = fetch(streaming + "/api/v1/streaming" + path)
        assert (status, json.loads(body)) == (401, {"error": "Missing access token"})
    assert fetch(streaming + "/api/v1/streaming/user", "not-a-token")[0] == 401
    reader = member(server, app, "reader")
    status, body = fetch(streaming + "/api/v1/streaming/hashtag", reader.access_token)
    assert (status, json.loads(body)) == (400, {"error": "Missing tag name parameter"})
    status, body = fetch(streaming + "/api/v1/streaming/list", reader.access_token)
    assert status == 400 and "error" in json.loads(body)
    # A token without read or read:statuses may not open the user stream, nor the notifications
    # without read:notifications; public streams need a token but no scope.
    writer = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=server, version_check_mode="none")
    writer.log_in(
        reader.account_verify_credentials().username,
        "a long pass phrase for tests",
        scopes=["write"],
        allow_http=True,
    )
    status, body = fetch(streaming + "/api/v1/streaming/user", writer.access_token)
    assert (status, json.loads(body)) == (401, {"error": "Access token does not have the required scopes"})

    # The web port sends streaming clients to the streaming server (EventSource follows a 307).
    request = urllib.request.Request(server + "/api/v1/streaming/public?x=1", method="GET")
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(request, timeout=10)
    assert redirected.value.code == 307
    assert redirected.value.headers["Location"] == streaming + "/api/v1/streaming/public?x=1"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_user_stream_carries_followed_posts_notifications_edits_and_deletions(server, app):
    alice, bob, stranger = (member(server, app, name) for name in ("alice", "bob", "stranger"))
    alice.account_follow(bob.me().id)
    events, handle = listen(alice.stream_user)
    try:
        post = bob.status_post("Live from bob")
        kind, status = events.next(timeout=1)  # within a second of the post being answered
        assert (kind, status.id, status.content) == ("update", post.id, post.content)
        assert status.account.acct == bob.me().acct and status.favourited is False

        followers_only = bob.status_post("For followers", visibility="private")
        assert events.next(timeout=5)[1].id == followers_only.id
        stranger.status_post("A stranger's post")  # not followed: not on alice's stream

        alice.status_favourite(post.id)
        mine = alice.status_post("Mine, @" + bob.me().acct)
        kind, status = events.next(timeout=5)
        assert (kind, status.id, status.favourited) == ("update", mine.id, False)
        bob.status_favourite(mine.id)
        kind, notification = events.next(timeout=5)
        assert kind == "notification" and notification.type == "favourite"
        assert notification.status.id == mine.id and notification.account.id == bob.me().id

        bob.status_update(post.id, "Live from bob, edited")
        kind, status = events.next(timeout=5)
        assert kind == "status.update" and status.id == post.id and "edited" in status.content
        assert status.favourited is True  # rendered for alice, who liked it

        bob.status_delete(post.id)
        assert events.next(timeout=5) == ("delete", post.id)
        events.nothing_for(QUIET)
    finally:
        handle.close()


def test_blocked_and_muted_authors_are_never_streamed(server, app):
    viewer, blocked, muted, control = (
        member(server, app, n) for n in ("viewer", "blocked", "muted", "control")
    )
    viewer.account_follow(muted.me().id)
    viewer.account_follow(control.me().id)
    viewer.account_mute(muted.me().id)
    viewer.account_block(blocked.me().id)
    public, public_handle = listen(viewer.stream_public)
    home, home_handle = listen(viewer.stream_user)
    try:
        blocked.status_post("From someone blocked")
        muted.status_post("From someone muted")
        unlisted = control.status_post("Unlisted, not on the public stream", visibility="unlisted")
        arrived = control.status_post("From the control account")
        # Posted first, the blocked and muted posts would have come first: only the control's come.
        assert public.next(timeout=5)[1].id == arrived.id
        # Each update is sent when its post's fan-out is done; two fan-outs may finish in either order.
        assert sorted(home.next(timeout=5)[1].id for _ in range(2)) == sorted([unlisted.id, arrived.id])
        public.nothing_for(QUIET)
        home.nothing_for(0.2)
    finally:
        public_handle.close()
        home_handle.close()


def test_the_notification_stream(server, app, streaming):
    poster, fan = member(server, app, "poster"), member(server, app, "fan")
    url = f"{streaming.replace('http://', 'ws://')}/api/v1/streaming?stream=user:notification"

    async def scenario() -> None:
        headers = {"Authorization": f"Bearer {poster.access_token}"}
        async with websockets.connect(url, additional_headers=headers) as socket:
            await asyncio.to_thread(fan.account_follow, poster.me().id)
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert message["stream"] == ["user:notification"] and message["event"] == "notification"
            notification = json.loads(message["payload"])
            assert notification["type"] == "follow" and notification["account"]["id"] == str(fan.me().id)
            await asyncio.to_thread(fan.status_post, "Not a notification")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(socket.recv(), QUIET)

    run_apart(scenario)


def test_websocket_subscribe_and_unsubscribe(server, app, streaming):
    watcher, writer = member(server, app, "watcher"), member(server, app, "writer")
    base = streaming.replace("http://", "ws://") + "/api/v1/streaming"

    async def scenario() -> None:
        url = f"{base}?stream=public&access_token={watcher.access_token}"
        async with websockets.connect(url) as socket:
            await socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "Cats"}))
            await socket.send(json.dumps({"type": "subscribe", "stream": "direct"}))
            refused = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert refused == {"error": "Unknown stream type", "status": 400}

            first = await asyncio.to_thread(writer.status_post, "About #cats")
            got = [json.loads(await asyncio.wait_for(socket.recv(), 5)) for _ in range(2)]
            assert sorted(message["stream"] for message in got) == [["hashtag", "Cats"], ["public"]]
            for message in got:
                assert message["event"] == "update" and json.loads(message["payload"])["id"] == first.id

            await socket.send(json.dumps({"type": "unsubscribe", "stream": "public"}))
            await asyncio.sleep(0.3)
            second = await asyncio.to_thread(writer.status_post, "More about #cats")
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert (
                message["stream"] == ["hashtag", "Cats"] and json.loads(message["payload"])["id"] == second.id
            )
            await asyncio.to_thread(writer.status_delete, second.id)
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert message == {"stream": ["hashtag", "Cats"], "event": "delete", "payload": second.id}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(socket.recv(), QUIET)

        # The token on Sec-WebSocket-Protocol, as browsers send it: the server echoes it back.
        async with websockets.connect(f"{base}?stream=user", subprotocols=[watcher.access_token]) as socket:
            assert socket.subprotocol == watcher.access_token
            mine = await asyncio.to_thread(watcher.status_post, "My own post")
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert message["stream"] == ["user"] and json.loads(message["payload"])["id"] == mine.id

        # Without a token the socket is refused before it opens.
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(f"{base}?stream=user"):
                pass
        assert refused.value.response.status_code in (401, 403)

    run_apart(scenario)
