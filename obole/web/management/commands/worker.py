"""`obole worker`: run background tasks (Huey consumer): home-timeline fan-out, scheduled billing.

A follower should see a post within a second, so an idle consumer polls a
SQLite queue at least every MAX_POLL_DELAY seconds (Huey's default backs off
to 10 s; Redis queues block on the list instead of polling). On start it
queues a sweep of the fan-outs left pending by a previous run.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import autodiscover_modules

MAX_POLL_DELAY = 0.2


class Command(BaseCommand):
    help = "Run background tasks: home-timeline fan-out and scheduled billing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=2, help="tasks run at once (default 2)")

    def handle(self, *args, threads: int, **options) -> None:
        from huey.contrib.djhuey import HUEY

        autodiscover_modules("tasks")
        from obole.posts.tasks import sweep_fan_outs

        sweep_fan_outs()
        # The consumer stops cleanly on SIGTERM or SIGINT, letting running tasks finish.
        HUEY.create_consumer(
            workers=max(1, threads),
            worker_type="thread",
            periodic=True,
            initial_delay=0.02,
            backoff=1.5,
            max_delay=MAX_POLL_DELAY,
        ).run()
