"""Mastodon's accounts API: sign-up, one's own profile, reading accounts, their statuses and follows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.test.client import encode_multipart
from oauth2_provider.models import AccessToken, Application, RefreshToken

from obole.accounts import graph
from obole.accounts.models import Account
from obole.posts import services
from tests.conftest import PASSWORD, Api, assert_error, make_account, token_for
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

GOOD_SIGN_UP = {
    "username": "paula",
    "email": "paula@example.org",
    "password": PASSWORD,
    "agreement": True,
    "locale": "en",
}


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def app_token(scope: str = "read write follow push") -> str:
    """A client_credentials token: it belongs to an app, not to an account."""
    app = Application.objects.create(
        name="sign-up client",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    raw = f"app-token-{app.pk}-{AccessToken.objects.count()}"
    AccessToken.objects.create(
        user=None, application=app, token=raw, scope=scope, expires=datetime(2099, 1, 1, tzinfo=UTC)
    )
    return raw


def sign_up(token: str | None = None, **fields):
    return Api(token).post("/api/v1/accounts", GOOD_SIGN_UP | fields)


def patch(api: Api, data, *, form: str | None = None):
    """PATCH update_credentials as JSON, or as a url-encoded or multipart form."""
    if form == "urlencoded":
        body, content_type = urlencode(data), "application/x-www-form-urlencoded"
    elif form == "multipart":
        body, content_type = encode_multipart("BoUnDaRy", data), "multipart/form-data; boundary=BoUnDaRy"
    else:
        body = data if isinstance(data, str) else json.dumps(data)
        content_type = "application/json"
    return api.client.patch(
        "/api/v1/accounts/update_credentials", body, content_type=content_type, headers=api.headers
    )


def link_params(response) -> dict[str, dict[str, list[str]]]:
    links = {}
    for part in response["Link"].split(", "):
        url, rel = part.split("; ")
        links[rel[5:-1]] = parse_qs(urlsplit(url.strip("<>")).query)
    return links


# --- sign-up -----------------------------------------------------------------------------


def test_an_app_signs_up_an_account_and_gets_a_token_for_it():
    response = sign_up(app_token("read write follow"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert_entity("Token", body)
    assert body["token_type"] == "Bearer" and body["scope"] == "read write follow"
    assert isinstance(body["created_at"], int)
    account = Account.objects.get(username="paula")
    assert account.email == "paula@example.org" and account.membership.state == "pending_payment"
    me = Api(body["access_token"]).get("/api/v1/accounts/verify_credentials")
    assert me.status_code == 200 and me.json()["username"] == "paula"
    assert RefreshToken.objects.filter(user=account).count() == 1
    assert AccessToken.objects.get(user=account).token == ""  # kept only as a checksum


def test_the_refresh_token_of_a_sign_up_gets_a_new_access_token():
    app = Application.objects.create(
        name="pocket",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret="s3cret-s3cret-s3cret",
    )
    granted = Client().post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": "s3cret-s3cret-s3cret",
            "scope": "read write",
        },
    )
    assert granted.status_code == 200, granted.content
    body = sign_up(granted.json()["access_token"]).json()
    refreshed = Client().post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": app.client_id,
            "client_secret": "s3cret-s3cret-s3cret",
        },
    )
    assert refreshed.status_code == 200, refreshed.content
    me = Api(refreshed.json()["access_token"]).get("/api/v1/accounts/verify_credentials")
    assert me.json()["username"] == "paula"


def test_sign_up_needs_no_csrf_cookie():
    """Apps send bearer tokens, never cookies: sign-up is exempt from CSRF checks."""
    api = Api(app_token())
    api.client = Client(enforce_csrf_checks=True)
    assert api.post("/api/v1/accounts", GOOD_SIGN_UP).status_code == 200


def test_sign_up_takes_a_form_too():
    token = app_token()
    response = Api(token).post("/api/v1/accounts", {**GOOD_SIGN_UP, "agreement": "true"}, json=False)
    assert response.status_code == 200, response.content


def test_sign_up_needs_an_app_token(member):
    assert_error(sign_up(None), 401, "app token")
    assert_error(sign_up("no-such-token"), 401, "invalid")
    assert_error(sign_up(token_for(member)), 403, "app token")
    assert not Account.objects.filter(username="paula").exists()


def test_sign_up_needs_the_write_accounts_scope():
    assert_error(sign_up(app_token("read")), 403, "scopes")
    assert sign_up(app_token("write:accounts")).status_code == 200


def test_sign_up_is_refused_when_registration_is_closed(settings):
    settings.OBOLE_REGISTRATION_OPEN = False
    assert_error(sign_up(app_token()), 403, "closed")


@pytest.mark.parametrize("agreement", [None, False, "false", "0", ""])
def test_sign_up_needs_the_agreement(agreement):
    fields = dict(GOOD_SIGN_UP)
    if agreement is None:
        del fields["agreement"]
    else:
        fields["agreement"] = agreement
    response = Api(app_token()).post("/api/v1/accounts", fields)
    assert response.status_code == 422
    body = response.json()
    assert_entity("ValidationError", body)
    assert body["error"].startswith("Validation failed")
    assert body["details"]["agreement"][0]["error"] == "ERR_ACCEPTED"


def test_a_username_taken_in_another_case_is_refused(member):
    response = sign_up(app_token(), username="MARY")
    assert response.status_code == 422
    assert response.json()["details"]["username"] == [
        {"error": "ERR_TAKEN", "description": "That username is taken."}
    ]


@pytest.mark.parametrize(
    "fields, field, code",
    [
        ({"password": "short"}, "password", "ERR_TOO_SHORT"),
        ({"password": "password123"}, "password", "ERR_INVALID"),
        ({"password": ""}, "password", "ERR_BLANK"),
        ({"username": ""}, "username", "ERR_BLANK"),
        ({"username": "admin"}, "username", "ERR_RESERVED"),
        ({"username": "a" * 31}, "username", "ERR_TOO_LONG"),
        ({"username": "no spaces"}, "username", "ERR_INVALID"),
        ({"email": ""}, "email", "ERR_BLANK"),
        ({"email": "not an address"}, "email", "ERR_INVALID"),
        ({"locale": "<script>"}, "locale", "ERR_INCLUSION"),
        ({"reason": "x" * 1001}, "reason", "ERR_TOO_LONG"),
    ],
)
def test_bad_sign_ups_say_which_field_is_wrong(fields, field, code):
    response = sign_up(app_token(), **fields)
    assert response.status_code == 422, response.content
    body = response.json()
    assert_entity("ValidationError", body)
    assert body["details"][field][0]["error"] == code
    assert not Account.objects.filter(email="paula@example.org").exists()


@pytest.mark.parametrize("fields", [{"username": 42}, {"agreement": ["yes"]}, {"email": {"a": 1}}])
def test_sign_up_fields_of_the_wrong_type_are_refused(fields):
    assert_error(sign_up(app_token(), **fields), 422)


def test_a_malformed_sign_up_body_is_refused():
    response = Api(app_token()).post("/api/v1/accounts", "{not json")
    assert_error(response, 400, "JSON")


def test_too_many_sign_ups_from_one_address_get_429(settings):
    settings.OBOLE_SIGNUPS_PER_IP = 2
    token = app_token()
    for name in ("first", "second"):
        assert sign_up(token, username=name).status_code == 200
    assert_error(sign_up(token, username="third"), 429, "too many")


def test_sign_up_sends_the_confirmation_email_when_it_is_asked_for(settings, mailoutbox):
    settings.OBOLE_EMAIL_CONFIRMATION = True
    assert sign_up(app_token()).status_code == 200
    assert len(mailoutbox) == 1 and "/auth/confirm/" in mailoutbox[0].body


def test_only_get_and_post_are_answered_on_the_accounts_collection():
    response = Client().delete("/api/v1/accounts")
    assert_error(response, 405, "GET or POST")


# --- one's own account -------------------------------------------------------------------------


def test_verify_credentials_shows_the_source_of_ones_profile(member, api_as):
    response = api_as(member).get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 200
    body = response.json()
    assert_entity("CredentialAccount", body)
    assert body["id"] == str(member.pk) and body["source"]["privacy"] == "public"


def test_verify_credentials_needs_a_token_with_read_accounts(member, api_as):
    assert_error(Api(None).get("/api/v1/accounts/verify_credentials"), 401)
    assert_error(api_as(member, "write").get("/api/v1/accounts/verify_credentials"), 403, "scopes")
    assert api_as(member, "read:accounts").get("/api/v1/accounts/verify_credentials").status_code == 200


def test_an_unpaid_account_updates_its_settings_as_json_but_publishes_no_profile_text(newcomer, api_as):
    # A display name and a bio are what others see: an unpaid account publishes neither (402)…
    for field in ("display_name", "note"):
        refused = patch(api_as(newcomer), {field: "CHEAP PILLS spam.example"})
        assert refused.status_code == 402 and "/membership" in refused.json()["error"]
    newcomer.refresh_from_db()
    assert (newcomer.display_name, newcomer.note) == ("", "")
    # … but manages its account: clearing the text and the other settings work.
    body = {
        "display_name": "",
        "note": "",
        "bot": True,
        "discoverable": "false",
        "source": {"privacy": "private", "sensitive": True, "language": "fr"},
    }
    response = patch(api_as(newcomer), body)
    assert response.status_code == 200, response.content
    entity = response.json()
    assert_entity("CredentialAccount", entity)
    assert entity["display_name"] == "" and entity["bot"] is True and entity["discoverable"] is False
    assert entity["source"] | {"privacy": "private", "sensitive": True, "language": "fr"} == entity["source"]
    newcomer.refresh_from_db()
    assert (newcomer.default_visibility, newcomer.default_sensitive, newcomer.default_language) == (
        "private",
        True,
        "fr",
    )


@pytest.mark.parametrize("form", ["urlencoded", "multipart"])
def test_profile_updates_come_as_forms_with_source_brackets(member, api_as, form):
    data = {"display_name": "Mary", "source[privacy]": "unlisted", "source[sensitive]": "1", "bot": "0"}
    response = patch(api_as(member), data, form=form)
    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert (member.display_name, member.default_visibility, member.default_sensitive) == (
        "Mary",
        "unlisted",
        True,
    )


def test_profile_updates_need_no_csrf_cookie(member, api_as):
    api = api_as(member)
    api.client = Client(enforce_csrf_checks=True)
    assert patch(api, {"display_name": "Mary"}).status_code == 200


def test_fields_left_out_stay_as_they_are(member, api_as):
    patch(api_as(member), {"display_name": "Mary", "note": "bio"})
    patch(api_as(member), {"source": {"language": ""}})
    member.refresh_from_db()
    assert (member.display_name, member.note, member.default_language) == ("Mary", "bio", "")


@pytest.mark.parametrize(
    "body, field, code",
    [
        ({"display_name": "x" * 31}, "display_name", "ERR_TOO_LONG"),
        ({"note": "x" * 501}, "note", "ERR_TOO_LONG"),
        ({"source": {"privacy": "direct"}}, "source[privacy]", "ERR_INCLUSION"),
        ({"source[language]": "not a language"}, "source[language]", "ERR_INVALID"),
        ({"locked": True}, "locked", "ERR_INVALID"),
    ],
)
def test_bad_profile_updates_are_refused_and_change_nothing(member, api_as, body, field, code):
    response = patch(api_as(member), {"display_name": "Changed", **body})
    assert response.status_code == 422, response.content
    assert response.json()["details"][field][0]["error"] == code
    member.refresh_from_db()
    assert member.display_name == ""


@pytest.mark.parametrize(
    "body, status",
    [
        ({"display_name": 7}, 422),
        ({"bot": [1]}, 422),
        ({"source": "private"}, 422),
        ("{oops", 400),
        ("[1]", 400),
    ],
)
def test_malformed_profile_updates_are_refused(member, api_as, body, status):
    assert_error(patch(api_as(member), body), status)


def test_updating_the_profile_needs_write_accounts(member, api_as):
    assert_error(patch(api_as(member, "read"), {"display_name": "x"}), 403, "scopes")
    assert_error(patch(Api(None), {"display_name": "x"}), 401)
    assert patch(api_as(member, "write:accounts"), {"display_name": "x"}).status_code == 200


# --- other accounts ----------------------------------------------------------------------------


def test_anyone_sees_an_account_without_a_token(member):
    response = Client().get(f"/api/v1/accounts/{member.pk}")
    assert response.status_code == 200
    assert_entity("Account", response.json())
    assert response.json()["acct"] == "mary"


def test_a_token_without_read_accounts_cannot_read_an_account(member, api_as):
    assert_error(api_as(member, "write").get(f"/api/v1/accounts/{member.pk}"), 403, "scopes")


@pytest.mark.parametrize("account_id", ["12345", "mary", "-1", "1e3", "99999999999999999999999"])
def test_unknown_or_malformed_account_ids_are_not_found(member, api_as, account_id):
    for suffix in ("", "/statuses", "/followers", "/following"):
        response = api_as(member).get(f"/api/v1/accounts/{account_id}{suffix}")
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}


def test_a_disabled_account_is_not_found(member, outsider, api_as):
    Account.objects.filter(pk=outsider.pk).update(is_active=False)
    assert api_as(member).get(f"/api/v1/accounts/{outsider.pk}").status_code == 404


def test_several_accounts_at_once_in_the_order_asked(member, paul, outsider, api_as):
    response = api_as(member).get("/api/v1/accounts", **{"id[]": [str(paul.pk), "404", "x", str(member.pk)]})
    assert response.status_code == 200
    assert [entity["id"] for entity in response.json()] == [str(paul.pk), str(member.pk)]
    too_many = api_as(member).get("/api/v1/accounts", **{"id[]": [str(n) for n in range(41)]})
    assert_error(too_many, 422, "at most 40")


@pytest.mark.parametrize(
    "acct", ["mary", "MARY", "@mary", "mary@testserver", "mary@localhost:8000", "mary@elsewhere.example"]
)
def test_lookup_finds_a_local_account_by_its_address(member, acct, settings):
    settings.OBOLE_BASE_URL = "http://localhost:8000"
    # The test client reaches the server as "testserver": an address there is this server's too.
    response = Client().get("/api/v1/accounts/lookup", {"acct": acct})
    if acct == "mary@elsewhere.example":
        assert response.status_code == 404  # another server's address
    else:
        assert response.status_code == 200 and response.json()["id"] == str(member.pk)


@pytest.mark.parametrize("params, status", [({}, 400), ({"acct": " "}, 400), ({"acct": "nobody"}, 404)])
def test_lookup_of_nothing_or_nobody_is_refused(member, params, status):
    assert_error(Client().get("/api/v1/accounts/lookup", params), status)


def test_search_finds_accounts_by_the_start_of_their_names(member, paul, outsider, api_as):
    pauline = make_account("pauline")
    Account.objects.filter(pk=outsider.pk).update(display_name="Paul's friend")
    graph.follow(member, pauline)  # followers rank the non-exact matches
    response = api_as(member).get("/api/v1/accounts/search", q="@PAUL")
    assert response.status_code == 200
    names = [entity["username"] for entity in response.json()]
    assert names == ["paul", "pauline", "oscar"]
    assert_entity("Account", response.json()[0])
    assert len(api_as(member).get("/api/v1/accounts/search", q="paul", limit=1, offset=1).json()) == 1
    followed = api_as(member).get("/api/v1/accounts/search", q="paul", following="true").json()
    assert [entity["username"] for entity in followed] == ["pauline"]
    assert api_as(member).get("/api/v1/accounts/search", q="paul@elsewhere.example").json() == []
    assert api_as(member).get("/api/v1/accounts/search", q="100%").json() == []


def test_search_hides_accounts_blocked_either_way(member, paul, api_as):
    graph.block(paul, member)
    assert api_as(member).get("/api/v1/accounts/search", q="paul").json() == []


@pytest.mark.parametrize(
    "params, status",
    [
        ({}, 400),
        ({"q": ""}, 400),
        ({"q": "x" * 501}, 400),
        ({"q": "a", "limit": "many"}, 400),
        ({"q": "a", "offset": "x"}, 400),
    ],
)
def test_bad_searches_are_refused(member, api_as, params, status):
    assert_error(api_as(member).get("/api/v1/accounts/search", **params), status)


def test_search_needs_a_token(member):
    assert_error(Client().get("/api/v1/accounts/search", {"q": "mary"}), 401)


# --- an account's statuses ---------------------------------------------------------------------


def statuses_of(api, account, **params):
    return api.get(f"/api/v1/accounts/{account.pk}/statuses", **params)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [entity["id"] for entity in response.json()]


def test_an_accounts_statuses_newest_first_with_link_pagination(
    member, paul, api_as, django_assert_max_num_queries
):
    posts = [services.post_status(member, f"post {n}") for n in range(5)]
    services.reblog(member, services.post_status(paul, "from paul").pk)
    api = api_as(paul)
    with django_assert_max_num_queries(7):
        first = statuses_of(api, member, limit=2, exclude_reblogs="true")
    assert ids(first) == [str(posts[4].pk), str(posts[3].pk)]
    for entity in first.json():
        assert_entity("Status", entity)
    links = link_params(first)
    assert links["next"]["max_id"] == [str(posts[3].pk)] and links["next"]["exclude_reblogs"] == ["true"]
    assert links["prev"]["min_id"] == [str(posts[4].pk)]
    second = statuses_of(api, member, limit=2, exclude_reblogs="true", max_id=str(posts[3].pk))
    assert ids(second) == [str(posts[2].pk), str(posts[1].pk)]
    with_reposts = ids(statuses_of(api, member))
    assert len(with_reposts) == 6


def test_the_query_count_of_an_accounts_statuses_does_not_grow_with_the_page(
    member, paul, api_as, django_assert_max_num_queries
):
    for n in range(30):
        services.post_status(member, f"post {n} #tag @paul")
    api = api_as(paul)
    with django_assert_max_num_queries(7):
        assert len(ids(statuses_of(api, member, limit=40))) == 30
    with django_assert_max_num_queries(4):
        assert len(ids(statuses_of(Api(None), member, limit=40))) == 30


def test_an_outsider_sees_only_the_public_statuses(member, outsider, paul, api_as):
    public = services.post_status(member, "for all")
    private = services.post_status(member, "for followers", visibility="private")
    direct = services.post_status(member, "for paul @paul", visibility="direct")
    assert ids(statuses_of(api_as(outsider), member)) == [str(public.pk)]
    assert ids(statuses_of(Api(None), member)) == [str(public.pk)]
    graph.follow(paul, member)
    assert ids(statuses_of(api_as(paul), member)) == [str(direct.pk), str(private.pk), str(public.pk)]
    assert ids(statuses_of(api_as(member), member)) == [str(direct.pk), str(private.pk), str(public.pk)]


def test_no_statuses_are_shown_when_either_account_blocks_the_other(member, paul, api_as):
    services.post_status(member, "hello")
    graph.block(member, paul)
    assert ids(statuses_of(api_as(paul), member)) == []
    assert api_as(paul).get(f"/api/v1/accounts/{member.pk}").status_code == 200  # the account still shows
    graph.unblock(member, paul)
    graph.block(paul, member)
    assert ids(statuses_of(api_as(paul), member)) == []


def test_reposts_of_blocked_or_muted_accounts_are_left_out(member, paul, api_as):
    grumpy = make_account("grumpy", paid=True)
    services.reblog(member, services.post_status(grumpy, "grr").pk)
    services.reblog(member, services.post_status(paul, "hi").pk)
    viewer = make_account("viewer")
    graph.block(viewer, grumpy)
    shown = statuses_of(api_as(viewer), member).json()
    assert [entity["reblog"]["account"]["username"] for entity in shown] == ["paul"]
    graph.mute(viewer, paul)
    assert ids(statuses_of(api_as(viewer), member)) == []


def test_statuses_filters_for_replies_tags_media_and_pins(member, paul, api_as):
    other = services.post_status(paul, "hi")
    tagged = services.post_status(member, "about #Cats")
    thread = services.post_status(member, "more", in_reply_to_id=tagged.pk)
    reply = services.post_status(member, "hello paul", in_reply_to_id=other.pk)
    api = api_as(paul)
    assert ids(statuses_of(api, member, exclude_replies="1")) == [str(thread.pk), str(tagged.pk)]
    assert ids(statuses_of(api, member)) == [str(reply.pk), str(thread.pk), str(tagged.pk)]
    assert ids(statuses_of(api, member, tagged="cats")) == [str(tagged.pk)]
    assert ids(statuses_of(api, member, tagged="#CATS")) == [str(tagged.pk)]
    assert ids(statuses_of(api, member, only_media="true")) == []
    assert ids(statuses_of(api, member, pinned="true")) == []
    assert ids(statuses_of(api, member, pinned="false")) != []


@pytest.mark.parametrize("params", [{"max_id": "abc"}, {"limit": "lots"}, {"since_id": "1.5"}])
def test_bad_paging_parameters_are_refused(member, api_as, params):
    assert_error(statuses_of(api_as(member), member, **params), 400)


def test_a_paid_member_publishes_a_display_name_and_a_bio(member, api_as):
    entity = patch(api_as(member), {"display_name": "Mary M.", "note": "Hello <there>"}).json()
    assert entity["display_name"] == "Mary M." and entity["note"] == "<p>Hello &lt;there&gt;</p>"
    assert entity["source"]["note"] == "Hello <there>"


def test_paging_ids_beyond_64_bits_find_nothing_newer_and_everything_older(member, api_as):
    post = services.post_status(member, "hello")
    huge = "9" * 30
    assert ids(statuses_of(api_as(member), member, min_id=huge)) == []
    assert ids(statuses_of(api_as(member), member, max_id=huge)) == [str(post.pk)]


def test_a_token_without_read_statuses_cannot_list_statuses(member, api_as):
    assert_error(statuses_of(api_as(member, "read:accounts"), member), 403, "scopes")


# --- followers and following -------------------------------------------------------------------


def test_followers_and_following_newest_first_with_link_pagination(
    member, paul, api_as, django_assert_max_num_queries
):
    fans = [make_account(f"fan{n}", paid=True) for n in range(3)]
    for fan in fans:
        graph.follow(fan, member)
    graph.follow(member, paul)
    api = api_as(paul)
    with django_assert_max_num_queries(4):
        first = api.get(f"/api/v1/accounts/{member.pk}/followers", limit=2)
    assert [entity["username"] for entity in first.json()] == ["fan2", "fan1"]
    for entity in first.json():
        assert_entity("Account", entity)
    next_max = link_params(first)["next"]["max_id"][0]
    rest = api.get(f"/api/v1/accounts/{member.pk}/followers", limit=2, max_id=next_max)
    assert [entity["username"] for entity in rest.json()] == ["fan0"]
    following = api.get(f"/api/v1/accounts/{member.pk}/following")
    assert [entity["username"] for entity in following.json()] == ["paul"]
    assert Client().get(f"/api/v1/accounts/{member.pk}/followers").status_code == 200


def test_the_query_count_of_followers_does_not_grow_with_the_page(
    member, api_as, django_assert_max_num_queries
):
    for n in range(25):
        graph.follow(make_account(f"fan{n}", paid=True), member)
    api = api_as(member)
    with django_assert_max_num_queries(4):
        assert len(api.get(f"/api/v1/accounts/{member.pk}/followers", limit=80).json()) == 25
    with django_assert_max_num_queries(4):
        assert len(api.get(f"/api/v1/accounts/{member.pk}/following").json()) == 0


def test_an_account_that_blocks_the_viewer_hides_its_follows(member, paul, outsider, api_as):
    graph.follow(paul, member)
    graph.block(member, outsider)
    assert api_as(outsider).get(f"/api/v1/accounts/{member.pk}/followers").json() == []
    assert len(api_as(paul).get(f"/api/v1/accounts/{member.pk}/followers").json()) == 1


def test_followers_limit_is_at_most_80(member, api_as):
    for n in range(3):
        graph.follow(make_account(f"fan{n}", paid=True), member)
    assert len(api_as(member).get(f"/api/v1/accounts/{member.pk}/followers", limit=500).json()) == 3
    assert len(api_as(member).get(f"/api/v1/accounts/{member.pk}/followers", limit=0).json()) == 1
