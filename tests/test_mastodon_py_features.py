"""Pins, lists, followed hashtags, conversations and filters with Mastodon.py on a real server."""

from __future__ import annotations

import time

import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.live import serve
from tests.schema import assert_entity
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


def test_lists(server, people):
    alice, bob, carol = people
    made = alice.list_create("Close friends")
    assert made.title == "Close friends" and made.replies_policy == "list"
    status, entity = raw(server, alice, f"/api/v1/lists/{made.id}")
    assert_entity("List", entity)
    bob_id = bob.me().id
    alice.list_accounts_add(made.id, [bob_id])
    assert [a.username for a in alice.list_accounts(made.id)] == ["bob"]
    assert [row.id for row in alice.account_lists(bob_id)] == [made.id]
    news = bob.status_post("News for the list")
    assert news.id in [s.id for s in alice.timeline_list(made.id)]
    assert alice.list_update(made.id, "Friends", replies_policy="none").title == "Friends"
    # Only accounts one follows; others' lists are not found; an unpaid account cannot make one.
    with pytest.raises(MastodonAPIError, match="follow"):
        alice.list_accounts_add(made.id, [carol.me().id])
    with pytest.raises(MastodonAPIError, match="404"):
        bob.timeline_list(made.id)
    status, body = raw(server, carol, "/api/v1/lists", {"title": "Mine"})
    assert status == 402 and "membership" in body["error"]
    status, body = raw(server, alice, "/api/v1/lists", {"replies_policy": "list"})
    assert status == 422 and "title" in body["error"]
    alice.list_accounts_delete(made.id, [bob_id])
    assert alice.list_accounts(made.id) == []
    alice.list_delete(made.id)
    assert alice.lists() == []


def test_followed_hashtags(server, app, people):
    alice, bob, carol = people
    dave = sign_up(server, app, "dave")  # follows nobody: only the hashtag brings posts in
    pay(server, dave, "4000056655665556")
    tag = dave.tag_follow("Gardening")
    assert tag.name == "gardening" and tag.following is True
    status, entity = raw(server, dave, "/api/v1/tags/gardening")
    assert_entity("Tag", entity)
    assert entity["following"] is True
    assert [t.name for t in dave.followed_tags()] == ["gardening"]
    tagged = alice.status_post("First tomatoes of the year #gardening")
    alice.status_post("Only for my followers #gardening", visibility="private")
    eventually(lambda: tagged.id in [s.id for s in dave.timeline_home()])
    assert [s.id for s in dave.timeline_home()] == [tagged.id]
    assert dave.tag_unfollow("gardening").following is False
    assert dave.followed_tags() == []
    status, body = raw(server, carol, "/api/v1/tags/gardening/follow", {})
    assert status == 402 and "membership" in body["error"]


def test_conversations(server, people):
    alice, bob, carol = people
    sent = alice.status_post("@bob just between us", visibility="direct")
    mine, theirs = alice.conversations(), bob.conversations()
    assert [c.last_status.id for c in mine] == [c.last_status.id for c in theirs] == [sent.id]
    assert mine[0].unread is False and theirs[0].unread is True
    assert [a.username for a in theirs[0].accounts] == ["alice"]
    status, entity = raw(server, bob, "/api/v1/conversations")
    assert_entity("Conversation", entity[0])
    assert bob.conversations_read(theirs[0].id).unread is False
    assert bob.conversations()[0].unread is False
    assert carol.conversations() == []
    status, body = raw(server, carol, f"/api/v1/conversations/{theirs[0].id}/read", {})
    assert status == 404


def test_filters(server, people):
    alice, bob, carol = people
    made = alice.create_filter_v2(
        "Spoilers", ["home"], "warn", keywords_attributes=[{"keyword": "ending", "whole_word": True}]
    )
    status, entity = raw(server, alice, f"/api/v2/filters/{made.id}")
    assert_entity("Filter", entity)
    keyword = alice.add_filter_keyword_v2(made.id, "finale", whole_word=False)
    assert [k.keyword for k in alice.filter_keywords_v2(made.id)] == ["ending", "finale"]
    assert keyword.whole_word is False
    told = bob.status_post("The ending is wonderful")
    eventually(lambda: told.id in [s.id for s in alice.timeline_home()])
    shown = next(s for s in alice.timeline_home() if s.id == told.id)
    assert [r.filter.title for r in shown.filtered] == ["Spoilers"]
    assert shown.filtered[0].keyword_matches == ["ending"]
    status, home = raw(server, alice, "/api/v1/timelines/home")
    assert_entity("FilterResult", next(s for s in home if s["id"] == str(told.id))["filtered"][0])

    alice.update_filter_v2(made.id, filter_action="hide")
    assert told.id not in [s.id for s in alice.timeline_home()]
    assert [f.title for f in alice.filters_v2()] == ["Spoilers"]
    status, body = raw(server, carol, "/api/v2/filters", {"title": "x", "context": ["home"]})
    assert status == 402
    status, body = raw(server, alice, "/api/v2/filters", {"title": "x", "context": ["nowhere"]})
    assert status == 422 and "context" in body["error"]
    alice.delete_filter_v2(made.id)
    assert told.id in [s.id for s in alice.timeline_home()]
