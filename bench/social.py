"""Benchmark: posts, home timelines and verify_credentials through the real HTTP stack.

    .venv/bin/python bench/social.py [--members 10000] [--duration 20] [--connections 32]
                                     [--celebrity-followers 100000]
                                     [--databases sqlite postgresql] [--no-record]

Method: for each database, a fresh database (SQLite in a temporary data
directory; PostgreSQL `--postgres-database` (obole_bench), dropped and
recreated, with the task queue, the home timelines and the
rate-limit counters in Redis db 14) is migrated and seeded in bulk with a
social network (bench/social_seed.py: paid members, a power-law follow graph,
a week of statuses fanned out to full home timelines, one token per member).
Then `obole serve --workers 2` runs as a subprocess (with the task worker it
starts, which fans posts out to followers), and wrk
(bench/social.lua) sends each workload for `--duration` seconds over
`--connections` keep-alive connections, after a 1-second warm-up; every
request is made as a random member with its own bearer token:
  - POST /api/v1/statuses (a short text, a unique Idempotency-Key);
  - GET /api/v1/timelines/home?limit=20;
  - GET /api/v1/accounts/verify_credentials;
  - mixed: nine home-timeline reads for one post, at random;
  - the ceiling: a bare Django view reading one row, without middleware,
    served the same way against the same database (bench/ceiling.py).
Each figure is also given as a ratio to the ceiling. Rate limits stay on and
are counted on every request, but are set too high to be reached. Any non-2xx
answer, socket error or timeout is counted and flags the run. Last, the
fan-out delay: one client posts at `--fanout-rate` a second as the most-followed
members, another polls followers' home timelines with since_id, and each post's
delay from its POST's response to its first sighting is recorded. The same
again for a celebrity: an author followed by `--celebrity-followers` accounts
(100,000 by default), above OBOLE_FANOUT_MAX_FOLLOWERS, so its posts are
merged into home timelines when read instead of fanned out. The fan-out
probes run before the mixed and posts workloads, so no backlog of fan-out
left by those is measured.
Results are printed and appended to bench/RESULTS.md (unless --no-record).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Where the PostgreSQL run keeps its Redis data (flushed first): --redis changes it.
REDIS = "redis://127.0.0.1:6379/14"
# Limits counted on every request, as in production, but never reached by the load.
UNREACHABLE_LIMIT = str(10**9)

sys.path.insert(0, str(ROOT))
from bench import social_load as load  # noqa: E402
from bench.common import POSTGRES, create_database, postgres_available  # noqa: E402

WORKLOADS = {
    "posts": ("POST /api/v1/statuses", "post", "/api/v1/statuses"),
    "home": ("GET /api/v1/timelines/home", "get", "/api/v1/timelines/home?limit=20"),
    "verify": ("GET /api/v1/accounts/verify_credentials", "get", "/api/v1/accounts/verify_credentials"),
    # Not in the default set: the cheapest authenticated Obole endpoint, for comparison.
    "membership": ("GET /api/obole/v1/membership", "get", "/api/obole/v1/membership"),
    "mixed": ("mixed: 90 % home reads, 10 % posts", "mixed", "/api/v1/timelines/home?limit=20"),
}
DEFAULT_WORKLOADS = ["verify", "home", "mixed", "posts"]
# Run after the fan-out probes, whose delays a backlog of fan-out would lengthen.
WRITING = ("mixed", "posts")


@dataclass
class Row:
    workload: str
    load: load.Load | None  # None when the endpoint does not exist on this server
    ratio: float = float("nan")


def child_seed(members: int, statuses: int, out: str, celebrity_followers: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")
    import django

    django.setup()
    from bench import social_seed

    social_seed.seed(members, statuses, Path(out), celebrity_followers=celebrity_followers)


def fresh_env(database: str, args: argparse.Namespace | None = None) -> dict:
    """The environment of a benchmark server; `args` names the PostgreSQL database and Redis to use."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("OBOLE_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env["OBOLE_DATA_DIR"] = tempfile.mkdtemp(prefix="obole-social-")
    env["OBOLE_LOG_LEVEL"] = "WARNING"
    env["OBOLE_BILLING_EVERY_MINUTES"] = "0"
    env["OBOLE_RATE_LIMIT_REQUESTS"] = UNREACHABLE_LIMIT
    env["OBOLE_RATE_LIMIT_POSTS"] = UNREACHABLE_LIMIT
    # The load posts faster than any person: trust's scoring would throttle its members as
    # spammers (a few posts an hour), which measures the throttle, not the server.
    env["OBOLE_THROTTLED_POSTS_PER_HOUR"] = UNREACHABLE_LIMIT
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    for setting in getattr(args, "set", None) or []:  # --set: settings under study
        name, _, value = setting.partition("=")
        env[name] = value
    if database == "postgresql":
        assert args is not None, "a PostgreSQL run needs the database and Redis options"
        env["OBOLE_DATABASE_URL"] = create_database(args.postgres_database)
        if redis_available(args.redis):
            import redis

            redis.Redis.from_url(args.redis).flushdb()
            env["OBOLE_REDIS_URL"] = args.redis
    return env


