"""Fan-out off the request path: the pending row, the task, the sweep, the hybrid for wide audiences.

Most tests here take `real_queue`, so a post is not fanned out when made and
each step can be run by hand; the others use Huey's immediate mode, as the
rest of the suite does.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest

from obole.accounts import graph
from obole.posts import fanout, services
from obole.posts.models import HomeFeedEntry, PendingFanOut
from obole.posts.timelines import home_from_database, store
from tests.conftest import NOW, make_account, obole, subprocess_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


@pytest.fixture
def quinn(db):
    return make_account("quinn", paid=True)


def home(account, **bounds) -> list[int]:
    return store().page(account.pk, **bounds)


def post(account, text: str = "hello", **options):
    return services.post_status(account, text, now=NOW, **options)


def test_a_post_is_in_its_authors_timeline_at_once_and_its_followers_after_the_task(
    member, paul, real_queue, django_capture_on_commit_callbacks
):
    graph.follow(paul, member, now=NOW)
    assert home(paul) == []  # read once: a Redis store has built paul's list by now
    with django_capture_on_commit_callbacks() as queued:
        status = post(member)
    assert len(queued) == 1  # the task is queued when the post commits, not before
    assert home(member) == [status.pk]
    assert home(paul) == []
    assert PendingFanOut.objects.filter(status=status).exists()
    assert fanout.run(status.pk) is True
    assert home(paul) == [status.pk]
    assert not PendingFanOut.objects.exists()


def test_running_a_fan_out_twice_does_nothing_the_second_time(member, paul, real_queue):
    graph.follow(paul, member, now=NOW)
    status = post(member)
    assert fanout.run(status.pk) is True
    assert fanout.run(status.pk) is False
    store().add(status)  # even the store's write, repeated, adds nothing
    assert home(paul) == [status.pk]
    if not hasattr(store(), "redis"):
        assert HomeFeedEntry.objects.filter(status_id=status.pk).count() == 2


def test_a_fan_out_that_fails_leaves_its_status_pending_for_the_retry(member, paul, real_queue, monkeypatch):
    graph.follow(paul, member, now=NOW)
    status = post(member)
    timelines = store()

    def broken(status):
        def write():
            raise ConnectionError("the timeline store went away")

        return write

    monkeypatch.setattr(timelines, "prepare_add", broken)
    with pytest.raises(ConnectionError):
        fanout.run(status.pk)
    assert PendingFanOut.objects.filter(status=status).exists()  # the claim was rolled back
    monkeypatch.undo()
    assert fanout.run(status.pk) is True
    assert home(paul) == [status.pk]
    assert not PendingFanOut.objects.exists()


def test_the_sweep_fans_out_what_a_lost_message_left_pending(member, paul, real_queue):
    graph.follow(paul, member, now=NOW)
    status = post(member)
    assert fanout.sweep(now=NOW + timedelta(seconds=5)) == 0  # too young: its message may be on its way
    assert fanout.sweep(now=NOW + fanout.SWEEP_AFTER) == 1
    assert home(paul) == [status.pk]
    assert fanout.sweep(now=NOW + timedelta(hours=1)) == 0


def test_a_status_deleted_before_its_fan_out_is_never_fanned_out(member, paul, real_queue):
    graph.follow(paul, member, now=NOW)
    status = post(member)
    services.delete_status(member, status.pk)
    assert fanout.run(status.pk) is False
    assert home(member) == [] and home(paul) == []


def test_a_mute_block_or_unfollow_made_before_the_fan_out_runs_is_respected(member, paul, quinn, real_queue):
    carol = make_account("carol", paid=True)
    for follower in (paul, quinn, carol):
        graph.follow(follower, member, now=NOW)
    status = post(member)
    graph.mute(paul, member)
    graph.block(quinn, member)
    graph.unfollow(carol, member)
    fanout.run(status.pk)
    assert home(paul) == [] and home(quinn) == [] and home(carol) == []


def test_a_repost_fans_out_too_and_leaves_out_who_mutes_the_original_author(member, paul, quinn, real_queue):
    graph.follow(quinn, paul, now=NOW)
    original = post(member)
    repost = services.reblog(paul, original.pk, now=NOW)
    assert home(paul) == [repost.pk]  # the reposter's own timeline, at once
    graph.mute(quinn, member)
    fanout.run(repost.pk)
    assert home(quinn) == []


# Accounts too widely followed to fan out: merged in when read.


@pytest.fixture
def wide(settings, member, paul, quinn):
    """mary has two followers, over a threshold of one: her posts are merged in when read."""
    settings.OBOLE_FANOUT_MAX_FOLLOWERS = 1
    graph.follow(paul, member, now=NOW)
    graph.follow(quinn, member, now=NOW)
    return member


def test_a_widely_followed_authors_post_is_written_once_and_read_by_every_follower(wide, paul, quinn):
    status = post(wide, "to the many")
    if not hasattr(store(), "redis"):
        assert list(HomeFeedEntry.objects.values_list("owner_id", flat=True)) == [wide.pk]
    assert not PendingFanOut.objects.exists()
    assert home(wide) == [status.pk]
    assert home(paul) == [status.pk] and home(quinn) == [status.pk]


def test_wide_posts_merge_with_fanned_out_ones_and_page_as_before(wide, paul):
    carol = make_account("carol", paid=True)
    graph.follow(paul, carol, now=NOW)
    made = [post(wide if n % 3 else carol, f"post {n}").pk for n in range(9)]
    newest_first = sorted(made, reverse=True)
    assert home(paul, limit=40) == newest_first
    assert home(paul, limit=4) == newest_first[:4]
    assert home(paul, max_id=newest_first[3], limit=3) == newest_first[4:7]
    assert home(paul, since_id=newest_first[2]) == newest_first[:2]
    assert home(paul, min_id=newest_first[-1], limit=2) == newest_first[-3:-1]
    everything = home_from_database(paul.pk).order_by("-id").values_list("id", flat=True)
    assert home(paul, limit=40) == list(everything)


def test_pages_of_several_wide_authors_merge_newest_first(wide, paul, quinn):
    """Each wide author's page is read up to the page's length from its own index, then merged."""
    graph.follow(paul, quinn, now=NOW)
    graph.follow(make_account("bob", paid=True), quinn, now=NOW)  # quinn: two followers, wide as well
    made = [post(wide if n % 2 else quinn, f"post {n}").pk for n in range(12)]
    newest_first = sorted(made, reverse=True)
    assert home(paul, limit=5) == newest_first[:5]
    assert home(paul, max_id=newest_first[4], limit=5) == newest_first[5:10]
    assert home(paul, min_id=newest_first[-1], limit=3) == newest_first[-4:-1]
    graph.mute(paul, quinn)
    assert home(paul, limit=40) == [pk for pk in newest_first if pk not in made[::2]]


def test_a_full_page_of_fanned_out_posts_bounds_the_wide_page(wide, paul):
    """With the fanned-out page full, the wide authors' page is read only inside its span of time
    (timelines.narrowed): the merged pages are the same as without it, page after page."""
    carol = make_account("carol", paid=True)
    graph.follow(paul, carol, now=NOW)
    made = [post(carol if n % 3 else wide, f"post {n}").pk for n in range(18)]
    newest_first = sorted(made, reverse=True)
    walked, max_id = [], None
    while True:
        page = home(paul, limit=4, **({"max_id": max_id} if max_id else {}))
        if not page:
            break
        walked += page
        max_id = page[-1]
    assert walked == newest_first
    assert home(paul, min_id=newest_first[-1], limit=4) == newest_first[-5:-1]
    assert home(paul, since_id=newest_first[6], limit=4) == newest_first[:4]


def test_a_wide_author_s_repost_of_a_muted_account_is_left_out(wide, paul, quinn):
    original = post(quinn, "from quinn")
    repost = services.reblog(wide, original.pk, now=NOW)
    assert repost.pk in home(paul)
    graph.mute(paul, quinn)
    assert repost.pk not in home(paul)


def test_wide_posts_follow_mutes_blocks_and_the_reply_rule(wide, paul, quinn):
    carol = make_account("carol", paid=True)
    graph.follow(paul, carol, now=NOW)
    to_carol = post(carol, "a question")
    reply = post(wide, "@carol an answer", in_reply_to_id=to_carol.pk)
    assert reply.pk in home(paul)  # paul follows carol too
    assert reply.pk not in home(quinn)  # quinn does not
    services.delete_status(wide, reply.pk)
    assert reply.pk not in home(paul)
    kept = post(wide, "still here")
    assert home(paul)[0] == kept.pk and home(quinn) == [kept.pk]
    graph.mute(paul, wide)
    assert home(paul) == [to_carol.pk]
    graph.block(quinn, wide)
    assert home(quinn) == []
    graph.unmute(paul, wide)
    graph.unfollow(paul, wide)
    assert home(paul) == [to_carol.pk]


def test_a_direct_post_of_a_wide_author_reaches_the_mentioned_only(wide, paul, quinn):
    direct = post(wide, "psst @paul", visibility="direct")
    assert home(paul) == [direct.pk]
    assert home(quinn) == []


# A real worker process, with the configured queue (SQLite file, or Redis in CI's PostgreSQL run).


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_fans_out_posts_and_sweeps_pending_ones_at_start(real_queue):
    author = make_account("author", paid=True)
    readers = [make_account(f"reader{n}", paid=True) for n in range(3)]
    for reader in readers:
        graph.follow(reader, author, now=NOW)
    lost = post(author, "made while no worker ran")  # its message is in the queue; the row is what counts
    from huey.contrib.djhuey import HUEY

    HUEY.flush()  # the message is lost: only the pending row is left
    env = subprocess_env()
    env["OBOLE_BILLING_EVERY_MINUTES"] = "0"
    worker = obole("worker", env=env)
    try:
        fresh = post(author, "made while the worker runs")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and PendingFanOut.objects.exists():
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert not PendingFanOut.objects.exists(), err
    for reader in readers:
        assert home(reader) == [fresh.pk, lost.pk]
