"""Pins, lists and followed hashtags with Mastodon.py against a real server, as apps use them."""

from __future__ import annotations

import time

import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.live import serve
from tests.test_mastodon_py import SCOPES, pay, raw, sign_up

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-mastodon-features"), "mastodonfeat") as (base, _):
        yield base


@pytest.fixture(scope="module")
def app(server):
    return Mastodon.create_app("Obole feature tests", scopes=SCOPES, api_base_url=server)


@pytest.fixture(scope="module")
def people(server, app):
    """Two paying members who follow each other, and one who has not paid."""
    alice, bob, carol = (sign_up(server, app, name) for name in ("alice", "bob", "carol"))
    pay(server, alice, "4242424242424242")
    pay(server, bob, "5555555555554444")
    alice.account_follow(bob.me().id)
    bob.account_follow(alice.me().id)
    return alice, bob, carol


def eventually(check, timeout: float = 10) -> None:
    """Wait for what the server's task worker does after answering (fan-out)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_pins(server, people):
    alice, bob, carol = people
    first = alice.status_post("Read this first")
    others = [alice.status_post(f"Post {n}") for n in range(5)]
    pinned = alice.status_pin(first.id)
    assert pinned.pinned is True
    assert [s.id for s in bob.account_statuses(alice.me().id, pinned=True)] == [first.id]
    assert bob.status(first.id).pinned is False  # the author's own mark
    for row in others[:4]:
        alice.status_pin(row.id)
    status, body = raw(server, alice, f"/api/v1/statuses/{others[4].id}/pin", {})
    assert status == 422 and "at most 5" in body["error"]
    assert alice.status_unpin(first.id).pinned is False
    assert first.id not in [s.id for s in alice.account_statuses(alice.me().id, pinned=True)]
    # Reposts cannot be pinned, nor can someone else's post; an unpaid account cannot pin.
    repost = bob.status_reblog(first.id)
    with pytest.raises(MastodonAPIError, match="repost"):
        bob.status_pin(repost.id)
    with pytest.raises(MastodonAPIError, match="your own"):
        bob.status_pin(first.id)
    status, body = raw(server, carol, f"/api/v1/statuses/{first.id}/pin", {})
    assert status == 402 and "membership" in body["error"]
