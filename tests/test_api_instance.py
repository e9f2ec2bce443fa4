"""The instance (v1, v2, rules) and nodeinfo: what apps and crawlers learn about the server first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from obole.accounts.models import Account
from obole.api.instance import STATS_KEY
from obole.posts import services
from tests.conftest import Api, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_stats(settings):
    """The stats are cached for a minute; each test counts afresh."""
    settings.OBOLE_CONTACT_EMAIL = "admin@obole.example"
    cache.delete(STATS_KEY)
    yield
    cache.delete(STATS_KEY)


@pytest.mark.parametrize("path", ["/api/v1/instance", "/api/v1/instance/"])
def test_the_v1_instance_is_a_mastodon_v1_instance(member, path, settings):
    response = Client().get(path)
    assert response.status_code == 200
    body = response.json()
    assert_entity("V1Instance", body, send_nulls=True)
    assert body["uri"] == "testserver" and body["email"] == "admin@obole.example"
    assert body["version"] == "4.3.0 (compatible; Obole 0.1.0)"
    # The streaming server (obole.streaming): by default on the port after the base URL's.
    assert settings.OBOLE_BASE_URL == "http://127.0.0.1:8000"
    assert body["urls"]["streaming_api"] == settings.OBOLE_STREAMING_URL == "ws://127.0.0.1:8001"
    assert body["configuration"]["statuses"] == {
        "max_characters": 500,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    assert body["registrations"] is True and body["approval_required"] is False
    assert body["stats"] == {"user_count": 1, "status_count": 0, "domain_count": 0}
    assert body["contact_account"] is None


@pytest.mark.parametrize("path", ["/api/v2/instance", "/api/v2/instance/"])
def test_the_v2_instance_is_a_mastodon_instance(member, path):
    response = Client().get(path)
    assert response.status_code == 200
    body = response.json()
    assert_entity("Instance", body)
    assert body["domain"] == "testserver" and body["api_versions"] == {"mastodon": 2}
    assert body["version"] == "4.3.0 (compatible; Obole 0.1.0)"
    assert body["contact"] == {"email": "admin@obole.example", "account": None}
    assert body["registrations"]["enabled"] is True and body["registrations"]["approval_required"] is False
    assert body["configuration"]["statuses"]["max_characters"] == 500
    media = body["configuration"]["media_attachments"]
    assert media["supported_mime_types"] == ["image/gif", "image/jpeg", "image/png", "image/webp"]
    assert media["image_size_limit"] == 16 * 1024 * 1024 and media["video_size_limit"] == 0
    assert body["configuration"]["polls"]["max_options"] == 4
    assert body["configuration"]["polls"]["min_expiration"] == 300
    assert body["configuration"]["accounts"]["max_featured_tags"] == 0
    assert body["configuration"]["accounts"]["max_note_length"] == 500
    assert body["thumbnail"]["url"].startswith("http://testserver/static/")


def test_the_fee_is_in_the_description_and_the_rules(settings):
    settings.OBOLE_FEE_AMOUNT, settings.OBOLE_FEE_CURRENCY = 450, "EUR"
    v1 = Client().get("/api/v1/instance").json()
    v2 = Client().get("/api/v2/instance").json()
    for body in (v1, v2):
        assert "Posting needs a paid membership: 4.50 EUR a month" in body["description"]
        assert body["rules"][0]["text"] == "Posting needs a paid membership: 4.50 EUR a month."
    assert "4.50 EUR a month" in v1["short_description"]
    assert Client().get("/api/v1/instance/rules").json() == v2["rules"]
    for rule in v2["rules"]:
        assert_entity("Rule", rule)


def test_the_settings_show_through(settings):
    settings.OBOLE_MAX_STATUS_CHARS = 1000
    settings.OBOLE_REGISTRATION_OPEN = False
    settings.OBOLE_ACCOUNTS_PER_CARD = 3
    settings.ALLOWED_HOSTS = ["obole.example"]
    settings.OBOLE_STREAMING_URL = "wss://obole.example"  # behind a proxy that routes /api/v1/streaming
    v1 = Client(HTTP_HOST="obole.example").get("/api/v1/instance", secure=True).json()
    v2 = Client(HTTP_HOST="obole.example").get("/api/v2/instance", secure=True).json()
    assert v1["configuration"]["statuses"]["max_characters"] == 1000
    assert v2["configuration"]["statuses"]["max_characters"] == 1000
    assert v1["registrations"] is False and v2["registrations"]["enabled"] is False
    assert v1["uri"] == "obole.example" and v2["domain"] == "obole.example"
    assert v2["configuration"]["urls"]["streaming"] == "wss://obole.example"
    assert "at most 3 accounts" in v2["rules"][1]["text"]


def test_the_counts_are_of_live_accounts_and_recent_sign_ins(db):
    now = timezone.now()
    recent, older, _never = make_account("rita"), make_account("olga"), make_account("nemo")
    Account.objects.filter(pk=recent.pk).update(last_login=now - timedelta(days=3))
    Account.objects.filter(pk=older.pk).update(last_login=now - timedelta(days=90))
    Account.objects.create(username="gone", is_active=False)
    v1 = Client().get("/api/v1/instance").json()
    v2 = Client().get("/api/v2/instance").json()
    nodeinfo = Client().get("/nodeinfo/2.0").json()
    assert v1["stats"]["user_count"] == 3
    assert v2["usage"]["users"]["active_month"] == 1
    assert nodeinfo["usage"]["users"] == {"total": 3, "activeMonth": 1, "activeHalfyear": 2}


def test_the_status_count_adds_up_every_accounts_posts(member):
    services.post_status(member, "One")
    services.post_status(member, "Two")
    v1 = Client().get("/api/v1/instance").json()
    assert v1["stats"]["status_count"] == 2
    assert Client().get("/nodeinfo/2.0").json()["usage"]["localPosts"] == 2


def test_nodeinfo_is_discovered_and_describes_obole(settings):
    settings.OBOLE_REGISTRATION_OPEN = False
    links = Client().get("/.well-known/nodeinfo").json()["links"]
    assert links == [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "http://testserver/nodeinfo/2.0"}
    ]
    response = Client().get("/nodeinfo/2.0")
    assert response["Content-Type"].startswith("application/json; profile=")
    body = response.json()
    assert body["version"] == "2.0" and body["software"] == {"name": "obole", "version": "0.1.0"}
    assert body["protocols"] == [] and body["openRegistrations"] is False
    assert body["usage"]["localPosts"] == 0


def test_the_instance_is_public_but_a_bad_token_is_still_refused(member, api_as):
    assert api_as(member).get("/api/v2/instance").status_code == 200
    response = Api("made-up").get("/api/v1/instance")
    assert response.status_code == 401 and "error" in response.json()


@pytest.mark.parametrize(
    "path", ["/api/v1/instance", "/api/v2/instance", "/nodeinfo/2.0", "/.well-known/nodeinfo"]
)
def test_writing_to_the_instance_is_refused(path):
    response = Client().post(path, {})
    assert response.status_code == 405 and response.json()["error"] == "Use GET for this endpoint."


def test_members_who_only_use_apps_count_as_active(member, api_as):
    from obole.accounts.models import Account

    api = api_as(member)
    Account.objects.filter(pk=member.pk).update(last_login=None)
    api.get("/api/v1/accounts/verify_credentials")
    seen = Account.objects.get(pk=member.pk).last_login
    assert seen is not None
    api.get("/api/v1/accounts/verify_credentials")
    assert Account.objects.get(pk=member.pk).last_login == seen  # written at most once a day
