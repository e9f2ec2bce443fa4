"""Limits on failed sign-ins, for the web form and the OAuth password grant alike.

Three fixed 15-minute windows, counted in the cache with obole.api.ratelimit:
per address and username (OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME, 10), per
address (OBOLE_LOGIN_FAILURES_PER_IP, 50) and per username from anywhere
(OBOLE_LOGIN_FAILURES_PER_USERNAME, 100). Only failures count, so a member who
signs in correctly never uses up anything; but once a limit is reached every
attempt is refused until the window ends — a correct password included, or the
limit would not stop a guesser.

Usernames are counted case-insensitively, as log-in matches them, and hashed:
cache keys should not carry whatever a client typed.
"""

from __future__ import annotations

import hashlib
import time

from obole.api import ratelimit
from obole.api.ratelimit import Count


def _keys(ip: str | None, username: str) -> list[tuple[str, str]]:
    name = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
    address = ip or "unknown"
    return [
        ("login_ip_username", f"{address}:{name}"),
        ("login_ip", address),
        ("login_username", name),
    ]


def refusal(ip: str | None, username: str) -> Count | None:
    """The limit this sign-in attempt would go past, or None if it may be tried."""
    for name, who in _keys(ip, username):
        count = ratelimit.peek(name, who)
        if count is not None and count.used >= count.rule.limit:
            return count
    return None


def record_failure(ip: str | None, username: str) -> None:
    for name, who in _keys(ip, username):
        ratelimit.hit(name, who)


def retry_after(count: Count) -> int:
    """Seconds until the window of `count` ends."""
    return max(1, int(count.reset - time.time()))


def message(count: Count) -> str:
    minutes = max(1, round(retry_after(count) / 60))
    return (
        "Too many failed sign-in attempts. For your safety, signing in is paused; "
        f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
