"""Editing statuses through the API: the new version, its history, mentions and tags rendered again,
pictures changed, reposters notified, and who may not edit.

`mary` (member) pays; `paul` pays and reposts; `nina` (newcomer) has not paid.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from obole.accounts import graph
from obole.media import services as media_services
from obole.membership import services as membership_services
from obole.posts import services
from obole.posts.models import Mention, Notification, StatusEdit, StatusTag
from tests import pictures
from tests.conftest import NOW, assert_error, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

STATUSES = "/api/v1/statuses"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def put(api, path: str, body: str):
    return api.client.put(path, body, content_type="application/json", headers=api.headers)


def test_an_edit_changes_the_text_sets_edited_at_and_keeps_the_history(member, paul, api_as):
    api = api_as(member)
    created = api.post(STATUSES, {"status": "Helo #world @paul"}).json()
    response = put(
        api, f"{STATUSES}/{created['id']}", '{"status": "Hello #obole", "spoiler_text": "greeting"}'
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert_entity("Status", body)
    assert body["edited_at"] and body["created_at"] == created["created_at"]
    assert "Hello" in body["content"] and body["spoiler_text"] == "greeting" and body["sensitive"] is True
    assert [t["name"] for t in body["tags"]] == ["obole"] and body["mentions"] == []
    assert list(StatusTag.objects.values_list("tag__name", flat=True)) == ["obole"]
    assert not Mention.objects.exists()
    assert api.get(f"{STATUSES}/{created['id']}").json()["edited_at"] == body["edited_at"]

    history = api.get(f"{STATUSES}/{created['id']}/history").json()
    assert [("Helo" in v["content"], v["spoiler_text"]) for v in history] == [(True, ""), (False, "greeting")]
    for version in history:
        assert_entity("StatusEdit", version)
    assert history[0]["created_at"] == created["created_at"]
    source = api.get(f"{STATUSES}/{created['id']}/source").json()
    assert source == {"id": created["id"], "text": "Hello #obole", "spoiler_text": "greeting"}


def test_a_status_never_edited_has_a_history_of_one(member, api_as):
    api = api_as(member)
    created = api.post(STATUSES, {"status": "once"}).json()
    history = api.get(f"{STATUSES}/{created['id']}/history").json()
    assert len(history) == 1 and history[0]["content"] == created["content"]
    assert not StatusEdit.objects.exists()


def test_someone_mentioned_for_the_first_time_in_an_edit_is_told(member, paul, api_as):
    api = api_as(member)
    created = api.post(STATUSES, {"status": "hello"}).json()
    put(api, f"{STATUSES}/{created['id']}", '{"status": "hello @paul"}')
    put(api, f"{STATUSES}/{created['id']}", '{"status": "hello again @paul"}')
    mentions = Notification.objects.filter(recipient=paul, type="mention")
    assert mentions.count() == 1


def test_those_who_reposted_are_notified_of_an_edit(member, paul, api_as):
    api = api_as(member)
    created = api.post(STATUSES, {"status": "worth sharing"}).json()
    services.reblog(paul, created["id"])
    put(api, f"{STATUSES}/{created['id']}", '{"status": "worth sharing (fixed)"}')
    notes = api_as(paul).get("/api/v1/notifications", **{"types[]": "update"}).json()
    assert [n["type"] for n in notes] == ["update"]
    assert_entity("Notification", notes[0])
    assert notes[0]["status"]["edited_at"] is not None


def test_pictures_can_be_changed_and_described_in_an_edit(member, api_as):
    api = api_as(member)
    first = media_services.upload(member, SimpleUploadedFile("a.png", pictures.png()))
    second = media_services.upload(member, SimpleUploadedFile("b.png", pictures.png(30, 30)))
    created = api.post(STATUSES, {"status": "pics", "media_ids": [str(first.pk)]}).json()
    swapped = put(api, f"{STATUSES}/{created['id']}", f'{{"status": "pics", "media_ids": ["{second.pk}"]}}')
    assert [m["id"] for m in swapped.json()["media_attachments"]] == [str(second.pk)]
    described = put(
        api,
        f"{STATUSES}/{created['id']}",
        f'{{"status": "pics", "media_attributes": [{{"id": "{second.pk}", "description": "Now with alt"}}]}}',
    )
    assert described.json()["media_attachments"][0]["description"] == "Now with alt"
    history = api.get(f"{STATUSES}/{created['id']}/history").json()
    assert [[m["id"] for m in v["media_attachments"]] for v in history] == [
        [str(first.pk)], [str(second.pk)], [str(second.pk)]
    ]  # fmt: skip
    cleared = put(api, f"{STATUSES}/{created['id']}", '{"status": "no pics", "media_ids": []}')
    assert cleared.json()["media_attachments"] == []


def test_only_the_author_edits_and_a_repost_is_not_edited(member, paul, api_as):
    created = api_as(member).post(STATUSES, {"status": "mine"}).json()
    assert_error(put(api_as(paul), f"{STATUSES}/{created['id']}", '{"status": "yours"}'), 403, "not allowed")
    repost = services.reblog(paul, created["id"])
    assert_error(put(api_as(paul), f"{STATUSES}/{repost.pk}", '{"status": "x"}'), 404)
    assert not StatusEdit.objects.exists()


def test_an_unpaid_or_lapsed_author_cannot_edit(member, newcomer, api_as):
    created = api_as(member).post(STATUSES, {"status": "before lapsing"}).json()
    membership_services.end_now(member, now=NOW)
    assert_error(
        put(api_as(member), f"{STATUSES}/{created['id']}", '{"status": "after"}'), 402, "/membership"
    )
    assert not StatusEdit.objects.exists()


def test_a_blank_or_too_long_edit_is_refused(member, api_as):
    api = api_as(member)
    created = api.post(STATUSES, {"status": "fine"}).json()
    assert_error(put(api, f"{STATUSES}/{created['id']}", '{"status": ""}'), 422, "blank")
    assert_error(put(api, f"{STATUSES}/{created['id']}", '{"status": "' + "x" * 501 + '"}'), 422, "too long")
    assert not StatusEdit.objects.exists()


def test_the_history_of_a_status_one_may_not_see_is_not_found(member, paul, api_as):
    api = api_as(member)
    private = api.post(STATUSES, {"status": "followers only", "visibility": "private"}).json()
    assert_error(api_as(paul).get(f"{STATUSES}/{private['id']}/history"), 404)
    graph.follow(paul, member, now=NOW)
    assert api_as(paul).get(f"{STATUSES}/{private['id']}/history").status_code == 200
