"""64-bit, time-ordered identifiers.

Layout, most significant bit first (the same idea as Mastodon's IDs, so clients
that sort IDs as numbers or compare their lengths keep working):

    0 | 47 bits: milliseconds since the Unix epoch | 16 bits: sequence

The sign bit stays 0 so the value fits PostgreSQL's and SQLite's signed 64-bit
integers. 47 bits of milliseconds last until the year 6429. The 16-bit sequence
starts at a random value each millisecond in each process, which keeps IDs from
separate web and worker processes apart without coordination, and counts up
within the millisecond so that IDs from one process are strictly increasing.
Two processes minting in the same millisecond collide with a probability of
about 1 in 65,536 per pair of IDs; the primary key turns that rare event into
an error rather than a silent overwrite.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime

_SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1

_lock = threading.Lock()
_last_ms = 0
_sequence = 0


def next_id() -> int:
    global _last_ms, _sequence
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            # Same millisecond (or the clock stepped back): keep counting on the last one.
            _sequence = (_sequence + 1) & _SEQUENCE_MASK
            if _sequence == 0:
                _last_ms += 1
            now_ms = _last_ms
        else:
            _sequence = secrets.randbelow(1 << (_SEQUENCE_BITS - 1))
            _last_ms = now_ms
        return (now_ms << _SEQUENCE_BITS) | _sequence


def id_at(moment: datetime) -> int:
    """The smallest ID minted at `moment`: a bound for time-range queries on IDs."""
    return int(moment.timestamp() * 1000) << _SEQUENCE_BITS


def parse_id(value: object) -> int:
    """An id sent by a client, as a number a BIGINT column holds; ValueError for anything else
    (letters, negative numbers, numbers of 2**63 or more, which the database would refuse)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or int(text) >= 2**63:
        raise ValueError(f"not an id: {value!r}")
    return int(text)
