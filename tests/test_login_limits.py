"""Failed sign-ins are limited per address and username, per address, and per username,
on the web sign-in form and on the OAuth password grant alike; successes never count."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = "/auth/sign_in"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME = 3
    settings.OBOLE_LOGIN_FAILURES_PER_IP = 5
    settings.OBOLE_LOGIN_FAILURES_PER_USERNAME = 8


def web_sign_in(username: str, password: str, ip: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post(SIGN_IN, {"username": username, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302


def register_app() -> dict:
    body = {"client_name": "Pocket", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"}
    return Client().post("/api/v1/apps", body).json()


def password_grant(app: dict, username: str, password: str, ip: str = "10.0.0.1", *, as_json: bool = False):
    body = {
        "grant_type": "password",
        "username": username,
        "password": password,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": "read",
    }
    client = Client(REMOTE_ADDR=ip)
    if as_json:
        return client.post("/oauth/token", json.dumps(body), content_type="application/json")
    return client.post("/oauth/token", body)


# --- the web sign-in form ----------------------------------------------------------------


def test_a_member_signs_in_on_the_web(member):
    assert signed_in(web_sign_in("mary", PASSWORD))


def test_the_web_form_refuses_after_too_many_failures_for_one_username_from_one_address(member):
    statuses = [web_sign_in("mary", "wrong password").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = web_sign_in("mary", "wrong password")
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.content.decode()
    # Past the limit even the right password waits: otherwise a guesser would never be stopped.
    assert web_sign_in("mary", PASSWORD).status_code == 429


def test_the_limit_is_case_insensitive_like_usernames(member):
    for name in ("mary", "MARY", "Mary"):
        web_sign_in(name, "wrong password")
    assert web_sign_in("mArY", PASSWORD).status_code == 429


def test_another_address_is_not_held_back_by_one_addresses_failures(member):
    for _ in range(3):
        web_sign_in("mary", "wrong password", ip="10.0.0.1")
    assert signed_in(web_sign_in("mary", PASSWORD, ip="10.0.0.2"))


def test_one_address_trying_many_usernames_is_limited(member, newcomer):
    for name in ("a_1", "a_2", "a_3", "a_4", "a_5"):
        assert web_sign_in(name, "wrong password").status_code == 200
    assert web_sign_in("nina", PASSWORD).status_code == 429
    assert signed_in(web_sign_in("nina", PASSWORD, ip="10.0.0.9"))


def test_one_username_tried_from_many_addresses_is_limited(member):
    for n in range(8):
        assert web_sign_in("mary", "wrong password", ip=f"10.0.1.{n}").status_code == 200
    assert web_sign_in("mary", PASSWORD, ip="10.0.2.1").status_code == 429


def test_successful_sign_ins_are_not_counted(member):
    for _ in range(10):
        assert signed_in(web_sign_in("mary", PASSWORD))
    for _ in range(2):
        web_sign_in("mary", "wrong password")
    assert signed_in(web_sign_in("mary", PASSWORD))


def test_a_limit_of_zero_turns_it_off(member, settings):
    settings.OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME = 0
    settings.OBOLE_LOGIN_FAILURES_PER_IP = 0
    settings.OBOLE_LOGIN_FAILURES_PER_USERNAME = 0
    for _ in range(12):
        web_sign_in("mary", "wrong password")
    assert signed_in(web_sign_in("mary", PASSWORD))


def test_a_refused_sign_in_form_still_carries_its_csrf_token(member):
    for _ in range(3):
        web_sign_in("mary", "wrong password")
    page = web_sign_in("mary", "wrong password").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'role="alert"' in page


# --- the OAuth password grant --------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_the_password_grant_answers_429_json_after_too_many_failures(member, as_json):
    app = register_app()
    for _ in range(3):
        response = password_grant(app, "mary", "wrong password", as_json=as_json)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    refused = password_grant(app, "mary", PASSWORD, as_json=as_json)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "too_many_requests"
    assert "Too many failed sign-in attempts" in body["error_description"]
    assert 0 < int(refused["Retry-After"]) <= 15 * 60


def test_the_web_form_and_the_password_grant_share_one_count(member):
    app = register_app()
    password_grant(app, "mary", "wrong password")
    password_grant(app, "mary", "wrong password")
    web_sign_in("mary", "wrong password")
    assert password_grant(app, "mary", PASSWORD).status_code == 429
    assert web_sign_in("mary", PASSWORD).status_code == 429


def test_the_password_grant_is_limited_per_address_and_per_username(member, newcomer):
    app = register_app()
    for n in range(5):
        password_grant(app, f"nobody_{n}", "wrong password", ip="10.0.3.1")
    assert password_grant(app, "nina", PASSWORD, ip="10.0.3.1").status_code == 429
    assert password_grant(app, "nina", PASSWORD, ip="10.0.3.2").status_code == 200
    for n in range(8):
        password_grant(app, "mary", "wrong password", ip=f"10.0.4.{n}")
    assert password_grant(app, "mary", PASSWORD, ip="10.0.5.1").status_code == 429


def test_successful_password_grants_are_not_counted(member):
    app = register_app()
    for _ in range(6):
        assert password_grant(app, "mary", PASSWORD).status_code == 200
    assert password_grant(app, "mary", "wrong password").status_code == 400
    assert password_grant(app, "mary", PASSWORD).status_code == 200


def test_a_wrong_client_secret_is_not_a_failed_sign_in(member):
    app = register_app()
    for _ in range(5):
        assert password_grant(app | {"client_secret": "nope"}, "mary", PASSWORD).status_code == 401
    assert password_grant(app, "mary", PASSWORD).status_code == 200
