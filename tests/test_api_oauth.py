"""OAuth as Mastodon apps use it: register, get tokens by each grant, authorize in a browser, revoke."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from obole.api.auth import find_app_token, find_token, grants
from tests.conftest import PASSWORD, Api
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK = "https://app.example/callback"


def register(client: Client | None = None, *, as_json: bool = False, **fields) -> dict:
    body = {"client_name": "Pocket", "redirect_uris": CALLBACK, "scopes": "read write follow push"} | fields
    client = client or Client()
    if as_json:
        response = client.post("/api/v1/apps", json.dumps(body), content_type="application/json")
    else:
        response = client.post("/api/v1/apps", body)
    assert response.status_code == 200, response.content
    return response.json()


def token_request(body: dict, *, as_json: bool = False):
    if as_json:
        return Client().post("/oauth/token", json.dumps(body), content_type="application/json")
    return Client().post("/oauth/token", body)


def password_grant(
    app: dict, scope: str | None = "read write follow push", *, as_json: bool = False, **extra
):
    body = {
        "grant_type": "password",
        "username": "nina",
        "password": PASSWORD,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    if scope is not None:
        body["scope"] = scope
    return token_request(body | extra, as_json=as_json)


def client_grant(app: dict, scope: str | None = None, *, as_json: bool = False):
    body = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    if scope is not None:
        body["scope"] = scope
    return token_request(body, as_json=as_json)


# --- POST /api/v1/apps ------------------------------------------------------------------


def test_registering_an_app_answers_a_mastodon_credential_application():
    app = register(website="https://app.example")
    assert_entity("CredentialApplication", app, send_nulls=True)
    assert app["name"] == "Pocket" and app["website"] == "https://app.example"
    assert app["scopes"] == ["read", "write", "follow", "push"]
    assert app["redirect_uris"] == [CALLBACK] and app["redirect_uri"] == CALLBACK
    assert app["client_secret_expires_at"] == 0 and app["id"].isdigit()


def test_an_app_registers_with_json_and_several_redirect_uris():
    listed = register(as_json=True, redirect_uris=[CALLBACK, OOB])
    newline = register(redirect_uris=f"{CALLBACK}\n{OOB}")
    for app in (listed, newline):
        assert app["redirect_uris"] == [CALLBACK, OOB] and app["redirect_uri"] == f"{CALLBACK}\n{OOB}"


def test_an_app_registers_a_native_scheme_with_form_brackets():
    response = Client().post(
        "/api/v1/apps", {"client_name": "Phone", "redirect_uris[]": ["org.example.app://cb"]}
    )
    assert response.json()["redirect_uris"] == ["org.example.app://cb"]


def test_an_app_without_redirect_uris_or_scopes_gets_mastodons_defaults():
    app = Client().post("/api/v1/apps", {"client_name": "Bare"}).json()
    assert app["redirect_uris"] == [OOB] and app["scopes"] == ["read"] and app["website"] is None


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({}, 422, "client_name"),
        ({"client_name": ""}, 422, "client_name"),
        ({"client_name": "   "}, 422, "client_name"),
        ({"client_name": "x" * 61}, 422, "client_name"),
        ({"client_name": 7}, 422, "client_name"),
        ({"client_name": "a", "scopes": "read admin:everything"}, 422, "admin:everything"),
        ({"client_name": "a", "redirect_uris": "javascript:alert(1)"}, 422, "redirect_uris"),
        ({"client_name": "a", "redirect_uris": "/relative"}, 422, "redirect_uris"),
        ({"client_name": "a", "redirect_uris": "https:///no-host"}, 422, "redirect_uris"),
        ({"client_name": "a", "redirect_uris": "https://a.example/cb#frag"}, 422, "redirect_uris"),
        ({"client_name": "a", "redirect_uris": {"not": "a list"}}, 422, "redirect_uris"),
        ({"client_name": "a", "website": "ftp://files.example"}, 422, "website"),
    ],
)
def test_a_bad_registration_is_refused_with_a_reason(body, status, says):
    response = Client().post("/api/v1/apps", json.dumps(body), content_type="application/json")
    assert response.status_code == status and says in response.json()["error"]


def test_registration_refuses_broken_bodies():
    client = Client()
    assert client.post("/api/v1/apps", "{nope", content_type="application/json").status_code == 400
    assert client.post("/api/v1/apps", "[1]", content_type="application/json").status_code == 400
    assert client.get("/api/v1/apps").status_code == 405
    huge = json.dumps({"client_name": "a", "website": "x" * 2_000_000})
    response = client.post("/api/v1/apps", huge, content_type="application/json")
    assert response.status_code == 413 and "error" in response.json()


# --- GET /api/v1/apps/verify_credentials ---------------------------------------------------


def test_an_app_token_verifies_its_app(newcomer):
    app = register()
    for raw in (client_grant(app).json()["access_token"], password_grant(app).json()["access_token"]):
        response = Api(raw).get("/api/v1/apps/verify_credentials")
        assert response.status_code == 200
        body = response.json()
        assert_entity("Application", body, send_nulls=True)
        assert body["name"] == "Pocket" and "client_secret" not in body and "client_id" not in body


def test_verify_credentials_needs_a_live_token():
    assert Client().get("/api/v1/apps/verify_credentials").status_code == 401
    assert Api("made-up").get("/api/v1/apps/verify_credentials").status_code == 401
    raw = client_grant(register()).json()["access_token"]
    assert Api(raw).post("/api/v1/apps/verify_credentials").status_code == 405


# --- POST /oauth/token ----------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_the_password_grant_gives_an_unpaid_account_every_scope_it_asks_for(newcomer, as_json):
    response = password_grant(register(), as_json=as_json)
    assert response.status_code == 200, response.content
    body = response.json()
    assert_entity("Token", body, send_nulls=True)
    assert body["token_type"] == "Bearer" and body["scope"] == "read write follow push"
    assert isinstance(body["created_at"], int)
    assert Api(body["access_token"]).get("/api/obole/v1/membership").json()["state"] == "pending_payment"


@pytest.mark.parametrize("as_json", [False, True])
def test_the_client_credentials_grant_gives_an_app_token_without_an_account(as_json):
    app = register()
    response = client_grant(app, "read write", as_json=as_json)
    assert response.status_code == 200, response.content
    body = response.json()
    assert_entity("Token", body)
    assert body["scope"] == "read write"
    assert find_token(body["access_token"]) is None
    assert find_app_token(body["access_token"]).application.client_id == app["client_id"]
    # An app token is not an account's: account endpoints refuse it.
    assert Api(body["access_token"]).get("/api/obole/v1/membership").status_code == 401


def test_a_token_without_a_scope_gets_read():
    assert client_grant(register()).json()["scope"] == "read"


def test_an_app_may_not_ask_for_more_than_it_registered(newcomer):
    app = register(scopes="read write")
    for response in (password_grant(app, "read write follow"), client_grant(app, "push")):
        assert response.status_code == 400
        assert (
            response.json()["error"] == "invalid_scope"
            and "read write" in response.json()["error_description"]
        )


def test_sub_scopes_are_covered_by_what_the_app_registered(newcomer):
    assert password_grant(register(scopes="read write"), "read:statuses write:favourites").status_code == 200
    assert password_grant(register(scopes="follow"), "read:blocks write:follows").status_code == 200
    assert password_grant(register(scopes="read"), "follow").status_code == 400
    assert password_grant(register(scopes="read:statuses"), "read").status_code == 400


def test_a_scope_the_server_does_not_know_is_refused(newcomer):
    response = password_grant(register(), "read admin:read")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_the_refresh_token_grant_works_for_any_app(newcomer):
    app = register()
    issued = password_grant(app, "read").json()
    refreshed = token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        }
    )
    assert refreshed.status_code == 200 and refreshed.json()["scope"] == "read"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"grant_type": "telepathy"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "unsupported_grant_type"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"password": "wrong"}, 400, "invalid_grant"),
        ({"username": None}, 400, "invalid_request"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_a_bad_token_request_gets_an_oauth_error(newcomer, change, status, code, as_json):
    app = register()
    body = {
        "grant_type": "password",
        "username": "nina",
        "password": PASSWORD,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    } | change
    body = {key: value for key, value in body.items() if value is not None}
    response = token_request(body, as_json=as_json)
    assert response.status_code == status and response.json()["error"] == code


def test_the_token_endpoint_refuses_broken_bodies():
    client = Client()
    for value in (["read"], {"a": 1}, True, 1.5):
        response = client.post("/oauth/token", json.dumps({"scope": value}), content_type="application/json")
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    for body in ("{nope", "[1, 2]", '"text"'):
        response = client.post("/oauth/token", body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    huge = json.dumps({"grant_type": "password", "password": "x" * 2_000_000})
    assert client.post("/oauth/token", huge, content_type="application/json").status_code == 413
    assert client.get("/oauth/token").status_code == 405


# --- /oauth/authorize ------------------------------------------------------------------------


class _Form(HTMLParser):
    """The hidden fields and CSRF token of the authorization page, as a browser would post them."""

    def __init__(self, html: str):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(app: dict, redirect_uri: str = CALLBACK, **extra) -> str:
    params = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": redirect_uri}
    return "/oauth/authorize?" + urlencode(params | extra)


def signed_in(account) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(account)
    return client


def approve(client: Client, url: str, *, allow: bool = True):
    page = client.get(url)
    assert page.status_code == 200, page.content
    fields = _Form(page.content.decode()).fields
    if allow:
        fields["allow"] = "on"
    return page, client.post(url, fields)


def test_a_signed_out_member_is_sent_to_the_sign_in_page_and_back():
    url = authorize_url(register(), scope="read")
    response = Client().get(url)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/auth/sign_in" and parse_qs(location.query)["next"] == [url]


def test_the_authorization_code_flow_with_pkce_s256(newcomer):
    app = register(scopes="read write")
    verifier, challenge = pkce()
    url = authorize_url(
        app, scope="read write", state="s1", code_challenge=challenge, code_challenge_method="S256"
    )
    page, response = approve(signed_in(newcomer), url)
    html = page.content.decode()
    assert "Authorize Pocket?" in html and "<code>write</code>" in html and "csrfmiddlewaretoken" in html
    assert "read-only until your membership is paid" in html
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    params = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK and params["state"] == ["s1"]
    exchange = {
        "grant_type": "authorization_code",
        "code": params["code"][0],
        "redirect_uri": CALLBACK,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    assert token_request(exchange | {"code_verifier": "wrong" * 10}).json()["error"] == "invalid_grant"
    body = token_request(exchange | {"code_verifier": verifier}, as_json=True).json()
    assert body["scope"] == "read write" and isinstance(body["created_at"], int)
    assert Api(body["access_token"]).get("/api/obole/v1/membership").status_code == 200
    # A code works once.
    assert token_request(exchange | {"code_verifier": verifier}).json()["error"] == "invalid_grant"


def test_the_authorization_page_needs_its_csrf_token(newcomer):
    app = register()
    url = authorize_url(app, scope="read")
    client = signed_in(newcomer)
    fields = _Form(client.get(url).content.decode()).fields
    del fields["csrfmiddlewaretoken"]
    assert client.post(url, fields | {"allow": "on"}).status_code == 403


def test_pkce_plain_is_not_offered(newcomer):
    app = register()
    url = authorize_url(app, scope="read", code_challenge="a" * 43, code_challenge_method="plain")
    _, response = approve(signed_in(newcomer), url)
    assert response.status_code == 302 and "error=invalid_request" in response["Location"]
    assert "S256" in parse_qs(urlsplit(response["Location"]).query)["error_description"][0]


def test_denying_sends_the_app_access_denied(newcomer):
    app = register()
    _, response = approve(signed_in(newcomer), authorize_url(app, scope="read", state="s2"), allow=False)
    assert response.status_code == 302
    params = parse_qs(urlsplit(response["Location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["s2"]


def test_the_out_of_band_redirect_shows_the_code_on_a_page(newcomer):
    app = register(redirect_uris=OOB)
    _, response = approve(signed_in(newcomer), authorize_url(app, OOB, scope="read"))
    assert response.status_code == 200
    code = _Form(response.content.decode().replace('type="text"', 'type="hidden" name="code"')).fields["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": OOB,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    assert token_request(exchange).status_code == 200


def test_a_native_app_is_sent_back_to_its_own_scheme(newcomer):
    app = register(redirect_uris="org.example.app://oauth")
    _, response = approve(signed_in(newcomer), authorize_url(app, "org.example.app://oauth", scope="read"))
    assert response.status_code == 302 and response["Location"].startswith("org.example.app://oauth?code=")


def test_an_app_made_in_the_admin_may_be_authorized_for_any_scope(newcomer):
    app = Application(
        name="Made by staff",
        redirect_uris=CALLBACK,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    )
    app.save()
    page, response = approve(
        signed_in(newcomer), authorize_url({"client_id": app.client_id}, scope="read follow")
    )
    assert "Authorize Made by staff?" in page.content.decode()
    assert response.status_code == 302 and "code=" in response["Location"]


def test_authorizing_more_than_the_app_registered_is_refused(newcomer):
    app = register(scopes="read")
    response = signed_in(newcomer).get(authorize_url(app, scope="read write"))
    assert response.status_code == 302 and "error=invalid_scope" in response["Location"]


def test_an_unknown_app_or_redirect_uri_gets_an_error_page_not_a_redirect(newcomer):
    client = signed_in(newcomer)
    unknown = client.get(authorize_url({"client_id": "nobody"}, scope="read"))
    elsewhere = client.get(authorize_url(register(), "https://evil.example/cb", scope="read"))
    for response in (unknown, elsewhere):
        assert response.status_code == 400 and "cannot sign in" in response.content.decode()


# --- /oauth/revoke ---------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_a_revoked_token_answers_401_afterwards(newcomer, as_json):
    app = register()
    raw = password_grant(app).json()["access_token"]
    body = {"token": raw, "client_id": app["client_id"], "client_secret": app["client_secret"]}
    if as_json:
        response = Client().post("/oauth/revoke", json.dumps(body), content_type="application/json")
    else:
        response = Client().post("/oauth/revoke", body)
    assert response.status_code == 200 and response.json() == {}
    assert Api(raw).get("/api/obole/v1/membership").status_code == 401
    assert not AccessToken.objects.filter(user=newcomer).exists()


def test_revoking_needs_the_apps_credentials(newcomer):
    app = register()
    raw = password_grant(app).json()["access_token"]
    response = Client().post(
        "/oauth/revoke", {"token": raw, "client_id": app["client_id"], "client_secret": "no"}
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert Api(raw).get("/api/obole/v1/membership").status_code == 200
    assert Client().post("/oauth/revoke", "{", content_type="application/json").status_code == 400


# --- /.well-known/oauth-authorization-server ---------------------------------------------------


def test_the_server_metadata_names_the_endpoints():
    body = Client().get("/.well-known/oauth-authorization-server").json()
    assert body["token_endpoint"] == "http://testserver/oauth/token"
    assert body["authorization_endpoint"] == "http://testserver/oauth/authorize"
    assert body["revocation_endpoint"] == "http://testserver/oauth/revoke"
    assert body["app_registration_endpoint"] == "http://testserver/api/v1/apps"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"read", "write", "follow", "push", "read:statuses", "write:follows"} <= set(
        body["scopes_supported"]
    )
    assert {"authorization_code", "password", "client_credentials"} <= set(body["grant_types_supported"])
    # Mastodon 4.4 added OpenID Connect's userinfo endpoint; Obole serves it too.
    assert body["userinfo_endpoint"] == "http://testserver/oauth/userinfo"
    assert_entity("DiscoverOauthServerConfigurationResponse", body)


def test_the_issuer_is_the_one_in_authorization_responses(newcomer):
    issuer = Client().get("/.well-known/oauth-authorization-server").json()["issuer"]
    _, response = approve(signed_in(newcomer), authorize_url(register(), scope="read"))
    assert parse_qs(urlsplit(response["Location"]).query)["iss"] == [issuer]


# --- grants() -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "required", "granted"),
    [
        ("read", "read:statuses", True),
        ("read:statuses", "read:statuses", True),
        ("read:statuses", "read", False),
        ("follow", "read:follows", True),
        ("follow", "write:blocks", True),
        ("follow", "write:mutes", True),
        ("follow", "write:statuses", False),
        ("follow", "read:statuses", False),
        ("read write", "follow", False),
        ("write", "write:follows", True),
    ],
)
def test_grants_knows_mastodons_scope_families(held, required, granted):
    assert grants(held, required) is granted
