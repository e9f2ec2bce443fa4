"""Sign-up and app registration hash their secrets outside any transaction.

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


@pytest.mark.django_db(transaction=True)
def test_registering_an_app_hashes_its_secret_outside_a_transaction(settings, client):
    settings.PASSWORD_HASHERS = ["tests.test_sign_up_transaction.RecordingHasher"]
    SEEN.clear()
    response = client.post(
        "/api/v1/apps", {"client_name": "a client", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
    )
    assert response.status_code == 200, response.content
    assert SEEN and not any(SEEN)
    app = response.json()
    grant = {"grant_type": "client_credentials", "scope": "read"}
    token = client.post(
        "/oauth/token", grant | {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    )
    assert token.status_code == 200, token.content
