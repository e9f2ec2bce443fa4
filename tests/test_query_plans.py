"""The hot statements find their rows through indexes, on both databases.

A statement that reads a whole table that grows with the network (every
account, every status) answers as fast as one that does not while a test's
tables hold a few rows, and takes seconds on a real network. So these tests
read each hot statement's plan: on PostgreSQL with sequential scans turned
off (tiny tables would rightly be scanned; off, the planner says what it
would do at scale), on SQLite as EXPLAIN QUERY PLAN. A plan fails when it
scans a growing table whole: a sequential scan, or an index read end to end
without a condition (how "id = %s OR id IN (subquery)" was once answered for
every fan-out, reading all 10,000 accounts to find 23 followers).
"""

from __future__ import annotations

import pytest
from django.db import connection

from obole.accounts import graph
from obole.accounts.models import Account, Follow
from obole.api.auth import _token_sql
from obole.lib import rawrows
from obole.posts import rendering, services
from obole.posts.models import HomeFeedEntry, Status, Visibility
from obole.posts.timelines import _wide_authors_params, _wide_authors_sql, _wide_page_sql, audience
from tests.conftest import NOW, make_account

pytestmark = pytest.mark.django_db

GROWING = {
    Account._meta.db_table,
    Follow._meta.db_table,
    Status._meta.db_table,
    HomeFeedEntry._meta.db_table,
    "oauth2_provider_accesstoken",
}


def whole_scans(sql: str, params: list) -> list[str]:
    """The growing tables `sql` reads whole, as the database plans it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            return sorted(_pg_whole_scans(plan[0]["Plan"]))
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        details = [row[-1] for row in cursor.fetchall()]
    # "SCAN t" reads t whole; "SEARCH t USING INDEX …" finds its rows.
    return sorted(d for d in details if d.startswith("SCAN ") and d.split()[1] in GROWING)


def _pg_whole_scans(node: dict) -> set[str]:
    found = set()
    relation = node.get("Relation Name")
    if relation in GROWING:
        kind = node["Node Type"]
        if kind == "Seq Scan" or (kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node):
            found.add(f"{kind} on {relation}")
    if node["Node Type"] == "Bitmap Index Scan" and "Index Cond" not in node:
        found.add(f"Bitmap Index Scan on {node['Index Name']}")  # every entry of the index
    for child in node.get("Plans", []):
        found |= _pg_whole_scans(child)
    return found


@pytest.fixture
def network(member):
    paul, quinn = make_account("paul", paid=True), make_account("quinn", paid=True)
    graph.follow(paul, member, now=NOW)
    graph.follow(quinn, member, now=NOW)
    graph.follow(paul, quinn, now=NOW)
    return member, paul, quinn


def test_the_fan_out_audience_reads_the_author_s_followers_only(network):
    mary, paul, quinn = network
    post = services.post_status(mary, "hello", now=NOW)
    reply = services.post_status(quinn, f"@{mary.username} hi", now=NOW, in_reply_to_id=post.pk)
    repost = services.reblog(paul, post.pk, now=NOW)
    direct = services.post_status(mary, f"@{paul.username} psst", visibility=Visibility.DIRECT, now=NOW)
    for status in (post, reply, repost, direct):
        sql, params = audience(status).query.sql_with_params()
        assert whole_scans(sql, list(params)) == [], status.text


def test_a_home_read_s_statements_use_indexes(network):
    mary, paul, quinn = network
    ids = [services.post_status(mary if n % 2 else quinn, f"post {n}", now=NOW).pk for n in range(4)]
    services.reblog(paul, ids[0], now=NOW)
    statements = {
        "token": (_token_sql(), ["0" * 64]),
        "wide authors": (_wide_authors_sql(), _wide_authors_params(paul.pk)),
        "page": (
            rendering._page_sql(connection.vendor),
            [*([paul.pk] * rendering._FLAGS), rawrows.id_param(ids), True, *([paul.pk] * 6)],
        ),
    }
    bounds = {"max_id": None, "since_id": None, "min_id": None, "limit": 20}
    for windowed in (False, True):
        statements[f"wide page, windowed {windowed}"] = _wide_page_sql(
            paul.pk, [mary.pk, quinn.pk], bounds, windowed=windowed
        )
    fanned = (
        f"SELECT status_id FROM {HomeFeedEntry._meta.db_table} "  # noqa: S608
        "WHERE owner_id = %s ORDER BY status_id DESC LIMIT %s"
    )
    statements["fanned page"] = (fanned, [paul.pk, 20])
    scans = {name: whole_scans(sql, list(params)) for name, (sql, params) in statements.items()}
    assert scans == {name: [] for name in statements}
