"""Filters through the API (v2, and v1 to read), and `filtered` and hiding where statuses are read."""

from __future__ import annotations

import pytest

from obole.accounts import graph
from obole.posts import services
from obole.posts.models import Filter, FilterKeyword
from tests.conftest import Api, assert_error, make_account, send
from tests.schema import assert_entity

FILTERS = "/api/v2/filters"
HOME = "/api/v1/timelines/home"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def make_filter(api: Api, **body) -> dict:
    fields = {
        "title": "Spoilers",
        "context": ["home", "public"],
        "keywords_attributes": [{"keyword": "ending"}],
    }
    response = api.post(FILTERS, {**fields, **body})
    assert response.status_code == 200, response.content
    return response.json()


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(entity["id"]) for entity in response.json()]


def test_a_member_makes_reads_changes_and_deletes_a_filter(member, api_as):
    api = api_as(member)
    made = make_filter(
        api,
        filter_action="hide",
        expires_in=3600,
        keywords_attributes=[{"keyword": "ending", "whole_word": False}, {"keyword": "finale"}],
    )
    assert_entity("Filter", made)
    assert made["title"] == "Spoilers" and made["context"] == ["home", "public"]
    assert made["filter_action"] == "hide" and made["expires_at"] is not None
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [
        ("ending", False),
        ("finale", True),
    ]
    assert_entity("FilterKeyword", made["keywords"][0])
    path = f"{FILTERS}/{made['id']}"
    assert api.get(path).json() == made
    assert api.get(FILTERS).json() == [made]
    first, second = made["keywords"]
    changed = send(
        api,
        "PUT",
        path,
        {
            "title": "Show spoilers",
            "context": ["thread"],
            "filter_action": "warn",
            "expires_in": "",
            "keywords_attributes": [
                {"id": first["id"], "keyword": "endings"},
                {"id": second["id"], "_destroy": True},
                {"keyword": "twist"},
            ],
        },
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["title"], body["context"], body["filter_action"], body["expires_at"]) == (
        "Show spoilers",
        ["thread"],
        "warn",
        None,
    )
    assert [k["keyword"] for k in body["keywords"]] == ["endings", "twist"]
    # The v1 view: one filter per keyword.
    v1 = api.get("/api/v1/filters").json()
    assert [(f["phrase"], f["context"], f["irreversible"]) for f in v1] == [
        ("endings", ["thread"], False),
        ("twist", ["thread"], False),
    ]
    assert api.get(f"/api/v1/filters/{v1[0]['id']}").json() == v1[0]
    assert send(api, "DELETE", path).json() == {}
    assert_error(api.get(path), 404)
    assert not FilterKeyword.objects.exists()


def test_keywords_and_statuses_have_their_own_endpoints(member, paul, api_as):
    api = api_as(member)
    made = make_filter(api)
    path = f"{FILTERS}/{made['id']}"
    added = api.post(f"{path}/keywords", {"keyword": "Plot", "whole_word": "false"})
    assert added.status_code == 200, added.content
    assert added.json()["keyword"] == "Plot" and added.json()["whole_word"] is False
    assert [k["keyword"] for k in api.get(f"{path}/keywords").json()] == ["ending", "Plot"]
    one = f"{FILTERS}/keywords/{added.json()['id']}"
    assert api.get(one).json() == added.json()
    assert send(api, "PUT", one, {"keyword": "plot"}).json()["keyword"] == "plot"
    assert send(api, "DELETE", one).json() == {}
    assert_error(api.get(one), 404)

    status = services.post_status(paul, "a post to filter")
    filtered = api.post(f"{path}/statuses", {"status_id": str(status.pk)})
    assert filtered.status_code == 200, filtered.content
    assert_entity("FilterStatus", filtered.json())
    assert filtered.json()["status_id"] == str(status.pk)
    assert api.get(f"{path}/statuses").json() == [filtered.json()]
    assert api.get(f"{FILTERS}/statuses/{filtered.json()['id']}").json() == filtered.json()
    hidden = services.post_status(paul, "followers only", visibility="private")
    assert_error(api.post(f"{path}/statuses", {"status_id": str(hidden.pk)}), 404)
    assert send(api, "DELETE", f"{FILTERS}/statuses/{filtered.json()['id']}").json() == {}
    assert api.get(f"{path}/statuses").json() == []


