"""The figures of the operator dashboard (/staff/economics), day by day over a window.

- revenue: net ledger amounts per day and currency (charges minus refunds and disputes);
- members by state at the end of each day, rebuilt backwards from today's counts
  by undoing the state changes logged since (MembershipEvent) and removing the
  accounts that joined later (they start in pending_payment without an event);
- bot pressure: requests refused per day, by stage (sign-up, app registration,
  payment, write) and rule, as the server counts them when it refuses
  (obole.trust.counters.refused; read through obole.trust.stats.refusals).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from obole.accounts.models import Account
from obole.membership import states
from obole.membership.models import LedgerEntry, Membership, MembershipEvent


def day_list(now: datetime, days: int) -> list[date]:
    today = now.date()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def revenue(now: datetime, days: int) -> dict:
    since = now - timedelta(days=days)
    rows = (
        LedgerEntry.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    per_day: dict[str, dict[date, int]] = defaultdict(dict)
    for day, currency, total in rows:
        per_day[currency][day] = total
    return {"all_time": LedgerEntry.objects.revenue(), "per_day": per_day}


def members_by_state(now: datetime, days: int) -> dict[str, list[int]]:
    """For each day of the window, how many memberships were in each state at its end."""
    window = day_list(now, days)
    counts = Counter(dict(Membership.objects.values_list("state").annotate(n=Count("pk")).order_by()))
    start = timezone.make_aware(datetime.combine(window[0], datetime.min.time())) + timedelta(days=1)
    events = list(
        MembershipEvent.objects.filter(at__gte=start)
        .order_by("-at")
        .values_list("at", "from_state", "to_state")
    )
    joined = list(
        Account.objects.filter(date_joined__gte=start, membership__isnull=False)
        .order_by("-date_joined")
        .values_list("date_joined", flat=True)
    )
    series: dict[str, list[int]] = {state: [] for state, _ in states.CHOICES}
    for day in reversed(window):
        end = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(days=1)
        while events and events[0][0] >= end:
            _, source, target = events.pop(0)
            counts[target] -= 1
            counts[source] += 1
        while joined and joined[0] >= end:
            joined.pop(0)
            counts[states.PENDING_PAYMENT] -= 1
        for state in series:
            series[state].append(counts[state])
    return {state: list(reversed(values)) for state, values in series.items() if any(values)}


def refused(now: datetime, days: int) -> dict[str, dict[date, int]]:
    """Refused requests per "stage: rule" and day over the window."""
    from obole.trust.stats import refusals

    window = day_list(now, days)
    return {
        f"{stage.replace('_', ' ')}: {rule}": per_day
        for (stage, rule), per_day in refusals(window[0], window[-1]).items()
    }


def on_days(values: dict[date, int], window: list[date]) -> list[int]:
    return [values.get(day, 0) for day in window]
