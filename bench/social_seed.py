"""Seed a fresh database with a social network for bench/social.py, in bulk.

Run in a child process with Django set up for the database under test. Nothing
goes through the services: rows are written in bulk (bulk_create, and COPY or
executemany for the two big tables), with every counter computed here so that
the accounts look exactly as the services would have left them.

The network (`--members` N):
- N accounts, each with an active membership paid by its own sandbox card
  (fingerprint, provider payment method, membership), paid until 20 days from now;
- a follow graph: each member follows k others, k drawn from a log-normal
  distribution with a median of 40 (sigma 0.9, at least 10, at most 5,000);
  whom they follow is drawn from a Zipf law over a random ranking of the
  accounts (weight 1/rank^0.8), so a few accounts have thousands of followers
  and most have a few dozen, as on real networks;
- `statuses` public statuses per member over the last 7 days, fanned out to the
  home timelines of the author and all its followers, as the fan-out on write
  would have done (so the thinnest home timeline holds 10 x statuses entries);
- one OAuth access token per member (scopes read write follow push), kept only
  as a checksum like every token, its raw value written to tokens.txt;
- a celebrity (`--celebrity-followers` C > 0): the last member is followed by
  C more accounts (bare accounts, "fan0"…, with no membership or token) and
  by 8 members, the readers of the celebrity fan-out probe;
- with OBOLE_REDIS_URL set, each member's Redis home timeline, as fan-out
  would have left it (the newest OBOLE_TIMELINE_LENGTH ids, complete).

It writes `world.json` beside the tokens: graph statistics, and the accounts the
fan-out probe uses (the most-followed authors and followers of all of them).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

FOLLOW_MEDIAN = 40
FOLLOW_SIGMA = 0.9
FOLLOW_MIN = 10
FOLLOW_MAX = 5000
ZIPF_EXPONENT = 0.8
HISTORY_DAYS = 7
TOKEN_SCOPES = "read write follow push"
BATCH = 2000


def progress(message: str, began: float) -> None:
    print(f"    seed: {message} ({time.perf_counter() - began:.1f} s)", file=sys.stderr, flush=True)


def follow_graph(members: int, rng: random.Random) -> list[set[int]]:
    """following[i] = the member indexes that member i follows."""
    ranking = list(range(members))
    rng.shuffle(ranking)
    cumulative = list(itertools.accumulate((rank + 1) ** -ZIPF_EXPONENT for rank in range(members)))
    following: list[set[int]] = []
    for me in range(members):
        wanted = int(rng.lognormvariate(math.log(FOLLOW_MEDIAN), FOLLOW_SIGMA))
        wanted = min(max(wanted, FOLLOW_MIN), FOLLOW_MAX, members - 1)
        if wanted > (members - 1) // 2:
            # A small network: draw uniformly, as the Zipf draw would take ages to find the rarest.
            chosen = set(rng.sample([i for i in range(members) if i != me], wanted))
        else:
            chosen: set[int] = set()
            while len(chosen) < wanted:
                draws = rng.choices(ranking, cum_weights=cumulative, k=(wanted - len(chosen)) * 2 + 4)
                for target in draws:
                    if target != me:
                        chosen.add(target)
                        if len(chosen) == wanted:
                            break
        following.append(chosen)
    return following


def insert_rows(table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608


CELEBRITY_READERS = 8


def seed(members: int, statuses: int, out: Path, seed_value: int = 1, celebrity_followers: int = 0) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application, set_token_value

    from obole.accounts.models import Account, Follow
    from obole.lib.snowflake import next_id
    from obole.membership.cards import fingerprint
    from obole.membership.models import CardFingerprint, Membership, PaymentMethod, SandboxPaymentMethod
    from obole.posts.models import HomeFeedEntry, Status

    began = time.perf_counter()
    # Seeded, so that every run draws the same network (nothing here is a secret worth the name).
    rng = random.Random(seed_value)  # noqa: S311
    call_command("migrate", verbosity=0)
    progress("migrated", began)

    if connection.vendor == "sqlite":
        # Room for the indexes being built in memory, instead of spilling pages to the WAL all along.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -1000000")
    now = timezone.now()
    following = follow_graph(members, rng)
    celebrity = members - 1
    celebrity_readers = rng.sample(range(members - 1), CELEBRITY_READERS) if celebrity_followers else []
    for reader in celebrity_readers:
        following[reader].add(celebrity)
    followers: list[list[int]] = [[] for _ in range(members)]
    for me, targets in enumerate(following):
        for target in targets:
            followers[target].append(me)
    progress(f"drew a graph of {sum(map(len, following))} follows", began)

    # Statuses: ids are time-ordered like the snowflake ids (ms << 16 | sequence).
    oldest = now - timedelta(days=HISTORY_DAYS)
    span_ms = HISTORY_DAYS * 86_400_000
    posts: list[tuple[int, int, datetime]] = []  # (id, author index, created_at)
    used: set[int] = set()
    for author in range(members):
        for _ in range(statuses):
            offset = rng.randrange(span_ms)
            created = oldest + timedelta(milliseconds=offset)
            status_id = (int(created.timestamp() * 1000) << 16) | rng.randrange(1 << 15)
            while status_id in used:
                status_id += 1
            used.add(status_id)
            posts.append((status_id, author, created))
    last_post = [None] * members
    for _, author, created in posts:
        if last_post[author] is None or created > last_post[author]:
            last_post[author] = created

    with transaction.atomic():
        accounts = [
            Account(
                id=next_id(),
                username=f"member{i}",
                email=f"member{i}@bench.example",
                password="!",
                date_joined=oldest - timedelta(days=30),
                # Seen today, as members who use their apps daily are: the once-a-day "last seen"
                # write (obole.api.endpoints._seen) stays out of the measured reads.
                last_login=now,
                followers_count=len(followers[i]) + (celebrity_followers if i == celebrity else 0),
                following_count=len(following[i]),
                statuses_count=statuses,
                last_status_at=last_post[i],
            )
            for i in range(members)
        ]
        Account.objects.bulk_create(accounts, batch_size=BATCH)
        ids = [a.pk for a in accounts]
        prints = [fingerprint(f"{i:016d}") for i in range(members)]
        CardFingerprint.objects.bulk_create(
            [CardFingerprint(fingerprint=p) for p in prints], batch_size=BATCH
        )
        SandboxPaymentMethod.objects.bulk_create(
            [SandboxPaymentMethod(ref=f"pm_social_{i}", charge_outcome="succeeded") for i in range(members)],
            batch_size=BATCH,
        )
        methods = PaymentMethod.objects.bulk_create(
            [
                PaymentMethod(
                    account=a, provider="sandbox", provider_ref=f"pm_social_{i}", fingerprint_id=prints[i],
                    brand="visa", last4="4242", exp_month=12, exp_year=2030, funding="credit",
                    created_at=now - timedelta(days=10),
                )
                for i, a in enumerate(accounts)
            ],
            batch_size=BATCH,
        )  # fmt: skip
        Membership.objects.bulk_create(
            [
                Membership(
                    account=a, state="active", anchor=now - timedelta(days=10),
                    paid_until=now + timedelta(days=20), payment_method=m, state_changed_at=now,
                )
                for a, m in zip(accounts, methods, strict=True)
            ],
            batch_size=BATCH,
        )  # fmt: skip
        progress(f"{members} paid members", began)

        app = Application.objects.create(
            name="bench client",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_PASSWORD,
        )
        raw_tokens = [f"bench-{i}-{rng.getrandbits(64):016x}" for i in range(members)]
        tokens = []
        for account, raw in zip(accounts, raw_tokens, strict=True):
            token = AccessToken(
                user=account, application=app, scope=TOKEN_SCOPES, expires=datetime(2099, 1, 1, tzinfo=UTC)
            )
            set_token_value(token, raw)
            token.token_checksum = hashlib.sha256(raw.encode()).hexdigest()
            tokens.append(token)
        AccessToken.objects.bulk_create(tokens, batch_size=BATCH)
        progress(f"{members} access tokens", began)

        adapt = connection.ops.adapt_datetimefield_value
        follow_time = adapt(oldest - timedelta(days=1))
        insert_rows(
            Follow._meta.db_table,
            ("id", "follower_id", "target_id", "created_at"),
            (
                (next_id(), ids[me], ids[target], follow_time)
                for me, targets in enumerate(following)
                for target in targets
            ),
        )
        progress("follows", began)
        if celebrity_followers:
            fans = [
                Account(id=next_id(), username=f"fan{n}", email=f"fan{n}@bench.example", password="!",
                        date_joined=oldest - timedelta(days=30), following_count=1)
                for n in range(celebrity_followers)
            ]  # fmt: skip
            Account.objects.bulk_create(fans, batch_size=BATCH)
            insert_rows(
                Follow._meta.db_table,
                ("id", "follower_id", "target_id", "created_at"),
                ((next_id(), fan.pk, ids[celebrity], follow_time) for fan in fans),
            )
            progress(f"a celebrity with {celebrity_followers} more followers", began)

        Status.objects.bulk_create(
            [
                Status(
                    id=status_id,
                    account_id=ids[author],
                    text=f"Post number {n} of the benchmark network.",
                    content=f"<p>Post number {n} of the benchmark network.</p>",
                    visibility="public",
                    language="en",
                    created_at=created,
                )
                for n, (status_id, author, created) in enumerate(posts)
            ],
            batch_size=BATCH,
        )
        progress(f"{len(posts)} statuses", began)

        # In index order, so that the (owner, status) index grows at its end.
        feed_rows = sorted(
            (ids[owner], status_id)
            for status_id, author, _ in posts
            for owner in itertools.chain((author,), followers[author])
        )
        insert_rows(HomeFeedEntry._meta.db_table, ("owner_id", "status_id"), feed_rows)
        feed_entries = sum(1 + len(followers[author]) for _, author, _ in posts)
        progress(f"{feed_entries} home-timeline entries", began)
        if settings.OBOLE_REDIS_URL:
            fill_redis(feed_rows)
            progress("Redis home timelines", began)

    # Leave the database as a live one would be after a while: on PostgreSQL, autovacuum has
    # gathered statistics and set the visibility map (index-only scans); on SQLite, the WAL
    # has been checkpointed (a bulk load leaves it hundreds of MB long, which slows every read).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    progress("vacuumed" if connection.vendor == "postgresql" else "checkpointed", began)

    out.mkdir(parents=True, exist_ok=True)
    order = list(range(members))
    rng.shuffle(order)
    (out / "tokens.txt").write_text("".join(raw_tokens[i] + "\n" for i in order))
    about = world(members, statuses, following, followers, raw_tokens)
    if celebrity_followers:
        about["celebrity_probe"] = {
            "authors": [raw_tokens[celebrity]],
            "author_followers": [len(followers[celebrity]) + celebrity_followers],
            "readers": [raw_tokens[r] for r in celebrity_readers],
        }
    (out / "world.json").write_text(json.dumps(about))


def fill_redis(feed_rows: list[tuple[int, int]]) -> None:
    """Each owner's Redis home timeline as fan-out leaves it: the newest ids, marked complete."""
    import redis
    from django.conf import settings

    from obole.posts.timelines_redis import COMPLETE, encode, key

    client = redis.Redis.from_url(settings.OBOLE_REDIS_URL)
    pipe = client.pipeline(transaction=False)
    for n, (owner, rows) in enumerate(itertools.groupby(feed_rows, key=lambda row: row[0])):
        newest = [status_id for _, status_id in rows][-settings.OBOLE_TIMELINE_LENGTH :]
        pipe.zadd(key(owner), {**{encode(pk): 0 for pk in newest}, COMPLETE: 0})
        if n % 1000 == 999:
            pipe.execute()
    pipe.execute()


