"""Pinned statuses through the API: pin, unpin, the profile's pinned list and `pinned` on statuses."""

from __future__ import annotations

import pytest

from obole.accounts import graph
from obole.posts import services
from obole.posts.models import Pin
from obole.posts.pins import MAX_PINS
from tests.conftest import Api, assert_error, make_account
from tests.schema import assert_entity

STATUSES = "/api/v1/statuses"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def pin(api: Api, status_id, action: str = "pin"):
    return api.post(f"{STATUSES}/{status_id}/{action}")


def pinned_of(api: Api, account) -> list[str]:
    response = api.get(f"/api/v1/accounts/{account.pk}/statuses", pinned="true")
    assert response.status_code == 200, response.content
    return [entity["id"] for entity in response.json()]


def test_a_member_pins_and_unpins_an_own_post(member, paul, api_as):
    api = api_as(member)
    first = services.post_status(member, "first")
    second = services.post_status(member, "second", visibility="private")
    response = pin(api, first.pk)
    assert response.status_code == 200, response.content
    assert response.json()["pinned"] is True
    assert_entity("Status", response.json())
    assert pin(api, second.pk).json()["pinned"] is True
    assert pin(api, first.pk).status_code == 200  # again: nothing changes
    assert Pin.objects.filter(account=member).count() == 2
    assert pinned_of(api, member) == [str(second.pk), str(first.pk)]

    # Others see the pins they may see, without `pinned` (it is the author's own mark).
    other = api_as(paul)
    assert pinned_of(other, member) == [str(first.pk)]
    assert other.get(f"{STATUSES}/{first.pk}").json()["pinned"] is False
    assert pinned_of(Api(None), member) == [str(first.pk)]
    graph.follow(paul, member)
    assert pinned_of(other, member) == [str(second.pk), str(first.pk)]

    # The author's timelines say which are pinned.
    home = api.get("/api/v1/timelines/home").json()
    assert {entity["id"]: entity["pinned"] for entity in home} == {str(first.pk): True, str(second.pk): True}
    unpinned = pin(api, first.pk, "unpin")
    assert unpinned.status_code == 200 and unpinned.json()["pinned"] is False
    assert pin(api, first.pk, "unpin").status_code == 200  # not pinned: nothing to do
    assert pinned_of(api, member) == [str(second.pk)]


def test_pins_stop_at_five_with_a_clear_422(member, api_as):
    api = api_as(member)
    posts = [services.post_status(member, f"post {n}") for n in range(MAX_PINS + 1)]
    for row in posts[:MAX_PINS]:
        assert pin(api, row.pk).status_code == 200
    response = pin(api, posts[-1].pk)
    assert_error(response, 422, "at most 5")
    assert Pin.objects.filter(account=member).count() == MAX_PINS
    pin(api, posts[0].pk, "unpin")
    assert pin(api, posts[-1].pk).status_code == 200


def test_only_ones_own_posts_can_be_pinned_not_reposts_nor_direct_messages(member, paul, outsider, api_as):
    api = api_as(member)
    theirs = services.post_status(paul, "paul's")
    assert_error(pin(api, theirs.pk), 422, "your own")
    repost = services.reblog(member, theirs.pk)
    assert_error(pin(api, repost.pk), 422, "repost")
    own_repost = services.reblog(member, services.post_status(member, "mine").pk)
    assert_error(pin(api, own_repost.pk), 422, "repost")
    direct = services.post_status(member, "@paul just us", visibility="direct")
    assert_error(pin(api, direct.pk), 422, "direct")
    hidden = services.post_status(paul, "followers only", visibility="private")
    assert_error(pin(api, hidden.pk), 404, "Record not found")
    assert_error(pin(api, "nope"), 404)
    assert not Pin.objects.exists()


def test_pinning_needs_the_scope_and_a_paid_membership_unpinning_only_the_scope(member, newcomer, api_as):
    row = services.post_status(member, "pin me")
    assert_error(pin(api_as(member, "read"), row.pk), 403, "scope")
    assert_error(pin(Api(None), row.pk), 401)
    assert pin(api_as(member, "write:accounts"), row.pk).status_code == 200
    assert_error(pin(api_as(member, "read write:statuses"), row.pk, "unpin"), 403, "scope")
    # An account whose membership is not paid may not pin (others see pins); unpinning needs nothing.
    assert_error(pin(api_as(newcomer), row.pk), 402, "membership")
    assert pin(api_as(newcomer), row.pk, "unpin").status_code == 200
    assert api_as(member).get(f"{STATUSES}/{row.pk}/pin").status_code == 405


def test_a_deleted_status_leaves_the_pins(member, api_as):
    api = api_as(member)
    row = services.post_status(member, "short-lived")
    pin(api, row.pk)
    services.delete_status(member, row.pk)
    assert pinned_of(api, member) == []
