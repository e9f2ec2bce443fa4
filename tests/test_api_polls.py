"""Polls through the API: made with a status (JSON or form), read, voted in by paid members,
results withheld when asked, and the notifications when a poll ends.

`mary` (member) makes polls; `paul` and `fred` pay and vote; `nina` (newcomer) has not paid.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from obole.posts import polls, services
from obole.posts.models import Notification, Poll, PollVote
from obole.posts.tasks import notify_ended_polls
from tests.conftest import assert_error, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

STATUSES = "/api/v1/statuses"
POLL = {"options": ["Tea", "Coffee", "Water"], "expires_in": 3600}


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


@pytest.fixture
def fred(db):
    return make_account("fred", paid=True)


def make_poll(api, **poll) -> dict:
    response = api.post(STATUSES, {"status": "What do you drink?", "poll": {**POLL, **poll}})
    assert response.status_code == 200, response.content
    return response.json()


def vote(api, poll_id: str, *choices):
    return api.post(f"/api/v1/polls/{poll_id}/votes", {"choices": [str(c) for c in choices]})


def test_a_member_makes_a_poll_and_gets_it_in_the_status(member, api_as):
    body = make_poll(api_as(member))
    assert_entity("Status", body)
    poll = body["poll"]
    assert_entity("Poll", poll)
    assert [o["title"] for o in poll["options"]] == ["Tea", "Coffee", "Water"]
    assert poll["expired"] is False and poll["multiple"] is False
    assert poll["voted"] is True and poll["own_votes"] == []  # the author sees the results


def test_a_form_client_makes_a_poll_with_bracketed_fields(member, api_as):
    form = {
        "status": "Form poll",
        "poll[options][]": ["Yes", "No"],
        "poll[expires_in]": "300",
        "poll[multiple]": "true",
        "poll[hide_totals]": "1",
    }
    response = api_as(member).post(STATUSES, form, json=False)
    assert response.status_code == 200, response.content
    row = Poll.objects.get()
    assert (row.options, row.multiple, row.hide_totals) == (["Yes", "No"], True, True)


@pytest.mark.parametrize(
    ("poll", "words"),
    [
        ({"options": ["only one"], "expires_in": 3600}, "between 2 and 4"),
        ({"options": ["a", "b", "c", "d", "e"], "expires_in": 3600}, "between 2 and 4"),
        ({"options": ["a", "x" * 51], "expires_in": 3600}, "50 characters"),
        ({"options": ["a", "a"], "expires_in": 3600}, "differ"),
        ({"options": ["a", "b"], "expires_in": 60}, "between 300"),
        ({"options": ["a", "b"], "expires_in": "soon"}, "seconds"),
        ({"options": "a,b", "expires_in": 3600}, "list"),
    ],
)
def test_a_bad_poll_is_refused_and_nothing_is_posted(member, api_as, poll, words):
    response = api_as(member).post(STATUSES, {"status": "poll", "poll": poll})
    assert_error(response, 422, words)
    assert not Poll.objects.exists()


def test_a_poll_option_with_a_nul_is_refused_with_the_body_and_nothing_is_posted(member, api_as):
    # What no column can store is refused where the body is read (obole.api.endpoints), as a 400.
    poll = {"options": ["a", "b\u0000"], "expires_in": 3600}
    response = api_as(member).post(STATUSES, {"status": "poll", "poll": poll})
    assert_error(response, 400, "NUL")
    assert not Poll.objects.exists()


def test_members_vote_and_the_tallies_follow(member, paul, fred, api_as):
    poll_id = make_poll(api_as(member))["poll"]["id"]
    first = vote(api_as(paul), poll_id, 1)
    assert first.status_code == 200, first.content
    assert_entity("Poll", first.json())
    assert first.json()["own_votes"] == [1] and first.json()["voted"] is True
    vote(api_as(fred), poll_id, 1)
    shown = api_as(fred).get(f"/api/v1/polls/{poll_id}").json()
    assert [o["votes_count"] for o in shown["options"]] == [0, 2, 0]
    assert shown["votes_count"] == 2 and shown["voters_count"] == 2
    assert_error(vote(api_as(paul), poll_id, 0), 422, "already voted")
    assert_error(vote(api_as(member), poll_id, 0), 422, "your own poll")


def test_a_multiple_choice_poll_takes_several_choices_and_a_single_one_does_not(member, paul, fred, api_as):
    single = make_poll(api_as(member))["poll"]["id"]
    assert_error(vote(api_as(paul), single, 0, 1), 422, "one choice")
    assert_error(vote(api_as(paul), single, 7), 422, "counted from 0")
    assert_error(vote(api_as(paul), single), 422, "at least one")
    several = make_poll(api_as(member), multiple=True)["poll"]["id"]
    assert vote(api_as(paul), several, 0, 2).json()["own_votes"] == [0, 2]
    assert PollVote.objects.filter(account=paul).count() == 2


def test_hidden_totals_stay_hidden_until_the_poll_ends(member, paul, api_as):
    poll_id = make_poll(api_as(member), hide_totals=True)["poll"]["id"]
    voted = vote(api_as(paul), poll_id, 0).json()
    assert [o["votes_count"] for o in voted["options"]] == [None, None, None]
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        ended = api_as(paul).get(f"/api/v1/polls/{poll_id}").json()
        assert ended["expired"] is True
        assert [o["votes_count"] for o in ended["options"]] == [1, 0, 0]
        assert_error(vote(api_as(member), poll_id, 1), 422)


def test_an_ended_poll_takes_no_vote(member, paul, api_as):
    poll_id = make_poll(api_as(member))["poll"]["id"]
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert_error(vote(api_as(paul), poll_id, 0), 422, "already ended")


def test_voting_needs_a_paid_membership(member, newcomer, api_as):
    poll_id = make_poll(api_as(member))["poll"]["id"]
    assert_error(vote(api_as(newcomer), poll_id, 0), 402, "/membership")
    assert not PollVote.objects.exists()


def test_a_poll_in_a_post_one_may_not_see_is_not_found(member, paul, api_as):
    created = (
        api_as(member).post(STATUSES, {"status": "secret", "visibility": "private", "poll": POLL}).json()
    )
    poll_id = created["poll"]["id"]
    assert_error(api_as(paul).get(f"/api/v1/polls/{poll_id}"), 404)
    assert_error(vote(api_as(paul), poll_id, 0), 404)
    assert_error(api_as(paul).get("/api/v1/polls/123456789"), 404)


def test_pictures_and_a_poll_do_not_go_together(member, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from obole.media import services as media_services
    from tests import pictures

    media = media_services.upload(member, SimpleUploadedFile("a.png", pictures.png()))
    response = api_as(member).post(STATUSES, {"status": "both", "media_ids": [str(media.pk)], "poll": POLL})
    assert_error(response, 422, "both pictures and a poll")


def test_the_author_and_the_voters_are_told_once_when_the_poll_ends(member, paul, fred, api_as):
    poll_id = make_poll(api_as(member))["poll"]["id"]
    vote(api_as(paul), poll_id, 0)
    assert polls.notify_ended() == 0
    later = timezone.now() + timedelta(hours=2)
    with time_machine.travel(later):
        assert notify_ended_polls.call_local() == 1
        assert polls.notify_ended() == 0  # a second run tells no one again
        told = Notification.objects.filter(type="poll").values_list("recipient__username", flat=True)
        assert sorted(told) == ["mary", "paul"]
        notes = api_as(paul).get("/api/v1/notifications", **{"types[]": "poll"}).json()
        assert_entity("Notification", notes[0])
        assert notes[0]["status"]["poll"]["expired"] is True


def test_a_timeline_with_polls_asks_a_fixed_number_of_queries(
    member, paul, api_as, django_assert_max_num_queries
):
    from obole.accounts import graph
    from tests.conftest import NOW

    graph.follow(paul, member, now=NOW)
    api = api_as(paul)
    api.get("/api/v1/timelines/home")  # with Redis, the list is made by a first read, then fan-out fills it
    for n in range(4):
        created = services.post_status(member, f"poll {n}", poll=polls.spec(["a", "b"], 600))
        polls.vote(paul, created.poll.pk, ["0"])
    with django_assert_max_num_queries(8):
        page = api.get("/api/v1/timelines/home").json()
    assert [item["poll"]["own_votes"] for item in page] == [[0]] * 4
