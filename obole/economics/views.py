"""/staff/economics: revenue, members by state, bot pressure and the latest simulated farm.

Staff only; everyone else gets 404, as if the page did not exist. Charts are
PNG images drawn on the server (charts.py) and served from it, staff-only too,
at /staff/economics/charts/<name>.png: the page runs no script and loads its
images from this server alone, as the Content-Security-Policy asks
(obole/web/csp.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
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


class Figures:
    """The dashboard's series over the window, read once per request."""

    def __init__(self, now: datetime):
        self.window = dashboard.day_list(now, WINDOW_DAYS)
        self.labels = [day.isoformat() for day in self.window]
        self.money = dashboard.revenue(now, WINDOW_DAYS)
        self.revenue = {
            currency: [value / 100 for value in dashboard.on_days(per_day, self.window)]
            for currency, per_day in self.money["per_day"].items()
        }
        self.members = dashboard.members_by_state(now, WINDOW_DAYS)
        self.refused = {
            name: dashboard.on_days(per_day, self.window)
            for name, per_day in dashboard.refused(now, WINDOW_DAYS).items()
        }

    def chart(self, name: str) -> bytes:
        if name == "revenue":
            return charts.time_series("Net revenue per day", "major units", self.labels, self.revenue)
        if name == "members":
            return charts.time_series(
                "Members by state at the end of each day", "members", self.labels, self.members, stacked=True
            )
        return charts.time_series(
            "Requests refused per day, by stage and rule", "refused", self.labels, self.refused, stacked=True
        )


DASHBOARD_CHARTS = ("revenue", "members", "pressure")
SIMULATION_CHARTS = ("outcomes", "timeline")


@staff_only
def economics(request: HttpRequest) -> HttpResponse:
    figures = Figures(timezone.now())
    labels, refused = figures.labels, figures.refused
    context = {
        "revenue_total": [
            format_amount(total, currency) for currency, total in sorted(figures.money["all_time"].items())
        ],
        "members_now": {LABELS.get(state, state): values[-1] for state, values in figures.members.items()},
        "refused_total": {name: sum(values) for name, values in refused.items()},
        "refused_days": [
            (labels[n], [(name, values[n]) for name, values in refused.items() if values[n]])
            for n in range(len(labels) - 1, -1, -1)
            if any(values[n] for values in refused.values())
        ],
        "latest": SimulationRun.objects.first(),
        "window_days": WINDOW_DAYS,
    }
    return render(request, "economics/dashboard.html", context)


@staff_only
def chart(request: HttpRequest, name: str) -> HttpResponse:
    """One of the dashboard's charts as a PNG from this server: the page's img-src is 'self' only."""
    if name in DASHBOARD_CHARTS:
        image = Figures(timezone.now()).chart(name)
    elif name in SIMULATION_CHARTS:
        latest = SimulationRun.objects.first()
        if latest is None:
            raise Http404("No simulation yet.")
        image = charts.simulation_charts(latest.summary)[name]
    else:
        raise Http404("No such chart.")
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response
