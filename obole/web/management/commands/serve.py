"""`obole serve`: migrate, collect static files, start a task worker and the streaming server
(`obole streaming`, on --streaming-port), and run Granian (WSGI)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from argparse import BooleanOptionalAction

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from obole.lib.env import env_bool

DEFAULT_CONNECTIONS = 4096
# A client that has not sent a request's headers this long after it began (or,
# on a kept-alive connection, after the last response) is dropped: slow-loris
# clients cannot hold connections for ever.
HEADER_READ_TIMEOUT_MS = 10_000


def room_for_connections(wanted: int) -> int:
    """Raise this process's open-file limit toward `wanted` sockets; return how many fit.

    Each connection is a file descriptor; accepting past the limit would fail.
    Leave some descriptors for the database, log files and the listener.
    """
    import resource

    spare = 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted + spare:
        target = wanted + spare if hard == resource.RLIM_INFINITY else min(hard, wanted + spare)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - spare))


def _die_with_parent() -> None:
    """In the worker child: receive SIGTERM if `obole serve` dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _follow_the_port(host: str, port: int) -> None:
    """Without OBOLE_BASE_URL (and outside production), links are made with the address this
    server is started on: `obole serve --port 8765` must not write links to port 8000. Set in
    the environment, so the web workers and the task worker that this process starts agree."""
    if settings.PRODUCTION or os.environ.get("OBOLE_BASE_URL"):
        return
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    os.environ["OBOLE_BASE_URL"] = settings.OBOLE_BASE_URL = f"http://{shown}:{port}"


def _follow_the_streaming_port(host: str, port: int) -> None:
    """Without OBOLE_STREAMING_URL, the streaming address the instance endpoints advertise (and the
    pages connect to) is the base URL's host on the port the streaming server is started on."""
    if os.environ.get("OBOLE_STREAMING_URL"):
        return
    from urllib.parse import urlsplit

    base = urlsplit(settings.OBOLE_BASE_URL)
    if base.port is None:
        return  # behind a proxy on the default port: the same origin (settings.py)
    scheme = "wss" if base.scheme == "https" else "ws"
    address = f"{scheme}://{base.netloc.rsplit(':', 1)[0]}:{port}"
    # The web workers are forked from this process, whose settings were read already: the
    # pages' Content-Security-Policy must name the same origin the pages connect to.
    from obole.web.csp import content_security_policy, csp_source

    sources = settings.CSP_EXTRA_SOURCES["connect-src"]
    sources[:] = [s for s in sources if s != csp_source(settings.OBOLE_STREAMING_URL, "OBOLE_STREAMING_URL")]
    sources.append(csp_source(address, "OBOLE_STREAMING_URL"))
    settings.CONTENT_SECURITY_POLICY = content_security_policy(settings.CSP_EXTRA_SOURCES)
    os.environ["OBOLE_STREAMING_URL"] = settings.OBOLE_STREAMING_URL = address


class Command(BaseCommand):
    help = "Run the Obole web server (Granian) after applying migrations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="web worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker for blocking I/O")
        parser.add_argument(
            "--connections",
            type=int,
            default=DEFAULT_CONNECTIONS,
            help="open connections per worker, idle keep-alive ones included (default %(default)s)",
        )
        parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
        parser.add_argument(
            "--task-worker",
            action=BooleanOptionalAction,
            default=not settings.PRODUCTION,
            help="also run `obole worker` (default: on, except with OBOLE_PRODUCTION)",
        )
        parser.add_argument(
            "--streaming-port",
            type=int,
            default=None,
            help="port of the streaming server started next to the web server (default: --port + 1)",
        )
        parser.add_argument(
            "--streaming",
            action=BooleanOptionalAction,
            default=True,
            help="also run `obole streaming` (default: on)",
        )

    def handle(self, *args, host: str, port: int, workers: int, threads: int, **options) -> None:
        from granian import Granian
        from granian.constants import Interfaces
        from granian.http import HTTP1Settings

        if threads < 1 or workers < 1 or options["connections"] < 1:
            raise CommandError("--workers, --threads and --connections must be at least 1")
        connections = room_for_connections(options["connections"])

        _follow_the_port(host, port)
        streaming_port = options["streaming_port"] or port + 1
        if options["streaming"]:
            _follow_the_streaming_port(host, streaming_port)
        if not options["no_migrate"] and env_bool("OBOLE_AUTO_MIGRATE", True):
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        database = settings.DATABASES["default"]
        where = (
            database["NAME"] if "sqlite" in database["ENGINE"] else f"{database['HOST']}/{database['NAME']}"
        )
        self.stdout.write(
            f"Obole on http://{host}:{port}/  (database {where}; payments: {settings.OBOLE_PAYMENT_PROVIDER};"
            f" data directory {settings.DATA_DIR})"
        )
        self.stdout.flush()
        children = []
        if options["task_worker"]:
            children.append(
                subprocess.Popen([sys.executable, "-m", "obole", "worker"], preexec_fn=_die_with_parent)  # noqa: PLW1509
            )
        if options["streaming"]:
            command = ["streaming", "--host", host, "--port", str(streaming_port)]
            children.append(
                subprocess.Popen([sys.executable, "-m", "obole", *command], preexec_fn=_die_with_parent)  # noqa: PLW1509
            )
        try:
            Granian(
                "obole.wsgi:application",
                address=host,
                port=port,
                interface=Interfaces.WSGI,
                workers=workers,
                blocking_threads=threads,
                # Granian's backpressure counts open connections, not requests: a
                # permit is held for a connection's whole life. Set to the thread
                # count, four idle sockets would stop the server answering anyone.
                # Requests are limited by the blocking threads; connections only by
                # what the process may hold open.
                backpressure=connections,
                http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
                log_access=env_bool("OBOLE_ACCESS_LOG", False),
            ).serve()
        finally:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
