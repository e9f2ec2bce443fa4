"""A real `obole serve` on a fresh data directory, for the tests that drive it over HTTP."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_postgres_database(label: str) -> str:
    import psycopg

    name = f"obole_{label}_{os.getpid()}"
    admin = os.environ["OBOLE_DATABASE_URL"].rsplit("/", 1)[0]
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin}/{name}"


@contextlib.contextmanager
def serve(
    data_dir: Path, label: str, *, args: tuple[str, ...] = ("--workers", "2"), **settings: str
) -> Iterator[tuple[str, dict]]:
    """Start `obole serve` (2 workers, unless `args` say otherwise) and yield its base URL and environment.

    On PostgreSQL runs the server gets a database of its own, so its migrations
    never meet the test database.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBOLE_")}
    env["OBOLE_DATA_DIR"] = str(data_dir)
    on_postgres = os.environ.get("OBOLE_DATABASE_URL", "").startswith("postgres")
    if on_postgres and "OBOLE_DATABASE_URL" not in settings:
        env["OBOLE_DATABASE_URL"] = fresh_postgres_database(label)
    port = free_port()
    if "--no-streaming" not in args:
        # The streaming server `obole serve` starts next to it, on a free port too.
        streaming_port = free_port()
        args = (*args, "--streaming-port", str(streaming_port))
    # Links in posts are made with OBOLE_BASE_URL: point them at this server, not the default port.
    env["OBOLE_BASE_URL"] = f"http://127.0.0.1:{port}"
    env.update(settings)
    # The output goes to a file, not a pipe nobody reads: a server that logs a warning for each of
    # thousands of 4xx answers (a fuzzer's) would fill the pipe and stop, and every request would hang.
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "obole", "serve", "--port", str(port), *args],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # migrations and collectstatic on a loaded machine can take minutes
    ready = [base + "/"]
    if "--no-streaming" not in args:
        ready.append(f"http://127.0.0.1:{streaming_port}/api/v1/streaming/health")
    while ready:
        try:
            urllib.request.urlopen(ready[0], timeout=2)
            ready.pop(0)
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the server did not start:\n" + (data_dir / "serve.log").read_text())
            time.sleep(0.2)
    try:
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
