"""The Mastodon client API on a real server, driven by the Mastodon.py library as an app would.

Two members sign up through the API, find they are read-only, pay through
Obole's membership API, then post, reply, follow, like, repost, read their
timelines page by page, search, get notified and delete — over HTTP, against
`obole serve` with two worker processes.
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime

import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.live import serve
from tests.schema import assert_entity

pytestmark = pytest.mark.slow

PASSWORD = "a long pass phrase for tests"
SCOPES = ["read", "write", "follow", "push"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-mastodon-py"), "mastodonpy") as (base, _):
        yield base


@pytest.fixture(scope="module")
def app(server):
    client_id, client_secret = Mastodon.create_app("Obole tests", scopes=SCOPES, api_base_url=server)
    return client_id, client_secret


def sign_up(server: str, app: tuple[str, str], username: str) -> Mastodon:
    """Sign up through the API with the app's token, then log in with the password grant."""
    registrar = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=server)
    registrar.create_account(username, PASSWORD, f"{username}@example.org", agreement=True, scopes=SCOPES)
    member = Mastodon(
        client_id=app[0], client_secret=app[1], api_base_url=server, version_check_mode="created"
    )
    member.log_in(username, PASSWORD, scopes=SCOPES, allow_http=True)
    return member


def raw(server: str, member: Mastodon, path: str, body: dict | None = None) -> tuple[int, object]:
    """A request outside Mastodon.py, for Obole's own endpoints and for the raw JSON."""
    request = urllib.request.Request(
        server + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {member.access_token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def pay(server: str, member: Mastodon, card_number: str) -> None:
    card = {"card_number": card_number, "exp_month": 12, "exp_year": datetime.now(UTC).year + 3, "cvc": "123"}
    status, membership = raw(server, member, "/api/obole/v1/membership/payment_method", card)
    assert status == 200, membership
    assert membership["state"] == "active"


def test_a_mastodon_client_can_do_everything_a_member_does(server, app):
    alice = sign_up(server, app, "alice")
    me = alice.account_verify_credentials()
    assert me.username == "alice" and me.source.privacy == "public"
    status, credential = raw(server, alice, "/api/v1/accounts/verify_credentials")
    assert_entity("CredentialAccount", credential)

    # Read-only until paid: a 402 whose message names the membership page.
    with pytest.raises(MastodonAPIError) as refused:
        alice.status_post("Hello before paying")
    assert "402" in str(refused.value) and "/membership" in str(refused.value)
    pay(server, alice, "4242424242424242")

    first = alice.status_post("Hello #Obole, the paid network")
    again = alice.status_post("A reply", in_reply_to_id=first.id, idempotency_key="reply-1")
    repeat = alice.status_post("A reply", in_reply_to_id=first.id, idempotency_key="reply-1")
    assert again.id == repeat.id and again.in_reply_to_id == first.id
    status, entity = raw(server, alice, f"/api/v1/statuses/{first.id}")
    assert_entity("Status", entity)

    bob = sign_up(server, app, "bob")
    pay(server, bob, "5555555555554444")
    relationship = bob.account_follow(me.id)
    assert relationship.following
    for n in range(5):
        alice.status_post(f"Post number {n} about #obole")

    # The server's task worker fans the posts out to bob after they are answered: within a second.
    deadline = time.monotonic() + 10
    while len(bob.timeline_home(limit=40)) < 7 and time.monotonic() < deadline:
        time.sleep(0.1)
    # Home timeline, page by page through the Link header, as apps scroll.
    page = bob.timeline_home(limit=2)
    seen = []
    while page:
        seen.extend(s.id for s in page)
        page = bob.fetch_next(page)
    assert len(seen) == len(set(seen)) == 7  # 5 posts + the first + the reply (alice replied to herself)
    assert seen == sorted(seen, reverse=True)

    tagged = bob.timeline_hashtag("obole", limit=3)
    tagged_all = tagged + (bob.fetch_next(tagged) or [])
    assert {s.id for s in tagged_all} >= {first.id}
    assert len(tagged_all) == 6

    statuses = bob.account_statuses(me.id, limit=4)
    statuses_all = statuses + (bob.fetch_next(statuses) or [])
    assert len(statuses_all) == 7

    liked = bob.status_favourite(first.id)
    assert liked.favourited and liked.favourites_count == 1
    boosted = bob.status_reblog(first.id)
    assert boosted.reblog.id == first.id
    assert [a.username for a in alice.status_favourited_by(first.id)] == ["bob"]
    assert [a.username for a in alice.status_reblogged_by(first.id)] == ["bob"]

    mention = bob.status_post("@alice thanks for the welcome")
    kinds = {n.type for n in alice.notifications()}
    assert kinds == {"follow", "favourite", "reblog", "mention"}
    follows_only = alice.notifications(types=["follow"])
    assert [n.account.username for n in follows_only] == ["bob"]

    found = bob.search_v2("paid network", result_type="statuses")
    assert [s.id for s in found.statuses] == [first.id]
    people = bob.search_v2("ali", result_type="accounts")
    assert [a.username for a in people.accounts] == ["alice"]

    deleted = bob.status_delete(mention.id)
    assert deleted.text == "@alice thanks for the welcome"
    with pytest.raises(MastodonAPIError):
        bob.status(mention.id)
    context = alice.status_context(first.id)
    assert [s.id for s in context.descendants] == [again.id]


def test_the_instance_describes_itself_to_clients(server):
    client = Mastodon(api_base_url=server, version_check_mode="created")
    instance = client.instance()
    assert "Obole" in instance.version
    assert client.verify_minimum_version("4.0.0", cached=True)
