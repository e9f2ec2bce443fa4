"""The test world: a member who pays, a newcomer who has not, an outsider.

Time is passed explicitly (`now=`) to the services, so no test depends on the
wall clock. Tests that need PostgreSQL or Redis fail, not skip, when
OBOLE_REQUIRE_SERVICES is set (as CI does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from obole.accounts.services import create_account
from obole.membership import services
from obole.membership.providers.sandbox import SandboxCard
from tests.stripe_fixtures import localstripe, provider, stripe_provider  # noqa: F401 (fixtures)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
ALL_SCOPES = "read write follow push"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_at_once(request):
    """Huey's immediate mode: a task runs when queued (fan-out inside the post's transaction).

    A test that takes `real_queue` gets the configured queue instead, for a worker process.
    """
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = "real_queue" not in request.fixturenames
    yield
    HUEY.immediate = False


@pytest.fixture
def real_queue():
    """Tasks go to the real queue (SQLite file or Redis), for an `obole worker` to take."""


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no rate limit spent (nor anything else in the cache)."""
    from obole.api import ratelimit

    ratelimit.forget()


def card(number: str = "4242424242424242", exp_month: int = 12, exp_year: int = 2030, cvc: str = "123"):
    return SandboxCard(card_number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)


def numbered_card(n: int) -> str:
    """A distinct Luhn-valid card number for each n (the sandbox accepts them all)."""
    body = f"4{n:014d}"
    for check in range(10):
        candidate = body + str(check)
        from obole.membership.cards import luhn_valid

        if luhn_valid(candidate):
            return candidate
    raise AssertionError


def make_account(username: str, *, paid: bool = False, number: str | None = None, now: datetime = NOW):
    account = create_account(username, PASSWORD, f"{username}@example.org")
    if paid:
        services.pay(account, card(number or numbered_card(account.pk % 10**12)), now=now)
        account.membership.refresh_from_db()
    return account


@pytest.fixture
def member(db):
    return make_account("mary", paid=True, number="4242424242424242")


@pytest.fixture
def newcomer(db):
    return make_account("nina")


@pytest.fixture
def outsider(db):
    return make_account("oscar")


def token_for(account, scope: str = ALL_SCOPES, expires: datetime | None = None) -> str:
    app, _ = Application.objects.get_or_create(
        name="test client",
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_PASSWORD,
        },
    )
    # Recently active, as a member with a token is: the once-a-day "last seen" write
    # then stays out of the query counts the API tests assert.
    type(account).objects.filter(pk=account.pk).update(last_login=timezone.now())
    raw = f"token-{account.pk}-{scope.replace(' ', '-')}-{AccessToken.objects.count()}"
    AccessToken.objects.create(
        user=account,
        application=app,
        token=raw,
        scope=scope,
        expires=expires or datetime(2099, 1, 1, tzinfo=UTC),
    )
    return raw


class Api:
    """A Django test client that speaks to the API with a bearer token."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, data=None, *, json: bool = True, **extra):
        if json:
            import json as json_module

            body = data if isinstance(data, (str, bytes)) else json_module.dumps(data or {})
            return self.client.post(
                path, body, content_type="application/json", headers=self.headers, **extra
            )
        return self.client.post(path, data or {}, headers=self.headers, **extra)


@pytest.fixture
def api_as():
    return lambda account, scope=ALL_SCOPES: Api(token_for(account, scope))


def subprocess_env() -> dict[str, str]:
    """The environment for an `obole` subprocess that uses the test database."""
    db = connection.settings_dict
    env = dict(os.environ)
    if connection.vendor == "sqlite":
        env["OBOLE_DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        user = db["USER"] or "postgres"
        env["OBOLE_DATABASE_URL"] = f"postgres://{user}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env["OBOLE_DATA_DIR"] = str(settings.DATA_DIR)
    env["OBOLE_FINGERPRINT_KEY"] = settings.OBOLE_FINGERPRINT_KEY
    env["OBOLE_SECRET_KEY"] = settings.SECRET_KEY
    return env


def bench_env() -> tuple[str, dict[str, str]]:
    """The database the suite runs on, for the harnesses in bench/ (they make their own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBOLE_")}
    url = os.environ.get("OBOLE_DATABASE_URL", "")
    if url.startswith("postgres"):
        env["BENCH_POSTGRES"] = url.rsplit("/", 1)[0]
        return "postgresql", env
    return "sqlite", env


def obole(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "obole", *args],
        env=env or subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def assert_error(response, status: int, *words: str) -> None:
    """An API error answer: its status, and an `error` message naming each of `words` (any case)."""
    assert response.status_code == status, response.content
    message = response.json()["error"]
    for word in words:
        assert word.lower() in message.lower(), message


def send(api: Api, method: str, path: str, body: dict | None = None):
    """Any method with a JSON body, as apps send PUT and DELETE."""
    return api.client.generic(
        method, path, json.dumps(body or {}), content_type="application/json", headers=api.headers
    )
