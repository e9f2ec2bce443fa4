"""Row versions: a number the database itself sets afresh on every update of a row.

Statuses and accounts carry a `version` column. A trigger gives it a new value
whenever the row is updated, by whatever statement (the services' counters,
an edit, a profile change, the admin, hand-written SQL), so no code path can
change what a row shows and forget to say so. (id, version) then names one
state of a row: the render cache keys what it keeps of a home page by it
(obole.posts.rendering), instead of reading every column the entities show to
compare them — those columns were two fifths of the page query's time.

A version is never handed out twice for a row, even by a transaction that is
rolled back (whose reads may have been cached meanwhile): on PostgreSQL it is
the next value of a sequence, which a rollback does not return; on SQLite, 63
random bits (two updates of one row drawing the same one is a chance of one in
billions even for a row updated a million times). A new row's version is 0.

The triggers are made after every `migrate` (`install`, on post_migrate), not
in a migration alone: SQLite drops a table's triggers when a later migration
rebuilds the table, and making them again is harmless.
"""

from __future__ import annotations

from django.db import connections

SEQUENCE = "obole_row_version"


def versioned_tables() -> list[str]:
    from obole.accounts.models import Account
    from obole.posts.models import Status

    return [Account._meta.db_table, Status._meta.db_table]


_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION obole_next_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('{SEQUENCE}');
    RETURN NEW;
END
$$
"""


def install(using: str = "default", **_: object) -> None:
    """Make (or make again) the version triggers on the versioned tables of database `using`."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
            cursor.execute(_POSTGRES_FUNCTION)
            for table in versioned_tables():
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {table}_version BEFORE UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION obole_next_version()"
                )
        elif connection.vendor == "sqlite":
            # SQLite cannot change NEW in a trigger: the row is updated once more, which does
            # not fire the trigger again (SQLite's recursive_triggers is off, as Django leaves it).
            for table in versioned_tables():
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_version AFTER UPDATE ON {table} "  # noqa: S608
                    f"FOR EACH ROW BEGIN UPDATE {table} SET version = (random() & {2**63 - 1}) "
                    "WHERE rowid = NEW.rowid; END"
                )
        else:
            raise NotImplementedError(f"row versions on {connection.vendor}")
