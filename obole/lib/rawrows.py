"""Model instances from hand-written SQL, as the ORM would have made them.

The hottest reads (a token's account, a page of a home timeline) spend far
more time building their query with the ORM than running it. They are written
out in SQL once; this module gives the column list to select for a model and
turns the selected values back into an instance, with the same conversions
the ORM applies (dates on SQLite, JSON fields, booleans).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.db.models.base import ModelState

from obole.lib.sqlite.base import _qmark

# How many times the same statement runs on a PostgreSQL connection before it is prepared.
PREPARE_AFTER = 2


@functools.cache
def _fields(model: type[Model]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    concrete = model._meta.concrete_fields
    return tuple(field.column for field in concrete), tuple(field.attname for field in concrete)


def columns(model: type[Model], alias: str) -> str:
    """`alias.col1, alias.col2, …`: every concrete column of `model`, in field order."""
    return _columns(model, alias, connection.vendor)


@functools.cache
def _columns(model: type[Model], alias: str, vendor: str) -> str:
    selected = []
    for field in model._meta.concrete_fields:
        column = f"{alias}.{connection.ops.quote_name(field.column)}"
        if field.get_internal_type() in _TEXT_TIMES:
            # Both drivers parse dates and times in Python as rows are fetched (sqlite3's
            # converters; Django's time-zone loader for psycopg), and a page of statuses has a
            # hundred of them: selected as text, they are parsed only if `instance` is asked for
            # them (the hot reads' caches mostly never ask).
            column = f"CAST({column} AS TEXT)"
        selected.append(column)
    return ", ".join(selected)


_TEXT_TIMES = frozenset(("DateTimeField", "DateField"))


@functools.cache
def width(model: type[Model]) -> int:
    """How many values `columns(model, …)` selects."""
    return len(_fields(model)[0])


@functools.cache
def _converters(model: type[Model], vendor: str) -> tuple[tuple[int, tuple[Callable, ...], object], ...]:
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        chain = tuple(connection.ops.get_db_converters(column) + column.get_db_converters(connection))
        if vendor == "postgresql" and field.get_internal_type() in _TEXT_TIMES:
            chain = (_from_text, *chain)  # selected as text (columns); SQLite's own converters parse it
        if chain:
            found.append((index, chain, column))
    return tuple(found)


def _from_text(value: object, expression: object, connection: object) -> object:
    """A PostgreSQL date or timestamptz selected as text ("2026-12-01 05:49:34.123+00")."""
    if not isinstance(value, str):
        return value
    return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)


def instance(model: type[Model], values: Sequence) -> Model:
    """A `model` instance from the values of `columns(model, …)`, converted as the ORM converts them."""
    values = list(values)
    for index, chain, column in _converters(model, connection.vendor):
        value = values[index]
        for convert in chain:
            value = convert(value, column, connection)
        values[index] = value
    return model.from_db(connection.alias, _fields(model)[1], values)


def id_list(column: str) -> str:
    """SQL for "`column` is one of the ids of `id_param(ids)`", passed as ONE parameter: the
    statement's text is then the same however many ids a page has, so PostgreSQL prepares it
    once per connection and the drivers convert it once, instead of once per length."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])"
    return f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (a column name of ours)


def id_param(ids: Iterable[int]) -> str:
    """The parameter of `id_list`: an array literal on PostgreSQL, a JSON array on SQLite."""
    listed = ",".join(str(int(pk)) for pk in ids)
    if connection.vendor == "postgresql":
        return "{" + listed + "}"  # an array literal: psycopg dumps a list item by item in Python
    return "[" + listed + "]"


def moment(value: datetime) -> object:
    """A datetime as a parameter of hand-written SQL, stored as the ORM stores it (naive UTC
    text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def copy(row: Model) -> Model:
    """A fresh instance with `row`'s field values (shallow; no cached relations), as `instance` would
    make it from the same values, in a tenth of the time."""
    new = row.__class__.__new__(row.__class__)
    new.__dict__ = row.__dict__.copy()
    new._state = state = ModelState()
    state.adding = False
    state.db = row._state.db
    return new


def prepared_cursor() -> CursorWrapper | BareCursor:
    """A cursor for the hot hand-written queries: on PostgreSQL their statements are prepared
    (parsed and planned once per connection rather than on every call; the rest of the code
    keeps Django's client-side binding, which poolers need); on SQLite, sqlite3's own cursor
    (`BareCursor`) unless queries are being watched. Django's cursor wrapper otherwise, so that
    the queries count and show in the logs like any other."""
    # The thread's connection, looked up once: each attribute of django.db.connection is
    # another lookup of it (a tenth of a home read's time went to those lookups).
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        if db.queries_logged or db.execute_wrappers or db.in_atomic_block:
            return db.cursor()
        db.close_if_health_check_failed()
        db.ensure_connection()
        return BareCursor(db, db.connection.cursor())
    if not settings.OBOLE_DATABASE_PREPARE:
        return db.cursor()
    import psycopg

    db.ensure_connection()
    raw = db.connection
    if raw.prepare_threshold != PREPARE_AFTER:
        raw.prepare_threshold = PREPARE_AFTER  # only server-binding cursors (these) ever prepare
    return db._prepare_cursor(psycopg.Cursor(raw))


class BareCursor:
    """sqlite3's cursor for the hot reads, with Django's placeholders and error classes.

    Django's wrappers around a SQLite cursor (query logging hooks, the placeholder
    conversion, an error wrapper made again for every fetch) cost a quarter of the token
    query's time. They are worth it when someone watches the queries (DEBUG, a test counting
    them, a profiler's execute_wrapper) or inside a transaction, which this cursor is never
    given (prepared_cursor)."""

    __slots__ = ("cursor", "errors")

    def __init__(self, db: BaseDatabaseWrapper, cursor: object):
        self.cursor = cursor
        self.errors = db.wrap_database_errors

    def __enter__(self) -> BareCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cursor.close()

    def execute(self, sql: str, params: Sequence = ()) -> None:
        with self.errors:
            self.cursor.execute(_qmark(sql), params)

    def fetchone(self) -> tuple | None:
        with self.errors:
            return self.cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        with self.errors:
            return self.cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self.cursor.rowcount