def test_a_warn_filter_marks_matching_statuses_and_a_hide_filter_leaves_them_out(member, paul, api_as):
    graph.follow(member, paul)
    api = api_as(member)
    warn = make_filter(api, keywords_attributes=[{"keyword": "ending", "whole_word": True}])
    plain = services.post_status(paul, "Nothing to see")
    match = services.post_status(paul, "The ENDING was a surprise")
    partial = services.post_status(paul, "Never-endings are fine")  # not a whole word
    repost = services.reblog(paul, services.post_status(member, "my own ending").pk)
    home = {int(entity["id"]): entity for entity in api.get(HOME).json()}
    assert home[plain.pk]["filtered"] == [] and home[partial.pk]["filtered"] == []
    result = home[match.pk]["filtered"]
    assert len(result) == 1
    assert_entity("FilterResult", result[0])
    assert result[0]["filter"]["id"] == warn["id"] and result[0]["keyword_matches"] == ["ending"]
    assert home[repost.pk]["filtered"] == home[repost.pk]["reblog"]["filtered"] != []
    assert_entity("Status", home[match.pk])
    # Not in a context the filter does not name, nor for anyone else.
    thread = api.get(f"/api/v1/statuses/{match.pk}/context").json()
    assert thread == {"ancestors": [], "descendants": []}
    assert api.get(f"/api/v1/statuses/{match.pk}").json()["filtered"] == []
    assert api_as(paul).get(HOME).json()[0]["filtered"] == []

    # A hide filter leaves the matches out of home and the public timeline, not out of a thread.
    api.post(FILTERS, {"title": "No surprises", "context": ["home", "public"], "filter_action": "hide",
                       "keywords_attributes": [{"keyword": "surprise"}]})  # fmt: skip
    assert match.pk not in ids(api.get(HOME)) and plain.pk in ids(api.get(HOME))
    assert match.pk not in ids(api.get("/api/v1/timelines/public"))
    assert match.pk in ids(api.get(f"/api/v1/accounts/{paul.pk}/statuses"))
    page = api.get(HOME, limit=3)
    assert "max_id" in page["Link"]  # the page still moves on past what was left out


def test_a_filtered_status_and_expiry(member, paul, api_as):
    api = api_as(member)
    status = services.post_status(paul, "just this one")
    made = make_filter(api, context=["account"], keywords_attributes=[], filter_action="hide")
    api.post(f"{FILTERS}/{made['id']}/statuses", {"status_id": str(status.pk)})
    assert ids(api.get(f"/api/v1/accounts/{paul.pk}/statuses")) == []
    Filter.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert ids(api.get(f"/api/v1/accounts/{paul.pk}/statuses")) == [status.pk]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"context": ["home"]}, "title"),
        ({"title": " ", "context": ["home"]}, "title"),
        ({"title": "x"}, "context"),
        ({"title": "x", "context": ["everywhere"]}, "context"),
        ({"title": "x", "context": ["home"], "filter_action": "blur"}, "filter_action"),
        ({"title": "x", "context": ["home"], "expires_in": "soon"}, "expires_in"),
        ({"title": "x", "context": ["home"], "expires_in": -5}, "expires_in"),
        ({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": ""}]}, "keyword"),
        ({"title": "x", "context": ["home"], "keywords_attributes": ["word"]}, "keywords_attributes"),
        ({"title": "x", "context": ["home"], "keywords_attributes": "word"}, "keywords_attributes"),
    ],
)
def test_bad_filters_are_refused_with_a_422(member, api_as, body, words):
    response = api_as(member).post(FILTERS, body)
    assert_error(response, 422, words)
    assert not Filter.objects.exists()


def test_a_form_post_names_contexts_as_an_array(member, api_as):
    response = api_as(member).post(FILTERS, {"title": "Form", "context[]": ["home", "thread"]}, json=False)
    assert response.status_code == 200, response.content
    assert response.json()["context"] == ["home", "thread"]


def test_someone_elses_filters_are_not_found_and_scopes_and_payment_are_enforced(
    member, paul, newcomer, api_as
):
    made = make_filter(api_as(member))
    other = api_as(paul)
    keyword = made["keywords"][0]["id"]
    paths = [f"{FILTERS}/{made['id']}", f"{FILTERS}/{made['id']}/keywords", f"{FILTERS}/keywords/{keyword}"]
    for path in (*paths, f"/api/v1/filters/{keyword}"):
        assert_error(other.get(path), 404, "Record not found")
    assert_error(send(other, "PUT", f"{FILTERS}/{made['id']}", {"title": "mine"}), 404)
    assert_error(send(other, "DELETE", f"{FILTERS}/keywords/{keyword}"), 404)
    assert other.get(FILTERS).json() == [] and other.get("/api/v1/filters").json() == []
    assert Filter.objects.get().title == "Spoilers"
    assert_error(Api(None).get(FILTERS), 401)
    assert_error(api_as(member, "read:statuses").get(FILTERS), 403, "scope")
    assert_error(api_as(member, "read").post(FILTERS, {"title": "x", "context": ["home"]}), 403, "scope")
    assert (
        api_as(member, "write:filters").post(FILTERS, {"title": "y", "context": ["home"]}).status_code == 200
    )
    assert_error(api_as(newcomer).post(FILTERS, {"title": "z", "context": ["home"]}), 402, "membership")
    assert_error(api_as(member).post("/api/v1/filters", {"phrase": "x"}), 422, "use v2")
