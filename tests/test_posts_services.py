"""The write services behind statuses and the social graph: counters, fan-out, visibility, notifications."""

from __future__ import annotations

import pytest

from obole.accounts import graph
from obole.lib.errors import NotFound, UserError, WriteRefused
from obole.posts import services
from obole.posts.access import get_status_for_viewer, visible_statuses
from obole.posts.models import Notification, Status
from obole.posts.timelines import store
from tests.conftest import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def home(account) -> list[int]:
    return store().page(account.pk)


def test_a_post_reaches_the_author_and_followers_home_timelines(member, paul, outsider):
    graph.follow(paul, member)
    status = services.post_status(member, "Hello #Obole, @paul!")
    assert home(member) == [status.pk]
    assert home(paul) == [status.pk]
    assert home(outsider) == []
    member.refresh_from_db()
    paul.refresh_from_db()
    assert (member.statuses_count, member.followers_count, paul.following_count) == (1, 1, 1)
    assert status.tags == ["obole"]
    assert status.mentions == [{"id": str(paul.pk), "username": "paul"}]
    assert 'class="u-url mention"' in status.content
    assert Notification.objects.filter(recipient=paul, type="mention", status=status).exists()
    assert Notification.objects.filter(recipient=member, type="follow", from_account=paul).exists()


def test_an_unpaid_account_cannot_post_follow_like_or_repost(member, newcomer):
    status = services.post_status(member, "hi")
    for attempt in (
        lambda: services.post_status(newcomer, "spam"),
        lambda: graph.follow(newcomer, member),
        lambda: services.favourite(newcomer, status.pk),
        lambda: services.reblog(newcomer, status.pk),
    ):
        with pytest.raises(WriteRefused):
            attempt()
    assert Status.objects.filter(account=newcomer).count() == 0


def test_following_merges_recent_posts_and_unfollowing_removes_them(member, paul):
    first = services.post_status(member, "one")
    second = services.post_status(member, "two")
    graph.follow(paul, member)
    assert home(paul) == [second.pk, first.pk]
    graph.unfollow(paul, member)
    assert home(paul) == []


def test_private_posts_reach_followers_only_and_direct_posts_the_mentioned(member, paul, outsider):
    graph.follow(paul, member)
    private = services.post_status(member, "for followers", visibility="private")
    direct = services.post_status(member, "psst @oscar", visibility="direct")
    assert get_status_for_viewer(paul, private.pk) == private
    with pytest.raises(NotFound):
        get_status_for_viewer(outsider, private.pk)
    with pytest.raises(NotFound):
        get_status_for_viewer(paul, direct.pk)
    assert get_status_for_viewer(outsider, direct.pk) == direct
    assert set(visible_statuses(outsider)) == {direct}
    assert set(visible_statuses(None)) == set()
    assert home(outsider) == [direct.pk]


def test_a_reply_reaches_only_followers_of_both(member, paul):
    carol = make_account("carol", paid=True)
    graph.follow(paul, member)
    graph.follow(carol, member)
    graph.follow(paul, carol)
    original = services.post_status(carol, "question")
    reply = services.post_status(member, "@carol answer", in_reply_to_id=original.pk)
    assert reply.pk in home(paul)
    assert reply.pk not in home(carol) or carol.pk == reply.in_reply_to_account_id
    original.refresh_from_db()
    assert original.replies_count == 1
    assert reply.in_reply_to_account_id == carol.pk


def test_likes_and_reposts_count_once_and_notify(member, paul):
    status = services.post_status(member, "like me")
    services.favourite(paul, status.pk)
    services.favourite(paul, status.pk)
    first = services.reblog(paul, status.pk)
    again = services.reblog(paul, status.pk)
    status.refresh_from_db()
    assert (status.favourites_count, status.reblogs_count) == (1, 1)
    assert first == again
    assert Notification.objects.filter(recipient=member, from_account=paul).count() == 2
    services.unfavourite(paul, status.pk)
    services.unreblog(paul, status.pk)
    status.refresh_from_db()
    assert (status.favourites_count, status.reblogs_count) == (0, 0)
    assert Notification.objects.filter(recipient=member, from_account=paul).count() == 0


def test_deleting_a_post_removes_it_and_its_reposts_everywhere(member, paul):
    graph.follow(paul, member)
    status = services.post_status(member, "short-lived")
    services.reblog(paul, status.pk)
    services.delete_status(member, status.pk)
    assert home(member) == [] and home(paul) == []
    assert not Status.objects.exists()
    member.refresh_from_db()
    assert member.statuses_count == 0


def test_blocks_and_mutes_take_the_author_out_of_the_timeline(member, paul):
    graph.follow(paul, member)
    services.post_status(member, "before")
    graph.mute(paul, member)
    assert home(paul) == []
    services.post_status(member, "while muted")
    assert home(paul) == []
    graph.block(member, paul)
    paul.refresh_from_db()
    assert paul.following_count == 0
    with pytest.raises(UserError):
        graph.follow(paul, member)


def test_idempotency_key_returns_the_first_status(member):
    first = services.post_status(member, "once", idempotency_key="abc")
    again = services.post_status(member, "once", idempotency_key="abc")
    assert first.pk == again.pk
    assert Status.objects.count() == 1


@pytest.mark.parametrize(
    "text, message",
    [("", "can't be blank"), ("   ", "can't be blank"), ("x" * 501, "too long")],
)
def test_empty_or_long_text_is_refused(member, text, message):
    with pytest.raises(UserError, match=message):
        services.post_status(member, text)


def test_links_count_as_23_characters(member):
    services.post_status(member, "x" * 470 + " https://example.org/" + "a" * 200)
