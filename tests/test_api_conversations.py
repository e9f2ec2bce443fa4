"""Conversations through the API: direct statuses grouped by their participants, for each of them."""

from __future__ import annotations

import json

import pytest

from obole.accounts import graph
from obole.posts import services
from obole.posts.models import Conversation
from tests.conftest import Api, assert_error, make_account
from tests.schema import assert_entity

CONVERSATIONS = "/api/v1/conversations"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


@pytest.fixture
def quinn(db):
    return make_account("quinn", paid=True)


def direct(account, text: str, **options):
    return services.post_status(account, text, visibility="direct", **options)


def listed(api: Api, **params) -> list[dict]:
    response = api.get(CONVERSATIONS, **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_direct_status_makes_a_conversation_for_each_participant(member, paul, quinn, api_as):
    first = direct(member, "@paul a secret")
    services.post_status(member, "@paul in public")  # not direct: no conversation
    mine, theirs = listed(api_as(member)), listed(api_as(paul))
    assert len(mine) == len(theirs) == 1
    for entity in (*mine, *theirs):
        assert_entity("Conversation", entity)
    assert [a["username"] for a in mine[0]["accounts"]] == ["paul"] and mine[0]["unread"] is False
    assert [a["username"] for a in theirs[0]["accounts"]] == ["mary"] and theirs[0]["unread"] is True
    assert mine[0]["last_status"]["id"] == theirs[0]["last_status"]["id"] == str(first.pk)
    assert listed(api_as(quinn)) == []

    # A reply among the same people moves the conversation on; another set of people is another one.
    reply = direct(paul, "@mary got it", in_reply_to_id=first.pk)
    group = direct(member, "@paul @quinn all three of us")
    mine = listed(api_as(member))
    assert [(c["last_status"]["id"], c["unread"]) for c in mine] == [
        (str(group.pk), False),
        (str(reply.pk), True),
    ]
    assert sorted(a["username"] for a in mine[0]["accounts"]) == ["paul", "quinn"]
    assert len(listed(api_as(quinn))) == 1
    page = api_as(member).get(CONVERSATIONS, limit=1)
    assert len(page.json()) == 1 and 'rel="next"' in page["Link"]
    assert [c["last_status"]["id"] for c in listed(api_as(member), max_id=group.pk)] == [str(reply.pk)]


def test_a_member_marks_a_conversation_read_and_deletes_it(member, paul, api_as):
    direct(member, "@paul hello")
    api = api_as(paul)
    entity = listed(api)[0]
    read = api.post(f"{CONVERSATIONS}/{entity['id']}/read")
    assert read.status_code == 200 and read.json()["unread"] is False
    assert_entity("Conversation", read.json())
    assert listed(api)[0]["unread"] is False
    deleted = api.client.delete(f"{CONVERSATIONS}/{entity['id']}", headers=api.headers)
    assert deleted.status_code == 200 and deleted.json() == {}
    assert listed(api) == []
    assert len(listed(api_as(member))) == 1  # the other side keeps theirs
    # A new message brings it back, unread.
    direct(member, "@paul are you there?")
    assert [c["unread"] for c in listed(api)] == [True]


def test_deleting_the_last_message_falls_back_to_the_one_before(member, paul, api_as):
    first = direct(member, "@paul one")
    second = direct(member, "@paul two")
    services.delete_status(member, second.pk)
    assert [c["last_status"]["id"] for c in listed(api_as(paul))] == [str(first.pk)]
    services.delete_status(member, first.pk)
    assert listed(api_as(paul)) == [] and not Conversation.objects.filter(account=paul).exists()


def test_a_block_hides_the_conversation(member, paul, api_as):
    direct(member, "@paul hello")
    graph.block(paul, member)
    assert listed(api_as(paul)) == []


def test_someone_elses_conversation_is_not_found_and_scopes_are_enforced(member, paul, quinn, api_as):
    direct(member, "@paul hello")
    theirs = listed(api_as(paul))[0]["id"]
    other = api_as(quinn)
    assert_error(other.post(f"{CONVERSATIONS}/{theirs}/read"), 404, "Record not found")
    assert_error(other.client.delete(f"{CONVERSATIONS}/{theirs}", headers=other.headers), 404)
    assert_error(other.post(f"{CONVERSATIONS}/nope/read"), 404)
    assert Conversation.objects.filter(pk=theirs, unread=True).exists()
    assert_error(Api(None).get(CONVERSATIONS), 401)
    assert_error(api_as(paul, "read:accounts").get(CONVERSATIONS), 403, "scope")
    assert_error(api_as(paul, "read").post(f"{CONVERSATIONS}/{theirs}/read"), 403, "scope")
    assert api_as(paul, "write:conversations").post(f"{CONVERSATIONS}/{theirs}/read").status_code == 200
    assert_error(api_as(paul).get(f"{CONVERSATIONS}/{theirs}"), 405)
    assert_error(api_as(paul).get(CONVERSATIONS, max_id="x"), 400)
    assert json.loads(api_as(paul).get(CONVERSATIONS).content)[0]["unread"] is False
