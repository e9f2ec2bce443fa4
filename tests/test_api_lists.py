"""Lists through the API: CRUD, their accounts, the accounts' lists and the list timeline."""

from __future__ import annotations

import pytest

from obole.accounts import graph
from obole.posts import services
from obole.posts.lists import MAX_LISTS
from obole.posts.models import AccountList, ListMember
from tests.conftest import Api, assert_error, make_account, send
from tests.schema import assert_entity

LISTS = "/api/v1/lists"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


@pytest.fixture
def quinn(db):
    return make_account("quinn", paid=True)


def make_list(api: Api, **body) -> dict:
    response = api.post(LISTS, {"title": "Friends", **body})
    assert response.status_code == 200, response.content
    return response.json()


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(entity["id"]) for entity in response.json()]


def test_a_member_makes_renames_lists_and_deletes_a_list(member, api_as):
    api = api_as(member)
    created = make_list(api, replies_policy="followed", exclusive="true")
    assert_entity("List", created)
    assert created["title"] == "Friends" and created["replies_policy"] == "followed" and created["exclusive"]
    default = make_list(api, title="  Work  ")
    assert default["title"] == "Work" and default["replies_policy"] == "list" and not default["exclusive"]
    assert [row["id"] for row in api.get(LISTS).json()] == [created["id"], default["id"]]
    path = f"{LISTS}/{created['id']}"
    assert api.get(path).json() == created
    changed = send(api, "PUT", path, {"title": "Close friends", "replies_policy": "none", "exclusive": False})
    assert changed.status_code == 200, changed.content
    assert changed.json() == {
        **created,
        "title": "Close friends",
        "replies_policy": "none",
        "exclusive": False,
    }
    assert send(api, "DELETE", path).json() == {}
    assert_error(api.get(path), 404, "Record not found")
    assert [row["id"] for row in api.get(LISTS).json()] == [default["id"]]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 101}, "too long"),
        ({"title": "ok", "replies_policy": "everyone"}, "replies_policy"),
        ({"title": ["a"]}, "title"),
    ],
)
def test_bad_lists_are_refused_with_a_422_that_names_the_field(member, api_as, body, words):
    response = api_as(member).post(LISTS, body)
    assert_error(response, 422, words)
    assert_entity("ValidationError", response.json())
    assert not AccountList.objects.exists()


def test_lists_stop_at_fifty(member, api_as):
    AccountList.objects.bulk_create([AccountList(account=member, title=f"l{n}") for n in range(MAX_LISTS)])
    assert_error(api_as(member).post(LISTS, {"title": "one more"}), 422, "at most 50")


def test_accounts_followed_are_added_listed_and_removed(member, paul, quinn, api_as):
    api = api_as(member)
    graph.follow(member, paul)
    made = make_list(api)
    path = f"{LISTS}/{made['id']}/accounts"
    # Only accounts one follows, as on Mastodon; unknown ones are not found; nothing half-added.
    assert_error(api.post(path, {"account_ids": [str(paul.pk), str(quinn.pk)]}), 422, "follow", "@quinn")
    assert not ListMember.objects.exists()
    assert_error(api.post(path, {"account_ids": ["12345"]}), 404)
    assert_error(api.post(path, {}), 422, "account_ids")
    assert api.post(path, {"account_ids[]": [str(paul.pk)]}, json=False).status_code == 200
    graph.follow(member, quinn)
    assert api.post(path, {"account_ids": [str(quinn.pk), str(paul.pk)]}).status_code == 200  # paul again
    listed = api.get(path)
    assert ids(listed) == [quinn.pk, paul.pk]
    assert_entity("Account", listed.json()[0])
    page = api.get(path, limit=1)
    assert ids(page) == [quinn.pk] and 'rel="next"' in page["Link"]
    assert ids(api.get(path, limit=0)) == [quinn.pk, paul.pk]
    assert [row["id"] for row in api.get(f"/api/v1/accounts/{paul.pk}/lists").json()] == [made["id"]]
    assert send(api, "DELETE", path, {"account_ids": [str(paul.pk)]}).status_code == 200
    assert ids(api.get(path)) == [quinn.pk]
    assert api.get(f"/api/v1/accounts/{paul.pk}/lists").json() == []
    # Unfollowing takes an account out of one's lists.
    graph.unfollow(member, quinn)
    assert ids(api.get(path)) == []


