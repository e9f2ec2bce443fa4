"""The streaming pieces that need no server: settings, the web port's redirect, the outbox, the CSP."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.test.utils import override_settings

from obole.lib.env import ConfigError
from obole.posts import edits, services
from obole.settings import _streaming_url
from obole.streaming.models import OutboxEvent
from obole.web.csp import csp_source
from tests.conftest import make_account


def test_the_streaming_address_follows_the_base_url():
    assert _streaming_url("http://127.0.0.1:8000") == "ws://127.0.0.1:8001"
    assert _streaming_url("https://obole.example") == "wss://obole.example"  # a proxy routes it
    assert _streaming_url("http://[::1]:9000") == "ws://[::1]:9001"
    assert csp_source("wss://obole.example", "OBOLE_STREAMING_URL") == "wss://obole.example"
    with pytest.raises(ConfigError):
        csp_source("ftp://obole.example", "OBOLE_STREAMING_URL")


def test_the_web_port_redirects_streaming_clients(settings):
    settings.OBOLE_STREAMING_URL = "ws://127.0.0.1:8001"
    response = Client().get("/api/v1/streaming/hashtag?tag=cats")
    assert response.status_code == 307
    assert response["Location"] == "http://127.0.0.1:8001/api/v1/streaming/hashtag?tag=cats"
    assert Client().post("/api/v1/streaming/user").status_code == 405
    # Streaming at this very address means the proxy failed to route it: say so, never loop.
    settings.OBOLE_STREAMING_URL = "ws://testserver"
    response = Client().get("/api/v1/streaming/user")
    assert response.status_code == 503 and "OBOLE_STREAMING_URL" in response.json()["error"]


@pytest.mark.django_db(transaction=True)
@override_settings(OBOLE_REDIS_URL="")
def test_events_go_to_the_outbox_with_the_write_and_never_without_it():
    author = make_account("outboxauthor", paid=True)
    reader = make_account("outboxreader", paid=True)
    from obole.accounts import graph

    graph.follow(reader, author)
    status = services.post_status(author, "Hello @outboxreader")
    edits.edit_status(author, status.pk, "Hello again @outboxreader")
    services.delete_status(author, status.pk)
    events = [json.loads(row.body) for row in OutboxEvent.objects.order_by("id")]
    kinds = [event["event"] for event in events]
    assert kinds == ["graph", "notification", "update", "notification", "status.update", "delete"]
    assert events[-1]["statuses"] == [[status.pk, author.pk, "public"]]
    # A refused write leaves no event behind.
    before = OutboxEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 (the validation error's class is not the point)
        services.post_status(author, "")
    assert OutboxEvent.objects.count() == before


@pytest.mark.django_db
def test_a_web_session_opens_a_websocket_from_the_sites_own_pages_only(settings):
    from obole.streaming.auth import StreamError, authenticate, check_scopes

    settings.OBOLE_BASE_URL = "http://127.0.0.1:8000"
    account = make_account("sessionviewer")
    client = Client()
    client.force_login(account)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = {"cookie": cookie, "origin": "http://127.0.0.1:8000"}
    viewer = authenticate(headers, {}, websocket=True)
    assert viewer.pk == account.pk and viewer.may_read_notifications()
    check_scopes(viewer, "user")
    # Another site's page (the browser sends the cookie all the same), a stream without Origin,
    # a server-sent event stream and a signed-out session are all refused.
    for refused_headers, websocket in (
        ({**headers, "origin": "http://evil.example"}, True),
        ({"cookie": cookie}, True),
        (headers, False),
        ({**headers, "cookie": f"{settings.SESSION_COOKIE_NAME}=not-a-session"}, True),
    ):
        with pytest.raises(StreamError) as refused:
            authenticate(refused_headers, {}, websocket=websocket)
        assert (refused.value.status, refused.value.message) == (401, "Missing access token")
    client.logout()
    with pytest.raises(StreamError):
        authenticate(headers, {}, websocket=True)


@pytest.mark.django_db
def test_who_gets_which_post_follows_the_timelines_rules():
    from obole.accounts import graph
    from obole.streaming.audience import followed, gets_status, load_status

    author, fan, mentioned, stranger = (
        make_account(name, paid=True)
        for name in ("rulesauthor", "rulesfan", "rulesmentioned", "rulesstranger")
    )
    graph.follow(fan, author)

    def who(status, stream="user", tag=None):
        row = load_status(status.pk)
        people = (author, fan, mentioned, stranger)
        return {p.username for p in people if gets_status(stream, tag, p, row, followed(p.pk))}

    public = services.post_status(author, "Hello #rules")
    assert who(public) == {"rulesauthor", "rulesfan"}
    assert (
        who(public, "public")
        == who(public, "hashtag", "rules")
        == {p.username for p in (author, fan, mentioned, stranger)}
    )
    assert who(public, "hashtag", "other") == set()
    private = services.post_status(author, "Followers only", visibility="private")
    assert who(private) == {"rulesauthor", "rulesfan"} and who(private, "public") == set()
    direct = services.post_status(author, "Just for @rulesmentioned", visibility="direct")
    assert who(direct) == {"rulesauthor", "rulesmentioned"} and who(direct, "public") == set()
    held = services.post_status(author, "Held for review")
    type(held).objects.filter(pk=held.pk).update(moderation="held")
    assert who(held) == {"rulesauthor"} and who(held, "public") == set()
    graph.mute(fan, author)
    graph.block(stranger, author)
    assert who(public) == {"rulesauthor"}
    assert who(public, "public") == {"rulesauthor", "rulesmentioned"}
