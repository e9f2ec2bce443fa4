"""`obole trust stats [--since 2026-11-01 | --since 7d] [--json]`: hits per rule, refusals, flags, actions."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from obole.trust import stats


def parse_since(text: str) -> date:
    today = timezone.now().date()
    if re.fullmatch(r"\d{1,4}d", text):
        return today - timedelta(days=int(text[:-1]))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--since must be a date such as 2026-11-01 or a number of days such as 7d, not {text!r}"
        ) from None


class Command(BaseCommand):
    help = "Trust and safety: `stats` shows what each rule stopped, the flags raised and the actions taken."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["stats"])
        parser.add_argument("--since", default="7d", help="a date (2026-11-01) or days back (7d); default 7d")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args, **options) -> None:
        report = stats.collect(parse_since(options["since"]))
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(f"Trust and safety from {report['since']} to {report['until']}")
        self.stdout.write("\nRule hits (what was stopped, reviewed or counted):")
        if not report["rules"]:
            self.stdout.write("  none")
        width = max(
            [len(rule) for rule in report["rules"]]
            + [len(f"{row['stage']}: {row['rule']}") for row in report["refused"]]
            + [10]
        )
        for rule, row in report["rules"].items():
            self.stdout.write(f"  {rule:<{width}}  {row['total']:>7}")
        self.stdout.write("\nBot pressure (requests refused, by stage and rule):")
        if not report["refused"]:
            self.stdout.write("  none")
        for row in report["refused"]:
            name = f"{row['stage']}: {row['rule']}"
            self.stdout.write(f"  {name:<{width}}  {row['total']:>7}")
            for day, count in row["by_day"].items():
                self.stdout.write(f"    {day}  {count:>7}")
        self.stdout.write(f"\nReports from members: {report['reports']}")
        self.stdout.write(f"Automatic flags:      {report['flags']}")
        self.stdout.write(f"Open in the queue:    {report['open_queue']}")
        self.stdout.write("\nModeration actions:")
        if not report["actions"]:
            self.stdout.write("  none")
        for action, count in sorted(report["actions"].items()):
            self.stdout.write(f"  {action:<{width}}  {count:>7}")
