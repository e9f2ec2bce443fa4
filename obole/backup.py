"""`obole backup PATH` and `obole restore PATH`: the whole database to one file and back.

- SQLite: SQLite's online backup API copies a consistent snapshot while the
  server keeps running (pages written meanwhile are copied again), WAL
  included. A restore copies the file back the same way, into the live database.
- PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists
  --single-transaction`, so a restore that fails half-way changes nothing. The
  client programs come from the `postgresql-client` package.

What is in the file: every table — accounts, memberships, the ledger, posts,
sessions and tokens (as checksums). So the file is written readable by its owner
only (0600). What is not in it: the data directory's secrets. Card fingerprints
are keyed with OBOLE_FINGERPRINT_KEY; restored under another key, no card would
be recognised again (the one-card rule and the blocklist would start afresh), so
keep the key with the backups. The task queue needs no backup: the rows are the
record of the work.

A restore refuses to overwrite a database that holds anything (an account, a
post, a ledger entry…) unless asked with --force: a restore in the wrong shell
must not erase a live server. Stop the server before restoring; it migrates the
restored database to the running version when it starts.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables that `migrate` fills by itself: rows there do not make a database "in use".
_BOOKKEEPING = {"contenttypes.contenttype", "auth.permission", "sessions.session"}


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


def _engine() -> str:
    return "sqlite" if connections[DEFAULT_DB_ALIAS].vendor == "sqlite" else "postgresql"


def backup(path: Path) -> str:
    """Write the database to `path` (replacing it); return the kind of file written."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a directory; give the name of the file to write.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Into a private temporary file beside the target, renamed at the end: a
    # failed backup never leaves a truncated file under the expected name.
    fd, temporary = tempfile.mkstemp(prefix=".obole-backup-", dir=path.parent)
    os.close(fd)
    try:
        if _engine() == "sqlite":
            _sqlite_copy(_sqlite_path(), Path(temporary))
            kind = "SQLite database"
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", temporary])
            kind = "PostgreSQL dump (pg_restore format)"
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return kind


def restore(path: Path, *, force: bool = False) -> None:
    """Replace the database's contents with the backup at `path`."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    engine = _engine()
    if engine == "sqlite" and not head.startswith(SQLITE_MAGIC):
        raise BackupError(
            f"{path} is not a SQLite database"
            + (
                " (it is a PostgreSQL dump: restore it on PostgreSQL)."
                if head.startswith(PG_DUMP_MAGIC)
                else "."
            )
        )
    if engine == "postgresql" and not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(
            f"{path} is not a PostgreSQL dump made by `obole backup`"
            + (" (it is a SQLite database: restore it on SQLite)." if head.startswith(SQLITE_MAGIC) else ".")
        )
    in_use = rows_in_use()
    if in_use and not force:
        summary = ", ".join(f"{count} {label}" for label, count in in_use[:4])
        raise BackupError(
            f"The database is not empty ({summary}…) and a restore would replace all of it. "
            "Make a backup of it first if it matters, stop the server, then run the restore again "
            "with --force."
        )
    connections.close_all()
    if engine == "sqlite":
        _sqlite_restore(path)
    else:
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges"]
            + ["--single-transaction", "--exit-on-error", "--dbname", _pg_env()["PGDATABASE"], str(path)]
        )


def rows_in_use() -> list[tuple[str, int]]:
    """(table label, row count) of each table holding rows beyond what `migrate` writes."""
    connection = connections[DEFAULT_DB_ALIAS]
    existing = set(connection.introspection.table_names())
    counts = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in _BOOKKEEPING or model._meta.db_table not in existing or not model._meta.managed:
            continue
        count = model._default_manager.using(DEFAULT_DB_ALIAS).count()
        if count:
            counts.append((model._meta.verbose_name_plural, count))
    return sorted(counts, key=lambda item: -item[1])


# --- SQLite ------------------------------------------------------------------


def _sqlite_path() -> Path:
    name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError(
            "An in-memory SQLite database cannot be backed up; set OBOLE_DATABASE_URL to a file."
        )
    return Path(name)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database onto another with the online backup API."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # Pages in steps, so that writers of a busy server are not held for the whole copy.
        src.backup(dst, pages=1024, sleep=0.005)
    finally:
        dst.close()
        src.close()


def _sqlite_restore(path: Path) -> None:
    live = _sqlite_path()
    check = sqlite3.connect(path)
    try:
        verdict = check.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is damaged and cannot be restored: {error}") from None
    finally:
        check.close()
    if verdict != "ok":
        raise BackupError(f"{path} is damaged and cannot be restored: {verdict}")
    live.parent.mkdir(parents=True, exist_ok=True)
    existed = live.exists()
    src = sqlite3.connect(path)
    dst = sqlite3.connect(live, timeout=30)
    try:
        src.backup(dst)  # one step: readers of the live file see the old or the new database
    finally:
        dst.close()
        src.close()
    if not existed:
        os.chmod(live, 0o600)


# --- PostgreSQL ----------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    """libpq's environment variables for the configured database (no password on a command line)."""
    settings = connections[DEFAULT_DB_ALIAS].settings_dict
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if settings.get(key):
            env[variable] = str(settings[key])
    env["PGDATABASE"] = str(settings["NAME"])
    return env


def _run(command: list[str]) -> None:
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(
            f"{command[0]} is not installed; install PostgreSQL's client programs "
            "(apt-get install postgresql-client) and try again."
        )
    done = subprocess.run([program, *command[1:]], env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
