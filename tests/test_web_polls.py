"""Polls on the web pages: a post shows its poll, a paid member votes with a plain form, and results
are shown once one has voted or the poll has ended (Mastodon's apps do the same)."""

from __future__ import annotations

import pytest
from django.test import Client

from obole.accounts import graph
from obole.posts import polls, services
from obole.posts.models import PollVote
from tests.conftest import NOW, make_account

pytestmark = pytest.mark.django_db


def signed_in(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def test_a_member_votes_in_a_poll_from_the_post_and_then_sees_the_results(member, paul):
    status = services.post_status(member, "Tea or coffee?", poll=polls.spec(["Tea", "Coffee"], 3600))
    graph.follow(paul, member, now=NOW)
    client = signed_in(paul)
    page = client.get("/home").content.decode()
    assert 'type="radio"' in page and ">Coffee</label>" in page and "Vote</button>" in page
    assert "%" not in page.split('class="poll"')[1].split("</div>")[0]  # no results before voting
    response = client.post(f"/polls/{status.poll.pk}/votes", {"choices": "1", "next": "/home"})
    assert response.status_code == 302
    assert list(PollVote.objects.values_list("account__username", "choice")) == [("paul", 1)]
    page = client.get("/home").content.decode()
    assert '100%</span> Coffee <span class="muted">(your vote)</span>' in page
    assert "Vote</button>" not in page


def test_an_unpaid_member_sees_the_poll_but_cannot_vote(member, newcomer):
    status = services.post_status(member, "Tea or coffee?", poll=polls.spec(["Tea", "Coffee"], 3600))
    client = signed_in(newcomer)
    page = client.get(f"/@{member.username}/{status.pk}").content.decode()
    assert "Tea" in page and "Vote</button>" not in page
    assert client.post(f"/polls/{status.poll.pk}/votes", {"choices": "0"}).status_code == 402
    assert not PollVote.objects.exists()


def test_a_second_vote_comes_back_as_a_message(member, paul):
    status = services.post_status(member, "Again?", poll=polls.spec(["Yes", "No"], 3600))
    client = signed_in(paul)
    client.post(f"/polls/{status.poll.pk}/votes", {"choices": "0"})
    response = client.post(f"/polls/{status.poll.pk}/votes", {"choices": "1"}, follow=True)
    assert "already voted" in response.content.decode()
    assert PollVote.objects.count() == 1


def test_an_edited_post_says_so_on_its_card(member):
    from obole.posts import edits

    status = services.post_status(member, "Helo")
    edits.edit_status(member, status.pk, "Hello")
    page = signed_in(member).get(f"/@{member.username}/{status.pk}").content.decode()
    assert "Edited <time" in page and "Hello" in page
