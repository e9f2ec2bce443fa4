"""A member pins a post to the top of their profile and unpins it, in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.people import GOOD_CARD, new_member, post
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-pins"), "pins", OBOLE_SIGNUPS_PER_IP="0") as (base, _):
        yield base


def test_a_pinned_post_heads_the_profile_with_a_label_until_unpinned(new_context):
    author = new_member(new_context(), "pinner", GOOD_CARD)
    post(author, "The post I want everyone to read first")
    post(author, "Something later")

    author.goto("/@pinner")
    first = (
        author.get_by_role("list", name="Posts by @pinner")
        .get_by_role("article")
        .filter(has_text="The post I want everyone")
    )
    first.get_by_role("button", name="Pin to your profile").click()
    expect(first.get_by_role("button", name="Unpin from your profile")).to_be_visible()

    # A visitor sees it first, under "Pinned", with no pin button of their own.
    reader = new_member(new_context(), "reader", numbered_card(7))
    reader.goto("/@pinner")
    pinned = reader.get_by_role("list", name="Pinned posts by @pinner")
    expect(pinned.get_by_role("article")).to_have_count(1)
    expect(pinned.get_by_role("article").first).to_contain_text("Pinned")
    expect(pinned.get_by_role("article").first).to_contain_text("The post I want everyone to read first")
    expect(reader.get_by_role("button", name="Pin to your profile")).to_have_count(0)

    # The author unpins it from the post's own page.
    author.goto("/@pinner")
    author.get_by_role("list", name="Pinned posts by @pinner").get_by_role("link", name="Open post").click()
    author.get_by_role("button", name="Unpin from your profile").click()
    expect(author.get_by_role("button", name="Pin to your profile")).to_be_visible()
    reader.goto("/@pinner")
    expect(reader.get_by_role("list", name="Pinned posts by @pinner")).to_have_count(0)
