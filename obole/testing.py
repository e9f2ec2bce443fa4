"""A pytest plugin, loaded with `-p obole.testing` before Django's settings are read.

It points OBOLE_DATA_DIR at a fresh temporary directory unless one is given,
so a test run never reads or writes the developer's own data directory and
two runs side by side never share a test database.
"""

import os
import tempfile

os.environ.setdefault("OBOLE_DATA_DIR", tempfile.mkdtemp(prefix="obole-test-"))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Pages render without `collectstatic`: tests read static files from the apps."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI (OBOLE_REQUIRE_SERVICES=1) a configured PostgreSQL that is down stops the run at once."""
    url = os.environ.get("OBOLE_DATABASE_URL", "")
    if os.environ.get("OBOLE_REQUIRE_SERVICES") != "1" or not url.startswith("postgres"):
        return
    import psycopg

    try:
        psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as error:
        pytest.exit(
            f"PostgreSQL is required (OBOLE_REQUIRE_SERVICES=1) but unreachable: {error}", returncode=1
        )