def redis_available(url: str = REDIS) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except Exception:
        return False


def seed(env: dict, members: int, statuses: int, celebrity_followers: int = 0) -> tuple[dict, float]:
    began = time.perf_counter()
    argv = [
        sys.executable,
        __file__,
        "--child",
        "seed",
        "--members",
        str(members),
        "--statuses",
        str(statuses),
        "--celebrity-followers",
        str(celebrity_followers),
    ]
    done = subprocess.run(argv, env=env)
    if done.returncode != 0:
        raise SystemExit("seeding failed")
    world = json.loads((Path(env["OBOLE_DATA_DIR"]) / "world.json").read_text())
    return world, time.perf_counter() - began


def timed(port: int, mode: str, path: str, tokens: Path, args: argparse.Namespace) -> load.Load:
    load.drive(port, mode, path, tokens, 1, args.connections)  # warm-up: workers, connections, caches
    return load.drive(port, mode, path, tokens, args.duration, args.connections)


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def measure(database: str, args: argparse.Namespace) -> dict:
    env = fresh_env(database, args)
    data = Path(env["OBOLE_DATA_DIR"])
    try:
        return run_workloads(database, env, data, args)
    finally:
        # The database can be hundreds of MB; a failure's server log is already in its message.
        shutil.rmtree(data, ignore_errors=True)


def run_workloads(database: str, env: dict, data: Path, args: argparse.Namespace) -> dict:
    print(f"\n{database}: seeding {args.members} members …", flush=True)
    world, seeded_in = seed(env, args.members, args.statuses, args.celebrity_followers)
    print(f"  seeded in {seeded_in:.1f} s: {describe_world(world)}", flush=True)
    # Other work on the machine lowers every figure: say how busy it was when the load began.
    busy = load_average()
    print(f"  load average (1/5/15 min) before the load: {busy}", flush=True)
    tokens = data / "tokens.txt"
    workers = str(args.workers)

    def ceiling_argv(port: int) -> list[str]:
        return [sys.executable, str(HERE / "ceiling.py"), "--port", str(port), "--workers", workers]

    with load.Server("ceiling", ceiling_argv, env, data / "ceiling.log") as server:
        ceiling = timed(server.port, "get", "/ceiling", tokens, args)
    rows = [Row("ceiling: bare Django view, one row", ceiling, 1.0)]
    print_row(rows[-1])

    def serve_argv(port: int) -> list[str]:
        serve = [sys.executable, "-m", "obole", "serve", "--host", "127.0.0.1", "--port", str(port)]
        return [*serve, "--workers", workers]

    fanout = celebrity = None
    with load.Server("obole serve", serve_argv, env, data / "serve.log") as server:
        port = server.port
        probe_token = tokens.read_text().split()[0]

        def run(names: list[str]) -> None:
            for name in names:
                label, mode, path = WORKLOADS[name]
                status, _ = load.request(port, "GET", path.split("?")[0], token=probe_token)
                if status == 404:
                    rows.append(Row(label, None))
                else:
                    result = timed(port, mode, path, tokens, args)
                    rows.append(Row(label, result, result.per_second / ceiling.per_second))
                print_row(rows[-1])

        run([name for name in args.workloads if name not in WRITING])
        probe = world["probe"]
        if args.fanout_rate > 0 and probe:
            took = load.wait_for_fanout(port, probe["authors"][0], probe["readers"][0])
            print(f"  the task worker fanned out a first post in {took:.1f} s", flush=True)
            # Enough authors that none posts more than 200 times: far below 300 in 3 hours.
            wanted = max(1, math.ceil(args.fanout_rate * args.duration / 200))
            probe["authors"] = probe["authors"][:wanted]
            probe["author_followers"] = probe["author_followers"][:wanted]
            fanout = load.fanout_delay(
                port, probe["authors"], probe["readers"], args.duration, args.fanout_rate
            )
            print_fanout(fanout, probe)
        star = world.get("celebrity_probe")
        if args.fanout_rate > 0 and star:
            # One author, so at most 200 posts in the run (the hourly limit counts them).
            rate = min(args.fanout_rate, 200 / args.duration)
            celebrity = load.fanout_delay(port, star["authors"], star["readers"], args.duration, rate)
            print_fanout(celebrity, star, "celebrity fan-out delay")
        run([name for name in args.workloads if name in WRITING])
    return {
        "database": database,
        "world": world,
        "seeded_in": seeded_in,
        "rows": rows,
        "fanout": fanout,
        "celebrity": celebrity,
        "busy": busy,
    }


