"""Home timelines in Redis: one bounded sorted set of status ids per member.

Redis holds nothing that cannot be rebuilt: the statuses, follows, mutes and
blocks in the database say what every home timeline is
(`obole.posts.timelines.home_from_database`). A timeline Redis has lost
(flushed, evicted, expired, never built) is rebuilt from them on its next
read, and a page that reaches past the kept window is read from the database.

Layout of `home:<owner id>`:
- members are status ids written as 20-digit zero-padded decimals, all with
  score 0, so Redis orders them by their bytes, which is their numeric order.
  (Scores are doubles: a 64-bit id does not fit one exactly.) Paging is then
  ZRANGEBYLEX with the ids as bounds;
- the member "~" (after every digit) marks a complete timeline; a key
  without it is read as lost and rebuilt;
- fan-out writes only into lists that exist, as Mastodon fans out only to
  members active lately: a member who has not read their home timeline for
  TIMELINE_TTL has no list (it expired), costs a fan-out nothing and holds no
  memory, and their next read rebuilds it. A rebuild opens the list first (the
  member "!", below every digit, which pages never reach) and only then reads
  the database (`newest_home`, source by source from their indexes), so a
  status fanned out while it reads lands in the list; it adds to what is
  there (never deletes first), then marks it complete;
- OBOLE_TIMELINE_LENGTH ids are kept (Mastodon keeps 400). Fan-out lets a list
  grow by a tenth past that before trimming it back to the newest (`slack`):
  trimming at every write took a fifth of a fan-out's Redis time. A page
  reaching past the kept ids is read from the database either way. Every
  read renews a list's TTL.

Known window: a rebuild that read the database just before a mute, block or
unfollow, and writes just after its removal, brings that author's posts back
until the next rebuild. Deleted statuses are never shown (the reader skips
ids whose status is gone).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import redis
from django.conf import settings
from django.db.models import Q

from obole.accounts.models import Follow
from obole.posts.models import Mention, Status
from obole.posts.timelines import (
    MERGE_ON_FOLLOW,
    audience,
    bounded,
    home_from_database,
    merged,
    narrowed,
    newest_home,
    recent_for_follower,
    wide_page,
)

COMPLETE = "~"
OPENING = "!"  # a list being rebuilt: open to fan-out while the database is read
TIMELINE_TTL = 14 * 24 * 3600
# Pipelined commands sent at once when writing into many timelines.
CHUNK = 1000


# KEYS: timelines; ARGV: length, slack, status ids. Adds the ids to each timeline that exists
# (ZADD XX would only update members already there); one that held more than `length + slack`
# members is trimmed to the newest `length` (and the completeness mark above them). One ZCARD
# and one ZADD a timeline: a fan-out to thousands of followers is thousands of these.
# (On Redis Cluster the keys of one call must share a slot: group them by slot first.)
PUSH = """
local length, slack = tonumber(ARGV[1]), tonumber(ARGV[2])
local members = {}
for i = 3, #ARGV do
  members[#members + 1] = 0
  members[#members + 1] = ARGV[i]
end
for _, timeline in ipairs(KEYS) do
  local held = redis.call('ZCARD', timeline)
  if held > 0 then
    redis.call('ZADD', timeline, unpack(members))
    if held > length + slack then
      redis.call('ZREMRANGEBYRANK', timeline, 0, -(length + 2))
    end
  end
end
"""


def encode(status_id: int) -> str:
    return f"{status_id:020d}"


def key(owner_id: int) -> str:
    return f"home:{owner_id}"


class RedisTimelineStore:
    def __init__(self, url: str):
        self.redis = redis.Redis.from_url(url)
        self._push_script = self.redis.register_script(PUSH)

    @property
    def length(self) -> int:
        return settings.OBOLE_TIMELINE_LENGTH

    @property
    def slack(self) -> int:
        """How far past `length` fan-out lets a list grow before trimming it."""
        return max(1, self.length // 10)

    def _push_many(self, owner_ids, status_ids: list[int]) -> None:
        # One script call per CHUNK timelines: building a pipeline of three commands per
        # timeline costs more in Python than Redis spends running them.
        members = [encode(pk) for pk in status_ids]
        keys: list[str] = []
        for owner_id in owner_ids:
            keys.append(key(owner_id))
            if len(keys) == CHUNK:
                self._push_script(keys=keys, args=[self.length, self.slack, *members])
                keys = []
        if keys:
            self._push_script(keys=keys, args=[self.length, self.slack, *members])

    def add(self, status: Status) -> None:
        self._push_many(audience(status).values_list("pk", flat=True).iterator(), [status.pk])

    def prepare_add(self, status: Status) -> Callable[[], None]:
        # Nothing to prepare: the audience is read, and Redis written, when it runs.
        return functools.partial(self.add, status)

    def push(self, owner_id: int, status_id: int) -> None:
        self._push_many([owner_id], [status_id])

    def remove(self, status_ids: list[int]) -> None:
        if not status_ids:
            return
        # Every timeline these statuses can be in: their authors', their authors'
        # followers' and the mentioned accounts'.
        authors = Status.objects.filter(pk__in=status_ids).values("account_id")
        owners = set(Follow.objects.filter(target_id__in=authors).values_list("follower_id", flat=True))
        owners |= set(Status.objects.filter(pk__in=status_ids).values_list("account_id", flat=True))
        owners |= set(Mention.objects.filter(status_id__in=status_ids).values_list("account_id", flat=True))
        members = [encode(pk) for pk in status_ids]
        pipe = self.redis.pipeline(transaction=False)
        for n, owner_id in enumerate(owners, 1):
            pipe.zrem(key(owner_id), *members)
            if n % CHUNK == 0:
                pipe.execute()
        pipe.execute()

    def merge_author(self, owner_id: int, author_id: int) -> None:
        recent = list(recent_for_follower(owner_id, author_id).values_list("id", flat=True)[:MERGE_ON_FOLLOW])
        if recent:
            self._push_many([owner_id], recent)

    def remove_author(self, owner_id: int, author_id: int) -> None:
        held = [int(m) for m in self.redis.zrange(key(owner_id), 0, -1) if m.isdigit()]
        theirs = Status.objects.filter(pk__in=held).filter(
            Q(account_id=author_id) | Q(reblog_of__account_id=author_id)
        )
        gone = [encode(pk) for pk in theirs.values_list("id", flat=True)]
        if gone:
            self.redis.zrem(key(owner_id), *gone)

    def clear(self, owner_id: int) -> None:
        self.redis.delete(key(owner_id))

    def rebuild(self, owner_id: int) -> list[int]:
        """Write the newest ids of the owner's timeline, as the database has it, and mark it complete.

        The list is opened before the database is read, so that fan-out, which
        writes only into lists that exist, keeps what it fans out meanwhile.
        Returns the ids read, newest first. Widely followed accounts' statuses
        are among them (the database query knows no threshold), which is harmless.
        """
        name = key(owner_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(name, {OPENING: 0})
        pipe.expire(name, TIMELINE_TTL, nx=True)
        pipe.execute()
        newest = self._newest_from_database(owner_id)
        members = {encode(pk): 0 for pk in newest}
        members[COMPLETE] = 0
        pipe.zadd(name, members)
        pipe.zrem(name, OPENING)
        # Keep the newest `length` ids and the completeness mark, which sorts above them.
        pipe.zremrangebyrank(name, 0, -(self.length + 2))
        pipe.execute()
        return newest

    def _newest_from_database(self, owner_id: int) -> list[int]:
        return newest_home(owner_id, self.length)

    def page(
        self,
        owner_id: int,
        *,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        limit: int = 20,
    ) -> list[int]:
        """1. Read the page and the state of the list from Redis, in one round trip.
        2. A complete list: merge in the widely followed accounts' page (one query).
        3. A lost list: rebuild it, and page the rebuilt ids (they include everything).
        4. A page reaching below the kept window: read it from the database.
        """
        bounds = {"max_id": max_id, "since_id": since_id, "min_id": min_id, "limit": limit}
        floor = max(x for x in (since_id, min_id, 0) if x is not None)
        name = key(owner_id)
        top = f"({encode(max_id)}" if max_id is not None else f"({COMPLETE}"
        bottom = f"({encode(floor)}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.zscore(name, COMPLETE)
        pipe.zcard(name)
        pipe.zrangebylex(name, "[0", "+", start=0, num=1)  # the oldest id (not a mark)
        if min_id is not None:
            pipe.zrangebylex(name, bottom, top, start=0, num=limit)
        else:
            pipe.zrevrangebylex(name, top, bottom, start=0, num=limit)
        pipe.expire(name, TIMELINE_TTL)
        complete, size, oldest, found, _ = pipe.execute()
        if complete is None:
            newest = self.rebuild(owner_id)
            ids = _window(newest, max_id=max_id, floor=floor, oldest_first=min_id is not None, limit=limit)
            if not self._past_window(len(newest), newest[-1:], floor, ids, min_id, limit):
                return merged(ids, [], ascending=False, limit=limit)
            wide: list[int] = []
        else:
            ids = [int(member) for member in found]
            kept = size - 1
            if not self._past_window(
                kept, [int(m) for m in oldest if m != COMPLETE.encode()], floor, ids, min_id, limit
            ):
                wide = wide_page(owner_id, **narrowed(bounds, ids))
                return merged(ids, wide, ascending=min_id is not None, limit=limit)
        from_database = bounded(home_from_database(owner_id).values_list("id", flat=True), "id", **bounds)
        return merged(list(from_database), [], ascending=min_id is not None, limit=limit)

    def _past_window(
        self, kept: int, oldest: list[int], floor: int, ids: list[int], min_id: int | None, limit: int
    ) -> bool:
        """Whether the page needs ids older than the oldest kept (the list was trimmed)."""
        if kept < self.length or not oldest or floor >= oldest[0]:
            return False
        return min_id is not None or len(ids) < limit


def _window(
    newest: list[int], *, max_id: int | None, floor: int, oldest_first: bool, limit: int
) -> list[int]:
    """A page of `newest` (ids, newest first) between the bounds."""
    inside = [pk for pk in newest if (max_id is None or pk < max_id) and pk > floor]
    return inside[-limit:] if oldest_first else inside[:limit]
