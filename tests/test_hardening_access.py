"""Privacy and access, as found by trying Obole from outside.

The world: `abel` blocks `mary`; `carl`, whom mary follows, reposts or replies
to abel. Whatever path a status takes to mary (home timeline, lookups by id,
threads, search, notifications, the web home page), abel's posts and the
conversation around them stay out of her sight. Then: tokens of a deactivated
account, accounts made by `createsuperuser`, and finding blocked accounts.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from obole.accounts import graph
from obole.accounts.models import Account
from obole.membership.models import Membership
from obole.posts import services
from tests.conftest import NOW, PASSWORD, Api, make_account, token_for
from tests.test_api_oauth import approve, password_grant, register, signed_in, token_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def abel(db):
    return make_account("abel", paid=True)


@pytest.fixture
def carl(db):
    return make_account("carl", paid=True)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [entity["id"] for entity in response.json()]


def test_a_repost_of_a_blockers_post_never_reaches_the_blocked(abel, carl, member, api_as):
    graph.follow(member, carl, now=NOW)
    graph.block(abel, member)
    original = services.post_status(abel, "abel only", now=NOW)
    repost = services.reblog(carl, original.pk, now=NOW)
    api = api_as(member)
    assert str(repost.pk) not in ids(api.get("/api/v1/timelines/home"))
    assert ids(api.get("/api/v1/statuses", **{"id[]": [str(repost.pk), str(original.pk)]})) == []
    assert api.get(f"/api/v1/statuses/{repost.pk}").status_code == 404
    assert ids(api.get(f"/api/v1/accounts/{carl.pk}/statuses")) == []
    # The blocker's side too: the blocked member's posts reposted never reach abel.
    graph.follow(abel, carl, now=NOW)
    theirs = services.reblog(carl, services.post_status(member, "mary's", now=NOW).pk, now=NOW)
    assert str(theirs.pk) not in ids(api_as(abel).get("/api/v1/timelines/home"))


def test_a_reply_to_a_blocker_leaves_the_blocked_members_sight_on_every_path(abel, carl, member, api_as):
    graph.follow(member, carl, now=NOW)
    graph.follow(member, abel, now=NOW)
    original = services.post_status(abel, "the start of a thread", now=NOW)
    reply = services.post_status(carl, "@abel a reply to @mary", in_reply_to_id=original.pk, now=NOW)
    api = api_as(member)
    assert str(reply.pk) in ids(api.get("/api/v1/timelines/home"))  # before the block
    graph.block(abel, member)
    assert str(reply.pk) not in ids(api.get("/api/v1/timelines/home"))
    assert api.get(f"/api/v1/statuses/{reply.pk}").status_code == 404
    assert ids(api.get("/api/v1/statuses", **{"id[]": str(reply.pk)})) == []
    assert api.get(f"/api/v1/statuses/{reply.pk}/context").status_code == 404
    assert api.get("/api/v2/search", q="a reply", type="statuses").json()["statuses"] == []
    tagged = services.post_status(carl, "#thread goes on", in_reply_to_id=original.pk, now=NOW)
    assert str(tagged.pk) not in ids(api.get("/api/v1/timelines/tag/thread"))
    assert str(tagged.pk) in ids(api_as(carl).get("/api/v1/timelines/tag/thread"))
    notified = api.get("/api/v1/notifications").json()
    assert [n for n in notified if n.get("status", {}).get("id") == str(reply.pk)] == []
    client = Client()
    client.force_login(member)
    assert "a reply to" not in client.get("/home").content.decode()


def test_a_muted_accounts_reposts_and_replies_stay_out_of_the_home_timeline(abel, carl, member, api_as):
    graph.follow(member, carl, now=NOW)
    graph.mute(member, abel)
    repost = services.reblog(carl, services.post_status(abel, "muted words", now=NOW).pk, now=NOW)
    assert str(repost.pk) not in ids(api_as(member).get("/api/v1/timelines/home"))


# --- a deactivated account ---------------------------------------------------------------------


def test_every_token_of_a_deactivated_account_answers_401_and_no_grant_issues_one(member):
    app = register()
    issued = password_grant(app, "read write", username="mary").json()
    made_by_hand = token_for(member)
    assert Api(issued["access_token"]).get("/api/v1/accounts/verify_credentials").status_code == 200
    Account.objects.filter(pk=member.pk).update(is_active=False)  # staff deactivate it
    for raw in (issued["access_token"], made_by_hand):
        api = Api(raw)
        assert api.get("/api/v1/accounts/verify_credentials").status_code == 401
        assert api.get("/api/v1/bookmarks").status_code == 401
        assert api.post("/api/obole/v1/membership/cancel").status_code == 401
        assert api.get("/api/v1/apps/verify_credentials").status_code == 401
    refreshed = token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        }
    )
    assert refreshed.status_code == 400 and "access_token" not in refreshed.json()
    assert password_grant(app, "read", username="mary").status_code == 400


def test_a_code_granted_before_deactivation_buys_no_token(member):
    app = register()
    query = {"client_id": app["client_id"], "redirect_uri": "https://app.example/callback"}
    query |= {"response_type": "code", "scope": "read"}
    _page, redirect = approve(signed_in(member), "/oauth/authorize?" + urlencode(query))
    code = parse_qs(urlsplit(redirect["Location"]).query)["code"][0]
    Account.objects.filter(pk=member.pk).update(is_active=False)
    response = token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://app.example/callback",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        }
    )
    assert response.status_code == 400 and "access_token" not in response.json()


# --- accounts however made ------------------------------------------------------------------------


def test_an_account_made_by_createsuperuser_has_a_membership_and_can_pay_and_post(monkeypatch, card_body):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, username="chief", email="chief@example.org")
    chief = Account.objects.get(username="chief")
    assert Membership.objects.get(account=chief).state == "pending_payment"
    api = Api(token_for(chief))
    assert api.get("/api/obole/v1/membership").json()["state"] == "pending_payment"
    assert api.post("/api/v1/statuses", {"status": "before paying"}).status_code == 402
    paid = api.post("/api/obole/v1/membership/payment_method", card_body)
    assert paid.status_code == 200 and paid.json()["state"] == "active", paid.content
    assert api.post("/api/v1/statuses", {"status": "after paying"}).status_code == 200


def test_an_account_made_with_the_model_manager_has_a_membership(db):
    made = Account.objects.create_user("plain", "plain@example.org", PASSWORD)
    assert Membership.objects.filter(account=made).exists()


@pytest.fixture
def card_body() -> dict:
    return {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


# --- search ----------------------------------------------------------------------------------------


def test_search_finds_the_accounts_one_blocks_but_not_those_that_block_one(abel, carl, member, api_as):
    graph.block(member, abel)
    graph.block(carl, member)
    api = api_as(member)
    found = api.get("/api/v2/search", q="abel", type="accounts").json()["accounts"]
    assert [entity["username"] for entity in found] == ["abel"]
    assert api.get("/api/v1/accounts/search", q="abel").json()[0]["username"] == "abel"
    assert api.get("/api/v2/search", q="carl", type="accounts").json()["accounts"] == []
    relationship = api.get("/api/v1/accounts/relationships", **{"id[]": str(abel.pk)}).json()[0]
    assert relationship["blocking"] is True
    assert json.loads(api.post(f"/api/v1/accounts/{abel.pk}/unblock").content)["blocking"] is False
