"""`obole restore PATH [--force]`: replace the database with a backup (obole/backup.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from obole import backup


class Command(BaseCommand):
    help = (
        "Replace the whole database with a file written by `obole backup`. Refuses a database that "
        "holds data unless --force is given. Stop the server first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a file written by `obole backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds accounts, posts…"
        )

    def handle(self, *args, path: Path, force: bool, **options) -> None:
        try:
            backup.restore(path, force=force)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored the database from {path}. "
            "`obole serve` (or `obole migrate`) brings it up to this version."
        )
