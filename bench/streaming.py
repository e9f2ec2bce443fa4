"""Streaming latency: from a post's HTTP answer to its `update` event on a follower's stream.

Method: `obole serve` (2 web workers, its task worker and its streaming
server) on a fresh data directory, started as the live tests start it. Two
members sign up and pay through the API; the reader follows the writer and
opens its user stream (server-sent events, read line by line in a thread).
The writer then posts `--posts` statuses one after the other; for each, the
latency is the time from the POST's answer (read by the client) to the
arrival of the `update` event carrying that status id on the reader's stream.
The next post is sent when the event has arrived, so throughput here is
sequential round trips per second, not the server's capacity.

The event crosses three processes: the web worker commits the post, the task
worker fans it out and publishes, the streaming process decides, renders
and writes. Transport: the outbox table on SQLite (the default), or Redis
pub/sub when OBOLE_DATABASE_URL (PostgreSQL) and OBOLE_REDIS_URL are set in
the environment.

    .venv/bin/python bench/streaming.py --posts 200 [--record]
    OBOLE_DATABASE_URL=postgres://… OBOLE_REDIS_URL=redis://…/3 .venv/bin/python bench/streaming.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")  # the test helpers import Django

import django  # noqa: E402

django.setup()

from mastodon import Mastodon  # noqa: E402

from tests.conftest import numbered_card  # noqa: E402
from tests.live import serve  # noqa: E402
from tests.test_mastodon_py import pay, sign_up  # noqa: E402

SCOPES = ["read", "write", "follow", "push"]


class Stream(threading.Thread):
    """Reads a server-sent event stream; records when each `update` arrives, by status id."""

    def __init__(self, host: str, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.connection = http.client.HTTPConnection(host, port, timeout=60)
        self.connection.request("GET", "/api/v1/streaming/user", headers={"Authorization": f"Bearer {token}"})
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.read()
        self.arrived: dict[str, float] = {}
        self.changed = threading.Condition()

    def run(self) -> None:
        event = None
        while True:
            try:
                line = self.response.readline()
            except (OSError, AttributeError):  # closed at the end of the run
                return
            if not line:
                return
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "update":
                status_id = json.loads(line[6:])["id"]
                with self.changed:
                    self.arrived[status_id] = time.perf_counter()
                    self.changed.notify_all()

    def wait_for(self, status_id: str, timeout: float) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: status_id in self.arrived, timeout):
                raise TimeoutError(f"no update for {status_id} within {timeout} s")
            return self.arrived[status_id]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(posts: int) -> dict:
    redis = os.environ.get("OBOLE_REDIS_URL", "")
    transport = "redis pub/sub (PostgreSQL)" if redis else "outbox table (SQLite)"
    settings = {"OBOLE_RATE_LIMIT_REQUESTS": "0", "OBOLE_RATE_LIMIT_POSTS": "0", "OBOLE_SIGNUPS_PER_IP": "0"}
    if redis:
        settings["OBOLE_REDIS_URL"] = redis
    with tempfile.TemporaryDirectory() as data, serve(Path(data), "benchstreaming", **settings) as (base, _):
        app = Mastodon.create_app("Streaming bench", scopes=SCOPES, api_base_url=base)
        writer, reader = (sign_up(base, app, name) for name in ("writer", "reader"))
        pay(base, writer, numbered_card(9001))
        pay(base, reader, numbered_card(9002))
        reader.account_follow(writer.me().id)
        with urllib.request.urlopen(base + "/api/v1/instance", timeout=10) as answer:  # noqa: S310 (our own server)
            streaming = json.loads(answer.read())["urls"]["streaming_api"].removeprefix("ws://")
        host, port = streaming.rsplit(":", 1)
        stream = Stream(host, int(port), reader.access_token)
        stream.start()
        latencies = []
        started = time.perf_counter()
        for n in range(posts):
            status = writer.status_post(f"Post number {n}")
            answered = time.perf_counter()
            latencies.append((stream.wait_for(status.id, 10) - answered) * 1000)
        took = time.perf_counter() - started
        stream.connection.close()
    return {
        "transport": transport,
        "posts": posts,
        "per_second": posts / took,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--record", action="store_true", help="append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    result = measure(args.posts)
    line = (
        f"| {result['transport']} | {result['posts']} | {result['per_second']:.1f} | {result['p50']:.1f} "
        f"| {result['p99']:.1f} | {result['max']:.1f} |"
    )
    print("| transport | posts | round trips/s | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|")
    print(line)
    if args.record:
        command = " ".join(["bench/streaming.py", *sys.argv[1:]])
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        section = (
            f"\n## Streaming — {when}\n\nMachine: {machine}. Command: `.venv/bin/python {command}`.\n"
            "Method: see the docstring of bench/streaming.py (POST answered → `update` event received "
            "on a follower's user stream, one post at a time, through the task worker's fan-out).\n\n"
            "| transport | posts | round trips/s | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n"
            f"{line}\n"
        )
        with (Path(__file__).parent / "RESULTS.md").open("a") as results:
            results.write(section)


if __name__ == "__main__":
    main()
