"""Files only their owner may read: the SQLite database (it holds sessions) and its companions."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

# SQLite creates these beside the database with the database file's own mode.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def keep_sqlite_private(database: Path) -> None:
    """Create `database` as an empty 0600 file if it is missing; make it and its companions 0600.

    SQLite gives the WAL and shared-memory files the permissions of the database
    file, so a database created 0600 keeps every file of it private. Files made
    by an older version (0644 under the usual umask) are tightened here.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for path in (database, *(Path(f"{database}{suffix}") for suffix in SQLITE_COMPANIONS)):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
