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
