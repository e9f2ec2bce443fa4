"""The Mastodon timelines API: home, public, hashtag, lists and conversations.

`mary` (member) pays, `nina` (newcomer) and `oscar` (outsider) do not. `paul`
and `quinn` pay; who follows whom is set by each test.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from obole.accounts import graph
from obole.posts import services
from obole.posts.models import Status
from tests.conftest import NOW, Api, assert_error, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

HOME = "/api/v1/timelines/home"
PUBLIC = "/api/v1/timelines/public"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


@pytest.fixture
def quinn(db):
    return make_account("quinn", paid=True)


def post(account, text: str = "hello", **options) -> Status:
    return services.post_status(account, text, now=NOW, **options)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(entity["id"]) for entity in response.json()]


def links(response) -> dict[str, str]:
    """{"next": url, "prev": url} from a Link header."""
    found = {}
    for part in response["Link"].split(", "):
        target, rel = part.split("; ")
        found[rel.split('"')[1]] = target.strip("<>")
    return found


def follow_link(api: Api, url: str):
    parsed = urlparse(url)
    params = {key: values if len(values) > 1 else values[0] for key, values in parse_qs(parsed.query).items()}
    return api.get(parsed.path, **params)


# Home


def test_home_shows_own_posts_followed_accounts_posts_and_their_reposts(member, paul, quinn, api_as):
    graph.follow(member, paul, now=NOW)
    mine = post(member, "mine")
    pauls = post(paul, "from paul")
    quinns = post(quinn, "from quinn, whom mary does not follow")
    repost = services.reblog(paul, quinns.pk, now=NOW)
    response = api_as(member).get(HOME)
    assert ids(response) == [repost.pk, pauls.pk, mine.pk]
    body = response.json()
    assert body[0]["reblog"]["id"] == str(quinns.pk)
    assert body[0]["account"]["username"] == "paul"
    for entity in body:
        assert_entity("Status", entity)


def test_home_marks_what_the_reader_liked_reposted_and_bookmarked(member, paul, api_as):
    graph.follow(member, paul, now=NOW)
    liked, reposted, bookmarked = post(paul, "liked"), post(paul, "reposted"), post(paul, "bookmarked")
    services.favourite(member, liked.pk, now=NOW)
    repost = services.reblog(member, reposted.pk, now=NOW)
    services.bookmark(member, bookmarked.pk)
    body = {int(entity["id"]): entity for entity in api_as(member).get(HOME).json()}
    flags = ("favourited", "reblogged", "bookmarked")
    assert [body[liked.pk][flag] for flag in flags] == [True, False, False]
    assert [body[reposted.pk][flag] for flag in flags] == [False, True, False]
    assert [body[repost.pk][flag] for flag in flags] == [False, True, False]
    assert [body[bookmarked.pk][flag] for flag in flags] == [False, False, True]


def test_home_never_shows_the_private_posts_of_accounts_one_does_not_follow(member, paul, outsider, api_as):
    graph.follow(paul, member, now=NOW)
    private = post(member, "for my followers", visibility="private")
    direct = post(member, "just for @paul", visibility="direct")
    assert ids(api_as(paul).get(HOME)) == [direct.pk, private.pk]
    assert ids(api_as(outsider).get(HOME)) == []
    assert ids(api_as(member).get(HOME)) == [direct.pk, private.pk]  # the author sees her own


def test_home_shows_a_direct_post_to_the_accounts_it_mentions(member, outsider, api_as):
    direct = post(member, "psst @oscar", visibility="direct")
    assert ids(api_as(outsider).get(HOME)) == [direct.pk]


def test_home_leaves_out_muted_and_blocked_accounts(member, paul, quinn, api_as):
    graph.follow(member, paul, now=NOW)
    graph.follow(member, quinn, now=NOW)
    post(paul, "muted soon")
    post(quinn, "blocked soon")
    graph.mute(member, paul)
    graph.block(member, quinn)
    assert ids(api_as(member).get(HOME)) == []


def test_home_simply_skips_statuses_deleted_between_the_page_and_the_fetch(member, api_as):
    first, second, third = post(member, "one"), post(member, "two"), post(member, "three")
    Status.objects.filter(pk=second.pk).delete()  # the timeline entry is still there
    response = api_as(member).get(HOME)
    assert ids(response) == [third.pk, first.pk]
    assert str(first.pk) in links(response)["next"]


def test_an_unpaid_account_reads_its_home_timeline(newcomer, member, api_as):
    # Following needs a paid membership, so the newcomer's home holds what mentions her.
    direct = post(member, "welcome @nina", visibility="direct")
    assert ids(api_as(newcomer).get(HOME)) == [direct.pk]


def test_home_needs_a_token_with_the_read_scope(member, api_as):
    assert_error(Api(None).get(HOME), 401, "access token")
    assert_error(api_as(member, "write").get(HOME), 403, "scope")
    assert api_as(member, "read:statuses").get(HOME).status_code == 200
    assert_error(Api("not-a-token").get(HOME), 401)


def test_home_costs_three_queries_whatever_the_page(
    member, paul, quinn, api_as, django_assert_max_num_queries
):
    graph.follow(member, paul, now=NOW)
    graph.follow(member, quinn, now=NOW)
    api = api_as(member)
    api.get(HOME)  # with Redis, the list is made by a first read (a rebuild) and then filled by fan-out
    for n in range(12):
        original = post(quinn if n % 2 else member, f"post {n}")
        services.reblog(paul, original.pk, now=NOW)
        services.favourite(member, original.pk, now=NOW)
    # The token, the page of ids (with the widely followed accounts the reader follows: none), the
    # statuses' versions with the viewer's flags (and whether they have filters: the filters
    # themselves are read only for a viewer who has some); the first time, one more reads in
    # full the statuses and authors that the render cache lacks. With Redis, the page of ids
    # is read from Redis and the wide authors are a query of their own: the same count.
    with django_assert_max_num_queries(4):
        response = api.get(HOME, limit=40)
    assert len(ids(response)) == 24  # twelve posts and paul's twelve reposts of them
    assert all(entity["favourited"] for entity in response.json())
    with django_assert_max_num_queries(3):
        again = api.get(HOME, limit=40)
    assert again.json() == response.json()
    with django_assert_max_num_queries(3):
        assert len(ids(api.get(HOME, limit=2))) == 2


# Pagination, on the home timeline (the same helpers serve every timeline)


@pytest.fixture
def many(member):
    """45 statuses by mary, oldest first."""
    return [post(member, f"status {n}").pk for n in range(45)]


def test_a_page_is_twenty_newest_first_and_never_more_than_forty(member, many, api_as):
    api = api_as(member)
    newest_first = many[::-1]
    assert ids(api.get(HOME)) == newest_first[:20]
    assert ids(api.get(HOME, limit=100)) == newest_first[:40]
    assert ids(api.get(HOME, limit=5)) == newest_first[:5]
    assert ids(api.get(HOME, limit=0)) == newest_first[:1]


def test_max_id_since_id_and_min_id_page_as_mastodon_does(member, many, api_as):
    api = api_as(member)
    # Older than max_id, newest first.
    assert ids(api.get(HOME, max_id=many[10], limit=3)) == [many[9], many[8], many[7]]
    # Newer than since_id, newest first: the newest ones, a gap may remain above since_id.
    assert ids(api.get(HOME, since_id=many[10], limit=3)) == [many[44], many[43], many[42]]
    # Just above min_id, still newest first.
    assert ids(api.get(HOME, min_id=many[10], limit=3)) == [many[13], many[12], many[11]]
    # Both bounds.
    assert ids(api.get(HOME, max_id=many[15], since_id=many[10])) == many[11:15][::-1]


def test_the_link_header_names_the_next_and_previous_pages_and_keeps_the_other_parameters(
    member, many, api_as
):
    response = api_as(member).get(HOME, limit=5, max_id=many[30])
    page = ids(response)
    assert page == many[25:30][::-1]
    found = links(response)
    assert parse_qs(urlparse(found["next"]).query) == {"limit": ["5"], "max_id": [str(page[-1])]}
    assert parse_qs(urlparse(found["prev"]).query) == {"limit": ["5"], "min_id": [str(page[0])]}
    assert urlparse(found["next"]).path == HOME


def test_walking_the_next_links_reads_the_whole_timeline_once(member, many, api_as):
    api = api_as(member)
    seen: list[int] = []
    response = api.get(HOME, limit=7)
    while ids(response):
        seen += ids(response)
        response = follow_link(api, links(response)["next"])
    assert "Link" not in response
    assert seen == many[::-1]


def test_walking_the_prev_links_catches_up_without_gaps(member, many, api_as):
    api = api_as(member)
    seen: list[int] = []
    response = api.get(HOME, min_id=many[0], limit=6)
    while ids(response):
        seen = ids(response) + seen
        response = follow_link(api, links(response)["prev"])
    assert seen == many[1:][::-1]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"max_id": "abc"}, ["max_id"]),
        ({"since_id": "1.5"}, ["since_id"]),
        ({"min_id": "12x"}, ["min_id"]),
        ({"limit": "abc"}, ["limit"]),
    ],
)
def test_malformed_paging_parameters_are_refused(member, api_as, params, words):
    for path in (HOME, PUBLIC, "/api/v1/timelines/tag/obole", "/api/v1/conversations"):
        assert_error(api_as(member).get(path, **params), 400, *words)


def test_a_malformed_json_body_is_refused(member, api_as):
    api = api_as(member)
    response = api.client.generic(
        "GET", HOME, "{not json", content_type="application/json", headers=api.headers
    )
    assert_error(response, 400, "JSON")


# Public


def test_the_public_timeline_has_public_posts_only_and_no_reposts(member, paul, quinn):
    public = post(member, "for everyone")
    post(member, "unlisted", visibility="unlisted")
    post(member, "private", visibility="private")
    post(member, "direct @paul", visibility="direct")
    services.reblog(paul, public.pk, now=NOW)
    thread = post(member, "a thread goes on", in_reply_to_id=public.pk)
    post(quinn, "a reply to someone else", in_reply_to_id=public.pk)
    response = Api(None).get(PUBLIC)
    assert ids(response) == [thread.pk, public.pk]
    for entity in response.json():
        assert_entity("Status", entity)
        assert "favourited" not in entity  # nobody is asking


def test_the_public_timeline_leaves_out_whom_the_reader_blocks_mutes_or_is_blocked_by(
    member, paul, quinn, api_as
):
    rita = make_account("rita", paid=True)
    post(paul, "muted by mary")
    post(quinn, "blocked by mary")
    post(rita, "rita blocks mary")
    kept = post(member, "mary's own")
    graph.mute(member, paul)
    graph.block(member, quinn)
    graph.block(rita, member)
    assert ids(api_as(member).get(PUBLIC)) == [kept.pk]
    assert len(ids(Api(None).get(PUBLIC))) == 4


def test_the_public_timeline_has_nothing_from_other_servers_or_with_media(member):
    status = post(member, "local")
    anonymous = Api(None)
    assert ids(anonymous.get(PUBLIC, local="true")) == [status.pk]
    assert ids(anonymous.get(PUBLIC, remote="true")) == []
    assert ids(anonymous.get(PUBLIC, only_media="1")) == []
    assert ids(anonymous.get(PUBLIC, only_media="false", remote="0")) == [status.pk]


def test_a_token_sent_to_the_public_timeline_must_have_the_read_scope(member, api_as):
    assert_error(api_as(member, "write:statuses").get(PUBLIC), 403, "scope")
    assert_error(Api("not-a-token").get(PUBLIC), 401)


def test_the_public_timeline_pages_with_a_link_header(member):
    statuses = [post(member, f"public {n}").pk for n in range(5)]
    response = Api(None).get(PUBLIC, limit=2, local="true")
    assert ids(response) == statuses[:-3:-1]
    following = follow_link(Api(None), links(response)["next"])
    assert ids(following) == [statuses[2], statuses[1]]
    assert "local=true" in links(response)["next"]


def test_the_public_timeline_costs_one_query_logged_out_and_four_with_a_token(
    member, paul, quinn, api_as, django_assert_max_num_queries
):
    for n in range(10):
        post((member, paul, quinn)[n % 3], f"public {n}")
    with django_assert_max_num_queries(1):
        assert len(ids(Api(None).get(PUBLIC))) == 10
    api = api_as(member)
    # The token, the page, the viewer's flags (with whether they have filters).
    with django_assert_max_num_queries(3):
        assert len(ids(api.get(PUBLIC))) == 10


# Hashtags


def test_a_hashtag_timeline_is_case_insensitive_and_public_only(member, paul):
    tagged = post(member, "Hello #Obole")
    post(member, "quiet #obole", visibility="unlisted")
    post(member, "secret #obole", visibility="private")
    post(paul, "another #tag")
    for name in ("obole", "OBOLE", "Obole"):
        response = Api(None).get(f"/api/v1/timelines/tag/{name}")
        assert ids(response) == [tagged.pk]
        assert_entity("Status", response.json()[0])
    assert response.json()[0]["tags"] == [{"name": "obole", "url": "http://127.0.0.1:8000/tags/obole"}]


def test_an_unknown_hashtag_has_an_empty_timeline(member):
    assert ids(Api(None).get("/api/v1/timelines/tag/nothing-here")) == []
    assert ids(Api(None).get("/api/v1/timelines/tag/%E2%9C%93")) == []


def test_a_hashtag_timeline_takes_any_all_and_none(member):
    cats = post(member, "#cats")
    dogs = post(member, "#dogs")
    both = post(member, "#cats and #dogs")
    birds = post(member, "#cats #birds")
    api = Api(None)
    assert ids(api.get("/api/v1/timelines/tag/cats")) == [birds.pk, both.pk, cats.pk]
    assert ids(api.get("/api/v1/timelines/tag/cats", **{"any[]": ["dogs"]})) == [
        birds.pk,
        both.pk,
        dogs.pk,
        cats.pk,
    ]
    assert ids(api.get("/api/v1/timelines/tag/cats", **{"all[]": ["dogs"]})) == [both.pk]
    assert ids(api.get("/api/v1/timelines/tag/cats", **{"none[]": ["dogs", "birds"]})) == [cats.pk]


def test_a_hashtag_timeline_leaves_out_blocked_accounts(member, paul, api_as):
    post(paul, "#obole from paul")
    mine = post(member, "#obole from mary")
    graph.block(paul, member)
    assert ids(api_as(member).get("/api/v1/timelines/tag/obole")) == [mine.pk]


def test_a_hashtag_timeline_costs_one_query_logged_out(member, paul, api_as, django_assert_max_num_queries):
    for n in range(8):
        post((member, paul)[n % 2], f"#obole {n}")
    with django_assert_max_num_queries(1):
        assert len(ids(Api(None).get("/api/v1/timelines/tag/obole"))) == 8
    api = api_as(member)
    with django_assert_max_num_queries(3):
        assert len(ids(api.get("/api/v1/timelines/tag/obole", **{"any[]": ["x"], "none[]": ["y"]}))) == 8


# Direct posts (conversations: tests/test_api_conversations.py; list timelines: tests/test_api_lists.py)


def test_direct_posts_show_in_home(member, outsider, api_as):
    direct = post(member, "psst @oscar", visibility="direct")
    assert ids(api_as(outsider).get(HOME)) == [direct.pk]


def test_timelines_are_read_only(member, api_as):
    assert_error(api_as(member).post(HOME, {}), 405)
    assert_error(Api(None).post(PUBLIC, {}), 405)


def test_array_parameters_in_a_form_body_keep_every_value(member, api_as):
    services.post_status(make_account("ann", paid=True), "@mary hi")
    services.favourite(make_account("bea", paid=True), services.post_status(member, "mine").pk)
    graph.follow(make_account("cat", paid=True), member)
    api = api_as(member)
    response = api.client.generic(
        "GET",
        "/api/v1/notifications",
        "types[]=mention&types[]=favourite",
        content_type="application/x-www-form-urlencoded",
        headers=api.headers,
    )
    assert response.status_code == 200
    assert sorted(n["type"] for n in response.json()) == ["favourite", "mention"]
