"""Mastodon's rate limits: per token, per address, and per account for posting and following."""

from __future__ import annotations

import pytest
from django.test import Client

from obole.api import ratelimit

pytestmark = pytest.mark.django_db


def test_every_api_response_carries_the_rate_limit_headers(member, api_as):
    response = api_as(member).get("/api/obole/v1/membership")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "300"
    assert response["X-RateLimit-Remaining"] == "299"
    assert response["X-RateLimit-Reset"].endswith("Z")


def test_a_token_past_its_limit_gets_429_with_how_long_to_wait(member, api_as, settings):
    settings.OBOLE_RATE_LIMIT_REQUESTS = 3
    api = api_as(member)
    statuses = [api.get("/api/obole/v1/membership").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/api/obole/v1/membership")
    assert "Try again in" in refused.json()["error"]
    assert refused["X-RateLimit-Remaining"] == "0"
    # Another token of the same account has its own budget, as in Mastodon.
    assert api_as(member).get("/api/obole/v1/membership").status_code == 200


def test_requests_without_a_token_are_limited_per_address(settings, db):
    settings.OBOLE_RATE_LIMIT_REQUESTS = 2
    here, there = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    path = "/api/obole/v1/membership"
    assert [here.get(path).status_code for _ in range(3)] == [401, 401, 429]
    assert there.get(path).status_code == 401


def test_a_limit_of_zero_turns_it_off(member, api_as, settings):
    settings.OBOLE_RATE_LIMIT_REQUESTS = 0
    response = api_as(member).get("/api/obole/v1/membership")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response


def test_action_limits_count_per_account_across_tokens(settings):
    settings.OBOLE_RATE_LIMIT_POSTS = 2
    counts = [ratelimit.hit("statuses", "account:1") for _ in range(3)]
    assert [c.exceeded for c in counts] == [False, False, True]
    assert ratelimit.hit("statuses", "account:2").used == 1
    assert counts[0].rule.period == 3 * 60 * 60


def test_api_requests_skip_the_session_and_csrf_middleware(member, api_as, settings):
    """The API's short way through the middleware (obole.api.fastpath): no cookies set, tokens work."""
    response = api_as(member).get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 200 and response.json()["username"] == "mary"
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert response.wsgi_request.resolver_match.func.__name__ == "verify_credentials"
    assert not hasattr(response.wsgi_request, "session")
    # Unknown API paths still get the JSON 404 of the full stack.
    missing = api_as(member).get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}


def test_local_counts_hold_for_more_callers_than_a_small_cache_keeps(settings):
    """Without Redis the counts are this process's own; none is forgotten while its window runs,
    however many callers there are (Django's local-memory cache kept 300 keys and culled the rest,
    which let a caller among many start again from zero)."""
    settings.OBOLE_RATE_LIMIT_REQUESTS = 2
    for n in range(1_000):
        ratelimit.hit("requests", f"token:{n}")
    assert ratelimit.hit("requests", "token:0").used == 2
    assert ratelimit.hit("requests", "token:0").exceeded
    assert ratelimit.peek("requests", "token:0").used == 3
    assert ratelimit.peek("requests", "token:999").used == 1


def test_local_counts_start_again_when_their_window_ends(settings, monkeypatch):
    settings.OBOLE_RATE_LIMIT_POSTS = 5
    now = [1_000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: now[0])
    assert ratelimit.hit("statuses", "account:7").used == 1
    assert ratelimit.hit("statuses", "account:7").used == 2
    now[0] += 3 * 60 * 60 + 6  # past the window and its grace
    assert ratelimit._local_count("rl:statuses:account:7:old-window", 10) == 1
    assert ratelimit._local_count("rl:statuses:account:7:old-window", 10) == 2
    now[0] += 11
    assert ratelimit._local_count("rl:statuses:account:7:old-window", 10) == 1


def test_local_counts_stay_bounded_when_callers_flood_one_window(settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "LOCAL_KEYS", 100)
    for n in range(1_000):
        ratelimit.hit("requests", f"ip:10.0.{n // 256}.{n % 256}")
    assert len(ratelimit._local) <= 100
    # The newest callers are still counted.
    assert ratelimit.peek("requests", "ip:10.0.3.231").used == 1
