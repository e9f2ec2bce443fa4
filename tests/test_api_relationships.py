"""Mastodon's social graph API: follow, block, mute, relationships, and the lists they make."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from obole.accounts import graph
from obole.accounts.models import Account, Block, Follow, Mute
from obole.posts import services
from obole.posts.models import Notification
from obole.posts.timelines import store
from tests.conftest import Api, assert_error, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def act(api: Api, target, action: str, data=None, *, json: bool = True):
    target_id = target if isinstance(target, str) else target.pk
    return api.post(f"/api/v1/accounts/{target_id}/{action}", data, json=json)


def relationship(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    assert_entity("Relationship", body)
    return body


def counts(*accounts) -> list[tuple[int, int]]:
    return [
        tuple(Account.objects.values_list("followers_count", "following_count").get(pk=account.pk))
        for account in accounts
    ]


# --- follow and unfollow -------------------------------------------------------------------


def test_a_member_follows_and_unfollows_an_account(member, paul, api_as):
    api = api_as(member)
    followed = relationship(act(api, paul, "follow"))
    assert followed["id"] == str(paul.pk) and followed["following"] and followed["showing_reblogs"]
    assert counts(member, paul) == [(0, 1), (1, 0)]
    assert Notification.objects.filter(recipient=paul, type="follow", from_account=member).exists()
    assert relationship(act(api, paul, "follow"))["following"]  # following twice changes nothing
    assert counts(member, paul) == [(0, 1), (1, 0)]
    unfollowed = relationship(act(api, paul, "unfollow"))
    assert not unfollowed["following"]
    assert counts(member, paul) == [(0, 0), (0, 0)]
    assert relationship(act(api, paul, "unfollow"))["following"] is False
    assert counts(member, paul) == [(0, 0), (0, 0)]


def test_a_follow_brings_the_accounts_posts_into_the_home_timeline(member, paul, api_as):
    post = services.post_status(paul, "hello")
    act(api_as(member), paul, "follow")
    assert store().page(member.pk) == [post.pk]
    act(api_as(member), paul, "unfollow")
    assert store().page(member.pk) == []


def test_an_unpaid_account_cannot_follow_and_is_sent_to_the_membership_page(newcomer, paul, api_as):
    response = act(api_as(newcomer), paul, "follow")
    assert_error(response, 402, "/membership")
    assert not Follow.objects.exists()


def test_an_unpaid_account_may_unfollow_block_and_mute(member, newcomer, api_as):
    graph.follow(member, newcomer)
    Follow.objects.create(follower=newcomer, target=member)  # from when the newcomer still paid
    api = api_as(newcomer)
    assert relationship(act(api, member, "unfollow"))["following"] is False
    assert relationship(act(api, member, "mute"))["muting"] is True
    assert relationship(act(api, member, "unmute"))["muting"] is False
    assert relationship(act(api, member, "block"))["blocking"] is True
    assert relationship(act(api, member, "unblock"))["blocking"] is False


def test_a_follow_answers_the_followed_by_side_too(member, paul, api_as):
    graph.follow(paul, member)
    body = relationship(act(api_as(member), paul, "follow"))
    assert body["following"] and body["followed_by"]


def test_nobody_follows_themself_or_someone_they_blocked(member, paul, api_as):
    assert_error(act(api_as(member), member, "follow"), 422, "yourself")
    graph.block(paul, member)
    assert_error(act(api_as(member), paul, "follow"), 403, "not allowed")
    assert not Follow.objects.exists()


def test_following_needs_a_follow_or_write_scope(member, paul, api_as):
    assert_error(act(api_as(member, "read write:statuses"), paul, "follow"), 403, "scopes")
    assert act(api_as(member, "follow"), paul, "follow").status_code == 200
    assert act(api_as(member, "write:follows"), paul, "unfollow").status_code == 200
    assert act(api_as(member, "write"), paul, "follow").status_code == 200
    assert_error(act(Api(None), paul, "follow"), 401)


def test_follow_options_are_accepted_as_clients_send_them(member, paul, api_as):
    body = {"reblogs": "false", "notify": "true", "languages[]": "en"}
    assert act(api_as(member), paul, "follow", body, json=False).status_code == 200
    assert_error(act(api_as(member), paul, "follow", {"reblogs": {"no": 1}}), 422)


# --- block and mute -------------------------------------------------------------------------


def test_a_block_ends_follows_both_ways_and_their_counters(member, paul, api_as):
    graph.follow(member, paul)
    graph.follow(paul, member)
    body = relationship(act(api_as(member), paul, "block"))
    assert body["blocking"] and not body["following"] and not body["followed_by"]
    assert counts(member, paul) == [(0, 0), (0, 0)]
    seen_by_paul = relationship(act(api_as(paul), member, "unfollow"))
    assert seen_by_paul["blocked_by"] and not seen_by_paul["blocking"]
    assert not relationship(act(api_as(member), paul, "unblock"))["blocking"]
    assert not Block.objects.exists()


def test_a_mute_hides_notifications_by_default_and_can_spare_them(member, paul, api_as):
    api = api_as(member)
    body = relationship(act(api, paul, "mute"))
    assert body["muting"] and body["muting_notifications"]
    body = relationship(act(api, paul, "mute", {"notifications": "false"}, json=False))
    assert body["muting"] and not body["muting_notifications"]
    assert Mute.objects.get().notifications is False
    assert relationship(act(api, paul, "mute", {"notifications": True, "duration": 0}))[
        "muting_notifications"
    ]


def test_timed_mutes_are_refused_rather_than_made_permanent(member, paul, api_as):
    assert_error(act(api_as(member), paul, "mute", {"duration": 3600}), 422, "duration 0")
    assert_error(act(api_as(member), paul, "mute", {"duration": "soon"}), 422, "seconds")
    assert not Mute.objects.exists()


def test_nobody_blocks_or_mutes_themself(member, api_as):
    assert_error(act(api_as(member), member, "block"), 422, "yourself")
    assert_error(act(api_as(member), member, "mute"), 422, "yourself")


@pytest.mark.parametrize(
    "action, allowed, refused",
    [
        ("block", "write:blocks", "write:mutes"),
        ("unblock", "follow", "write:follows"),
        ("mute", "write:mutes", "write:blocks"),
        ("unmute", "write", "read"),
    ],
)
def test_blocks_and_mutes_need_their_scope(member, paul, api_as, action, allowed, refused):
    assert_error(act(api_as(member, refused), paul, action), 403, "scopes")
    assert act(api_as(member, allowed), paul, action).status_code == 200


@pytest.mark.parametrize("action", ["follow", "unfollow", "block", "unblock", "mute", "unmute"])
@pytest.mark.parametrize("account_id", ["12345", "paul", "0x10", "99999999999999999999999"])
def test_acting_on_an_unknown_or_malformed_id_is_not_found(member, api_as, action, account_id):
    response = act(api_as(member), account_id, action)
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}


@pytest.mark.parametrize("action", ["follow", "block", "mute"])
def test_a_malformed_body_is_refused(member, paul, api_as, action):
    assert_error(act(api_as(member), paul, action, "{oops"), 400, "JSON")


def test_actions_need_no_csrf_cookie(member, paul, api_as):
    api = api_as(member)
    api.client = Client(enforce_csrf_checks=True)
    for action in ("follow", "unfollow", "block", "unblock", "mute", "unmute"):
        assert act(api, paul, action).status_code == 200


def test_actions_answer_only_post(member, paul, api_as):
    response = api_as(member).get(f"/api/v1/accounts/{paul.pk}/follow")
    assert_error(response, 405, "POST")


# --- relationships ----------------------------------------------------------------------------


def test_relationships_come_in_the_order_asked_and_skip_unknown_ids(
    member, paul, outsider, api_as, django_assert_max_num_queries
):
    graph.follow(member, paul)
    graph.block(member, outsider)
    api = api_as(member)
    with django_assert_max_num_queries(7):
        response = api.get(
            "/api/v1/accounts/relationships",
            **{"id[]": [str(outsider.pk), "404", "nope", "²", "9" * 30, str(paul.pk)]},
        )
    assert response.status_code == 200
    body = response.json()
    for entity in body:
        assert_entity("Relationship", entity)
    assert [entity["id"] for entity in body] == [str(outsider.pk), str(paul.pk)]
    assert body[0]["blocking"] and body[1]["following"]
    single = api.get("/api/v1/accounts/relationships", id=str(paul.pk)).json()
    assert [entity["id"] for entity in single] == [str(paul.pk)]
    assert api.get("/api/v1/accounts/relationships").json() == []


def test_relationships_need_a_token_with_read_follows(member, paul, api_as):
    assert_error(Client().get("/api/v1/accounts/relationships", {"id": paul.pk}), 401)
    assert_error(api_as(member, "read:statuses").get("/api/v1/accounts/relationships", id=paul.pk), 403)
    assert api_as(member, "follow").get("/api/v1/accounts/relationships", id=paul.pk).status_code == 200


def test_too_many_relationships_at_once_are_refused(member, api_as):
    response = api_as(member).get("/api/v1/accounts/relationships", **{"id[]": [str(n) for n in range(301)]})
    assert_error(response, 422, "at most 300")


def test_familiar_followers_are_the_followed_accounts_that_follow_them(member, paul, outsider, api_as):
    friend = make_account("friend", paid=True)
    stranger = make_account("stranger", paid=True)
    graph.follow(member, friend)
    graph.follow(friend, paul)
    graph.follow(stranger, paul)
    response = api_as(member).get(
        "/api/v1/accounts/familiar_followers", **{"id[]": [str(paul.pk), str(outsider.pk), "404"]}
    )
    assert response.status_code == 200
    body = response.json()
    for entity in body:
        assert_entity("FamiliarFollowers", entity)
    assert [(entity["id"], [a["username"] for a in entity["accounts"]]) for entity in body] == [
        (str(paul.pk), ["friend"]),
        (str(outsider.pk), []),
    ]


def test_familiar_followers_need_a_token(member):
    assert_error(Client().get("/api/v1/accounts/familiar_followers", {"id": member.pk}), 401)


# --- blocks, mutes, follow requests ---------------------------------------------------------------


def link_max_id(response) -> str:
    next_url = response["Link"].split(", ")[0].split("; ")[0].strip("<>")
    return parse_qs(urlsplit(next_url).query)["max_id"][0]


@pytest.mark.parametrize("kind", ["blocks", "mutes"])
def test_blocked_and_muted_accounts_are_listed_newest_first(
    member, api_as, kind, django_assert_max_num_queries
):
    others = [make_account(f"other{n}") for n in range(5)]
    for other in others:
        (graph.block if kind == "blocks" else graph.mute)(member, other)
    api = api_as(member)
    with django_assert_max_num_queries(3):
        first = api.get(f"/api/v1/{kind}", limit=3)
    assert first.status_code == 200
    assert [entity["username"] for entity in first.json()] == ["other4", "other3", "other2"]
    for entity in first.json():
        assert_entity("MutedAccount" if kind == "mutes" else "Account", entity)
    rest = api.get(f"/api/v1/{kind}", limit=3, max_id=link_max_id(first))
    assert [entity["username"] for entity in rest.json()] == ["other1", "other0"]
    with django_assert_max_num_queries(3):
        assert len(api.get(f"/api/v1/{kind}").json()) == 5


@pytest.mark.parametrize("kind, scope", [("blocks", "read:blocks"), ("mutes", "read:mutes")])
def test_the_lists_of_blocks_and_mutes_are_the_viewers_own(member, outsider, api_as, kind, scope):
    (graph.block if kind == "blocks" else graph.mute)(outsider, member)
    assert api_as(member).get(f"/api/v1/{kind}").json() == []
    assert len(api_as(outsider, scope).get(f"/api/v1/{kind}").json()) == 1
    assert len(api_as(outsider, "follow").get(f"/api/v1/{kind}").json()) == 1
    assert_error(api_as(outsider, "read:statuses").get(f"/api/v1/{kind}"), 403, "scopes")
    assert_error(Client().get(f"/api/v1/{kind}"), 401)
    assert_error(api_as(outsider).get(f"/api/v1/{kind}", max_id="x"), 400)


def test_follow_requests_are_always_empty_since_accounts_are_never_locked(member, paul, api_as):
    graph.follow(paul, member)
    response = api_as(member).get("/api/v1/follow_requests")
    assert response.status_code == 200 and response.json() == []
    assert_error(Client().get("/api/v1/follow_requests"), 401)
    assert_error(api_as(member).get("/api/v1/follow_requests", limit="x"), 400)
