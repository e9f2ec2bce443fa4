"""Soak: `obole serve` on SQLite under a steady mixed load for ten minutes.

    .venv/bin/python bench/soak.py [--duration 600] [--members 2000] [--rate R]
                                   [--connections 8] [--no-record]

Method: a fresh SQLite data directory is seeded in bulk (bench/social_seed.py:
paid members, a power-law follow graph, a week of statuses fanned out to home
timelines, one token per member). `obole serve --workers 2` (with its task
worker, as an operator runs it) is started as a subprocess. Then:

1. Maximum throughput: `--connections` keep-alive clients send the mix back to
   back for `--measure` seconds (after a 2-second warm-up); requests/s = the
   maximum. `--rate` skips this and sets the soak rate directly.
2. Soak: the same clients send the mix, paced, at half that maximum for
   `--duration` seconds. Each client keeps its own schedule; a client that falls
   behind sends at once but never more than one request at a time.
3. Every `--sample-every` seconds, the resident memory (RSS) of the server's
   whole process tree (Granian's main process, its workers, the task worker)
   is read from /proc.

The mix, each request as a random member with its own bearer token: 20 % POST
/api/v1/statuses (unique text, an Idempotency-Key), 50 % GET
/api/v1/timelines/home?limit=20, 15 % GET /api/v1/timelines/public?limit=20,
15 % GET /api/v1/accounts/verify_credentials. Rate limits are counted on every
request but set out of reach.

Reported: errors (non-2xx, socket errors, no answer within 30 s: must be 0), throughput
held, p50/p99 latency of the soak, RSS at the start and the end, and its slope
(least squares over all samples, and over the second half alone, so that
warm-up growth is told apart from a leak). Appended to bench/RESULTS.md unless
--no-record. Exits 1 on any error.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench import social  # noqa: E402
from bench import social_load as load  # noqa: E402

MIX = (
    (0.20, "POST", "/api/v1/statuses"),
    (0.50, "GET", "/api/v1/timelines/home?limit=20"),
    (0.15, "GET", "/api/v1/timelines/public?limit=20"),
    (0.15, "GET", "/api/v1/accounts/verify_credentials"),
)

# A request not answered within this many seconds counts as an error.
TIMEOUT = 30


def pick(draw: float) -> tuple[str, str]:
    """The request of the mix that a uniform draw in [0, 1) falls on."""
    for share, method, path in MIX:
        draw -= share
        if draw < 0:
            return method, path
    return MIX[-1][1], MIX[-1][2]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latencies: list[float], errors: list[str]) -> None:
        with self.lock:
            self.latencies.extend(latencies)
            self.errors.extend(errors)


def drive(
    port: int, tokens: list[str], seconds: float, connections: int, rate: float | None
) -> tuple[Tally, float]:
    """Send the mix for `seconds` over `connections` clients: back to back, or paced to `rate`/s in all."""
    tally = Tally()
    run = uuid.uuid4().hex[:8]
    began = time.perf_counter()
    deadline = began + seconds
    interval = connections / rate if rate else 0.0

    def client(number: int) -> None:
        rng = random.Random(f"{run}-{number}")  # noqa: S311 (picks members and requests, not secrets)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        latencies: list[float] = []
        errors: list[str] = []
        due = began + rng.random() * interval  # spread the clients' first requests
        count = 0
        while True:
            if interval:
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                due += interval
            if time.perf_counter() >= deadline:
                break
            count += 1
            method, path = pick(rng.random())
            body = key = None
            if method == "POST":
                body = {"status": f"Soak post {count} of client {number}, run {run}"}
                key = f"{run}-{number}-{count}"
            sent = time.perf_counter()
            try:
                status, _ = load.send(conn, method, path, token=rng.choice(tokens), body=body, key=key)
                if not 200 <= status <= 299:
                    errors.append(f"{status} on {method} {path}")
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__} on {method} {path}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            latencies.append(time.perf_counter() - sent)
        conn.close()
        tally.add(latencies, errors)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - began


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and every process descended from it, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces: the fields after its closing parenthesis.
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in family]
        family.update(children)
        frontier.extend(children)
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in family:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


class MemorySampler(threading.Thread):
    def __init__(self, pid: int, every: float):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self.halt = threading.Event()
        self.began = time.perf_counter()

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append((time.perf_counter() - self.began, tree_rss_bytes(self.pid)))
            self.halt.wait(self.every)

    def stop(self) -> list[tuple[float, int]]:
        self.halt.set()
        self.join()
        self.samples.append((time.perf_counter() - self.began, tree_rss_bytes(self.pid)))
        return self.samples


def slope_mb_per_minute(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS over time, in MB per minute."""
    if len(samples) < 2:
        return 0.0
    xs = [t for t, _ in samples]
    ys = [rss / 1e6 for _, rss in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread * 60


@dataclass
class Soak:
    maximum: float | None
    target: float
    held: float
    requests: int
    p50_ms: float
    p99_ms: float
    errors: list[str]
    rss_start_mb: float
    rss_end_mb: float
    rss_max_mb: float
    slope_all: float
    slope_second_half: float
    samples: int
    busy_before: str
    busy_after: str


def soak(args: argparse.Namespace) -> Soak:
    env = social.fresh_env("sqlite")
    data = Path(env["OBOLE_DATA_DIR"])
    try:
        print(f"seeding {args.members} members …", flush=True)
        world, seeded_in = social.seed(env, args.members, args.statuses)
        print(f"  seeded in {seeded_in:.1f} s: {social.describe_world(world)}", flush=True)
        tokens = (data / "tokens.txt").read_text().split()

        def serve_argv(port: int) -> list[str]:
            serve = [sys.executable, "-m", "obole", "serve", "--host", "127.0.0.1", "--port", str(port)]
            return [*serve, "--workers", str(args.workers)]

        with load.Server("obole serve", serve_argv, env, data / "serve.log") as server:
            maximum = None
            if args.rate:
                target = args.rate
            else:
                drive(server.port, tokens, 2, args.connections, None)  # warm-up
                tally, took = drive(server.port, tokens, args.measure, args.connections, None)
                maximum = len(tally.latencies) / took
                if tally.errors:
                    # Overload is what this phase looks for; the soak's errors are the ones that count.
                    print(f"  {len(tally.errors)} errors while measuring the maximum, e.g. {tally.errors[0]}")
                target = maximum / 2
                print(f"  maximum: {maximum:.1f} requests/s over {args.measure} s; soaking at {target:.1f}/s")
            busy_before = social.load_average()
            sampler = MemorySampler(server.process.pid, args.sample_every)
            sampler.start()
            tally, took = drive(server.port, tokens, args.duration, args.connections, target)
            samples = sampler.stop()
            busy_after = social.load_average()
    finally:
        import shutil

        shutil.rmtree(data, ignore_errors=True)
    ordered = sorted(tally.latencies)
    half = [s for s in samples if s[0] >= samples[-1][0] / 2]
    return Soak(
        maximum=maximum,
        target=target,
        held=len(ordered) / took,
        requests=len(ordered),
        p50_ms=load.percentile(ordered, 0.50) * 1000,
        p99_ms=load.percentile(ordered, 0.99) * 1000,
        errors=tally.errors,
        rss_start_mb=samples[0][1] / 1e6,
        rss_end_mb=samples[-1][1] / 1e6,
        rss_max_mb=max(rss for _, rss in samples) / 1e6,
        slope_all=slope_mb_per_minute(samples),
        slope_second_half=slope_mb_per_minute(half),
        samples=len(samples),
        busy_before=busy_before,
        busy_after=busy_after,
    )


def report(result: Soak, args: argparse.Namespace) -> str:
    maximum = f"{result.maximum:.1f} requests/s (measured)" if result.maximum else "not measured (--rate)"
    errors = f"**{len(result.errors)}** (e.g. {result.errors[0]})" if result.errors else "0"
    return "\n".join(
        [
            f"maximum: {maximum}; target {result.target:.1f}/s; held {result.held:.1f}/s over "
            f"{args.duration} s ({result.requests} requests)",
            f"latency: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms",
            f"errors: {errors}",
            f"server RSS (whole process tree): start {result.rss_start_mb:.1f} MB, "
            f"end {result.rss_end_mb:.1f} MB, "
            f"max {result.rss_max_mb:.1f} MB; slope {result.slope_all:+.2f} MB/min over the run, "
            f"{result.slope_second_half:+.2f} MB/min over its second half ({result.samples} samples)",
        ]
    )


def record(result: Soak, args: argparse.Namespace) -> None:
    command = (
        f".venv/bin/python bench/soak.py --duration {args.duration} --members {args.members} "
        f"--statuses {args.statuses} --connections {args.connections} --workers {args.workers} "
        f"--measure {args.measure} --sample-every {args.sample_every:g}"
        + (f" --rate {args.rate:g}" if args.rate else "")
    )
    lines = [
        f"\n## Soak — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {social.machine()}. Command: `{command}`. Method: the docstring of bench/soak.py "
        f"(SQLite, `obole serve --workers {args.workers}` with its task worker; 20 % posts, 50 % home "
        "timelines, 15 % public timeline, 15 % verify_credentials, as random members; half the measured "
        "maximum throughput). The load generator runs on the same 2 shared cores as the server. "
        f"Load average of the machine (1/5/15 min) when the soak began: {result.busy_before}; "
        f"when it ended: {result.busy_after}.",
        "",
        "| maximum req/s | soak target req/s | held req/s | requests | p50 ms | p99 ms | errors "
        "| RSS start MB | RSS end MB | RSS max MB | slope MB/min (all) | slope MB/min (2nd half) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {f'{result.maximum:.1f}' if result.maximum else '—'} | {result.target:.1f} | {result.held:.1f} | "
        f"{result.requests} | {result.p50_ms:.1f} | {result.p99_ms:.1f} | "
        f"{len(result.errors)} | {result.rss_start_mb:.1f} | {result.rss_end_mb:.1f} | "
        f"{result.rss_max_mb:.1f} | "
        f"{result.slope_all:+.2f} | {result.slope_second_half:+.2f} |",
    ]
    with (HERE / "RESULTS.md").open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # so that `with Server` stops the server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=600, help="seconds of soak (default 600)")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--statuses", type=int, default=3, help="statuses per member in the seeded history")
    # As many as the server has threads (2 workers x 4): more keep-alive connections than
    # threads wait their turn in the default server, which would measure the queue, not Obole.
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--measure", type=int, default=20, help="seconds to measure the maximum throughput")
    parser.add_argument(
        "--rate", type=float, default=None, help="soak at this many requests/s; skip measuring"
    )
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    if args.members < 20:
        parser.error("--members must be at least 20 (each member follows at least 10 others)")
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    print(f"Soak — {social.machine()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    try:
        result = soak(args)
    except KeyboardInterrupt:
        raise SystemExit("interrupted; the server is stopped") from None
    print(report(result, args), flush=True)
    if not args.no_record:
        record(result, args)
    if result.errors:
        raise SystemExit(f"FAILED: {len(result.errors)} requests failed during the soak")


if __name__ == "__main__":
    main()
