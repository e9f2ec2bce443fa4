"""Behaviour signals and the bot score (0-100) they add up to.

Each signal looks at what an account did recently and returns a value and a
weight when it fires:

- near_duplicate: its recent posts are near-identical (MinHash Jaccard >= 0.7
  on character 5-grams, datasketch's LSH) to posts of other accounts in the last day;
  the value is how many other accounts.
- regular_cadence: its last posts came at machine-regular intervals (the
  spread of the gaps is under a tenth of their mean).
- follow_burst / mention_burst: many follows, or many accounts mentioned, in an hour.
- link_heavy_start: most of its first posts carry links.
- crowded_network: many accounts signed up from its /24 or /64.

The score is the sum of the weights, at most 100. The explanation keeps, per
signal, its value, weight and since when it has been firing; it is stored on
the account's Standing and shown to moderators.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from datasketch import MinHash, MinHashLSH

from obole.accounts.models import Account, Follow
from obole.lib.addresses import network_of
from obole.posts.models import Mention, Status

WINDOW = timedelta(days=1)
RECENT_POSTS = 20  # of the account, compared
OTHERS_POSTS = 5000  # posts of the last day indexed per scoring run, newest first
NUM_PERM = 64
THRESHOLD = 0.7
_WORD = re.compile(r"\w+")
_LINK = re.compile(r"https?://")


@dataclass(frozen=True)
class Signal:
    name: str
    value: float
    weight: int
    detail: str


def _minhash(text: str) -> MinHash | None:
    # Character 5-grams of the words: robust to the small edits spinners make (a number, a word).
    flat = " ".join(_WORD.findall(text.lower()))
    if len(flat) < 24:
        return None  # too short to tell a copy from a coincidence ("good morning")
    sketch = MinHash(num_perm=NUM_PERM, seed=1)
    for i in range(len(flat) - 4):
        sketch.update(flat[i : i + 5].encode())
    return sketch


class RecentPosts:
    """An LSH index of the last day's posts, built once per scoring run and shared by its accounts."""

    def __init__(self, now: datetime):
        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self.owner: dict[str, int] = {}
        self.sketches: dict[int, list[MinHash]] = {}
        rows = (
            Status.objects.filter(reblog_of=None, created_at__gt=now - WINDOW)
            .order_by("-id")
            .values_list("id", "account_id", "text")[:OTHERS_POSTS]
        )
        for status_id, account_id, text in rows:
            sketch = _minhash(text)
            if sketch is not None:
                self.lsh.insert(str(status_id), sketch)
                self.owner[str(status_id)] = account_id
                mine = self.sketches.setdefault(account_id, [])
                if len(mine) < RECENT_POSTS:
                    mine.append(sketch)

    def others_like(self, account_id: int) -> set[int]:
        found = {
            self.owner[key] for sketch in self.sketches.get(account_id, []) for key in self.lsh.query(sketch)
        }
        return found - {account_id}


def near_duplicate(account: Account, now: datetime, index: RecentPosts | None = None) -> Signal | None:
    accounts = (index or RecentPosts(now)).others_like(account.pk)
    if not accounts:
        return None
    return Signal(
        "near_duplicate", len(accounts), min(60, 20 * len(accounts)),
        f"{len(accounts)} other accounts posted near-identical text in the last day",
    )  # fmt: skip


def regular_cadence(account: Account, now: datetime) -> Signal | None:
    times = list(
        Status.objects.filter(account=account, created_at__gt=now - WINDOW)
        .order_by("-id")
        .values_list("created_at", flat=True)[:12]
    )
    if len(times) < 6:
        return None
    gaps = [(a - b).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    mean = statistics.mean(gaps)
    if mean <= 0:
        return None
    spread = statistics.pstdev(gaps) / mean
    if spread >= 0.1:
        return None
    return Signal(
        "regular_cadence", round(spread, 3), 25,
        f"last {len(times)} posts every {mean:.0f} s, spread {spread:.1%} of the gap",
    )  # fmt: skip


def follow_burst(account: Account, now: datetime, limit: int = 50) -> Signal | None:
    count = Follow.objects.filter(follower=account, created_at__gt=now - timedelta(hours=1)).count()
    if count < limit:
        return None
    return Signal("follow_burst", count, 20, f"{count} follows in the last hour")


def mention_burst(account: Account, now: datetime, limit: int = 30) -> Signal | None:
    count = (
        Mention.objects.filter(status__account=account, status__created_at__gt=now - timedelta(hours=1))
        .values("account")
        .distinct()
        .count()
    )
    if count < limit:
        return None
    return Signal("mention_burst", count, 20, f"{count} accounts mentioned in the last hour")


def link_heavy_start(account: Account, now: datetime) -> Signal | None:
    first = list(
        Status.objects.filter(account=account, reblog_of=None)
        .order_by("id")
        .values_list("text", flat=True)[:5]
    )
    if len(first) < 3:
        return None
    linked = sum(1 for text in first if _LINK.search(text))
    if linked / len(first) < 0.8:
        return None
    return Signal("link_heavy_start", linked, 15, f"{linked} of its first {len(first)} posts carry links")


def crowded_network(account: Account, now: datetime, limit: int = 5) -> Signal | None:
    network = network_of(account.signup_ip)
    if network is None:
        return None
    prefix = network.split("/")[0].rsplit(".", 1)[0] + "." if "." in network else ""
    candidates = Account.objects.filter(signup_ip__startswith=prefix).values_list("signup_ip", flat=True)[
        :2000
    ]
    count = sum(1 for ip in candidates if network_of(ip) == network)
    if count < limit:
        return None
    return Signal("crowded_network", count, 15, f"{count} accounts signed up from {network}")


SIGNALS = (near_duplicate, regular_cadence, follow_burst, mention_burst, link_heavy_start, crowded_network)


def score(
    account: Account, now: datetime, previous: list[dict] | None = None, index: RecentPosts | None = None
) -> tuple[int, list[dict]]:
    """The bot score and its explanation; `since` carries over from `previous` while a signal keeps firing."""
    since = {row["signal"]: row["since"] for row in previous or []}
    explanation = []
    for check in SIGNALS:
        found = check(account, now, index) if check is near_duplicate else check(account, now)
        if found is not None:
            explanation.append(
                {
                    "signal": found.name,
                    "value": found.value,
                    "weight": found.weight,
                    "detail": found.detail,
                    "since": since.get(found.name, now.isoformat()),
                }
            )
    return min(100, sum(row["weight"] for row in explanation)), explanation
