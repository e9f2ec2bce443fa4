"""/staff/economics: revenue, members by state, bot pressure and the latest simulated farm.

Staff only; everyone else gets 404, as if the page did not exist. Charts are
PNG images drawn on the server (charts.py) and embedded as data URIs, so the
page runs no script.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from obole.economics import charts, dashboard
from obole.economics.models import SimulationRun
from obole.lib.money import format_amount
from obole.membership import states

WINDOW_DAYS = 30
LABELS = dict(states.CHOICES)  # "pending_payment" → "pending payment"


def staff_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (request.user.is_authenticated and request.user.is_active and request.user.is_staff):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


@staff_only
def economics(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    window = dashboard.day_list(now, WINDOW_DAYS)
    labels = [day.isoformat() for day in window]
    money = dashboard.revenue(now, WINDOW_DAYS)
    revenue_series = {
        currency: [value / 100 for value in dashboard.on_days(per_day, window)]
        for currency, per_day in money["per_day"].items()
    }
    members = dashboard.members_by_state(now, WINDOW_DAYS)
    refused = {
        name: dashboard.on_days(per_day, window)
        for name, per_day in dashboard.refused(now, WINDOW_DAYS).items()
    }
    images = {
        "revenue": charts.time_series("Net revenue per day", "major units", labels, revenue_series),
        "members": charts.time_series(
            "Members by state at the end of each day", "members", labels, members, stacked=True
        ),
        "pressure": charts.time_series(
            "Requests refused per day, by stage and rule", "refused", labels, refused, stacked=True
        ),
    }
    latest = SimulationRun.objects.first()
    simulation_images = {}
    if latest is not None:
        simulation_images = {
            name: charts.data_uri(image) for name, image in charts.simulation_charts(latest.summary).items()
        }
    context = {
        "images": {name: charts.data_uri(image) for name, image in images.items()},
        "revenue_total": [
            format_amount(total, currency) for currency, total in sorted(money["all_time"].items())
        ],
        "members_now": {LABELS.get(state, state): values[-1] for state, values in members.items()},
        "refused_total": {name: sum(values) for name, values in refused.items()},
        "refused_days": [
            (labels[n], [(name, values[n]) for name, values in refused.items() if values[n]])
            for n in range(len(window) - 1, -1, -1)
            if any(values[n] for values in refused.values())
        ],
        "latest": latest,
        "simulation_images": simulation_images,
        "window_days": WINDOW_DAYS,
    }
    return render(request, "economics/dashboard.html", context)
