"""The status renderer (obole.posts.rendering) and the lean token lookup: every change is on the
next read, from the API and from the web pages, and what one viewer sees of their own never
shows to another.

Each test reads before the change too, so the rendered entity is in the cache when the change
is made: the next read must not be answered from a stale entry.
"""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken

from obole.accounts import graph
from obole.accounts.models import Account
from obole.posts import edits, polls, services
from obole.posts.models import Status
from obole.trust import moderation
from tests.conftest import NOW, Api, make_account, token_for

pytestmark = pytest.mark.django_db

HOME = "/api/v1/timelines/home"


@pytest.fixture(autouse=True)
def _at_now(time_machine):
    time_machine.move_to(NOW)


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


@pytest.fixture
def quinn(db):
    return make_account("quinn", paid=True)


def home(api: Api) -> dict[str, dict]:
    response = api.get(HOME)
    assert response.status_code == 200, response.content
    return {entity["id"]: entity for entity in response.json()}


def web_home(client: Client) -> str:
    response = client.get("/home")
    assert response.status_code == 200
    return response.content.decode()


def signed_in(account: Account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def test_each_change_is_on_the_next_read_from_the_api_and_the_web(member, paul, quinn):
    graph.follow(paul, member)
    status = services.post_status(member, "First words", now=NOW, poll=polls.spec(["yes", "no"], 3600))
    key = str(status.pk)
    api, page = Api(token_for(paul)), signed_in(paul)
    seen = home(api)[key]
    assert (seen["favourites_count"], seen["poll"]["votes_count"]) == (0, 0)
    assert "First words" in web_home(page)

    services.favourite(quinn, status.pk)
    assert home(api)[key]["favourites_count"] == 1
    assert '1<span class="visually-hidden"> like</span>' in web_home(page)

    services.reblog(quinn, status.pk)
    assert home(api)[key]["reblogs_count"] == 1

    polls.vote(quinn, status.poll.pk, ["0"])
    shown = home(api)[key]["poll"]
    assert (shown["votes_count"], shown["options"][0]["votes_count"]) == (1, 1)
    assert "1 person" in web_home(page)

    edits.edit_status(member, status.pk, "Second thoughts")
    edited = home(api)[key]
    assert "Second thoughts" in edited["content"] and edited["edited_at"] is not None
    assert "Second thoughts" in web_home(page) and "First words" not in web_home(page)

    response = Api(token_for(member)).client.patch(
        "/api/v1/accounts/update_credentials",
        '{"display_name": "Mary Renamed"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(member)}"},
    )
    assert response.status_code == 200, response.content
    assert home(api)[key]["account"]["display_name"] == "Mary Renamed"
    assert "Mary Renamed" in web_home(page)

    moderation.hold_post(None, status, "checking", now=NOW)
    assert key not in home(api)
    assert "Second thoughts" not in web_home(page)
    moderation.restore_post(None, Status.objects.get(pk=status.pk), "fine", now=NOW)
    assert key in home(api)

    services.delete_status(member, status.pk)
    assert key not in home(api)
    assert "Second thoughts" not in web_home(page)


def test_a_viewer_s_own_flags_never_show_to_another(member, paul, quinn):
    for reader in (paul, quinn):
        graph.follow(reader, member)
    status = services.post_status(member, "Shared by all", now=NOW)
    key = str(status.pk)
    as_paul, as_quinn = Api(token_for(paul)), Api(token_for(quinn))
    assert not home(as_paul)[key]["favourited"]

    services.favourite(paul, status.pk)
    services.bookmark(quinn, status.pk)
    services.reblog(quinn, status.pk)
    for _ in range(2):  # the second round is answered from the cache
        pauls, quinns = home(as_paul)[key], home(as_quinn)[key]
        assert (pauls["favourited"], pauls["bookmarked"], pauls["reblogged"]) == (True, False, False)
        assert (quinns["favourited"], quinns["bookmarked"], quinns["reblogged"]) == (False, True, True)
        anonymous = Client().get(f"/api/v1/statuses/{status.pk}").json()
        assert "favourited" not in anonymous and "bookmarked" not in anonymous

    # A repost in quinn's own timeline carries the original's flags for quinn, not paul's.
    repost = next(entity for entity in home(as_quinn).values() if entity["reblog"])
    assert repost["reblog"]["id"] == key
    assert (repost["favourited"], repost["reblogged"], repost["bookmarked"]) == (False, True, True)
    assert 'aria-pressed="true" aria-label="Like"' in web_home(signed_in(paul))
    assert 'aria-pressed="true" aria-label="Like"' not in web_home(signed_in(quinn))


def test_the_home_page_renders_as_the_general_renderer_does(member, paul):
    """The lean home path (hand-written SQL) and the renderer of model rows give the same entities."""
    from obole.posts import rendering
    from obole.posts.timelines import home_statuses, store

    graph.follow(paul, member)
    original = services.post_status(member, "An original #tagged", now=NOW, poll=polls.spec(["a", "b"], 600))
    services.post_status(paul, f"@{member.username} a reply", now=NOW, in_reply_to_id=original.pk)
    services.reblog(paul, original.pk)
    services.favourite(paul, original.pk)
    ids = store().page(paul.pk)
    found = home_statuses(paul, ids)
    expected = rendering.statuses([found[pk] for pk in ids if pk in found], paul)
    rendering.clear_cache()
    assert rendering.home_page(paul, ids) == expected
    assert rendering.home_page(paul, ids) == expected  # from the cache


def test_a_revoked_token_a_deactivated_account_and_a_lapsed_membership_count_at_once(member):
    raw = token_for(member)
    api = Api(raw)
    assert api.get("/api/v1/accounts/verify_credentials").status_code == 200

    member.membership.mark_past_due(now=NOW)
    member.membership.lapse(now=NOW)
    refused = api.post("/api/v1/statuses", {"status": "still here?"})
    assert refused.status_code == 402, refused.content
    assert api.get("/api/v1/accounts/verify_credentials").status_code == 200  # reading goes on

    Account.objects.filter(pk=member.pk).update(is_active=False)
    assert api.get("/api/v1/accounts/verify_credentials").status_code == 401
    Account.objects.filter(pk=member.pk).update(is_active=True)
    assert api.get("/api/v1/accounts/verify_credentials").status_code == 200

    AccessToken.objects.get(token=raw).revoke()
    gone = api.get(HOME)
    assert gone.status_code == 401 and "invalid" in gone.json()["error"]


def test_each_request_gets_its_own_copy_of_the_token_s_account_read_afresh(member):
    """find_token keeps the instances made from a token's last row; a request that changes its
    account never changes the next request's, and a changed row is read, not the kept one."""
    from obole.api.auth import find_token

    raw = token_for(member)
    first, second = find_token(raw), find_token(raw)
    assert first.user is not second.user and first.user.membership is not second.user.membership
    first.user.statuses_count += 5
    first.user.membership.state = "changed in one request"
    third = find_token(raw)
    assert third.user.statuses_count == member.statuses_count
    assert third.user.membership.state == member.membership.state
    # As the ORM reads them: aware datetimes and the same values (SQLite selects them as text).
    stored = AccessToken.objects.select_related("user").get(token=raw)
    assert third.expires == stored.expires and third.expires.tzinfo is not None
    assert third.user.date_joined == stored.user.date_joined
    assert third.user.membership.paid_until == member.membership.paid_until is not None

    Account.objects.filter(pk=member.pk).update(display_name="Renamed", statuses_count=41)
    fourth = find_token(raw)
    assert (fourth.user.display_name, fourth.user.statuses_count) == ("Renamed", 41)
    assert Api(raw).get("/api/v1/accounts/verify_credentials").json()["statuses_count"] == 41


def test_the_render_cache_stays_bounded():
    from obole.lib.bounded import Bounded

    cache = Bounded(10)
    for n in range(25):
        cache.put(n, {"n": n})
    assert len(cache.entries) <= 10
    assert cache.get(24) == {"n": 24} and cache.get(0) is None


def test_a_home_page_whose_statuses_are_all_hidden_is_empty(member, paul):
    """Listed, then held: the page's ids are there, none may be shown, and the answer is []."""
    from obole.posts import rendering

    graph.follow(paul, member)
    status = services.post_status(member, "Soon held", now=NOW)
    moderation.hold_post(None, status, "checking", now=NOW)
    assert rendering.home_page(paul, [status.pk]) == []
    assert home(Api(token_for(paul))) == {}
    assert rendering.viewer_state(paul, []).favourited == frozenset()