def describe_world(world: dict) -> str:
    return (
        f"{world['members']} paid members, {world['follows']} follows (following: median "
        f"{world['following_median']:.0f}; followers: median {world['followers_median']:.0f}, "
        f"99th percentile {world['followers_p99']}, max {world['followers_max']}, "
        f"{world['accounts_over_1000_followers']} accounts with 1,000+), {world['statuses']} statuses, "
        f"{world['feed_entries']} home-timeline entries"
    )


def print_row(row: Row) -> None:
    if row.load is None:
        print(f"  {row.workload:44} absent (404)", flush=True)
        return
    r = row.load
    flag = f"   ERRORS: {r.error_detail}" if r.errors else ""
    print(
        f"  {row.workload:44} {r.per_second:8.1f}/s  p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms  "
        f"errors {r.errors:4}  x{row.ratio:.3f} of ceiling{flag}",
        flush=True,
    )


def print_fanout(f: load.Fanout, probe: dict, title: str = "fan-out delay") -> None:
    flag = f"   ERRORS: {f.error_detail}" if f.errors else ""
    print(
        f"  {title}: p50 {f.p50_ms:.2f} ms, p99 {f.p99_ms:.2f} ms over {f.seen} posts at "
        f"{f.posts_per_second:.1f} posts/s (authors with {fmt_list(probe['author_followers'])} followers; "
        f"their POSTs took p50 {f.post_p50_ms:.1f} ms, p99 {f.post_p99_ms:.1f} ms; {f.early} posts were "
        f"in the timeline before their POST answered){flag}",
        flush=True,
    )


def fmt_list(values: list) -> str:
    return ", ".join(f"{v:,}" for v in values)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def method(args: argparse.Namespace) -> str:
    queue = "Redis" if redis_available(args.redis) else "memory and SQLite (no Redis was reachable)"
    return (
        f"Method: see the docstrings of bench/social.py and bench/social_seed.py. Each member follows a "
        f"log-normal number of accounts (median 40, at least 10), chosen by a Zipf law (1/rank^0.8), "
        f"and wrote {args.statuses} statuses over the last week, fanned out to every follower's home "
        f"timeline. Load generator: {load.generator()} (one thread), {args.connections} connections, "
        f"{args.duration} s per workload after a 1 s warm-up, each request as a random member; "
        f"server: `obole serve --workers {args.workers}` (Granian, WSGI, 4 threads per worker, and the "
        f"task worker it starts, which fans posts out); the ceiling is bench/ceiling.py served the "
        f"same way. PostgreSQL runs with the cache, the task queue and the home timelines in {queue}. "
        f"Rate limits are counted but set out of reach. The fan-out "
        f"probe posts at {args.fanout_rate:g}/s as the most-followed members and polls followers' home "
        f"timelines back to back with since_id; the celebrity probe does the same as an author with "
        f"{args.celebrity_followers:,} more followers (merged into home timelines when read)."
    )


def command(args: argparse.Namespace, databases: list[str]) -> str:
    """The command with every option that shaped the run, defaults included."""
    return (
        f".venv/bin/python bench/social.py --members {args.members} --statuses {args.statuses} "
        f"--duration {args.duration} --connections {args.connections} --workers {args.workers} "
        f"--databases {' '.join(databases)} --workloads {' '.join(args.workloads)} "
        f"--fanout-rate {args.fanout_rate:g} --celebrity-followers {args.celebrity_followers}"
        + "".join(f" --set {setting}" for setting in args.set)
    )


