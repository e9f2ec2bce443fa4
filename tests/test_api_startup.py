"""What apps ask for at start-up (preferences, markers, the empty lists) and CORS for web clients."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import Api
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

PUBLIC_EMPTY = [
    "/api/v1/custom_emojis",
    "/api/v1/trends",
    "/api/v1/trends/tags",
    "/api/v1/trends/statuses",
    "/api/v1/trends/links",
]
# path, the scope Mastodon asks for, a scope that is not enough
PRIVATE_EMPTY = [
    ("/api/v1/filters", "read:filters", "read:statuses"),
    ("/api/v2/filters", "read:filters", "read:statuses"),
    ("/api/v1/followed_tags", "read:follows", "read:statuses"),
    ("/api/v1/lists", "read:lists", "read:statuses"),
    ("/api/v1/announcements", "read", "read:statuses"),
]


@pytest.mark.parametrize("path", PUBLIC_EMPTY)
def test_public_lists_are_empty_for_anyone(path):
    response = Client().get(path)
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize(("path", "scope", "too_little"), PRIVATE_EMPTY)
def test_a_members_own_lists_are_empty_behind_their_scope(newcomer, api_as, path, scope, too_little):
    assert Client().get(path).status_code == 401
    assert api_as(newcomer, too_little).get(path).status_code == 403
    for granted in (scope, "read"):
        response = api_as(newcomer, granted).get(path)
        assert response.status_code == 200 and response.json() == []


def test_the_follow_scope_reads_followed_tags(newcomer, api_as):
    assert api_as(newcomer, "follow").get("/api/v1/followed_tags").status_code == 200


def test_preferences_are_mastodons_defaults(newcomer, api_as):
    response = api_as(newcomer, "read:accounts").get("/api/v1/preferences")
    assert response.status_code == 200
    body = response.json()
    assert_entity("Preferences", body, send_nulls=True)
    assert body["posting:default:visibility"] == "public" and body["posting:default:sensitive"] is False
    assert body["reading:expand:media"] == "default" and body["posting:default:language"] is None
    newcomer.default_visibility, newcomer.default_language = "unlisted", "fr"
    newcomer.save()
    changed = api_as(newcomer, "read").get("/api/v1/preferences").json()
    assert changed["posting:default:visibility"] == "unlisted" and changed["posting:default:language"] == "fr"
    assert Client().get("/api/v1/preferences").status_code == 401
    assert api_as(newcomer, "write").get("/api/v1/preferences").status_code == 403


# --- markers ---------------------------------------------------------------------------------


def test_markers_start_empty_and_move_forward(newcomer, api_as):
    api = api_as(newcomer, "read write")
    assert api.get("/api/v1/markers", **{"timeline[]": ["home", "notifications"]}).json() == {}
    saved = api.post("/api/v1/markers", {"home[last_read_id]": "103194548672408537"}, json=False)
    assert saved.status_code == 200
    home = saved.json()["home"]
    assert_entity("Marker", home, send_nulls=True)
    assert home["last_read_id"] == "103194548672408537" and home["version"] == 0
    again = api.post(
        "/api/v1/markers",
        {"home": {"last_read_id": "103194548672408999"}, "notifications": {"last_read_id": 7}},
    )
    assert again.json()["home"]["version"] == 1 and again.json()["notifications"]["version"] == 0
    shown = api.get("/api/v1/markers", **{"timeline[]": ["home"]}).json()
    assert list(shown) == ["home"] and shown["home"]["last_read_id"] == "103194548672408999"
    assert set(api.get("/api/v1/markers").json()) == {"home", "notifications"}


def test_an_unpaid_member_may_save_markers_which_nobody_else_sees(newcomer, outsider, api_as):
    assert api_as(newcomer).post("/api/v1/markers", {"home": {"last_read_id": "5"}}).status_code == 200
    assert api_as(outsider).get("/api/v1/markers").json() == {}


def test_markers_need_their_scopes(newcomer, api_as):
    assert Client().get("/api/v1/markers").status_code == 401
    assert api_as(newcomer, "write").get("/api/v1/markers").status_code == 403
    reader = api_as(newcomer, "read:statuses")
    assert reader.get("/api/v1/markers").status_code == 200
    assert reader.post("/api/v1/markers", {"home": {"last_read_id": "5"}}).status_code == 403
    assert (
        api_as(newcomer, "write:statuses")
        .post("/api/v1/markers", {"home": {"last_read_id": "5"}})
        .status_code
        == 200
    )
    assert reader.client.delete("/api/v1/markers", headers=reader.headers).status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"home": {"last_read_id": "abc"}},
        {"home": {"last_read_id": "-1"}},
        {"home": {"last_read_id": "99999999999999999999"}},
        {"home": {"last_read_id": True}},
        {"home": {"last_read_id": ["1"]}},
        {"home": "1"},
    ],
)
def test_a_bad_marker_is_refused(newcomer, api_as, body):
    response = api_as(newcomer).post("/api/v1/markers", body)
    assert response.status_code == 422 and "last_read_id" in response.json()["error"]


def test_a_broken_marker_body_is_refused(newcomer, api_as):
    api = api_as(newcomer)
    assert api.post("/api/v1/markers", "{", json=True).status_code == 400
    huge = json.dumps({"home": {"last_read_id": "1"}, "pad": "x" * 2_000_000})
    assert api.post("/api/v1/markers", huge).status_code == 413


# --- CORS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/instance", "/.well-known/nodeinfo", "/nodeinfo/2.0", "/api/v1/custom_emojis"]
)
def test_api_answers_carry_cors_headers(path):
    response = Client().get(path, headers={"Origin": "https://elk.example"})
    assert response["Access-Control-Allow-Origin"] == "*"
    exposed = response["Access-Control-Expose-Headers"]
    assert "Link" in exposed and "X-RateLimit-Remaining" in exposed


def test_errors_carry_cors_headers_too():
    response = Api("made-up").client.get("/api/v1/preferences", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401 and response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/api/v1/statuses", "/oauth/token", "/oauth/revoke", "/api/v1/apps"])
def test_a_preflight_is_answered_before_any_view(path):
    response = Client().options(
        path,
        headers={
            "Origin": "https://elk.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, x-custom",
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = response["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key", "x-custom"):
        assert header in allowed


def test_a_preflight_asking_for_odd_headers_gets_the_usual_ones():
    response = Client().options("/api/v1/apps", headers={"Access-Control-Request-Headers": "a b\x7f"})
    assert response["Access-Control-Allow-Headers"] == "Authorization, Content-Type, Idempotency-Key, Accept"


@pytest.mark.parametrize("path", ["/auth/sign_in", "/oauth/authorize", "/membership"])
def test_pages_of_the_site_get_no_cors_headers(path):
    response = Client().get(path, headers={"Origin": "https://elk.example"})
    assert "Access-Control-Allow-Origin" not in response
