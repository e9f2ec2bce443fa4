"""Billing periods.

Periods are counted from the membership's anchor (the moment of the first
payment) so month lengths do not drift: an anchor on 31 January renews on
28 February, 31 March, 30 April — never creeping to the 28th forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

_STEP = {
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "year": relativedelta(years=1),
}


def boundary(anchor: datetime, interval: str, index: int) -> datetime:
    """The start of period number `index` (0 is the first)."""
    return anchor + _STEP[interval] * index


def next_boundary(anchor: datetime, interval: str, after: datetime) -> datetime:
    """The first period boundary strictly after `after`."""
    return boundary(anchor, interval, _next_index(anchor, interval, after))


def current_period(anchor: datetime, interval: str, at: datetime) -> tuple[datetime, datetime]:
    """The period running at `at`: (its start, at or before `at`; its end, after `at`)."""
    index = _next_index(anchor, interval, at)
    return boundary(anchor, interval, index - 1), boundary(anchor, interval, index)


# The average length of a step, to estimate an index before correcting it.
_AVERAGE = {"day": timedelta(days=1), "week": timedelta(weeks=1), "month": timedelta(days=365.2425 / 12)}
_AVERAGE["year"] = _AVERAGE["month"] * 12


def _next_index(anchor: datetime, interval: str, after: datetime) -> int:
    step = _STEP[interval]
    index = max(1, int((after - anchor) / _AVERAGE[interval]))
    while index > 1 and anchor + step * (index - 1) > after:
        index -= 1
    while anchor + step * index <= after:
        index += 1
    return index
