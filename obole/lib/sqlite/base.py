"""Django's SQLite backend, with two changes for a server with many threads.

1. Each statement's placeholders are converted once. Django writes SQL with
   `%s` placeholders and its SQLite backend turns them into sqlite3's `?` with
   a regular expression on every call; for the hot reads (a home timeline page
   is a statement of several kilobytes) that cost more than SQLite's own work.
   The statements a process runs are few and repeat, so the converted text is
   kept (a bounded cache keyed by the text).

2. Write transactions queue in line. SQLite has one writer at a time; a
   transaction that finds the lock taken sleeps and tries again, and SQLite's
   sleeps grow to 100 ms, so with a few threads posting at once the lock sat
   free while they slept (posts' p99 was over a second). Obole's transactions
   take the write lock when they begin (IMMEDIATE), so before they begin, a
   thread takes its process's Python lock (handed over at once), then an
   advisory lock on a file beside the database that processes share (`.lock`,
   tried every half millisecond). A statement that writes outside a
   transaction (SQLite makes it one of its own: a save() or update() not in
   atomic(), the daily last-seen) queues the same way for its length.
   Writers that do not go through Django (Huey's queue is another file; the
   `sqlite3` shell) still meet at SQLite's own lock and its timeout, as before.

Everything else is Django's backend, unchanged: settings name this package as
the ENGINE when the database is SQLite.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
import time
from collections.abc import Callable

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# Distinct statements kept per process; ORM statements differ only by their
# number of placeholders (IN lists), so a few thousand cover a busy server.
STATEMENTS = 4096

# How often a process tries the shared file lock while another process writes.
RETRY_SECONDS = 0.0005

_writers: dict[str, threading.Lock] = {}
_writers_lock = threading.Lock()
_lock_files: dict[tuple[int, str], int] = {}  # (process id, database) → open lock file


@functools.lru_cache(maxsize=STATEMENTS)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


def _writer(name: str) -> threading.Lock:
    """The lock this process's threads take in turn to write to database `name`."""
    with _writers_lock:
        return _writers.setdefault(name, threading.Lock())


def _forget_locks_after_fork() -> None:
    """A forked child starts with no lock held: a lock copied while a parent's thread held it
    would stay taken for ever in the child, and the parent's lock file descriptor is shared."""
    global _writers_lock
    _writers.clear()
    _lock_files.clear()
    _writers_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_locks_after_fork)


def _lock_file(name: str) -> int:
    """This process's descriptor of the lock file of database `name`: opened by each process
    (a descriptor inherited through fork would share its lock with the parent)."""
    key = (os.getpid(), name)
    fd = _lock_files.get(key)
    if fd is None:
        fd = _lock_files[key] = os.open(f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    return fd


def _take_file_lock(fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(RETRY_SECONDS)


# The statements that write (what Django's ORM and Obole's own SQL send outside a transaction).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class CursorWrapper(base.SQLiteCursorWrapper):
    database: DatabaseWrapper | None = None  # set by DatabaseWrapper.create_cursor

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)

    def execute(self, query: str, params: object = None) -> CursorWrapper:
        return self._in_turn(super().execute, query, params)

    def executemany(self, query: str, param_list: object) -> CursorWrapper:
        return self._in_turn(super().executemany, query, param_list)

    def _in_turn(self, run: Callable[[str, object], object], query: str, args: object) -> CursorWrapper:
        """`run(query, args)`, in the writers' turn when it writes outside a transaction."""
        database = self.database
        if database is None or not database.queue_for(query):
            return run(query, args)
        try:
            return run(query, args)
        finally:
            database._release_writer()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False

    def create_cursor(self, name: str | None = None) -> CursorWrapper:
        cursor = self.connection.cursor(factory=CursorWrapper)
        cursor.database = self
        return cursor

    def _queues(self) -> bool:
        return self.transaction_mode in ("IMMEDIATE", "EXCLUSIVE") and not self.is_in_memory_db()

    def _take_writer(self) -> None:
        """Wait for this process's turn, then for the processes' (see the module's docstring)."""
        name = self.settings_dict["NAME"]
        timeout = self.settings_dict.get("OPTIONS", {}).get("timeout", 5)
        writer = _writer(name)
        if not writer.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        if not _take_file_lock(_lock_file(name), timeout):
            writer.release()
            raise OperationalError("database is locked")
        self._holds_writer = True

    def queue_for(self, query: str) -> bool:
        """Take the writers' turn for `query` when it writes outside a transaction: True when taken
        (the caller releases it once the statement has run)."""
        if self._holds_writer or self.in_atomic_block or not query.lstrip()[:6].upper().startswith(_WRITES):
            return False
        if not self.get_autocommit() or not self._queues():
            return False
        self._take_writer()
        return True

    def _start_transaction_under_autocommit(self) -> None:
        if self._queues():
            self._take_writer()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _set_autocommit(self, autocommit: bool) -> None:
        super()._set_autocommit(autocommit)
        if autocommit:  # the end of a transaction begun above, committed or rolled back
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_writer()

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            name = self.settings_dict["NAME"]
            fcntl.flock(_lock_file(name), fcntl.LOCK_UN)
            with contextlib.suppress(RuntimeError):  # a connection carried through a fork
                _writer(name).release()
