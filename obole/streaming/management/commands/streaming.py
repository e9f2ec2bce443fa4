"""`obole streaming`: the streaming server alone (Granian, ASGI), for production.

`obole serve` starts one next to the web server; in production run as many as
needed, on as many machines, behind a proxy that routes /api/v1/streaming to
them. With OBOLE_REDIS_URL every one of them serves every stream.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from obole.lib.env import env_bool

STOP_SECONDS = 3


class Command(BaseCommand):
    help = "Run the streaming server (Mastodon's streaming API: live timelines and notifications)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--workers", type=int, default=1, help="processes (each serves every stream)")

    def handle(self, *args, host: str, port: int, workers: int, **options) -> None:
        from granian import Granian
        from granian.constants import Interfaces

        if workers < 1:
            raise CommandError("--workers must be at least 1")
        self.stdout.write(f"Obole streaming on ws://{host}:{port}/api/v1/streaming")
        self.stdout.flush()
        Granian(
            "obole.streaming.asgi:application",
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            log_access=env_bool("OBOLE_ACCESS_LOG", False),
            # Streams never end by themselves: on shutdown, a worker still holding some is stopped.
            workers_kill_timeout=STOP_SECONDS,
        ).serve()
