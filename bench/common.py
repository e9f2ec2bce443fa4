"""What the benchmarks in bench/ share: the PostgreSQL server, fresh databases, trials in a child.

A benchmark that needs a database of its own gets one from `fresh_env` (a new
data directory, and a new PostgreSQL database when asked for one) and runs
its trial in a child process with that environment (`run_trial`): Django
reads its settings once per process, so each database needs a process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def postgres_available() -> bool:
    try:
        import psycopg

        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
        return True
    except Exception:
        return False


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def create_database(name: str) -> str:
    """A new, empty PostgreSQL database `name` (dropped first if left over); its URL."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES}/{name}"


def drop_database(name: str | None) -> None:
    if name:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_env(database: str, prefix: str, settings: dict[str, str] | None = None) -> tuple[dict, str | None]:
    """An environment for `obole` on a fresh database, and the PostgreSQL database's name (None: SQLite).

    No OBOLE_ setting of the caller leaks in; `settings` are added to it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBOLE_")}
    env["OBOLE_DATA_DIR"] = tempfile.mkdtemp(prefix=f"obole-{prefix}-")
    env["OBOLE_LOG_LEVEL"] = "WARNING"
    env.update(settings or {})
    if database != "postgresql":
        return env, None
    name = f"obole_{prefix.replace('-', '_')}_{os.getpid()}"
    env["OBOLE_DATABASE_URL"] = create_database(name)
    return env, name


def discard(env: dict, name: str | None) -> None:
    """Drop what `fresh_env` made."""
    drop_database(name)
    shutil.rmtree(env["OBOLE_DATA_DIR"], ignore_errors=True)


def run_trial(
    script: str, database: str, argv: list[str], *, prefix: str, settings: dict[str, str] | None = None
) -> dict:
    """Run `script --child argv` on a fresh database; the JSON object its last line printed.

    The database is dropped afterwards, whatever happened.
    """
    env, name = fresh_env(database, prefix, settings)
    try:
        done = subprocess.run(
            [sys.executable, script, "--child", *argv], env=env, capture_output=True, text=True, cwd=ROOT
        )
        if done.returncode != 0:
            raise SystemExit(f"the {database} trial failed:\n{done.stderr[-3000:]}")
        return {"database": database, **json.loads(done.stdout.strip().splitlines()[-1])}
    finally:
        discard(env, name)


def setup_django() -> None:
    """In a child process: Django on the settings its environment names."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")
    django.setup()


def add_trial_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a harness that runs a trial per database and records it."""
    parser.add_argument("--databases", nargs="+", default=None, choices=["sqlite", "postgresql"])
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)


def run_trials(
    args: argparse.Namespace,
    measure: Callable[[str, argparse.Namespace], dict],
    show: Callable[[dict], str],
) -> tuple[list[dict], float]:
    """`measure` on each of `--databases` (default: SQLite, and PostgreSQL when reachable).

    Prints `show(row)` for each; returns the rows and the seconds they took.
    """
    args.databases = args.databases or ["sqlite"] + (["postgresql"] if postgres_available() else [])
    began = time.monotonic()
    rows = []
    for database in args.databases:
        rows.append(measure(database, args))
        print(show(rows[-1]))
    return rows, time.monotonic() - began
