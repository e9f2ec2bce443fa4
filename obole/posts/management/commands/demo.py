"""`obole demo [--members 150] [--days 21] [--seed 1]`: seed a believable network to explore."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from obole.lib.env import env_bool
from obole.posts import demo

MAX_MEMBERS = 10_000
MAX_DAYS = 365


class BarProgress(demo.Progress):
    """A bar per phase of the generator."""

    def __init__(self, bar: Progress):
        self.bar = bar
        self.task = None

    def phase(self, name: str, total: int) -> None:
        self.task = self.bar.add_task(name, total=total)

    def advance(self, count: int = 1) -> None:
        self.bar.advance(self.task, count)


class Command(BaseCommand):
    help = "Seed this database with a believable network: members, follows, posts, replies, likes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=150, help="how many members (default 150)")
        parser.add_argument("--days", type=int, default=21, help="how many days of posts (default 21)")
        parser.add_argument("--seed", type=int, default=1, help="the same seed makes the same network")
        parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")

    def handle(self, *args, members: int, days: int, seed: int, **options) -> None:
        if not 5 <= members <= MAX_MEMBERS:
            raise CommandError(f"--members must be between 5 and {MAX_MEMBERS}")
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}")
        if not options["no_migrate"] and env_bool("OBOLE_AUTO_MIGRATE", True):
            call_command("migrate", interactive=False, verbosity=0)
        columns = (
            TextColumn("{task.description:<26}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        # Every payment and renewal logs a line; hundreds of them would bury the bars and the summary.
        quiet = logging.getLogger("obole")
        level = quiet.level
        if options["verbosity"] < 2:
            quiet.setLevel(logging.WARNING)
        try:
            with Progress(*columns, disable=not self.stdout.isatty()) as bar:
                summary = demo.seed(members=members, days=days, seed=seed, progress=BarProgress(bar))
        except demo.AlreadySeeded as error:
            self.stdout.write(str(error))
            return
        finally:
            quiet.setLevel(level)
        self.report(summary)

    def report(self, s: demo.Summary) -> None:
        self.stdout.write(
            f"Seeded a demo network in {s.seconds:.1f} s: {s.members} members "
            f"({s.paid} paid, {s.unpaid} unpaid, {s.lapsed} lapsed), {s.follows:,} follows, "
            f"{s.posts:,} posts ({s.replies:,} of them replies, {s.mentions:,} mentioning a friend), "
            f"{s.likes:,} likes, {s.reposts:,} reposts."
        )
        self.stdout.write("")
        self.stdout.write(f"Log in at {settings.OBOLE_BASE_URL}/auth/sign_in (start it with `obole serve`)")
        self.stdout.write(f"  username: {s.username}")
        self.stdout.write(f"  password: {s.password}")
        self.stdout.write("The password is shown only this once. The other members cannot log in.")
