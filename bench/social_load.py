"""Servers and load for bench/social.py: start and always stop servers, drive them with wrk.

`Server` starts a server in its own process group and kills the whole group
(Granian's workers too) when the `with` block ends, however it ends.
`drive()` runs one workload with wrk (bench/social.lua); where wrk is not
installed, a small Python load generator stands in, and the method says so,
since its own overhead lowers the figures.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "social.lua"
# The share of posts in the "mixed" workload (the rest are home-timeline reads), as in social.lua.
MIXED_POSTS = 0.1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server subprocess in its own session, answering on 127.0.0.1:`port` once entered.

    `argv(port)` is its command line. A free port can be taken by another
    program before the server binds it (other servers start on this machine
    too), so a server that exits at start is tried again on another port.
    """

    ATTEMPTS = 3

    def __init__(self, name: str, argv: Callable[[int], list[str]], env: dict, log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.port = 0
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        for _ in range(self.ATTEMPTS):
            self.port = free_port()
            if self._start():
                settle(self.process.pid)
                return self
            self.stop()
        raise RuntimeError(f"{self.name} exited at start:\n{self.log.read_text()[-3000:]}")

    def _start(self) -> bool:
        handle = self.log.open("w")
        # A session of its own: Ctrl-C reaches only the harness, which then stops the whole group.
        self.process = subprocess.Popen(
            self.argv(self.port),
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                status, _ = request(self.port, "GET", "/", timeout=2)
            except OSError:
                time.sleep(0.2)
                continue
            # Something answered; make sure it is our server, not one that held the port first.
            time.sleep(0.5)
            if self.process.poll() is not None:
                return False
            return bool(status)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within 120 s:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None and not _group_alive(self.process.pid):
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                if not _group_alive(self.process.pid):
                    return
                time.sleep(0.5)
            except subprocess.TimeoutExpired:
                continue


def settle(pgid: int, quiet: float = 0.15, longest: float = 60.0) -> float:
    """Wait until the processes of group `pgid` use less than `quiet` of a core over half a
    second (or `longest` seconds have passed); the seconds waited. A server answers before it
    has finished starting: `obole serve`'s task worker goes on importing for seconds on this
    machine, and a workload measured meanwhile measured the start as well (Linux only: /proc)."""
    began = time.monotonic()
    last = _group_cpu(pgid)
    while time.monotonic() - began < longest:
        time.sleep(0.5)
        now = _group_cpu(pgid)
        if now - last < quiet * 0.5:
            break
        last = now
    return time.monotonic() - began


def _group_cpu(pgid: int) -> float:
    """CPU seconds (user and system) used so far by the live processes of group `pgid`."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid:  # after the name: state, ppid, pgrp, ... utime (11), stime (12)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def request(
    port: int, method: str, path: str, *, token: str | None = None, body: dict | None = None, timeout=10
) -> tuple[int, bytes]:
    """One request on a fresh connection (for probes; the load keeps connections open)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return send(conn, method, path, token=token, body=body)
    finally:
        conn.close()


def send(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: dict | None = None,
    key: str | None = None,
) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers plus socket errors and timeouts
    error_detail: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def drive(port: int, mode: str, path: str, tokens: Path, seconds: int, connections: int) -> Load:
    """Run one workload for `seconds`: "get", "post" or "mixed" on `path`, each request as a random member."""
    if generator() == "wrk":
        return _wrk(port, mode, path, tokens, seconds, connections)
    return _python(port, mode, path, tokens, seconds, connections)


def _wrk(port: int, mode: str, path: str, tokens: Path, seconds: int, connections: int) -> Load:
    # One wrk thread drives thousands of requests a second; more would take CPU from the server.
    argv = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA),
        f"http://127.0.0.1:{port}", "--", mode, path, str(tokens), uuid.uuid4().hex[:8],
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-2000:]} {out.stderr[-2000:]}")
    r = json.loads(line.removeprefix("WRKJSON "))
    socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
    detail = []
    if r["non2xx"]:
        detail.append(f"{r['non2xx']} non-2xx (e.g. {r['last_bad_status']})")
    if socket_errors:
        detail.append(
            f"socket errors: connect {r['connect']}, read {r['read']}, write {r['write']}, "
            f"timeout {r['timeout']}"
        )
    return Load(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        errors=r["non2xx"] + socket_errors,
        error_detail="; ".join(detail),
    )


def _python(port: int, mode: str, path: str, tokens: Path, seconds: int, connections: int) -> Load:
    import random

    pool = tokens.read_text().split()
    latencies: list[float] = []
    bad: list[int] = []
    lock = threading.Lock()
    run = uuid.uuid4().hex[:8]
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        rng = random.Random(number)  # noqa: S311 (picks a member, not a secret)
        mine: list[float] = []
        errors: list[int] = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            token = rng.choice(pool)
            posting = mode == "post" or (mode == "mixed" and rng.random() < MIXED_POSTS)
            body = {"status": f"Benchmark post {count} of client {number}, run {run}"} if posting else None
            key = f"{run}-{number}-{count}" if posting else None
            target = "/api/v1/statuses" if posting and mode == "mixed" else path
            began = time.perf_counter()
            try:
                status, _ = send(conn, "POST" if posting else "GET", target, token=token, body=body, key=key)
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - began)
            if not 200 <= status <= 299:
                errors.append(status)
        conn.close()
        with lock:
            latencies.extend(mine)
            bad.extend(errors)

    began = time.perf_counter()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    took = time.perf_counter() - began
    latencies.sort()
    return Load(
        requests=len(latencies),
        seconds=took,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        errors=len(bad),
        error_detail=f"{len(bad)} failed (e.g. {bad[-1] or 'socket error'})" if bad else "",
    )


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class Fanout:
    posts: int
    seen: int
    posts_per_second: float
    p50_ms: float
    p99_ms: float
    post_p50_ms: float  # how long the probe's own POSTs took
    post_p99_ms: float
    early: int  # posts already in the timeline before their POST's response arrived
    errors: int
    error_detail: str


