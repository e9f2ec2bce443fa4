"""Rate limits, as Mastodon sets them, counted in fixed windows in Django's cache.

- every API request: 300 per 5 minutes per access token, or per address without one;
- posting: 300 statuses per 3 hours per account;
- following: 400 follows per 24 hours per account.
Each limit is a setting (0 turns it off). The counters live in Redis when
OBOLE_REDIS_URL is set (Django's cache there), so every web process shares
them; otherwise in each process's memory, which makes the limit per process
(generous, never stricter) in the embedded default. There they are plain
integers in a dictionary, not entries of Django's local-memory cache, which
pickles every value and took a tenth of a verify_credentials call.
Responses carry X-RateLimit-Limit, -Remaining and -Reset (an ISO 8601 time)
like Mastodon's.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    period: int  # seconds


def rules() -> dict[str, Rule]:
    return _rules(
        settings.OBOLE_RATE_LIMIT_REQUESTS,
        settings.OBOLE_RATE_LIMIT_POSTS,
        settings.OBOLE_RATE_LIMIT_FOLLOWS,
        settings.OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME,
        settings.OBOLE_LOGIN_FAILURES_PER_IP,
        settings.OBOLE_LOGIN_FAILURES_PER_USERNAME,
    )


@functools.lru_cache(maxsize=1)  # made again only when a setting changes (tests change them)
def _rules(
    requests: int, posts: int, follows: int, ip_username: int, ip: int, username: int
) -> dict[str, Rule]:
    return {
        "requests": Rule("requests", requests, 5 * 60),
        "statuses": Rule("statuses", posts, 3 * 60 * 60),
        "follows": Rule("follows", follows, 24 * 60 * 60),
        # Failed sign-ins, web and OAuth password grant (obole.accounts.login_limits).
        "login_ip_username": Rule("login_ip_username", ip_username, 15 * 60),
        "login_ip": Rule("login_ip", ip, 15 * 60),
        "login_username": Rule("login_username", username, 15 * 60),
    }


@dataclass(frozen=True)
class Count:
    rule: Rule
    used: int
    reset: float  # epoch seconds when the window ends

    @property
    def exceeded(self) -> bool:
        return self.used > self.rule.limit

    @property
    def remaining(self) -> int:
        return max(0, self.rule.limit - self.used)

    def apply(self, response: HttpResponse) -> HttpResponse:
        response["X-RateLimit-Limit"] = str(self.rule.limit)
        response["X-RateLimit-Remaining"] = str(self.remaining)
        reset = datetime.fromtimestamp(self.reset, UTC)
        response["X-RateLimit-Reset"] = reset.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return response

    def message(self) -> str:
        wait = max(1, int(self.reset - time.time()))
        return f"Too many requests. Try again in {wait} seconds."


def peek(name: str, who: str) -> Count | None:
    """How much of limit `name` `who` has used in this window, without counting a use."""
    rule = rules()[name]
    if rule.limit <= 0:
        return None
    window = int(time.time()) // rule.period
    key = f"rl:{name}:{who}:{window}"
    used = cache.get(key, 0) if _shared() else _local.get(key, (0, 0))[1]
    return Count(rule, used, reset=(window + 1) * rule.period)


def hit(name: str, who: str) -> Count | None:
    """Count one use of limit `name` by `who`; None when the limit is off."""
    rule = rules()[name]
    if rule.limit <= 0:
        return None
    window = int(time.time()) // rule.period
    used = _count(f"rl:{name}:{who}:{window}", rule.period + 5)
    return Count(rule, used, reset=(window + 1) * rule.period)


def _count(key: str, timeout: int) -> int:
    """Add one to the counter `key`, made with `timeout` if missing; the new count."""
    backend = _shared()
    if backend is not None:
        # One round trip instead of three (add, then incr's exists and incr): every API call
        # pays it. The value is a plain integer, as Django's Redis cache stores integers.
        full = backend.make_and_validate_key(key)
        pipe = _redis_client(backend).pipeline(transaction=False)
        pipe.execute_command("SET", full, 0, "EX", timeout, "NX")
        pipe.execute_command("INCR", full)
        return pipe.execute()[1]
    return _local_count(key, timeout)


def _shared() -> RedisCache | None:
    """The Redis cache that every process counts in, if there is one."""
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


# Counters of this process, when there is no Redis: key -> (monotonic time it expires, count).
_local: dict[str, tuple[float, int]] = {}
_local_lock = threading.Lock()
# Past this many keys, the expired ones are dropped (every window's keys are new keys), and if
# that is not enough (more callers in one window than this), the older half: those counts
# start again from zero, which is generous, never stricter. About 150 bytes a key.
LOCAL_KEYS = 200_000


def _local_count(key: str, timeout: int) -> int:
    now = time.monotonic()
    with _local_lock:
        expires, used = _local.get(key, (0.0, 0))
        if expires <= now:
            expires, used = now + timeout, 0
        _local[key] = (expires, used + 1)
        if len(_local) > LOCAL_KEYS:
            _drop_some(now)
    return used + 1


def _drop_some(now: float) -> None:
    for stale in [key for key, (ends, _) in _local.items() if ends <= now]:
        del _local[stale]
    if len(_local) > LOCAL_KEYS // 2:
        for old in list(_local)[: len(_local) // 2]:  # the first made: insertion order
            del _local[old]


def forget() -> None:
    """Drop every count of this process (and Redis's, when configured): tests start from none."""
    with _local_lock:
        _local.clear()
    cache.clear()


def _redis_client(backend: RedisCache):
    """One Redis client per cache object (Django makes one per thread) over its connection pool.
    Django's cache makes a new client object for each call, which took a third of a
    verify_credentials call's time."""
    client = getattr(backend, "_obole_client", None)
    if client is None:
        client = backend._cache._lib.Redis(connection_pool=backend._cache._get_connection_pool(write=True))
        backend._obole_client = client
    return client
