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