def wait_for_fanout(port: int, author: str, reader: str, timeout: float = 120) -> float:
    """Post once as `author` and wait until `reader` (a follower) sees it: the task worker is up.

    Returns the seconds it took. `obole serve` starts its task worker beside the
    web workers, and on a busy machine the worker can answer later than the web.
    """
    began = time.perf_counter()
    status, body = request(port, "POST", "/api/v1/statuses", token=author, body={"status": "warm-up"})
    if status != 200:
        raise RuntimeError(f"the warm-up post failed: {status} {body[:200]!r}")
    wanted = json.loads(body)["id"]
    while time.perf_counter() - began < timeout:
        status, body = request(
            port, "GET", f"/api/v1/timelines/home?limit=5&since_id={int(wanted) - 1}", token=reader
        )
        if status == 200 and any(s["id"] == wanted for s in json.loads(body)):
            return time.perf_counter() - began
        time.sleep(0.1)
    raise RuntimeError(f"a follower did not see a post within {timeout:.0f} s: is the task worker running?")


def fanout_delay(port: int, authors: list[str], readers: list[str], seconds: int, rate: float) -> Fanout:
    """Time from each POST's response to the post in a follower's home timeline.

    One client posts at `rate` a second, in turn as each of `authors`; another
    polls, back to back, the home timelines of `readers` (who follow every
    author) with since_id, one reader after the other. A post counts as shown
    at the first poll that returns it; one seen before its POST's response
    arrived counts 0 ms. The delay thus includes up to one poll's round trip.
    """
    answered: dict[int, float] = {}
    post_latencies: list[float] = []
    seen: dict[int, float] = {}
    failures: list[str] = []
    lock = threading.Lock()
    posting_done = threading.Event()
    run = uuid.uuid4().hex[:8]
    held = [0.0]

    def poster() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        began = time.perf_counter()
        n = 0
        try:
            while (due := began + n / rate) < began + seconds:
                time.sleep(max(0.0, due - time.perf_counter()))
                sent = time.perf_counter()
                status, body = send(
                    conn, "POST", "/api/v1/statuses", token=authors[n % len(authors)],
                    body={"status": f"Fan-out probe {n}, run {run}"}, key=f"fanout-{run}-{n}",
                )  # fmt: skip
                at = time.perf_counter()
                post_latencies.append(at - sent)
                n += 1
                if status == 200:
                    with lock:
                        answered[int(json.loads(body)["id"])] = at
                else:
                    failures.append(f"POST {status}")
            held[0] = n / max(seconds, time.perf_counter() - began)
        finally:
            conn.close()
            posting_done.set()

    def poller() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        turn = 0
        give_up = None
        try:
            while True:
                if posting_done.is_set():
                    give_up = give_up or time.perf_counter() + 5
                    with lock:
                        if all(i in seen for i in answered) or time.perf_counter() > give_up:
                            return
                reader = readers[turn % len(readers)]
                turn += 1
                path = "/api/v1/timelines/home?limit=40"
                if since[reader] is not None:
                    path += f"&since_id={since[reader]}"
                status, body = send(conn, "GET", path, token=reader)
                at = time.perf_counter()
                if status != 200:
                    failures.append(f"GET {status}")
                    continue
                ids = [int(s["id"]) for s in json.loads(body)]
                with lock:
                    for status_id in ids:
                        seen.setdefault(status_id, at)
                if ids:
                    since[reader] = max(ids)
        finally:
            conn.close()

    # Start each reader's since_id at the newest status it already has.
    since: dict[str, int | None] = dict.fromkeys(readers)
    for reader in readers:
        status, body = request(port, "GET", "/api/v1/timelines/home?limit=1", token=reader)
        statuses = json.loads(body) if status == 200 else []
        if statuses:
            since[reader] = int(statuses[0]["id"])
    threads = [threading.Thread(target=poller), threading.Thread(target=poster)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    signed = [seen[i] - at for i, at in answered.items() if i in seen]
    delays = sorted(max(0.0, delay) for delay in signed)
    missing = len(answered) - len(delays)
    detail = failures[:3]
    if missing:
        detail.append(f"{missing} posts never shown within 5 s")
    return Fanout(
        posts=len(answered),
        seen=len(delays),
        posts_per_second=held[0],
        p50_ms=percentile(delays, 0.50) * 1000,
        p99_ms=percentile(delays, 0.99) * 1000,
        post_p50_ms=percentile(sorted(post_latencies), 0.50) * 1000,
        post_p99_ms=percentile(sorted(post_latencies), 0.99) * 1000,
        early=sum(1 for delay in signed if delay < 0),
        errors=len(failures) + missing,
        error_detail="; ".join(detail),
    )