def test_the_list_timeline_shows_the_members_posts_as_home_would(member, paul, quinn, api_as):
    api = api_as(member)
    for target in (paul, quinn):
        graph.follow(member, target)
    made = make_list(api)
    api.post(f"{LISTS}/{made['id']}/accounts", {"account_ids": [str(paul.pk)]})
    timeline = f"/api/v1/timelines/list/{made['id']}"
    theirs = services.post_status(paul, "from paul")
    private = services.post_status(paul, "followers only", visibility="private")
    services.post_status(paul, "@mary just us", visibility="direct")
    services.post_status(quinn, "quinn is not in the list")
    to_quinn = services.post_status(
        paul, "@quinn a reply", in_reply_to_id=services.post_status(quinn, "q").pk
    )
    stranger = services.post_status(make_account("rita", paid=True), "hi")
    to_outsider = services.post_status(paul, "a reply to a stranger", in_reply_to_id=stranger.pk)
    thread = services.post_status(paul, "more from paul", in_reply_to_id=theirs.pk)
    repost = services.reblog(paul, services.post_status(quinn, "worth a repost").pk)
    # replies_policy "list" (the default): replies to members only.
    response = api.get(timeline)
    assert ids(response) == [repost.pk, thread.pk, private.pk, theirs.pk]
    assert_entity("Status", response.json()[0])
    send(api, "PUT", f"{LISTS}/{made['id']}", {"replies_policy": "followed"})
    assert ids(api.get(timeline)) == [repost.pk, thread.pk, to_quinn.pk, private.pk, theirs.pk]
    send(api, "PUT", f"{LISTS}/{made['id']}", {"replies_policy": "none"})
    assert ids(api.get(timeline)) == [repost.pk, thread.pk, private.pk, theirs.pk]
    assert to_outsider.pk not in ids(api.get(timeline))
    # Paged like every timeline, with the Link header.
    first = api.get(timeline, limit=2)
    assert ids(first) == [repost.pk, thread.pk] and "max_id" in first["Link"]
    assert ids(api.get(timeline, max_id=thread.pk)) == [private.pk, theirs.pk]
    assert ids(api.get(timeline, min_id=theirs.pk, limit=1)) == [private.pk]
    assert ids(api.get(timeline, since_id=private.pk)) == [repost.pk, thread.pk]
    # Mutes, blocks and moderation hide posts as in home.
    graph.mute(member, quinn)
    assert repost.pk not in ids(api.get(timeline))
    theirs.moderation = "held"
    theirs.save(update_fields=["moderation"])
    assert theirs.pk not in ids(api.get(timeline))
    graph.block(paul, member)
    assert ids(api.get(timeline)) == []


def test_someone_elses_list_is_not_found(member, paul, api_as):
    made = make_list(api_as(member))
    other = api_as(paul)
    for path in (
        f"{LISTS}/{made['id']}",
        f"{LISTS}/{made['id']}/accounts",
        f"/api/v1/timelines/list/{made['id']}",
    ):
        assert_error(other.get(path), 404, "Record not found")
    assert_error(send(other, "PUT", f"{LISTS}/{made['id']}", {"title": "mine now"}), 404)
    assert_error(send(other, "DELETE", f"{LISTS}/{made['id']}"), 404)
    assert_error(other.post(f"{LISTS}/{made['id']}/accounts", {"account_ids": [str(member.pk)]}), 404)
    assert other.get(LISTS).json() == []
    assert_error(other.get(f"{LISTS}/abc"), 404)
    assert AccountList.objects.get().title == "Friends"


def test_lists_need_their_scopes_and_making_one_a_paid_membership(member, newcomer, api_as):
    made = make_list(api_as(member))
    assert_error(Api(None).get(LISTS), 401)
    assert_error(api_as(member, "read:statuses").get(LISTS), 403, "scope")
    assert_error(api_as(member, "read").post(LISTS, {"title": "x"}), 403, "scope")
    assert api_as(member, "read:lists").get(f"/api/v1/timelines/list/{made['id']}").status_code == 200
    assert_error(api_as(member, "read:lists").get(f"/api/v1/timelines/list/{made['id']}x"), 404)
    assert_error(send(api_as(member, "read"), "DELETE", f"{LISTS}/{made['id']}"), 403, "scope")
    assert api_as(member, "write:lists").post(LISTS, {"title": "Second"}).status_code == 200
    response = api_as(newcomer).post(LISTS, {"title": "Mine"})
    assert_error(response, 402, "membership")
    assert not AccountList.objects.filter(account=newcomer).exists()
    assert_error(api_as(member).post(f"{LISTS}/{made['id']}", {}), 405)


def test_deleting_an_account_deletes_its_lists_tags_filters_and_conversations(member, paul, api_as):
    from obole.accounts.deletion import delete_account
    from obole.posts.models import Conversation, Filter, TagFollow

    api = api_as(member)
    graph.follow(member, paul)
    graph.follow(paul, member)
    mine = make_list(api)
    api.post(f"{LISTS}/{mine['id']}/accounts", {"account_ids": [str(paul.pk)]})
    theirs = make_list(api_as(paul))
    api_as(paul).post(f"{LISTS}/{theirs['id']}/accounts", {"account_ids": [str(member.pk)]})
    api.post("/api/v1/tags/obole/follow")
    api.post("/api/v2/filters", {"title": "x", "context": ["home"]})
    services.post_status(member, "@paul hi", visibility="direct")
    delete_account(member, now=services.timezone.now())
    for model in (AccountList, TagFollow, Filter, Conversation):
        assert not model.objects.filter(account=member).exists(), model
    assert not ListMember.objects.filter(account=member).exists()
    assert AccountList.objects.filter(account=paul).exists()
