"""The home page updates itself: a followed member's new post appears at the top without a reload.

Real Chromium against `obole serve` and the streaming server it starts; the
page's WebSocket is authenticated by the session cookie, under the page's
Content-Security-Policy (a blocked connection would fail the test).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.people import new_member, post
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-live-home"), "livehome", OBOLE_SIGNUPS_PER_IP="0") as (base, _):
        yield base


def test_a_followed_members_post_appears_on_home_without_a_reload(new_context):
    writer = new_member(new_context(), "writer", numbered_card(8101))
    reader = new_member(new_context(), "reader", numbered_card(8102))
    reader.goto("/@writer")
    reader.get_by_role("button", name="Follow @writer").click()
    expect(reader.get_by_role("button", name="Unfollow @writer")).to_be_visible()

    reader.goto("/home")
    expect(reader.locator("[data-live-home][data-live=open]")).to_have_count(1)
    reader.evaluate("window.stillTheSamePage = true")
    timeline = reader.get_by_role("list", name="Home timeline")

    post(writer, "Fresh from the writer, live")
    expect(timeline.get_by_role("article").first).to_contain_text("Fresh from the writer, live")
    post(writer, "And a second one")
    expect(timeline.get_by_role("article").first).to_contain_text("And a second one")
    expect(timeline.get_by_role("article")).to_have_count(2)
    assert reader.evaluate("window.stillTheSamePage") is True  # no reload


def test_ones_own_post_shows_once_when_the_stream_brings_it_before_the_answer(new_context):
    """The compose box puts the post in place when the server answers; the live timeline puts it
    there when the streaming server says it arrived. Whichever comes first, it shows once: here
    the answer is held back until the stream has brought the post."""
    author = new_member(new_context(), "hasty", numbered_card(8103))
    author.goto("/home")
    expect(author.locator("[data-live-home][data-live=open]")).to_have_count(1)
    timeline = author.get_by_role("list", name="Home timeline")
    text = "Posted once, seen once"

    def held_back(route):
        answer = route.fetch()
        expect(timeline.get_by_text(text)).to_have_count(1)  # live.js showed it meanwhile
        route.fulfill(response=answer)

    author.route("**/statuses/new", held_back)
    author.get_by_label("What's on your mind?").fill(text)
    author.get_by_role("button", name="Post", exact=True).click()
    expect(author.get_by_label("What's on your mind?")).to_have_value("")  # the answer was handled
    expect(timeline.get_by_text(text)).to_have_count(1)
