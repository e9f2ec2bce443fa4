"""Crash safety of posting: SIGKILL `obole serve` under posting load, then prove no acknowledged post is lost.

    .venv/bin/python bench/crash_serve.py [--kills 20] [--clients 8] [--seed 1]
                                         [--databases sqlite postgresql] [--no-record]

Method: for each database, a fresh database is migrated and seeded with
`--clients` paid members (each through the real sign-up and sandbox payment)
and an access token each. `obole serve` starts (one Granian worker, four
threads, no task worker) in a process group of its own; one thread per member
posts `POST /api/v1/statuses` in a loop on a kept-alive connection, and writes
down the id of every post answered with 2xx. After a delay drawn from a seeded
random generator (uniform in 0.5 s to `--window`) the whole server process
group is killed with SIGKILL, and started again; the clients reconnect and go
on. After `--kills` kills the load stops and every acknowledged id is looked
up in the database: a post answered 2xx and then not found is lost. Answers
other than 2xx (for example while the server starts) are counted apart; lost
must be zero.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from common import HERE, add_trial_arguments, machine, run_trial, run_trials, setup_django


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(clients: int) -> list[str]:
    from django.core.management import call_command
    from oauth2_provider.models import AccessToken, Application

    from obole.accounts.services import create_account
    from obole.membership import services
    from obole.membership.cards import luhn_valid
    from obole.membership.providers.sandbox import SandboxCard

    call_command("migrate", verbosity=0)
    app = Application.objects.create(
        name="crash", client_type="confidential", authorization_grant_type="password"
    )
    tokens = []
    for i in range(clients):
        account = create_account(f"poster{i}", "correct horse battery staple", f"poster{i}@example.org")
        body = f"42{i:013d}"  # not 4000 0000 0000 000x: those are the sandbox's declines
        number = next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))
        card = SandboxCard(card_number=number, exp_month=12, exp_year=datetime.now(UTC).year + 2, cvc="123")
        services.pay(account, card, now=datetime.now(UTC))
        raw = f"crash-{i}-{os.urandom(8).hex()}"
        expires = datetime(2099, 1, 1, tzinfo=UTC)
        AccessToken.objects.create(user=account, application=app, token=raw, scope="write", expires=expires)
        tokens.append(raw)
    return tokens


class Server:
    """`obole serve` in a process group of its own, so SIGKILL reaches Granian's worker too."""

    def __init__(self, port: int):
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self._spawn()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:  # the port was not free yet: try again
                    time.sleep(0.5)
                    self._spawn()
                time.sleep(0.1)
        raise RuntimeError("obole serve did not start within 120 s")

    def _spawn(self) -> None:
        argv = [sys.executable, "-m", "obole", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*argv, "--no-task-worker", "--no-migrate"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # Granian's worker is in the same group; wait until the whole group is gone.
        for _ in range(100):
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


class Poster(threading.Thread):
    def __init__(self, index: int, token: str, port: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.index, self.token, self.port, self.stop = index, token, port, stop
        self.acknowledged: list[int] = []
        self.refused = 0  # answered, but not 2xx
        self.broken = 0  # no answer: connection refused or cut by a kill

    def run(self) -> None:
        conn = None
        n = 0
        while not self.stop.is_set():
            n += 1
            body = json.dumps({"status": f"crash test {self.index}-{n}"})
            headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("POST", "/api/v1/statuses", body, headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                self.broken += 1
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.1)
                continue
            if 200 <= response.status < 300:
                self.acknowledged.append(int(json.loads(data)["id"]))
            else:
                self.refused += 1
        if conn is not None:
            conn.close()


def trial(args: argparse.Namespace) -> dict:
    setup_django()
    from django.db import connection

    from obole.posts.models import Status

    tokens = seed(args.clients)
    connection.close()
    rng = random.Random(args.seed)  # noqa: S311 (kill moments, drawn again from the seed)
    server = Server(free_port())
    server.start()
    stop = threading.Event()
    posters = [Poster(i, token, server.port, stop) for i, token in enumerate(tokens)]
    for poster in posters:
        poster.start()
    kills = 0
    try:
        while kills < args.kills:
            time.sleep(rng.uniform(0.5, args.window))
            server.kill()
            kills += 1
            server.start()
        time.sleep(1)
    finally:
        stop.set()
        for poster in posters:
            poster.join(timeout=15)
        server.kill()
    acknowledged = [i for poster in posters for i in poster.acknowledged]
    found = 0
    for start in range(0, len(acknowledged), 500):
        found += Status.objects.filter(pk__in=acknowledged[start : start + 500]).count()
    return {
        "kills": kills,
        "acknowledged": len(acknowledged),
        "lost": len(acknowledged) - found,
        "refused": sum(p.refused for p in posters),
        "broken": sum(p.broken for p in posters),
        "stored": Status.objects.count(),
    }


def measure(database: str, args: argparse.Namespace) -> dict:
    return run_trial(
        __file__,
        database,
        ["--kills", str(args.kills), "--clients", str(args.clients), "--seed", str(args.seed)]
        + ["--window", str(args.window)],
        prefix="crash-serve",
        # The load is the point here, not the per-account limits.
        settings={"OBOLE_RATE_LIMIT_REQUESTS": "0", "OBOLE_RATE_LIMIT_POSTS": "0"},
    )


def record(rows: list[dict], args: argparse.Namespace, machine: str, took: float) -> None:
    command = (
        f"`.venv/bin/python bench/crash_serve.py --kills {args.kills} --clients {args.clients} "
        f"--seed {args.seed} --window {args.window} --databases {' '.join(args.databases)}`"
    )
    lines = [
        f"\n## Crash safety of posting — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine}. Command: {command} ({took:.0f} s).",
        "Method: see the docstring of bench/crash_serve.py (the server's process group killed with SIGKILL "
        "at seeded random moments under posting load; every post answered 2xx looked up afterwards).",
        "",
        "| database | kills | posts acknowledged (2xx) | lost | answered not 2xx "
        "| no answer (cut by a kill) |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['database']} | {r['kills']} | {r['acknowledged']} | {r['lost']} | {r['refused']} | "
            f"{r['broken']} |"
            for r in rows
        ),
    ]
    with (HERE / "RESULTS.md").open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def show(row: dict) -> str:
    return (
        f"  {row['database']:10} kills {row['kills']}  acknowledged {row['acknowledged']}  "
        f"lost {row['lost']}  not 2xx {row['refused']}  no answer {row['broken']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="server kills, per database")
    parser.add_argument("--clients", type=int, default=8, help="members posting at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=4.0, help="kill within this many seconds of a start")
    add_trial_arguments(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(trial(args)))
        return

    print(f"Crash safety of posting — {machine()}; {args.clients} clients; seed {args.seed}")
    rows, took = run_trials(args, measure, show)
    if not args.no_record:
        record(rows, args, machine(), took)
    if any(r["lost"] for r in rows):
        raise SystemExit("a post answered with 2xx was lost")


if __name__ == "__main__":
    main()
