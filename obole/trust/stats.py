"""What the trust system stopped, flagged and did, per rule and day.

Read by `obole trust stats` and the staff dashboards (/staff/trust, and the
bot pressure of /staff/economics). Rule hits come from RuleHit and refused
requests from Refusal (both counted as they happen); flags, reports and
moderation actions from their own tables.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from html import escape

from django.db.models import Count
from django.db.models.functions import TruncDate

from obole.trust.counters import STAGES
from obole.trust.models import AuditEntry, Refusal, Report, RuleHit


def refusals(since: date, until: date) -> dict[tuple[str, str], dict[date, int]]:
    """Requests refused per (stage, rule) and day, stages in the order a bot meets them."""
    found: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    rows = Refusal.objects.filter(day__gte=since, day__lte=until).values_list("stage", "rule", "day", "count")
    for stage, rule, day, count in rows:
        found[(stage, rule)][day] = count
    order = {stage: n for n, stage in enumerate(STAGES)}
    return dict(sorted(found.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0][1])))


def collect(since: date, until: date | None = None) -> dict:
    until = until or date.today()
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    per_rule: dict[str, dict[str, int]] = defaultdict(dict)
    for rule, day, count in RuleHit.objects.filter(day__gte=since, day__lte=until).values_list(
        "rule", "day", "count"
    ):
        per_rule[rule][day.isoformat()] = count
    actions = dict(
        AuditEntry.objects.filter(created_at__date__gte=since)
        .values_list("action")
        .annotate(n=Count("id"))
        .order_by()
    )
    opened = (
        Report.objects.filter(created_at__date__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "reporter")
    )
    reports, flags = defaultdict(int), defaultdict(int)
    for day, reporter in opened:
        (reports if reporter else flags)[day.isoformat()] += 1
    refused = refusals(since, until)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": [d.isoformat() for d in days],
        "rules": {
            rule: {"total": sum(by_day.values()), "by_day": by_day}
            for rule, by_day in sorted(per_rule.items())
        },
        "refused": [
            {
                "stage": stage,
                "rule": rule,
                "total": sum(by_day.values()),
                "by_day": {day.isoformat(): count for day, count in sorted(by_day.items())},
            }
            for (stage, rule), by_day in refused.items()
        ],
        "reports": sum(reports.values()),
        "flags": sum(flags.values()),
        "open_queue": Report.objects.filter(resolved_at=None).count(),
        "actions": actions,
        "hits_by_day": [sum(r.get(d.isoformat(), 0) for r in per_rule.values()) for d in days],
        "flags_by_day": [flags.get(d.isoformat(), 0) for d in days],
        "reports_by_day": [reports.get(d.isoformat(), 0) for d in days],
    }


_LABEL = 'font-size="11" fill="currentColor"'


def svg_chart(report: dict, width: int = 640, height: int = 220) -> str:
    """A bar chart of rule hits per day (inline SVG, no script), with flags and reports as a line of dots."""
    days = report["days"]
    series = report["hits_by_day"]
    queued = [f + r for f, r in zip(report["flags_by_day"], report["reports_by_day"], strict=True)]
    top = max([1, *series, *queued])
    left, bottom, pad = 36, 28, 8
    plot_w, plot_h = width - left - pad, height - bottom - pad
    step = plot_w / max(1, len(days))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="trust-chart-title" class="chart">',
        '<title id="trust-chart-title">Rule hits per day (bars) and items sent to the queue (dots)</title>',
        f'<line x1="{left}" y1="{pad + plot_h}" x2="{width - pad}" y2="{pad + plot_h}" '
        'stroke="currentColor"/>',
        f'<text x="{left - 4}" y="{pad + 10}" {_LABEL} text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{pad + plot_h}" {_LABEL} text-anchor="end">0</text>',
    ]
    for n, (day, value, q) in enumerate(zip(days, series, queued, strict=True)):
        x = left + n * step
        bar = plot_h * value / top
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{pad + plot_h - bar:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bar:.1f}" fill="#5b6ee1"><title>{escape(day)}: {value} rule hits</title></rect>'
        )
        if q:
            parts.append(
                f'<circle cx="{x + step / 2:.1f}" cy="{pad + plot_h - plot_h * q / top:.1f}" r="4" '
                f'fill="#d9534f"><title>{escape(day)}: {q} sent to the queue</title></circle>'
            )
        if n % max(1, len(days) // 7) == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
                f'fill="currentColor">{escape(day[5:])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
