"""Search (GET /api/v2/search) and hashtags (GET /api/v1/tags/:name).

`mary` (member) pays, `oscar` (outsider) has not; `paul` pays. Accounts and
hashtags are found without a token; statuses only with one, and only those
the searcher may see.
"""

from __future__ import annotations

import pytest

from obole.accounts import graph
from obole.accounts.models import Account
from obole.posts import services
from tests.conftest import NOW, Api, assert_error, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

SEARCH = "/api/v2/search"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def post(account, text: str, **options):
    return services.post_status(account, text, now=NOW, **options)


def found(response, kind: str) -> list[str]:
    assert response.status_code == 200, response.content
    key = {"accounts": "username", "hashtags": "name", "statuses": "id"}[kind]
    return [entity[key] for entity in response.json()[kind]]


# Accounts


def test_accounts_are_found_by_username_prefix_the_exact_one_first(member, api_as):
    make_account("maryanne", paid=True)
    make_account("marybeth")
    mar = make_account("mar")
    Account.objects.filter(pk=mar.pk).update(followers_count=0)
    Account.objects.filter(username="marybeth").update(followers_count=50)
    response = Api(None).get(SEARCH, q="MAR", type="accounts")
    assert found(response, "accounts") == ["mar", "marybeth", "mary", "maryanne"]
    assert response.json()["statuses"] == response.json()["hashtags"] == []
    assert_entity("Search", response.json())
    for entity in response.json()["accounts"]:
        assert_entity("Account", entity)


def test_accounts_are_found_by_display_name_and_by_handle(member, paul):
    Account.objects.filter(pk=paul.pk).update(display_name="Paul Smith")
    anonymous = Api(None)
    assert found(anonymous.get(SEARCH, q="smi"), "accounts") == ["paul"]
    assert found(anonymous.get(SEARCH, q="Paul S"), "accounts") == ["paul"]
    assert found(anonymous.get(SEARCH, q="@mary"), "accounts") == ["mary"]
    assert found(anonymous.get(SEARCH, q="mary@127.0.0.1:8000"), "accounts") == ["mary"]
    assert found(anonymous.get(SEARCH, q="mary@elsewhere.example"), "accounts") == []


def test_account_search_leaves_out_blocked_and_deactivated_accounts(member, paul, api_as):
    make_account("pauline", paid=True)
    graph.block(paul, member)
    assert found(api_as(member).get(SEARCH, q="paul"), "accounts") == ["pauline"]
    Account.objects.filter(username="pauline").update(is_active=False)
    assert found(Api(None).get(SEARCH, q="paul"), "accounts") == ["paul"]


def test_account_search_can_keep_to_followed_accounts(member, paul, api_as):
    make_account("pauline", paid=True)
    graph.follow(member, paul, now=NOW)
    api = api_as(member)
    assert found(api.get(SEARCH, q="paul", following="true"), "accounts") == ["paul"]
    assert found(api.get(SEARCH, q="paul", following="false"), "accounts") == ["paul", "pauline"]


# Hashtags


def test_hashtags_are_found_by_prefix_the_exact_one_first(member):
    post(member, "#oboles #obole #obolepay #other")
    response = Api(None).get(SEARCH, q="#Obole", type="hashtags")
    assert found(response, "hashtags") == ["obole", "obolepay", "oboles"]
    assert_entity("Search", response.json())
    for entity in response.json()["hashtags"]:
        assert_entity("Tag", entity)
    assert response.json()["hashtags"][0]["url"] == "http://127.0.0.1:8000/tags/obole"


# Statuses


def test_statuses_are_found_by_text_with_a_token(member, paul, api_as):
    wanted = post(paul, "The Quick brown fox")
    post(paul, "a slow turtle")
    response = api_as(member).get(SEARCH, q="quick BROWN", type="statuses")
    assert found(response, "statuses") == [str(wanted.pk)]
    assert_entity("Search", response.json())
    assert_entity("Status", response.json()["statuses"][0])


def test_without_a_token_statuses_are_not_searched(member):
    post(member, "findable text")
    response = Api(None).get(SEARCH, q="findable")
    assert response.json() == {"accounts": [], "statuses": [], "hashtags": []}


def test_an_outsider_cannot_find_someone_elses_private_post_by_its_text(member, paul, outsider, api_as):
    secret = post(member, "the secret plan", visibility="private")
    direct = post(member, "the secret for @paul", visibility="direct")
    assert found(api_as(outsider).get(SEARCH, q="secret"), "statuses") == []
    assert found(api_as(paul).get(SEARCH, q="secret"), "statuses") == [str(direct.pk)]
    graph.follow(paul, member, now=NOW)
    assert found(api_as(paul).get(SEARCH, q="secret"), "statuses") == [str(direct.pk), str(secret.pk)]
    assert found(api_as(member).get(SEARCH, q="secret"), "statuses") == [str(direct.pk), str(secret.pk)]


