"""Clients as they really behave: trailing slashes, bodies on GETs, features Obole lacks, discovery."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.test import Client
from django.test.client import encode_multipart

from obole.accounts.models import Account
from tests.conftest import Api
from tests.live import serve
from tests.schema import assert_entity
from tests.test_api_oauth import client_grant, register

pytestmark = pytest.mark.django_db


def test_oauth_and_api_paths_answer_with_or_without_a_trailing_slash(member, api_as):
    api = api_as(member)
    for path in ("/api/v1/accounts/verify_credentials", "/api/v1/instance", "/api/v1/timelines/home"):
        assert api.get(path + "/").status_code == 200, path
    app = register()
    query = f"?client_id={app['client_id']}&response_type=code&redirect_uri=urn:ietf:wg:oauth:2.0:oob"
    without, with_slash = Client().get("/oauth/authorize" + query), Client().get("/oauth/authorize/" + query)
    assert without.status_code == with_slash.status_code == 302
    assert without["Location"].split("?")[0] == with_slash["Location"].split("?")[0] == "/auth/sign_in"
    token = Client().post(
        "/oauth/token/",
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert token.status_code == 200 and token.json()["access_token"]
    assert Client().get("/.well-known/oauth-authorization-server/").status_code == 200
    # An unknown path stays unknown, slash or not.
    assert Client().get("/api/v1/nothing_here/").status_code == 404


def test_a_get_with_a_json_array_body_is_answered_from_the_query(member, api_as):
    api = api_as(member)
    response = api.client.generic(
        "GET", "/api/v1/markers?timeline[]=home", "[]", content_type="application/json", headers=api.headers
    )
    assert response.status_code == 200 and response.json() == {}
    # Malformed JSON is still a malformed request, as on Mastodon.
    broken = api.client.generic(
        "GET", "/api/v1/markers", "[", content_type="application/json", headers=api.headers
    )
    assert broken.status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "words"),
    [
        ("POST", "/api/v1/filters", "Changing filters through API v1"),
        ("GET", "/api/v1/scheduled_statuses", "Scheduled"),
        ("DELETE", "/api/v1/media/1", "unattached picture"),
        ("POST", "/api/v1/push/subscription", "Web Push"),
        ("GET", "/api/v2/notifications", "Grouped notifications"),
    ],
)
def test_a_feature_obole_lacks_says_so_with_422(member, api_as, method, path, words):
    api = api_as(member)
    response = api.client.generic(method, path, "{}", content_type="application/json", headers=api.headers)
    assert response.status_code == 422, response.content
    message = response.json()["error"]
    assert words in message and "not supported" in message


def test_an_avatar_or_header_upload_is_refused_rather_than_dropped(member, api_as):
    api = api_as(member)
    for name in ("avatar", "header"):
        picture = _Upload(f"{name}.png", b"\x89PNG\r\n\x1a\n")
        body = encode_multipart("BoUnDaRy", {"display_name": "Mary M.", name: picture})
        response = api.client.generic(
            "PATCH",
            "/api/v1/accounts/update_credentials",
            body,
            content_type="multipart/form-data; boundary=BoUnDaRy",
            headers=api.headers,
        )
        assert response.status_code == 422, response.content
        assert name in response.json()["error"] and "not supported" in response.json()["error"]
    fields = api.client.generic(
        "PATCH",
        "/api/v1/accounts/update_credentials",
        json.dumps({"fields_attributes": {"0": {"name": "web", "value": "x"}}}),
        content_type="application/json",
        headers=api.headers,
    )
    assert fields.status_code == 422
    assert Account.objects.get(pk=member.pk).display_name == ""


class _Upload:
    """A file for encode_multipart: a name and content."""

    def __init__(self, name: str, content: bytes):
        self.name, self.content = name, content

    def read(self) -> bytes:
        return self.content


def test_the_instance_never_publishes_an_empty_contact_address(settings):
    settings.OBOLE_CONTACT_EMAIL = ""
    v1, v2 = Client().get("/api/v1/instance").json(), Client().get("/api/v2/instance").json()
    assert "email" not in v1 and "email" not in v2["contact"]
    settings.OBOLE_CONTACT_EMAIL = "admin@obole.example"
    assert Client().get("/api/v2/instance").json()["contact"]["email"] == "admin@obole.example"


def test_oauth_server_metadata_has_every_field_the_document_requires(member, api_as):
    metadata = Client().get("/.well-known/oauth-authorization-server").json()
    assert_entity("DiscoverOauthServerConfigurationResponse", metadata)
    userinfo = api_as(member).get(metadata["userinfo_endpoint"].removeprefix("http://testserver"))
    assert userinfo.status_code == 200
    assert userinfo.json()["preferred_username"] == "mary" and userinfo.json()["sub"].endswith("/@mary")
    assert Client().get("/oauth/userinfo").status_code == 401


@pytest.mark.slow
def test_serve_on_another_port_makes_links_with_that_port(tmp_path, settings):
    with serve(tmp_path, "port", OBOLE_BASE_URL="") as (base, _env):
        registration = {"client_name": "t", "redirect_uris": "urn:x", "scopes": "read write"}
        app = json.loads(_post(f"{base}/api/v1/apps", registration))
        grant = {"grant_type": "client_credentials", "scope": "read write"}
        grant |= {"client_id": app["client_id"], "client_secret": app["client_secret"]}
        app_token = json.loads(_post(f"{base}/oauth/token", grant))["access_token"]
        signup = {
            "username": "porty",
            "email": "p@example.org",
            "password": "a long pass phrase",
            "agreement": True,
        }
        token = json.loads(_post(f"{base}/api/v1/accounts", signup, app_token))["access_token"]
        me = json.loads(_get(f"{base}/api/v1/accounts/verify_credentials", token))
    assert me["url"] == f"{base}/@porty" and me["avatar"].startswith(base)


def _post(url: str, body: dict, token: str | None = None) -> str:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()
    except urllib.error.HTTPError as exc:
        raise AssertionError(exc.read().decode()) from None


def _get(url: str, token: str) -> str:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


def test_an_app_token_cannot_read_userinfo():
    token = client_grant(register(), "read").json()["access_token"]
    assert Api(token).get("/oauth/userinfo").status_code == 401
