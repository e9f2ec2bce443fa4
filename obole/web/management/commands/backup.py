"""`obole backup PATH`: the whole database to one file (obole/backup.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from obole import backup


class Command(BaseCommand):
    help = (
        "Write the whole database to PATH: a SQLite copy made with the online backup API, or a "
        "pg_dump of PostgreSQL. Safe while the server runs. Keep OBOLE_FINGERPRINT_KEY with it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the file to write (replaced if it exists)")

    def handle(self, *args, path: Path, **options) -> None:
        try:
            kind = backup.backup(path)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Wrote a {kind} to {path} ({path.stat().st_size:,} bytes, readable by you only).")
        self.stdout.write(
            "Keep the fingerprint key (OBOLE_FINGERPRINT_KEY, or fingerprint_key in the data directory) "
            "with it: without the key, restored card fingerprints match no card."
        )
