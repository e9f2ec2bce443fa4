"""A bounded per-process mapping for caches whose entries are never wrong, only old."""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from typing import Any


class Bounded:
    """A bounded mapping: past `size` entries, the oldest half goes. Cheaper than a true LRU on
    every hit (the hot path), and an entry that goes is only made again. Safe under threads:
    a race can at worst make an entry twice or drop one early, never hand out a wrong one,
    as long as a key names its value exactly (the caches using it put versions in their keys,
    or check the entry against what was read)."""

    def __init__(self, size: int):
        self.size = size
        self.entries: dict[Hashable, Any] = {}
        self.get = self.entries.get

    def put(self, key: Hashable, value: Any) -> None:
        entries = self.entries
        entries[key] = value
        if len(entries) > self.size:
            try:
                oldest = list(itertools.islice(entries, len(entries) // 2))
            except RuntimeError:  # another thread changed it meanwhile: start afresh
                entries.clear()
                return
            for old in oldest:
                entries.pop(old, None)

    def clear(self) -> None:
        self.entries.clear()
