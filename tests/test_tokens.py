"""Tokens from django-oauth-toolkit's token endpoint work on the API, and are not stored in the clear."""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from tests.conftest import PASSWORD, Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    application = Application(
        name="a client",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
        client_secret="s3cret-s3cret-s3cret",
    )
    application.save()
    application.plain_secret = "s3cret-s3cret-s3cret"
    return application


def password_grant(app, username: str, password: str, scope: str = "read write follow push"):
    return Client().post(
        "/oauth/token",
        {
            "grant_type": "password",
            "username": username,
            "password": password,
            "client_id": app.client_id,
            "client_secret": app.plain_secret,
            "scope": scope,
        },
    )


def test_a_password_grant_token_reads_the_membership(newcomer, app):
    response = password_grant(app, "NINA", PASSWORD)  # usernames are case-insensitive at log-in too
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "read write follow push"
    membership = Api(body["access_token"]).get("/api/obole/v1/membership")
    assert membership.status_code == 200 and membership.json()["state"] == "pending_payment"


def test_tokens_are_stored_only_as_a_checksum(newcomer, app):
    raw = password_grant(app, "nina", PASSWORD).json()["access_token"]
    stored = AccessToken.objects.get()
    assert stored.token == "" and stored.token_checksum != raw and len(stored.token_checksum) == 64


def test_a_wrong_password_gets_no_token(newcomer, app):
    response = password_grant(app, "nina", "wrong")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_revoked_token_stops_working(newcomer, app):
    raw = password_grant(app, "nina", PASSWORD).json()["access_token"]
    revoked = Client().post(
        "/oauth/revoke",
        {"token": raw, "client_id": app.client_id, "client_secret": app.plain_secret},
    )
    assert revoked.status_code == 200
    assert Api(raw).get("/api/obole/v1/membership").status_code == 401
