"""The `obole` command: Django's management commands with Obole's settings.

obole serve [--host H] [--port P] [--workers N] [--streaming-port S]
obole streaming [--host H] [--port P]   (the streaming server alone, for production)
obole billing run [--as-of 2026-12-01T00:00Z]
obole billing refund <ledger id> [--amount MINOR_UNITS]
obole migrate, obole createsuperuser, … (every Django command)
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")
    from obole.lib.env import ConfigError

    argv = list(sys.argv if argv is None else argv)
    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["obole", *argv[1:]])
    except ConfigError as error:
        sys.stderr.write(f"obole: configuration error: {error}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
