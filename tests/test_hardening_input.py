"""Bad input gets a 4xx, never a 500: the cases a fuzzer and hand-written attacks found.

Every case runs on SQLite and on PostgreSQL (which refuses NUL in text, and
64-bit overflow as `bigint out of range`). The Django test client re-raises a
view's exception, so a 500 fails these tests loudly.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from obole.accounts.models import Account
from obole.posts import services
from obole.posts.models import Status
from tests.conftest import NOW, PASSWORD, Api
from tests.test_api_oauth import client_grant, register, token_request

pytestmark = pytest.mark.django_db

HUGE = "9" * 30
NUL = "a\x00b"
SURROGATE = "a\ud800b"


def assert_refused(response, *statuses: int) -> dict | None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if statuses:
        assert response.status_code in statuses, (response.status_code, response.content[:300])
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        assert isinstance(body["error"], str) and body["error"]
        return body
    return None


def raw_json(api: Api, method: str, path: str, text: str):
    return api.client.generic(method, path, text, content_type="application/json", headers=api.headers)


# --- integers past 64 bits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/statuses/{HUGE}",
        f"/api/v1/statuses/{HUGE}/context",
        f"/api/v1/statuses/{HUGE}/favourited_by",
        f"/api/v1/accounts/{HUGE}",
        f"/api/v1/accounts/{HUGE}/statuses",
        f"/api/v1/accounts/{HUGE}/followers",
        f"/api/v1/notifications/{HUGE}",
        f"/@mary/{HUGE}",
    ],
)
def test_ids_past_64_bits_in_a_path_are_not_found(member, api_as, path):
    assert_refused(api_as(member).get(path), 404)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/timelines/public", {"limit": HUGE}),
        ("/api/v1/timelines/public", {"max_id": HUGE, "since_id": HUGE, "min_id": HUGE}),
        ("/api/v1/timelines/home", {"max_id": HUGE}),
        ("/api/v1/notifications", {"account_id": HUGE, "max_id": HUGE}),
        ("/api/v2/search", {"q": "hello", "offset": HUGE}),
        ("/api/v2/search", {"q": "hello", "account_id": HUGE, "type": "statuses"}),
        ("/api/v2/search", {"q": "hello", "limit": HUGE}),
        ("/api/v1/accounts/search", {"q": "ma", "offset": HUGE, "limit": HUGE}),
        ("/api/v1/statuses", {"id[]": [HUGE, "-1"]}),
        ("/api/v1/accounts", {"id[]": [HUGE]}),
        ("/api/v1/accounts/relationships", {"id[]": [HUGE]}),
    ],
)
def test_ids_limits_and_offsets_past_64_bits_in_a_query_never_fail(member, api_as, path, params):
    services.post_status(member, "hello", now=NOW)
    response = api_as(member).get(path, **params)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert_refused(response)


def test_a_reply_to_an_id_past_64_bits_is_not_found(member, api_as):
    response = api_as(member).post("/api/v1/statuses", {"status": "hi", "in_reply_to_id": HUGE})
    assert_refused(response, 404)


# --- text the database cannot store -----------------------------------------------------------------


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("field", ["status", "spoiler_text", "language"])
def test_a_status_with_a_nul_or_a_lone_surrogate_is_refused(member, api_as, field, bad):
    body = {"status": "fine"} | {field: bad}
    assert_refused(api_as(member).post("/api/v1/statuses", body), 400)
    assert not Status.objects.exists()


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("field", ["display_name", "note"])
def test_a_profile_with_a_nul_or_a_lone_surrogate_is_refused(member, api_as, field, bad):
    api = api_as(member)
    body = json.dumps({field: bad})
    assert_refused(raw_json(api, "PATCH", "/api/v1/accounts/update_credentials", body), 400)
    form = f"{field}=a%00b"
    assert_refused(
        api.client.generic(
            "PATCH",
            "/api/v1/accounts/update_credentials",
            form,
            content_type="application/x-www-form-urlencoded",
            headers=api.headers,
        ),
        400,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/search?q=a%00b",
        "/api/v1/accounts/search?q=a%00b",
        "/api/v1/accounts/lookup?acct=a%00b",
        "/api/v1/timelines/tag/a%00b",
        "/api/v1/tags/a%00b",
        "/api/v1/timelines/public?max_id=1%00",
        "/tags/a%00b",
        "/search?q=a%00b",
        "/@a%00b",
    ],
)
def test_a_nul_in_a_query_or_a_path_is_refused_with_or_without_a_token(member, api_as, path):
    assert_refused(Client().get(path), 400)
    assert_refused(api_as(member).client.get(path, headers=api_as(member).headers), 400)


def test_an_app_name_with_a_nul_is_refused():
    body = assert_refused(Client().post("/api/v1/apps", {"client_name": NUL, "redirect_uris": "urn:x"}), 400)
    assert "NUL" in body["error"]
    as_json = {"client_name": SURROGATE, "redirect_uris": "urn:x"}
    assert_refused(Client().post("/api/v1/apps", json.dumps(as_json), content_type="application/json"), 400)


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("field", ["username", "password", "code", "refresh_token", "client_id"])
def test_oauth_fields_with_a_nul_or_a_surrogate_are_refused(newcomer, as_json, field):
    app = register()
    grant = "authorization_code" if field == "code" else "password"
    body = {
        "grant_type": "refresh_token" if field == "refresh_token" else grant,
        "username": "nina",
        "password": PASSWORD,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    body[field] = SURROGATE if as_json else NUL
    response = token_request(body, as_json=as_json)
    assert_refused(response, 400)
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/auth/sign_in", {"username": NUL, "password": "x"}),
        ("/auth/sign_in", {"username": "nina", "password": NUL}),
        ("/auth/sign_up", {"username": "new", "email": "a\x00@example.org", "password": PASSWORD}),
        ("/statuses/new", {"status": NUL}),
        ("/settings/profile", {"display_name": NUL, "default_visibility": "public"}),
    ],
)
def test_web_forms_with_a_nul_are_refused(member, newcomer, path, form):
    client = Client()
    client.force_login(member)
    assert_refused(client.post(path, form), 400)


# --- sizes and shapes -----------------------------------------------------------------------------


def test_json_nested_tens_of_thousands_deep_is_refused(member, api_as):
    deep = '{"status": ' + "[" * 50_000 + "]" * 50_000 + "}"
    body = assert_refused(raw_json(api_as(member), "POST", "/api/v1/statuses", deep), 400)
    assert "nested" in body["error"]
    medium = '{"status": "x", "poll": ' + '{"a": ' * 900 + "1" + "}" * 900 + "}"
    assert raw_json(api_as(member), "POST", "/api/v1/statuses", medium).status_code < 500
    oauth = token_request_raw('{"grant_type": ' + "[" * 50_000 + "]" * 50_000 + "}")
    assert_refused(oauth, 400)


def token_request_raw(text: str):
    return Client().post("/oauth/token", text, content_type="application/json")


def test_a_username_of_100000_characters_at_sign_in_is_refused(member):
    long = "m" * 100_000
    page = Client().post("/auth/sign_in", {"username": long, "password": PASSWORD})
    assert page.status_code in (200, 400, 422, 429)
    app = register()
    grant = {"grant_type": "password", "username": long, "password": PASSWORD}
    grant |= {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    assert_refused(token_request(grant), 400)


def test_an_email_longer_than_its_column_is_refused_at_sign_up(db):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".org"
    assert len(email) > 254
    app = register()
    api = Api(client_grant(app, "read write").json()["access_token"])
    body = {"username": "longmail", "email": email, "password": PASSWORD, "agreement": True}
    refused = api.post("/api/v1/accounts", body)
    assert_refused(refused, 422)
    assert "email" in refused.json()["details"]
    page = Client().post("/auth/sign_up", {"username": "longmail", "email": email, "password": PASSWORD})
    assert page.status_code == 200 and "too long" in page.content.decode()  # the form again, saying why
    assert not Account.objects.filter(username="longmail").exists()