def test_status_search_leaves_out_reposts_muted_accounts_and_those_who_opted_out(member, paul, api_as):
    quinn = make_account("quinn", paid=True)
    pauls = post(paul, "lemon cake")
    services.reblog(quinn, pauls.pk, now=NOW)
    quinns = post(quinn, "lemon tart")
    api = api_as(member)
    assert found(api.get(SEARCH, q="lemon"), "statuses") == [str(quinns.pk), str(pauls.pk)]
    graph.mute(member, quinn)
    assert found(api.get(SEARCH, q="lemon"), "statuses") == [str(pauls.pk)]
    Account.objects.filter(pk=paul.pk).update(discoverable=False)
    assert found(api.get(SEARCH, q="lemon"), "statuses") == []
    assert found(api_as(paul).get(SEARCH, q="lemon"), "statuses") == [str(quinns.pk), str(pauls.pk)]


def test_status_search_keeps_to_one_author_and_pages_with_offset(member, paul, api_as):
    mine = [post(member, f"note {n}") for n in range(4)]
    post(paul, "note from paul")
    api = api_as(member)
    by_mary = api.get(SEARCH, q="note", type="statuses", account_id=str(member.pk), limit=2, offset=1)
    assert found(by_mary, "statuses") == [str(mine[2].pk), str(mine[1].pk)]
    older = api.get(SEARCH, q="note", type="statuses", max_id=str(mine[2].pk))
    assert found(older, "statuses") == [str(mine[1].pk), str(mine[0].pk)]
    assert_error(api.get(SEARCH, q="note", account_id="mary"), 400, "account_id")


def test_a_search_of_every_kind_at_once(member, api_as):
    post(member, "all about #mary_things")
    response = api_as(member).get(SEARCH, q="mary")
    body = response.json()
    assert [a["username"] for a in body["accounts"]] == ["mary"]
    assert [t["name"] for t in body["hashtags"]] == ["mary_things"]
    assert len(body["statuses"]) == 1
    assert_entity("Search", body)


def test_a_search_costs_a_fixed_number_of_queries(member, paul, api_as, django_assert_max_num_queries):
    for n in range(10):
        post((member, paul)[n % 2], f"pattern {n} #pattern{n}")
        make_account(f"pattern{n}")
    api = api_as(member)
    # The token, accounts, hashtags, statuses and the viewer's flags on them.
    with django_assert_max_num_queries(5):
        body = api.get(SEARCH, q="pattern").json()
    assert (len(body["accounts"]), len(body["hashtags"]), len(body["statuses"])) == (10, 10, 10)
    with django_assert_max_num_queries(2):
        assert len(Api(None).get(SEARCH, q="pattern").json()["accounts"]) == 10


# Bad input


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({}, 400, ["q"]),
        ({"q": ""}, 400, ["q"]),
        ({"q": "   "}, 400, ["q"]),
        ({"q": "x" * 501}, 400, ["too long"]),
        ({"q": "mary", "type": "bogus"}, 400, ["type"]),
        ({"q": "mary", "limit": "abc"}, 400, ["limit"]),
        ({"q": "mary", "offset": "abc"}, 400, ["offset"]),
        ({"q": "mary", "offset": "-1"}, 400, ["offset"]),
    ],
)
def test_malformed_searches_are_refused(member, api_as, params, status, words):
    assert_error(api_as(member).get(SEARCH, **params), status, *words)


def test_paging_or_resolving_needs_a_token_as_on_mastodon(member):
    assert_error(Api(None).get(SEARCH, q="mary", offset="5"), 401, "authentication")
    assert_error(Api(None).get(SEARCH, q="mary", resolve="true"), 401, "authentication")
    assert Api(None).get(SEARCH, q="mary", resolve="false").status_code == 200


def test_a_token_sent_to_search_must_have_the_read_scope(member, api_as):
    assert_error(api_as(member, "write").get(SEARCH, q="mary"), 403, "scope")
    assert api_as(member, "read:search").get(SEARCH, q="mary").status_code == 200


def test_search_limit_is_at_most_forty(member):
    for n in range(45):
        make_account(f"crowd{n}")
    assert len(found(Api(None).get(SEARCH, q="crowd", limit=100), "accounts")) == 40
    assert len(found(Api(None).get(SEARCH, q="crowd"), "accounts")) == 20


# Hashtags


def test_a_hashtag_is_shown_whatever_its_case(member):
    post(member, "#Obole")
    response = Api(None).get("/api/v1/tags/OBOLE")
    assert response.status_code == 200
    assert_entity("Tag", response.json())
    assert response.json()["name"] == "obole"
    assert Api(None).get("/api/v1/tags/%23obole").json()["name"] == "obole"


def test_an_unknown_hashtag_is_not_found(member, api_as):
    assert_error(Api(None).get("/api/v1/tags/nothing"), 404, "Record not found")
    assert_error(api_as(member).post("/api/v1/tags/nothing/unfollow"), 404, "Record not found")


# Following hashtags: tests/test_api_followed_tags.py