def world(
    members: int, statuses: int, following: list[set[int]], followers: list[list[int]], tokens: list[str]
) -> dict:
    """Graph statistics for the method, and the fan-out probe's authors and readers."""
    counts = sorted((len(f) for f in followers), reverse=True)
    by_fame = sorted(range(members), key=lambda i: len(followers[i]), reverse=True)
    # The probe's authors are the most-followed accounts; its readers follow every one of them.
    # Several authors share the posting so that no account nears the 300-posts-in-3-hours limit.
    probe = []
    for authors in (by_fame[:4], by_fame[:2], by_fame[:1]):
        readers = set(followers[authors[0]]).intersection(*(followers[a] for a in authors[1:]))
        if readers:
            readers = sorted(readers)[:8]
            probe = {
                "authors": [tokens[a] for a in authors],
                "author_followers": [len(followers[a]) for a in authors],
                "readers": [tokens[r] for r in readers],
            }
            break
    return {
        "members": members,
        "follows": sum(counts),
        "following_median": statistics.median(len(f) for f in following),
        "followers_median": statistics.median(counts),
        "followers_max": counts[0],
        "followers_p99": counts[len(counts) // 100],
        "accounts_over_1000_followers": sum(1 for c in counts if c >= 1000),
        "statuses": members * statuses,
        "statuses_per_member": statuses,
        "feed_entries": sum(statuses * (1 + c) for c in counts),
        "probe": probe,
    }
