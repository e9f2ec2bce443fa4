"""The default `obole serve` (one worker, four threads) against idle, slow and kept-alive clients.

Granian's backpressure holds a permit for each open connection; when it equalled
the thread count, four silent sockets stopped the server answering anyone.
Requests, not connections, are what the threads limit now.
"""

from __future__ import annotations

import http.client
import socket
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest

from tests.live import serve

pytestmark = pytest.mark.slow

DEFAULT_SERVE = ("--no-task-worker",)  # the default worker and thread counts


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("obole-serve")
    # The embedded default, SQLite in the data directory, on every run: what is
    # measured is the server, and the SQLite files are checked below.
    database = f"sqlite:///{data_dir / 'obole.sqlite3'}"
    with serve(data_dir, "connections", args=DEFAULT_SERVE, OBOLE_DATABASE_URL=database) as (base, _):
        parts = urlsplit(base)
        yield parts.hostname, parts.port, data_dir


def get(host: str, port: int, path: str = "/api/v1/instance", timeout: float = 5) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        conn.close()


def test_idle_and_slow_connections_do_not_stop_the_server_answering(server):
    host, port, _ = server
    with ExitStack() as stack:
        for _ in range(16):  # four times the thread count, connected and silent
            stack.enter_context(socket.create_connection((host, port)))
        for _ in range(8):  # slow clients: half a request line, then nothing
            slow = stack.enter_context(socket.create_connection((host, port)))
            slow.sendall(b"GET /api/v1/instance HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: app")
        answers = [get(host, port) for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert max(seconds for _, seconds in answers) < 2


def test_twenty_keep_alive_clients_do_not_starve_each_other(server):
    host, port, _ = server
    clients = 20

    def client(_: int) -> list[float]:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        took = []
        try:
            for _ in range(5):  # one connection, kept alive between requests
                started = time.monotonic()
                conn.request("GET", "/api/v1/instance")
                response = conn.getresponse()
                response.read()
                assert response.status == 200
                took.append(time.monotonic() - started)
                time.sleep(0.05)
        finally:
            conn.close()
        return took

    with ThreadPoolExecutor(clients) as pool:
        timings = [t for client_timings in pool.map(client, range(clients)) for t in client_timings]
    assert len(timings) == clients * 5
    assert max(timings) < 5, sorted(timings)[-5:]


def test_a_client_that_never_finishes_its_headers_is_dropped(server):
    host, port, _ = server
    with socket.create_connection((host, port)) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.settimeout(20)
        started = time.monotonic()
        try:
            leftover = slow.recv(1024)
        except ConnectionResetError:
            leftover = b""
        # Closed by the server after the header timeout (10 s), perhaps with a 408.
        assert leftover in (b"",) or leftover.startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < 15


def test_the_sqlite_database_and_its_wal_are_private(server):
    host, port, data_dir = server
    assert get(host, port, "/")[0] == 200  # the server has read and written by now
    files = [data_dir / name for name in ("obole.sqlite3", "obole.sqlite3-wal", "obole.sqlite3-shm")]
    for path in files:
        assert path.exists(), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_sqlite_files_made_by_an_older_version_are_made_private(tmp_path):
    import sqlite3

    from obole.lib.files import keep_sqlite_private

    database = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    for path in tmp_path.iterdir():
        path.chmod(0o644)
    keep_sqlite_private(database)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {
        "old.sqlite3": 0o600,
        "old.sqlite3-wal": 0o600,
        "old.sqlite3-shm": 0o600,
    }
    conn.close()


def test_a_new_sqlite_database_is_created_private_with_its_wal(tmp_path):
    import sqlite3

    from obole.lib.files import keep_sqlite_private

    database = tmp_path / "new.sqlite3"
    keep_sqlite_private(database)
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    conn.close()
    assert modes == {"new.sqlite3": 0o600, "new.sqlite3-wal": 0o600, "new.sqlite3-shm": 0o600}


def test_the_crash_harness_kills_the_server_under_posting_load_and_loses_no_acknowledged_post():
    """A small run of bench/crash_serve.py: every post answered 2xx is there after SIGKILLs."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("OBOLE_")}
    database = "sqlite"
    if os.environ.get("OBOLE_DATABASE_URL", "").startswith("postgres"):
        database, env["BENCH_POSTGRES"] = "postgresql", os.environ["OBOLE_DATABASE_URL"].rsplit("/", 1)[0]
    done = subprocess.run(
        [sys.executable, "bench/crash_serve.py", "--kills", "2", "--clients", "3", "--window", "3"]
        + ["--databases", database, "--no-record"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    row = re.search(r"kills (\d+)\s+acknowledged (\d+)\s+lost (\d+)", done.stdout)
    assert row, done.stdout
    kills, acknowledged, lost = map(int, row.groups())
    assert (kills, lost) == (2, 0)
    assert acknowledged > 0
