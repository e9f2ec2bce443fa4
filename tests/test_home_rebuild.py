"""newest_home: a lost Redis timeline is rebuilt source by source, each from its own index, with
the same ids as the home timeline the database defines (home_from_database)."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from obole.accounts import graph
from obole.accounts.models import Follow
from obole.lib.errors import UserError
from obole.posts import services, tag_follows, timelines
from obole.posts.models import Status, Visibility
from obole.posts.timelines import home_from_database, newest_home
from tests.conftest import NOW, make_account
from tests.test_query_plans import whole_scans

pytestmark = pytest.mark.django_db

DIRECT = Visibility.DIRECT


def truth(owner_id: int, limit: int) -> list[int]:
    return list(home_from_database(owner_id).order_by("-id").values_list("id", flat=True)[:limit])


@pytest.fixture
def world(monkeypatch):
    """Twelve members who follow, mute, block, reply, repost, mention and follow hashtags at random."""
    monkeypatch.setattr(timelines, "AUTHORS_A_STATEMENT", 3)  # several statements per rebuild
    rng = random.Random(12)
    people = [make_account(f"p{n}", paid=True) for n in range(12)]
    for person in people:
        for other in rng.sample(people, 6):
            if other != person:
                graph.follow(person, other, now=NOW)
    graph.mute(people[0], people[1])
    graph.block(people[0], people[2])
    graph.block(people[3], people[0])
    for name in ("gardens", "rivers"):
        tag_follows.follow(people[0], name)
    made = []
    for n in range(90):
        author = rng.choice(people)
        kind = rng.random()
        try:
            if kind < 0.15 and made:
                made.append(services.reblog(author, rng.choice(made).pk, now=NOW))
            elif kind < 0.35 and made:
                parent = rng.choice(made)
                made.append(services.post_status(author, f"re {n}", in_reply_to_id=parent.pk, now=NOW))
            elif kind < 0.45:
                someone = rng.choice(people).username
                made.append(services.post_status(author, f"@{someone} psst {n}", visibility=DIRECT, now=NOW))
            else:
                tag = rng.choice(["#gardens", "#rivers", "#other", ""])
                made.append(services.post_status(author, f"post {n} {tag}", now=NOW))
        except UserError:  # a status the author may not see or repost: refused, as it should be
            continue
    return people


def test_the_rebuild_has_the_ids_the_database_defines(world):
    # The world has every kind of status and rule the rebuild must honour: reposts, replies, direct
    # statuses, and in the first member's home statuses by accounts they do not follow (the
    # followed hashtags' and the direct statuses that mention them).
    statuses = Status.objects.all()
    assert statuses.filter(reblog_of__isnull=False).exists()
    assert statuses.filter(in_reply_to__isnull=False).exists()
    assert statuses.filter(visibility=DIRECT).exists()
    reader = world[0]
    followed = set(Follow.objects.filter(follower=reader).values_list("target_id", flat=True)) | {reader.pk}
    home = statuses.filter(pk__in=truth(reader.pk, 400))
    assert home.exclude(account_id__in=followed).exists()
    for person in world:
        for limit in (1, 7, 40, 400):
            assert newest_home(person.pk, limit) == truth(person.pk, limit), (person.username, limit)


def test_the_rebuild_reads_no_growing_table_whole(world):
    ran = []

    def keep(execute, sql, params, many, context):
        ran.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        newest_home(world[0].pk, 20)
    assert len(ran) >= 4
    scans = {sql[:120]: whole_scans(sql, params) for sql, params in ran}
    assert scans == {sql: [] for sql in scans}
