"""Followed hashtags: following through the API, and tagged public posts fanned out into home."""

from __future__ import annotations

import pytest

from obole.accounts import graph
from obole.posts import fanout, services
from obole.posts.models import Tag, TagFollow
from obole.posts.tag_follows import MAX_FOLLOWED_TAGS
from obole.posts.timelines import home_from_database, store
from tests.conftest import NOW, Api, assert_error, make_account
from tests.schema import assert_entity

TAGS = "/api/v1/tags"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


@pytest.fixture
def quinn(db):
    return make_account("quinn", paid=True)


def post(account, text: str, **options):
    return services.post_status(account, text, now=NOW, **options)


def home(account) -> list[int]:
    return store().page(account.pk, limit=40)


def test_a_member_follows_and_unfollows_a_hashtag(member, paul, api_as):
    post(paul, "#Obole is here")
    api = api_as(member)
    followed = api.post(f"{TAGS}/OBOLE/follow")
    assert followed.status_code == 200, followed.content
    assert_entity("Tag", followed.json())
    assert followed.json()["name"] == "obole" and followed.json()["following"] is True
    assert api.post(f"{TAGS}/obole/follow").status_code == 200  # again: nothing changes
    assert TagFollow.objects.filter(account=member).count() == 1
    assert api.get(f"{TAGS}/obole").json()["following"] is True
    assert api_as(paul).get(f"{TAGS}/obole").json()["following"] is False
    assert Api(None).get(f"{TAGS}/obole").json()["following"] is False
    found = api.get("/api/v2/search", q="obo", type="hashtags").json()["hashtags"]
    assert [(tag["name"], tag["following"]) for tag in found] == [("obole", True)]
    # A hashtag nobody used yet can be followed: it is made, as on Mastodon.
    assert api.post(f"{TAGS}/%23Gardening/follow").json()["name"] == "gardening"
    accented = api.post(f"{TAGS}/caf%C3%A9/follow").json()
    assert_entity("Tag", accented)
    assert accented["name"] == "café" and accented["url"].endswith("/tags/caf%C3%A9")
    api.post(f"{TAGS}/caf%C3%A9/unfollow")
    listed = api.get("/api/v1/followed_tags")
    assert [tag["name"] for tag in listed.json()] == ["gardening", "obole"]
    assert all(tag["following"] for tag in listed.json())
    page = api.get("/api/v1/followed_tags", limit=1)
    assert [tag["name"] for tag in page.json()] == ["gardening"] and 'rel="next"' in page["Link"]
    unfollowed = api.post(f"{TAGS}/obole/unfollow")
    assert unfollowed.status_code == 200 and unfollowed.json()["following"] is False
    assert [tag["name"] for tag in api.get("/api/v1/followed_tags").json()] == ["gardening"]


def test_following_hashtags_needs_the_scope_and_a_paid_membership(member, newcomer, api_as):
    post(member, "#obole")
    assert_error(Api(None).post(f"{TAGS}/obole/follow"), 401)
    assert_error(api_as(member, "read").post(f"{TAGS}/obole/follow"), 403, "scope")
    assert_error(api_as(member, "read:statuses").get("/api/v1/followed_tags"), 403, "scope")
    assert api_as(member, "follow").get("/api/v1/followed_tags").status_code == 200
    assert_error(api_as(newcomer).post(f"{TAGS}/obole/follow"), 402, "membership")
    assert api_as(newcomer).post(f"{TAGS}/obole/unfollow").status_code == 200
    assert not TagFollow.objects.exists()
    assert_error(api_as(member).get(f"{TAGS}/obole/follow"), 405)


@pytest.mark.parametrize("name", ["no-dashes", "two words", "%F0%9F%98%80", "x" * 101])
def test_a_name_that_is_no_hashtag_cannot_be_followed(member, api_as, name):
    assert_error(api_as(member).post(f"{TAGS}/{name}/follow"), 422, "not a hashtag")
    assert not Tag.objects.exists()


def test_following_stops_at_a_hundred_hashtags(member, api_as):
    Tag.objects.bulk_create([Tag(name=f"t{n}") for n in range(MAX_FOLLOWED_TAGS)])
    TagFollow.objects.bulk_create([TagFollow(account=member, tag=tag) for tag in Tag.objects.all()])
    assert_error(api_as(member).post(f"{TAGS}/onemore/follow"), 422, "at most 100")


# Fan-out into home


def test_public_posts_with_a_followed_hashtag_come_into_home(member, paul, quinn, api_as):
    api_as(member).post(f"{TAGS}/gardening/follow")
    tagged = post(paul, "Tomatoes! #Gardening")
    post(paul, "Followers only #gardening", visibility="private")
    post(paul, "Quietly #gardening", visibility="unlisted")
    post(paul, "No tag at all")
    services.reblog(quinn, tagged.pk)  # a repost of it adds nothing
    other = post(quinn, "#gardening too")
    assert home(member) == [other.pk, tagged.pk]
    timeline = api_as(member).get("/api/v1/timelines/home").json()
    assert [int(entity["id"]) for entity in timeline] == [other.pk, tagged.pk]
    # What a lost Redis timeline is rebuilt from holds them too.
    assert set(home_from_database(member.pk).values_list("id", flat=True)) == {other.pk, tagged.pk}
    # Fanning out again changes nothing.
    fanout.PendingFanOut.objects.create(status=tagged, created_at=NOW)
    fanout.run(tagged.pk)
    assert home(member) == [other.pk, tagged.pk]


def test_followed_hashtags_respect_mutes_and_blocks(member, paul, quinn, api_as):
    api_as(member).post(f"{TAGS}/gardening/follow")
    graph.mute(member, paul)
    graph.block(quinn, member)
    post(paul, "muted #gardening")
    post(quinn, "blocking #gardening")
    own = post(member, "my own #gardening")
    assert home(member) == [own.pk]
    assert set(home_from_database(member.pk).values_list("id", flat=True)) == {own.pk}


def test_a_widely_followed_authors_tagged_post_reaches_hashtag_followers(
    settings, member, paul, quinn, api_as
):
    settings.OBOLE_FANOUT_MAX_FOLLOWERS = 0
    graph.follow(quinn, paul)
    api_as(member).post(f"{TAGS}/gardening/follow")
    tagged = post(paul, "to the many #gardening")
    assert home(member) == [tagged.pk]
    assert home(quinn) == [tagged.pk]  # merged in when read, as before
