"""`obole backup` and `obole restore`: a round trip gives back the same ledger and posts.

Runs on whichever database the suite runs on (SQLite locally, PostgreSQL in
CI's second run), with the real `pg_dump` and `pg_restore` there.
"""

from __future__ import annotations

import os
import stat

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from obole.accounts.models import Account
from obole.membership import services
from obole.membership.models import LedgerEntry, Membership
from obole.posts.models import Status
from obole.posts.services import post_status
from tests.conftest import NOW, make_account

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def ledger() -> list[tuple]:
    return list(
        LedgerEntry.objects.order_by("pk").values_list(
            "pk", "account_id", "kind", "amount", "currency", "provider_ref"
        )
    )


def posts() -> list[tuple]:
    return list(
        Status.objects.order_by("pk").values_list("pk", "account_id", "text", "content", "created_at")
    )


@pytest.fixture
def world() -> dict:
    """Two paying members, a refund, a thread of posts: what a backup must keep."""
    mary = make_account("mary", paid=True)
    sam = make_account("sam", paid=True)
    services.refund(LedgerEntry.objects.get(account=sam), amount=100, now=NOW)
    first = post_status(mary, "Backups are a #promise to the future", now=NOW)
    post_status(sam, "@mary and restores keep it", in_reply_to_id=first.pk, now=NOW)
    return {"ledger": ledger(), "posts": posts(), "accounts": Account.objects.count()}


def test_a_backup_restored_over_a_changed_database_gives_back_its_ledger_and_posts(world, tmp_path, capsys):
    path = tmp_path / "obole.backup"
    call_command("backup", str(path))
    assert "fingerprint key" in capsys.readouterr().out
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # it holds sessions and password hashes

    # Life goes on after the backup: a post, a member, a charge; and a post is lost.
    post_status(Account.objects.get(username="mary"), "written after the backup", now=NOW)
    make_account("late", paid=True)
    Status.objects.filter(text__startswith="@mary").delete()
    assert ledger() != world["ledger"] and posts() != world["posts"]

    call_command("restore", str(path), "--force")

    assert ledger() == world["ledger"]
    assert posts() == world["posts"]
    assert Account.objects.count() == world["accounts"]
    assert Membership.objects.filter(state="active").count() == 2
    # The restored database works: the members can post again.
    post_status(Account.objects.get(username="mary"), "after the restore", now=NOW)


def test_restore_refuses_a_database_that_holds_data_without_force_and_says_why(world, tmp_path):
    path = tmp_path / "obole.backup"
    call_command("backup", str(path))
    post_status(Account.objects.get(username="mary"), "not to be lost by a mistyped command", now=NOW)
    with pytest.raises(CommandError, match=r"not empty \(.*\).*--force"):
        call_command("restore", str(path))
    assert Status.objects.filter(text__startswith="not to be lost").exists()


def test_restore_fills_an_empty_database_without_force(world, tmp_path):
    path = tmp_path / "obole.backup"
    call_command("backup", str(path))
    # Empty the database as a new server's is: tables migrated, no rows.
    call_command("flush", "--no-input")
    assert not Account.objects.exists()

    call_command("restore", str(path))

    assert ledger() == world["ledger"]
    assert posts() == world["posts"]


def test_restore_refuses_what_is_not_a_backup_of_this_kind_of_database(db, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    with pytest.raises(CommandError, match="not a"):
        call_command("restore", str(junk))
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" if connection.vendor == "sqlite" else b"SQLite format 3\x00")
    with pytest.raises(CommandError, match="restore it on"):
        call_command("restore", str(other), "--force")
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "missing.backup"))
