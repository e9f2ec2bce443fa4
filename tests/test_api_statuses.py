"""The Mastodon statuses API: posting, reading, threads, likes, reposts, bookmarks and bad input.

`mary` (member) pays, `nina` (newcomer) and `oscar` (outsider) do not; `paul`
pays and follows nobody unless a test says so, which makes him the stranger
who may write but may not see private posts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from obole.accounts import graph
from obole.posts import services
from obole.posts.models import Bookmark, Favourite, Status
from tests.conftest import NOW, Api, assert_error, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

STATUSES = "/api/v1/statuses"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def url(status, action: str = "") -> str:
    pk = status.pk if hasattr(status, "pk") else status
    return f"{STATUSES}/{pk}" + (f"/{action}" if action else "")


def post(account, text: str = "hello", **options) -> Status:
    return services.post_status(account, text, **options)


def delete(api: Api, path: str):
    return api.client.delete(path, headers=api.headers)


def link_ids(response) -> dict[str, str]:
    """{"next": max_id, "prev": min_id} from a Link header."""
    found = {}
    for part in response["Link"].split(", "):
        target, rel = part.split("; ")
        query = parse_qs(urlparse(target.strip("<>")).query)
        name = rel.split('"')[1]
        found[name] = query["max_id" if name == "next" else "min_id"][0]
    return found


# Posting


def test_a_member_posts_a_status_and_gets_a_mastodon_status_back(member, api_as):
    api = api_as(member)
    response = api.post(STATUSES, {"status": "Hello #Obole", "visibility": "unlisted"})
    assert response.status_code == 200
    body = response.json()
    assert_entity("Status", body)
    assert api.get(url(body["id"])).json() == body  # rendered without the flags query, the same
    assert body["visibility"] == "unlisted"
    assert body["account"]["id"] == str(member.pk)
    assert body["account"]["statuses_count"] == 1
    assert body["tags"] == [{"name": "obole", "url": body["tags"][0]["url"]}]
    assert (body["favourited"], body["reblogged"], body["bookmarked"]) == (False, False, False)
    assert "text" not in body
    assert Status.objects.get(pk=body["id"]).text == "Hello #Obole"


def test_a_form_encoded_post_with_a_content_warning(member, api_as):
    form = {"status": "spoilers", "spoiler_text": "film", "sensitive": "false", "language": "en"}
    body = api_as(member).post(STATUSES, form, json=False).json()
    # A content warning always makes a status sensitive.
    assert (body["spoiler_text"], body["sensitive"], body["language"]) == ("film", True, "en")


@pytest.mark.parametrize("value", ["true", "1", True, 1])
def test_sensitive_is_read_the_way_mastodon_clients_send_it(member, api_as, value):
    body = api_as(member).post(STATUSES, {"status": "careful", "sensitive": value}).json()
    assert body["sensitive"] is True


def test_blank_optional_fields_of_a_form_mean_not_given(member, api_as):
    form = {"status": "plain", "visibility": "", "in_reply_to_id": "", "media_ids[]": "", "sensitive": ""}
    response = api_as(member).post(STATUSES, form, json=False)
    assert response.status_code == 200
    assert response.json()["visibility"] == "public"


def test_an_unpaid_account_cannot_post_and_is_sent_to_the_membership_page(newcomer, api_as):
    response = api_as(newcomer).post(STATUSES, {"status": "spam"})
    assert_error(response, 402, "membership", "http://testserver/membership")
    assert not Status.objects.exists()


def test_posting_needs_a_token_with_the_write_scope(member, api_as):
    assert_error(Api(None).post(STATUSES, {"status": "hi"}), 401)
    assert_error(api_as(member, "read").post(STATUSES, {"status": "hi"}), 403, "scope")
    assert api_as(member, "write:statuses").post(STATUSES, {"status": "hi"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"status": ""}, 422, ["blank"]),
        ({"status": "   "}, 422, ["blank"]),
        ({}, 422, ["blank"]),
        ({"status": "x" * 501}, 422, ["too long"]),
        ({"status": "hi", "sensitive": "maybe"}, 422, ["sensitive"]),
        ({"status": "hi", "visibility": 5}, 422, ["visibility"]),
        ({"status": "hi", "visibility": "friends"}, 422, ["visibility"]),
        ({"status": 5}, 422, ["status"]),
        ({"status": ["hi"]}, 422, ["status"]),
        ({"status": "hi", "spoiler_text": 3}, 422, ["spoiler_text"]),
        ({"status": "hi", "spoiler_text": "s" * 501}, 422, ["spoiler_text"]),
        ({"status": "hi", "language": "english"}, 422, ["language"]),
        ({"status": "hi", "language": "en-abcdefgh"}, 422, ["language"]),
        ({"status": "hi", "media_ids": ["1"]}, 422, ["Media 1 was not found among your uploads"]),
        ({"status": "hi", "media_ids": "1"}, 422, ["media_ids"]),
        ({"status": "hi", "poll": {"options": ["a"], "expires_in": 300}}, 422, ["between 2 and 4"]),
        ({"status": "hi", "poll": ["a", "b"]}, 422, ["poll"]),
        ({"status": "hi", "scheduled_at": "2099-01-01T00:00:00Z"}, 422, ["scheduled"]),
        ({"status": "hi", "in_reply_to_id": "abc"}, 404, ["does not appear to exist"]),
        ({"status": "hi", "in_reply_to_id": "12345"}, 404, ["does not appear to exist"]),
        ({"status": "hi", "in_reply_to_id": [1]}, 422, ["in_reply_to_id"]),
    ],
)
def test_bad_statuses_are_refused_with_a_reason(member, api_as, body, status, words):
    assert_error(api_as(member).post(STATUSES, body), status, *words)
    assert not Status.objects.exists()


def test_a_long_link_counts_as_23_characters(member, api_as):
    text = "x" * 470 + " https://example.org/" + "a" * 100
    assert api_as(member).post(STATUSES, {"status": text}).status_code == 200


def test_form_posts_with_unknown_media_or_a_poll_are_refused(member, api_as):
    api = api_as(member)
    media = api.post(STATUSES, {"status": "hi", "media_ids[]": "7"}, json=False)
    assert_error(media, 422, "Media 7 was not found among your uploads")
    poll = api.post(STATUSES, {"status": "hi", "poll[options][]": "a", "poll[expires_in]": "60"}, json=False)
    assert_error(poll, 422, "poll")
    assert not Status.objects.exists()


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b"{not json", 400), (b"[1, 2]", 400), (b'"status"', 400), (b"\xff\xfe", 400)],
)
def test_a_malformed_body_is_refused(member, api_as, raw, status):
    assert_error(api_as(member).post(STATUSES, raw), status)


def test_api_writes_need_no_csrf_cookie(member, paul, api_as):
    """Apps send bearer tokens, never cookies: every write path is exempt from CSRF checks."""
    api = api_as(member)
    api.client = Client(enforce_csrf_checks=True)
    created = api.post(STATUSES, {"status": "from an app"})
    assert created.status_code == 200, created.content
    other = post(paul)
    for action in ("favourite", "reblog", "bookmark", "pin"):
        assert api.post(url(other, action)).status_code in (200, 422)
    assert delete(api, url(created.json()["id"])).status_code == 200


def test_a_repeated_idempotency_key_returns_the_first_status(member, api_as):
    api = api_as(member)
    first = api.post(STATUSES, {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-1").json()
    again = api.post(STATUSES, {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-1").json()
    other = api.post(STATUSES, {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-2").json()
    assert again["id"] == first["id"] != other["id"]
    assert Status.objects.count() == 2


def test_a_repeated_key_answers_the_first_status_as_it_now_is(member, api_as):
    # A new status is answered without reading the author's flags; the first status of a
    # repeated key is read as it is now, flags included.
    api = api_as(member)
    first = api.post(STATUSES, {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-1").json()
    assert [first[f] for f in ("favourited", "reblogged", "bookmarked", "pinned")] == [False] * 4
    for action in ("favourite", "bookmark", "pin"):
        assert api.post(url(first["id"], action)).status_code == 200
    again = api.post(STATUSES, {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k-1").json()
    assert again["id"] == first["id"]
    assert [again[f] for f in ("favourited", "bookmarked", "pinned")] == [True, True, True]
    assert again["favourites_count"] == 1


def test_an_idempotency_key_past_its_hour_makes_a_new_status(member):
    def at(minutes: int) -> datetime:
        return NOW + timedelta(minutes=minutes)

    old = post(member, "then", idempotency_key="k", now=at(0))
    assert post(member, "then", idempotency_key="k", now=at(59)).pk == old.pk
    later = post(member, "later", idempotency_key="k", now=at(61))
    assert later.pk != old.pk
    # The key now names the new status, for its own hour.
    assert post(member, "later", idempotency_key="k", now=at(90)).pk == later.pk


def test_a_very_long_idempotency_key_still_works(member, api_as):
    api = api_as(member)
    key = "k" * 500
    first = api.post(STATUSES, {"status": "once"}, HTTP_IDEMPOTENCY_KEY=key).json()
    assert api.post(STATUSES, {"status": "once"}, HTTP_IDEMPOTENCY_KEY=key).json()["id"] == first["id"]


def test_idempotency_keys_belong_to_one_account(member, paul, api_as):
    mine = api_as(member).post(STATUSES, {"status": "a"}, HTTP_IDEMPOTENCY_KEY="same").json()
    theirs = api_as(paul).post(STATUSES, {"status": "b"}, HTTP_IDEMPOTENCY_KEY="same").json()
    assert mine["id"] != theirs["id"]


def test_a_reply_names_its_parent_and_counts_on_it(member, paul, api_as):
    parent = post(member, "question?")
    body = api_as(paul).post(STATUSES, {"status": "@mary answer", "in_reply_to_id": str(parent.pk)}).json()
    assert body["in_reply_to_id"] == str(parent.pk)
    assert body["in_reply_to_account_id"] == str(member.pk)
    assert body["mentions"][0]["id"] == str(member.pk)
    assert Api(None).get(url(parent)).json()["replies_count"] == 1


def test_a_reply_to_a_repost_answers_the_original(member, paul, api_as):
    original = post(member, "original")
    repost = services.reblog(paul, original.pk)
    body = api_as(paul).post(STATUSES, {"status": "reply", "in_reply_to_id": repost.pk}).json()
    assert body["in_reply_to_id"] == str(original.pk)


def test_nobody_replies_to_a_private_post_they_cannot_see(member, paul, api_as):
    private = post(member, "followers only", visibility="private")
    response = api_as(paul).post(STATUSES, {"status": "hi", "in_reply_to_id": str(private.pk)})
    assert_error(response, 404, "does not appear to exist")


# Reading one or several


def test_anyone_reads_a_public_status_without_a_token(member):
    status = post(member, "for all")
    response = Api(None).get(url(status))
    assert response.status_code == 200
    body = response.json()
    assert_entity("Status", body)
    assert body["id"] == str(status.pk)
    assert "favourited" not in body  # only said to someone signed in


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_an_outsider_cannot_see_a_private_or_direct_post(member, outsider, api_as, visibility):
    status = post(member, "not for you", visibility=visibility)
    assert_error(api_as(outsider).get(url(status)), 404, "Record not found")
    assert_error(Api(None).get(url(status)), 404, "Record not found")
    assert api_as(member).get(url(status)).status_code == 200


def test_followers_see_private_posts_and_the_mentioned_see_direct_ones(member, paul, outsider, api_as):
    graph.follow(paul, member)
    private = post(member, "followers", visibility="private")
    direct = post(member, "psst @oscar", visibility="direct")
    assert api_as(paul).get(url(private)).status_code == 200
    assert api_as(outsider).get(url(direct)).status_code == 200
    assert api_as(paul).get(url(direct)).status_code == 404


@pytest.mark.parametrize("status_id", ["abc", "12345", "-1", "1.5", "99999999999999999999999"])
def test_unknown_or_malformed_ids_are_not_found(member, api_as, status_id):
    assert_error(api_as(member).get(f"{STATUSES}/{status_id}"), 404, "Record not found")


def test_a_token_without_the_read_scope_cannot_read(member, api_as):
    status = post(member)
    assert_error(api_as(member, "write").get(url(status)), 403, "scope")
    assert_error(Api("no-such-token").get(url(status)), 401)


def test_a_repost_shows_the_original_inside_it(member, paul, api_as):
    original = post(member, "original")
    repost = services.reblog(paul, original.pk)
    body = api_as(member).get(url(repost)).json()
    assert_entity("Status", body)
    assert body["reblog"]["id"] == str(original.pk)
    assert body["content"] == ""


def test_several_statuses_at_once_in_the_order_asked(
    member, paul, outsider, api_as, django_assert_max_num_queries
):
    public = [post(member, f"public {n}") for n in range(3)] + [post(paul, "paul's")]
    hidden = post(member, "private", visibility="private")
    asked = [public[2].pk, hidden.pk, public[0].pk, "abc", 404, public[3].pk, public[1].pk, public[0].pk]
    api = api_as(outsider)
    with django_assert_max_num_queries(5):
        response = api.get(STATUSES, **{"id[]": asked})
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body] == [str(public[n].pk) for n in (2, 0, 3, 1)]
    for row in body:
        assert_entity("Status", row)


def test_several_statuses_without_ids_is_an_empty_list(member, api_as):
    assert api_as(member).get(STATUSES).json() == []


def test_several_statuses_are_at_most_forty(member, api_as):
    assert_error(api_as(member).get(STATUSES, **{"id[]": list(range(1, 42))}), 422, "40")


def test_statuses_answer_405_to_other_methods(member, api_as):
    status = post(member)
    api = api_as(member)
    response = api.client.patch(url(status), "{}", content_type="application/json", headers=api.headers)
    assert_error(response, 405)
    assert response["Allow"] == "GET, PUT, DELETE"
    assert_error(api.client.delete(STATUSES, headers=api.headers), 405)
    assert_error(api.get(url(status, "favourite")), 405)


# Deleting and the source


def test_deleting_returns_the_text_for_redrafting(member, api_as):
    status = post(member, "oops #typo", spoiler_text="cw")
    api = api_as(member)
    response = delete(api, url(status))
    assert response.status_code == 200
    body = response.json()
    assert_entity("Status", body)
    assert (body["id"], body["text"], body["spoiler_text"]) == (str(status.pk), "oops #typo", "cw")
    assert_error(api.get(url(status)), 404)
    member.refresh_from_db()
    assert member.statuses_count == 0


def test_deleting_a_reply_lowers_the_parents_count(member, paul, api_as):
    parent = post(member, "parent")
    reply = post(paul, "reply", in_reply_to_id=parent.pk)
    assert delete(api_as(paul), url(reply)).status_code == 200
    assert api_as(member).get(url(parent)).json()["replies_count"] == 0


def test_only_the_author_deletes(member, paul, outsider, api_as):
    public = post(member, "mine")
    private = post(member, "mine too", visibility="private")
    assert_error(delete(api_as(paul), url(public)), 403, "not allowed")
    assert_error(delete(api_as(outsider), url(private)), 404, "Record not found")
    assert_error(delete(Api(None), url(public)), 401)
    assert_error(delete(api_as(member, "read"), url(public)), 403)
    assert_error(delete(api_as(member), f"{STATUSES}/nope"), 404, "Record not found")
    assert Status.objects.count() == 2


def test_a_member_whose_membership_lapsed_can_still_delete_their_posts(newcomer, api_as):
    old = Status.objects.create(
        account=newcomer, text="old", content="<p>old</p>", created_at=datetime.now(UTC)
    )
    assert delete(api_as(newcomer), url(old)).status_code == 200
    assert not Status.objects.exists()


def test_the_source_is_what_the_author_typed(member, paul, api_as):
    status = post(member, "see https://example.org #x", spoiler_text="cw")
    body = api_as(member).get(url(status, "source")).json()
    assert_entity("StatusSource", body)
    assert body == {"id": str(status.pk), "text": "see https://example.org #x", "spoiler_text": "cw"}
    assert_error(api_as(paul).get(url(status, "source")), 404, "Record not found")
    assert_error(Api(None).get(url(status, "source")), 401)


# Threads


def thread_ids(body: dict, key: str) -> list[str]:
    return [row["id"] for row in body[key]]


def test_the_context_of_a_status(member, paul, api_as, django_assert_max_num_queries):
    """root ← a ← b, root ← c, with c older-by-id than nothing: descendants come depth first."""
    graph.follow(paul, member)
    root = post(member, "root")
    a = post(paul, "a", in_reply_to_id=root.pk)
    c = post(paul, "c", in_reply_to_id=root.pk)
    b = post(member, "b", in_reply_to_id=a.pk)
    d = post(member, "d", in_reply_to_id=c.pk)
    e = post(paul, "e", in_reply_to_id=a.pk)
    api = api_as(paul)
    with django_assert_max_num_queries(10):
        body = api.get(url(root, "context")).json()
    assert_entity("Context", body)
    assert thread_ids(body, "ancestors") == []
    assert thread_ids(body, "descendants") == [str(s.pk) for s in (a, b, e, c, d)]
    middle = api.get(url(b, "context")).json()
    assert thread_ids(middle, "ancestors") == [str(root.pk), str(a.pk)]
    assert thread_ids(middle, "descendants") == []


def test_the_context_leaves_out_what_the_viewer_may_not_see(member, paul, outsider, api_as):
    graph.follow(paul, member)
    root = post(member, "root")
    private = post(member, "followers only", visibility="private", in_reply_to_id=root.pk)
    under_private = post(paul, "public under private", in_reply_to_id=private.pk)
    assert thread_ids(api_as(paul).get(url(root, "context")).json(), "descendants") == [
        str(private.pk),
        str(under_private.pk),
    ]
    # The outsider sees the public reply, without the private one between.
    assert thread_ids(api_as(outsider).get(url(root, "context")).json(), "descendants") == [
        str(under_private.pk)
    ]
    assert thread_ids(Api(None).get(url(under_private, "context")).json(), "ancestors") == [str(root.pk)]


def test_the_context_leaves_out_muted_and_blocked_accounts(member, paul, outsider, api_as):
    root = post(member, "root")
    muted = post(paul, "from paul", in_reply_to_id=root.pk)
    graph.mute(outsider, paul)
    assert thread_ids(api_as(outsider).get(url(root, "context")).json(), "descendants") == []
    assert thread_ids(api_as(member).get(url(root, "context")).json(), "descendants") == [str(muted.pk)]
    graph.block(member, paul)
    assert thread_ids(api_as(member).get(url(root, "context")).json(), "descendants") == []


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_an_outsider_cannot_see_the_context_of_a_private_post(member, outsider, api_as, visibility):
    status = post(member, "hidden", visibility=visibility)
    assert_error(api_as(outsider).get(url(status, "context")), 404, "Record not found")
    assert_error(api_as(outsider).get(f"{STATUSES}/x/context"), 404, "Record not found")


def test_a_thread_costs_the_same_few_queries_whatever_its_size(
    member, paul, api_as, django_assert_max_num_queries
):
    root = post(member, "root")
    parent = root
    for n in range(30):
        parent = post(paul if n % 2 else member, f"deep {n}", in_reply_to_id=parent.pk)
        post(paul, f"aside {n}", in_reply_to_id=parent.pk)
    api = api_as(member)
    with django_assert_max_num_queries(10):
        down = api.get(url(root, "context")).json()
    with django_assert_max_num_queries(10):
        up = api.get(url(parent, "context")).json()
    assert len(down["descendants"]) == 60
    assert len(up["ancestors"]) == 30


def test_long_threads_are_bounded(member, api_as):
    chain = [post(member, "0")]
    for n in range(1, 46):
        chain.append(post(member, str(n), in_reply_to_id=chain[-1].pk))
    last = api_as(member).get(url(chain[-1], "context")).json()
    # The 40 nearest ancestors, oldest first.
    assert thread_ids(last, "ancestors") == [str(s.pk) for s in chain[5:45]]
    assert len(api_as(member).get(url(chain[0], "context")).json()["descendants"]) == 45
    # Someone logged out gets a shallower slice, as on Mastodon.
    assert len(Api(None).get(url(chain[0], "context")).json()["descendants"]) == 20


# Likes


def test_a_member_likes_and_unlikes_a_status(member, paul, api_as):
    status = post(paul, "like me")
    api = api_as(member)
    liked = api.post(url(status, "favourite")).json()
    assert_entity("Status", liked)
    assert (liked["favourited"], liked["favourites_count"]) == (True, 1)
    assert api.post(url(status, "favourite")).json()["favourites_count"] == 1  # once only
    unliked = api.post(url(status, "unfavourite")).json()
    assert (unliked["favourited"], unliked["favourites_count"]) == (False, 0)


def test_liking_a_repost_likes_the_original(member, paul, api_as):
    original = post(paul, "original")
    repost = services.reblog(member, original.pk)
    body = api_as(member).post(url(repost, "favourite")).json()
    assert body["id"] == str(original.pk) and body["favourited"] is True


def test_an_unpaid_account_cannot_like_or_repost(member, newcomer, api_as):
    status = post(member)
    for action in ("favourite", "reblog"):
        assert_error(api_as(newcomer).post(url(status, action)), 402, "http://testserver/membership")
    assert not Favourite.objects.exists()
    assert Status.objects.count() == 1


def test_an_unpaid_account_can_take_back_a_like(member, newcomer, api_as):
    status = post(member)
    Favourite.objects.create(account=newcomer, status=status)
    assert api_as(newcomer).post(url(status, "unfavourite")).json()["favourited"] is False


@pytest.mark.parametrize(
    "action", ["favourite", "unfavourite", "reblog", "unreblog", "bookmark", "unbookmark"]
)
@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_a_stranger_cannot_touch_a_post_they_cannot_see(member, paul, api_as, action, visibility):
    status = post(member, "hidden", visibility=visibility)
    assert_error(api_as(paul).post(url(status, action)), 404, "Record not found")
    assert_error(api_as(paul).post(f"{STATUSES}/abc/{action}"), 404, "Record not found")
    assert_error(api_as(paul).post(f"{STATUSES}/123/{action}"), 404, "Record not found")
    assert not Favourite.objects.exists() and not Bookmark.objects.exists()


def test_actions_need_their_scopes(member, paul, api_as):
    status = post(paul)
    assert_error(api_as(member, "write:statuses").post(url(status, "favourite")), 403)
    assert_error(api_as(member, "write:favourites").post(url(status, "reblog")), 403)
    assert_error(api_as(member, "write:statuses").post(url(status, "bookmark")), 403)
    assert_error(Api(None).post(url(status, "favourite")), 401)


# Reposts


def test_a_repost_comes_back_wrapping_the_original(member, paul, api_as):
    original = post(paul, "worth sharing")
    api = api_as(member)
    body = api.post(url(original, "reblog"), {"visibility": "unlisted"}).json()
    assert_entity("Status", body)
    assert body["id"] != str(original.pk)
    assert body["visibility"] == "unlisted"
    assert body["reblog"]["id"] == str(original.pk)
    assert body["reblog"]["reblogs_count"] == 1
    assert body["reblogged"] is True and body["reblog"]["reblogged"] is True
    assert api.post(url(original, "reblog")).json()["id"] == body["id"]  # once only
    undone = api.post(url(original, "unreblog")).json()
    assert (undone["id"], undone["reblogged"], undone["reblogs_count"]) == (str(original.pk), False, 0)
    assert not Status.objects.filter(reblog_of=original).exists()


def test_a_repost_with_a_bad_visibility_is_refused(member, paul, api_as):
    original = post(paul)
    for visibility in ("direct", "everyone", 3):
        assert_error(
            api_as(member).post(url(original, "reblog"), {"visibility": visibility}), 422, "visibility"
        )


def test_a_follower_cannot_repost_a_private_post(member, paul, api_as):
    graph.follow(paul, member)
    private = post(member, "followers only", visibility="private")
    assert_error(api_as(paul).post(url(private, "reblog")), 422, "public")


# Bookmarks


def test_bookmarking_needs_no_paid_membership(member, newcomer, api_as):
    status = post(member)
    api = api_as(newcomer)
    body = api.post(url(status, "bookmark")).json()
    assert_entity("Status", body)
    assert body["bookmarked"] is True
    assert [row["id"] for row in api.get("/api/v1/bookmarks").json()] == [str(status.pk)]
    assert api.post(url(status, "unbookmark")).json()["bookmarked"] is False
    assert api.get("/api/v1/bookmarks").json() == []


def test_bookmarks_are_paged_by_the_bookmark_not_the_status(
    member, paul, api_as, django_assert_max_num_queries
):
    older, newer = post(paul, "older"), post(member, "newer")
    extra = [post(paul, f"more {n}") for n in range(3)]
    api = api_as(member)
    for status in (newer, *extra, older):  # the older status is bookmarked last
        api.post(url(status, "bookmark"))
    marks = list(Bookmark.objects.filter(account=member).order_by("-id"))
    with django_assert_max_num_queries(6):
        first = api.get("/api/v1/bookmarks", limit=2)
    assert [row["id"] for row in first.json()] == [str(older.pk), str(extra[2].pk)]
    assert link_ids(first) == {"next": str(marks[1].pk), "prev": str(marks[0].pk)}
    second = api.get("/api/v1/bookmarks", limit=2, max_id=link_ids(first)["next"])
    assert [row["id"] for row in second.json()] == [str(extra[1].pk), str(extra[0].pk)]
    newest = api.get("/api/v1/bookmarks", min_id=marks[1].pk)
    assert [row["id"] for row in newest.json()] == [str(older.pk)]
    for row in first.json():
        assert_entity("Status", row)


def test_a_bookmark_the_viewer_may_no_longer_see_is_left_out(member, paul, api_as):
    graph.follow(paul, member)
    private = post(member, "followers only", visibility="private")
    public = post(member, "public")
    api = api_as(paul)
    api.post(url(public, "bookmark"))
    api.post(url(private, "bookmark"))
    graph.unfollow(paul, member)
    response = api.get("/api/v1/bookmarks", limit=1)
    assert response.json() == []
    # The page was empty, but the Link header moves on past the hidden one.
    assert [row["id"] for row in api.get("/api/v1/bookmarks", max_id=link_ids(response)["next"]).json()] == [
        str(public.pk)
    ]


def test_own_lists_need_a_token_and_their_scope(member, api_as):
    for path in ("/api/v1/bookmarks", "/api/v1/favourites"):
        assert_error(Api(None).get(path), 401)
        assert_error(api_as(member, "write").get(path), 403)
    assert api_as(member, "read:bookmarks").get("/api/v1/bookmarks").status_code == 200
    assert_error(api_as(member).get("/api/v1/favourites", limit="many"), 400, "limit")
    assert_error(api_as(member).get("/api/v1/favourites", max_id="abc"), 400, "max_id")


def test_favourites_are_paged_by_the_like(member, paul, api_as, django_assert_max_num_queries):
    statuses = [post(paul, f"s{n}") for n in range(4)]
    api = api_as(member)
    for status in reversed(statuses):
        api.post(url(status, "favourite"))
    likes = list(Favourite.objects.filter(account=member).order_by("-id"))
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/favourites", limit=3)
    assert [row["id"] for row in response.json()] == [str(s.pk) for s in statuses[:3]]
    assert link_ids(response) == {"next": str(likes[2].pk), "prev": str(likes[0].pk)}
    rest = api.get("/api/v1/favourites", max_id=link_ids(response)["next"]).json()
    assert [row["id"] for row in rest] == [str(statuses[3].pk)]
    assert all(row["favourited"] for row in response.json())


# Who liked, who reposted


def test_who_liked_a_status(member, paul, outsider, api_as, django_assert_max_num_queries):
    status = post(member, "popular")
    fans = [paul, *(make_account(f"fan{n}", paid=True) for n in range(3))]
    for fan in fans:
        services.favourite(fan, status.pk)
    likes = list(Favourite.objects.filter(status=status).order_by("-id"))
    api = api_as(outsider)
    with django_assert_max_num_queries(4):
        response = api.get(url(status, "favourited_by"), limit=3)
    body = response.json()
    assert [row["id"] for row in body] == [str(fan.pk) for fan in reversed(fans)][:3]
    for row in body:
        assert_entity("Account", row)
    assert link_ids(response) == {"next": str(likes[2].pk), "prev": str(likes[0].pk)}
    rest = Api(None).get(url(status, "favourited_by"), max_id=link_ids(response)["next"]).json()
    assert [row["id"] for row in rest] == [str(paul.pk)]


def test_who_liked_leaves_out_blocked_accounts(member, paul, api_as):
    status = post(member)
    services.favourite(paul, status.pk)
    graph.block(member, paul)
    assert api_as(member).get(url(status, "favourited_by")).json() == []


def test_who_reposted_a_status(member, paul, outsider, api_as, django_assert_max_num_queries):
    status = post(member, "share me")
    fans = [paul, *(make_account(f"fan{n}", paid=True) for n in range(3))]
    reposts = [services.reblog(fan, status.pk) for fan in fans]
    api = api_as(outsider)
    with django_assert_max_num_queries(4):
        response = api.get(url(status, "reblogged_by"), limit=2)
    assert [row["id"] for row in response.json()] == [str(fans[3].pk), str(fans[2].pk)]
    assert link_ids(response) == {"next": str(reposts[2].pk), "prev": str(reposts[3].pk)}
    # Asking about the repost itself answers for the original.
    assert len(Api(None).get(url(reposts[0], "reblogged_by")).json()) == 4


def test_a_private_repost_is_shown_only_to_the_reposters_followers(member, paul, outsider, api_as):
    status = post(member, "share me")
    services.reblog(paul, status.pk, visibility="private")
    assert api_as(outsider).get(url(status, "reblogged_by")).json() == []
    graph.follow(member, paul)
    assert [row["id"] for row in api_as(member).get(url(status, "reblogged_by")).json()] == [str(paul.pk)]


@pytest.mark.parametrize("action", ["favourited_by", "reblogged_by"])
@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_an_outsider_cannot_see_who_liked_a_private_post(member, outsider, api_as, action, visibility):
    status = post(member, "hidden", visibility=visibility)
    assert_error(api_as(outsider).get(url(status, action)), 404, "Record not found")
    assert_error(Api(None).get(url(status, action)), 404, "Record not found")
    assert_error(api_as(outsider).get(f"{STATUSES}/abc/{action}"), 404, "Record not found")


# Conversation mutes are not stored yet (pins: tests/test_api_pins.py)


def test_conversation_mutes_are_not_supported_yet(member, outsider, api_as):
    status = post(member)
    assert_error(api_as(member).post(url(status, "mute")), 422, "Muting", "not supported yet")
    hidden = post(member, "private", visibility="private")
    assert_error(api_as(outsider).post(url(hidden, "mute")), 404, "Record not found")


def test_a_json_body_is_read_for_actions_too(member, paul, api_as):
    original = post(paul)
    response = api_as(member).post(url(original, "reblog"), json.dumps({"visibility": "private"}))
    assert response.json()["visibility"] == "private"
