"""The Redis TimelineStore: the same pages as the database says, whatever Redis has lost.

On the Redis database OBOLE_REDIS_URL names (CI's PostgreSQL pass; the suite's cache
shares it and is flushed before each test), or else on a local one (LOCAL_REDIS).
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest
from django.db import connection

from obole.accounts import graph
from obole.posts import fanout, services, tasks
from obole.posts.timelines import bounded, home_from_database, store
from obole.posts.timelines_redis import TIMELINE_TTL
from tests.conftest import NOW, make_account

pytestmark = pytest.mark.django_db


# Where OBOLE_REDIS_URL is not set (the SQLite pass), the store is put on this local Redis database.
LOCAL_REDIS = "redis://127.0.0.1:6379/13"
# A timeline owner no account has: the store's writes tested on their own.
NEW_OWNER = 10**15


@pytest.fixture
def redis_store(settings):
    if settings.OBOLE_REDIS_URL:
        yield store()
        return
    import redis

    from obole.posts import timelines
    from obole.posts.timelines_redis import RedisTimelineStore

    local = RedisTimelineStore(LOCAL_REDIS)
    try:
        local.redis.flushdb()
    except redis.ConnectionError:
        if os.environ.get("OBOLE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required (OBOLE_REQUIRE_SERVICES=1) but {LOCAL_REDIS} is unreachable")
        pytest.skip(f"no OBOLE_REDIS_URL and no Redis at {LOCAL_REDIS}")
    timelines._store = local
    try:
        yield local
    finally:
        timelines._store = None
        local.redis.flushdb()


def truth(account, **bounds) -> list[int]:
    """The page as the database says it is."""
    bounds = {"max_id": None, "since_id": None, "min_id": None, "limit": 20, **bounds}
    ids = list(bounded(home_from_database(account.pk).values_list("id", flat=True), "id", **bounds))
    return sorted(ids, reverse=True)


@pytest.fixture
def world(db):
    mary, paul, quinn = (make_account(name, paid=True) for name in ("mary", "paul", "quinn"))
    graph.follow(paul, mary, now=NOW)
    graph.follow(paul, quinn, now=NOW)
    graph.follow(quinn, mary, now=NOW)
    return mary, paul, quinn


def test_pages_are_the_databases_inside_and_past_the_kept_window(redis_store, world, settings):
    settings.OBOLE_TIMELINE_LENGTH = 6
    mary, paul, quinn = world
    store().page(paul.pk)  # built, then filled by fan-out
    made = sorted(services.post_status(mary if n % 2 else quinn, f"n{n}", now=NOW).pk for n in range(15))
    # The newest six and the completeness mark, and at most `slack` more before fan-out trims.
    assert 6 + 1 <= redis_store.redis.zcard(f"home:{paul.pk}") <= 6 + 1 + redis_store.slack
    newest = made[::-1]
    cases = [
        {},
        {"limit": 3},
        {"limit": 10},  # past the window
        {"max_id": newest[2], "limit": 3},
        {"max_id": newest[5], "limit": 4},  # starts inside, ends past it
        {"since_id": newest[4]},
        {"min_id": newest[3], "limit": 2},
        {"min_id": newest[12], "limit": 2},  # below the window
        {"max_id": newest[1], "since_id": newest[6]},
    ]
    for bounds in cases:
        assert store().page(paul.pk, **bounds) == truth(paul, **bounds), bounds


def test_fan_out_keeps_lists_bounded(redis_store, settings):
    settings.OBOLE_TIMELINE_LENGTH = 20
    slack = redis_store.slack
    assert slack == 2
    name = f"home:{NEW_OWNER}"
    redis_store.redis.delete(name)
    redis_store.rebuild(NEW_OWNER)  # an empty timeline, complete: open to fan-out
    sizes = []
    for n in range(1, 80):
        redis_store.push(NEW_OWNER, n)
        sizes.append(redis_store.redis.zcard(name))
    assert 0 < redis_store.redis.ttl(name) <= TIMELINE_TTL
    assert max(sizes) == 20 + slack + 1  # never more than `slack` past the kept length (and the mark)
    assert sizes[-1] >= 20
    kept = [int(m) for m in redis_store.redis.zrange(name, 0, -1) if m.isdigit()]
    assert kept == list(range(79 - len(kept) + 1, 80))  # the newest, in order
    redis_store.redis.delete(name)


def test_fan_out_makes_no_list_for_a_member_who_has_none(redis_store, world):
    """A member whose list expired (inactive) costs fan-out nothing; their next read rebuilds it."""
    mary, paul, _ = world
    older = services.post_status(mary, "older", now=NOW)
    redis_store.redis.flushdb()
    newer = services.post_status(mary, "newer", now=NOW)
    assert not redis_store.redis.exists(f"home:{paul.pk}")
    assert store().page(paul.pk) == [newer.pk, older.pk]
    assert redis_store.redis.zscore(f"home:{paul.pk}", "~") is not None


def test_a_status_fanned_out_while_a_rebuild_reads_the_database_is_kept(redis_store, world, monkeypatch):
    mary, paul, _ = world
    older = services.post_status(mary, "older", now=NOW)
    redis_store.redis.flushdb()
    read = redis_store._newest_from_database
    late = []

    def reading_then_a_post_lands(owner_id):
        found = read(owner_id)  # the database as it was, without the next post
        late.append(services.post_status(mary, "fanned out meanwhile", now=NOW))
        return found

    monkeypatch.setattr(redis_store, "_newest_from_database", reading_then_a_post_lands)
    assert store().page(paul.pk) == [older.pk]  # this read's page was read before the post
    monkeypatch.undo()
    assert store().page(paul.pk) == [late[0].pk, older.pk]  # the list kept it


def test_a_lost_timeline_is_rebuilt_from_the_database_on_its_next_read(redis_store, world):
    mary, paul, _ = world
    made = [services.post_status(mary, f"post {n}", now=NOW).pk for n in range(5)]
    before = store().page(paul.pk)
    assert before == made[::-1]
    redis_store.redis.flushdb()
    assert store().page(paul.pk) == before
    assert redis_store.redis.zscore(f"home:{paul.pk}", "~") is not None


def test_deletes_mutes_blocks_and_unfollows_leave_the_redis_lists(redis_store, world):
    mary, paul, quinn = world
    store().page(paul.pk)
    store().page(quinn.pk)
    gone = services.post_status(mary, "short-lived", now=NOW)
    reposted = services.reblog(quinn, gone.pk, now=NOW)
    assert store().page(paul.pk) == [reposted.pk, gone.pk]
    services.delete_status(mary, gone.pk)
    assert store().page(paul.pk) == [] and store().page(mary.pk) == []
    kept = services.post_status(mary, "kept", now=NOW)
    graph.mute(paul, mary)
    assert store().page(paul.pk) == []
    graph.block(quinn, mary)
    assert store().page(quinn.pk) == []
    assert store().page(mary.pk) == [kept.pk]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_flushing_redis_under_load_leaves_every_reader_with_what_the_database_says(
    redis_store, real_queue, monkeypatch
):
    # Fan-out after commit, as a worker does it, but in the posting thread (the flushes would
    # empty a Redis queue too).
    monkeypatch.setattr(tasks, "fan_out", fanout.run)
    authors = [make_account(f"author{n}", paid=True) for n in range(3)]
    readers = [make_account(f"reader{n}", paid=True) for n in range(4)]
    rng = random.Random(7)
    for reader in readers:
        for author in rng.sample(authors, 2):
            graph.follow(reader, author, now=NOW)
    stop, stop_flushing = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    reads = [0]

    def in_thread(work, until=stop):
        def run():
            try:
                while not until.is_set():
                    work()
            except BaseException as error:  # reported by the test
                failures.append(error)
                stop.set()
            finally:
                connection.close()

        return threading.Thread(target=run)

    def read():
        reader = readers[reads[0] % len(readers)]  # each in turn, so each is read after the last flush
        store().page(reader.pk, limit=40)
        reads[0] += 1

    def write():
        services.post_status(rng.choice(authors), "under load", now=NOW)
        time.sleep(0.01)

    def flush():
        redis_store.redis.flushdb()
        time.sleep(0.05)

    threads = [in_thread(read), in_thread(read), in_thread(write), in_thread(flush, stop_flushing)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    # Then a second of posts and reads without flushes: the lists rebuilt under load must
    # stay right as fan-out keeps writing into them.
    stop_flushing.set()
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert reads[0] > 10
    for reader in readers:
        assert redis_store.redis.zscore(f"home:{reader.pk}", "~") is not None  # not rebuilt just now
        assert store().page(reader.pk, limit=40) == truth(reader, limit=40)
        assert len(truth(reader, limit=40)) > 0
