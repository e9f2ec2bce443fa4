"""Where the time of a request goes: cProfile of the hot API paths, in-process.

    .venv/bin/python bench/social_profile.py [--members 10000] [--requests 300] [--data-dir DIR]
                                             [--paths home verify posts]
                                             [--pyinstrument bench/profiles/DIR]

Seeds a network as bench/social.py does (SQLite, or OBOLE_DATABASE_URL; or
reuses --data-dir where tokens.txt already is), then sends each path through
Django's test client as random members, the whole middleware stack included,
and prints for each: the mean time per request without the profiler, the time
spent in SQL (the database's own share), and the top functions by own time
under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATHS = {
    "home": ("GET", "/api/v1/timelines/home?limit=20"),
    "verify": ("GET", "/api/v1/accounts/verify_credentials"),
    "posts": ("POST", "/api/v1/statuses"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--data-dir", help="a data directory already seeded by this script")
    parser.add_argument("--paths", nargs="+", choices=list(PATHS), default=list(PATHS))
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument(
        "--pyinstrument",
        metavar="DIR",
        help="also write a pyinstrument profile (text, HTML) of each path to DIR",
    )
    args = parser.parse_args()
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="obole-profile-"))
    os.environ["OBOLE_DATA_DIR"] = str(data)
    # Counted as in production, never reached.
    os.environ.setdefault("OBOLE_RATE_LIMIT_REQUESTS", str(10**9))
    os.environ.setdefault("OBOLE_RATE_LIMIT_POSTS", str(10**9))
    os.environ["DJANGO_SETTINGS_MODULE"] = "obole.settings"
    import django

    django.setup()
    from django.core.management import call_command

    if not (data / "tokens.txt").exists():
        from bench import social_seed

        social_seed.seed(args.members, 3, data)
    call_command("collectstatic", interactive=False, verbosity=0)
    tokens = (data / "tokens.txt").read_text().split()
    for name in args.paths:
        profile(name, tokens, args.requests, args.top, args.pyinstrument)


def profile(name: str, tokens: list[str], requests: int, top: int, sampled: str | None = None) -> None:
    from django.db import connection
    from django.test import Client

    method, path = PATHS[name]
    client = Client(HTTP_HOST="127.0.0.1")
    rng = random.Random(7)  # noqa: S311 (picks members)
    count = [0]

    def one() -> None:
        headers = {"Authorization": f"Bearer {rng.choice(tokens)}"}
        if method == "GET":
            response = client.get(path, headers=headers)
        else:
            count[0] += 1
            key = f"profile-{time.time_ns()}-{count[0]}"
            body = json.dumps({"status": f"Profiled post {count[0]}"})
            response = client.post(
                path, body, content_type="application/json", headers={**headers, "Idempotency-Key": key}
            )
        assert response.status_code == 200, response.content[:300]

    sql = [0.0, 0]

    def timed_sql(execute, query, params, many, context):
        began = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql[0] += time.perf_counter() - began
            sql[1] += 1

    for _ in range(30):
        one()
    began = time.perf_counter()
    with connection.execute_wrapper(timed_sql):
        for _ in range(requests):
            one()
    took = (time.perf_counter() - began) / requests
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        one()
    profiler.disable()
    print(
        f"\n== {method} {path}: {took * 1000:.2f} ms a request in-process, of which SQL "
        f"{sql[0] / requests * 1000:.2f} ms in {sql[1] / requests:.1f} queries"
    )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    print(text[text.index("   ncalls") :].rstrip())
    if sampled:
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.0002)
        sampler.start()
        for _ in range(requests):
            one()
        sampler.stop()
        folder = Path(sampled)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.txt").write_text(sampler.output_text(unicode=False, color=False, show_all=False))
        (folder / f"{name}.html").write_text(sampler.output_html())
        print(f"pyinstrument profile: {folder / name}.txt and .html")


if __name__ == "__main__":
    main()
