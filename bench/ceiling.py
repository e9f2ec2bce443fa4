"""The bare ceiling for bench/social.py: one Django view that reads one row, no middleware.

    .venv/bin/python bench/ceiling.py --port 8001 [--workers 2]

It is served exactly as `obole serve` serves Obole (Granian, WSGI, the same
workers, threads and backpressure) against the same database, so that
"requests/s of an endpoint / requests/s of the ceiling" says how much of the
budget the endpoint's own work takes, on this machine, whatever the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path

# Always its own settings, even when started from a shell or test run that names Obole's.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.ceiling_settings"


def one_row(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, username FROM accounts_account ORDER BY id LIMIT 1")
        account_id, username = cursor.fetchone()
    return JsonResponse({"id": str(account_id), "username": username})


urlpatterns = [path("ceiling", one_row)]


def main() -> None:
    from granian import Granian
    from granian.constants import Interfaces

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    # Granian's workers import "bench.ceiling", which lives beside the obole package.
    root = str(Path(__file__).resolve().parent.parent)
    sys.path.insert(0, root)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    from granian.http import HTTP1Settings

    from obole.web.management.commands.serve import (
        DEFAULT_CONNECTIONS,
        HEADER_READ_TIMEOUT_MS,
        room_for_connections,
    )

    # As `obole serve` sets them: backpressure counts open connections, not requests.
    Granian(
        "bench.ceiling:application",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=args.threads,
        backpressure=room_for_connections(DEFAULT_CONNECTIONS),
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
    ).serve()


if __name__ == "__main__":
    main()
else:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
