"""Sign-up hashes the password outside any transaction.

On SQLite a transaction holds the one write lock from its start, so a slow hash
inside one made every other write wait and, under load, fail with "database is
locked" — `obole simulate` found it as 500s on posts during a sign-up burst.
"""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection

from tests.test_api_accounts import app_token, sign_up

SEEN: list[bool] = []


class RecordingHasher(MD5PasswordHasher):
    algorithm = "recording_md5"

    def encode(self, password, salt):
        SEEN.append(connection.in_atomic_block)
        return super().encode(password, salt)


@pytest.mark.django_db(transaction=True)
def test_sign_up_hashes_the_password_outside_a_transaction(settings):
    settings.PASSWORD_HASHERS = ["tests.test_sign_up_transaction.RecordingHasher"]
    SEEN.clear()
    response = sign_up(app_token("read write follow"))
    assert response.status_code == 200, response.content
    assert SEEN and not any(SEEN)
    assert response.json()["access_token"]