def record(args: argparse.Namespace, results: list[dict]) -> None:
    lines = [
        f"\n## Social — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}. Command: `{command(args, [r['database'] for r in results])}`.",
        method(args),
        "",
        *(
            f"Seeded ({r['database']}, {r['seeded_in']:.0f} s): {describe_world(r['world'])}. "
            f"Load average of the machine (1/5/15 min) when the load began: {r['busy']}."
            for r in results
        ),
        "",
        "| database | workload | requests/s | p50 ms | p99 ms | errors | ratio to ceiling |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for row in r["rows"]:
            if row.load is None:
                lines.append(f"| {r['database']} | {row.workload} | absent (404) | | | | |")
                continue
            x = row.load
            errors = f"**{x.errors}** ({x.error_detail})" if x.errors else "0"
            lines.append(
                f"| {r['database']} | {row.workload} | {x.per_second:.1f} | {x.p50_ms:.2f} | "
                f"{x.p99_ms:.2f} | {errors} | {row.ratio:.3f} |"
            )
    fanouts = [
        {**r, "fanout": r[kind], "kind": kind}
        for kind in ("fanout", "celebrity")
        for r in results
        if r.get(kind) is not None
    ]
    if fanouts:
        lines += [
            "",
            "| database | probe | fan-out delay p50 ms | p99 ms | posts | posts/s held | authors' followers "
            "| POST p50 ms | POST p99 ms | shown before the POST answered | errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in fanouts:
            f = r["fanout"]
            errors = f"**{f.errors}** ({f.error_detail})" if f.errors else "0"
            lines.append(
                f"| {r['database']} | {r['kind']} | {f.p50_ms:.2f} | {f.p99_ms:.2f} | {f.seen} | "
                f"{f.posts_per_second:.1f} | {fmt_list(probe_of(r)['author_followers'])} | "
                f"{f.post_p50_ms:.1f} | {f.post_p99_ms:.1f} | {f.early} | {errors} |"
            )
    if any_errors(results):
        lines += ["", "**This run had errors** (see the errors columns): its figures are suspect."]
    results_file = HERE / "RESULTS.md"
    with results_file.open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def any_errors(results: list[dict]) -> bool:
    loads = [row.load for r in results for row in r["rows"] if row.load is not None]
    probes = [r[kind] for r in results for kind in ("fanout", "celebrity") if r.get(kind) is not None]
    return any(x.errors for x in loads) or any(f.errors for f in probes)


def probe_of(r: dict) -> dict:
    return r["world"]["celebrity_probe"] if r["kind"] == "celebrity" else r["world"]["probe"]


def stop_on_sigterm(signum, frame) -> None:
    # Turn SIGTERM into an exception, so the `with Server` blocks stop their servers.
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--statuses", type=int, default=3, help="statuses per member in the seeded history")
    parser.add_argument("--duration", type=int, default=20, help="seconds per workload")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=DEFAULT_WORKLOADS)
    parser.add_argument(
        "--fanout-rate", type=float, default=10, help="posts/s of the fan-out probe; 0 = skip"
    )
    parser.add_argument(
        "--celebrity-followers", type=int, default=100_000, help="followers of the celebrity; 0 = none"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="OBOLE_NAME=VALUE",
        help="a setting of the servers measured (repeatable), e.g. OBOLE_FANOUT_MAX_FOLLOWERS=1000",
    )
    parser.add_argument("--postgres-database", default="obole_bench", help="dropped and created again")
    parser.add_argument("--redis", default=REDIS, help="Redis URL (its database is flushed)")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_seed(args.members, args.statuses, os.environ["OBOLE_DATA_DIR"], args.celebrity_followers)
        return
    for setting in args.set:
        name, sep, _ = setting.partition("=")
        if not sep or not name.startswith("OBOLE_"):
            parser.error(f"--set takes OBOLE_NAME=VALUE, not {setting!r}")
    if args.members < 20:
        parser.error("--members must be at least 20 (each member follows at least 10 others)")

    databases = args.databases or ["sqlite"] + (["postgresql"] if postgres_available() else [])
    if "postgresql" in databases and not postgres_available():
        raise SystemExit(f"PostgreSQL is not reachable at {POSTGRES}")
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    print(f"Social benchmark — {machine()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(method(args))
    try:
        results = [measure(database, args) for database in databases]
    except KeyboardInterrupt:
        raise SystemExit("interrupted; the servers are stopped") from None
    if not args.no_record:
        record(args, results)
    if any_errors(results):
        raise SystemExit("FLAGGED: some requests failed (see the errors column); the figures are suspect")


if __name__ == "__main__":
    main()
