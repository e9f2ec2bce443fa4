"""Django's SQLite backend, with each statement's placeholders converted once.

Django writes SQL with `%s` placeholders and its SQLite backend turns them into
sqlite3's `?` with a regular expression on every call. For the hot reads (a
home timeline page is a statement of several kilobytes) that conversion cost
more than SQLite's own work. The statements a process runs are few and
repeat, so the converted text is kept (a bounded cache keyed by the text).
Everything else is Django's backend, unchanged: settings name this package as
the ENGINE when the database is SQLite.
"""

from __future__ import annotations

import functools

from django.db.backends.sqlite3 import base

# Distinct statements kept per process; ORM statements differ only by their
# number of placeholders (IN lists), so a few thousand cover a busy server.
STATEMENTS = 4096


@functools.lru_cache(maxsize=STATEMENTS)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> CursorWrapper:
        return self.connection.cursor(factory=CursorWrapper)
