"""Settings of the bare ceiling (bench/ceiling.py): Obole's database, nothing else.

The database comes from obole.settings, so the ceiling talks to the same
database with the same connection options (WAL and IMMEDIATE transactions on
SQLite, persistent connections) as the server it is compared with.
"""

from obole.settings import DATABASES, SECRET_KEY  # noqa: F401

DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.ceiling"
USE_TZ = True
