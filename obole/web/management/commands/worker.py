"""`obole worker`: run background tasks (Huey consumer), including scheduled billing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import autodiscover_modules


class Command(BaseCommand):
    help = "Run background tasks: scheduled billing now, fan-out and more as they come."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=2, help="tasks run at once (default 2)")

    def handle(self, *args, threads: int, **options) -> None:
        from huey.contrib.djhuey import HUEY

        autodiscover_modules("tasks")
        # The consumer stops cleanly on SIGTERM or SIGINT, letting running tasks finish.
        HUEY.create_consumer(workers=max(1, threads), worker_type="thread", periodic=True).run()
