"""A member's story in real Chromium: sign up, find the account read-only, pay, post, follow, reply, like,
cancel and export, and the same pages at a phone's width — against `obole serve` with two worker processes.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.people import (
    DECLINED_CARD,
    GOOD_CARD,
    fill_card,
    new_member,
    open_post,
    post,
    sign_in,
    sign_up,
)
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow

ON_A_PHONE = {"viewport": PHONE, "is_mobile": True, "has_touch": True}
_phones = itertools.count(1)
ALICES_POST = "Hello from alice: the first post on this server worth a follow. #introductions"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Every person in the story signs up from 127.0.0.1.
    with serve(tmp_path_factory.mktemp("obole-browser"), "browser", OBOLE_SIGNUPS_PER_IP="0") as (base, _):
        yield base


def test_a_newcomer_signs_up_is_read_only_pays_after_a_declined_card_and_posts(new_context):
    page = new_context().new_page()
    sign_up(page, "ada")

    # Read-only until paid: home says why, in words, with a way to pay in place of the compose box.
    page.goto("/home")
    compose = page.get_by_role("region", name="Your account is read-only")
    expect(compose).to_be_visible()
    expect(compose.get_by_text("Your account is read-only until your membership is paid.")).to_be_visible()
    expect(page.get_by_label("What's on your mind?")).to_have_count(0)
    compose.get_by_role("link", name="Pay for your membership").click()

    expect(page.get_by_text("Your account is read-only until your membership is paid.")).to_be_visible()
    fill_card(page, DECLINED_CARD)
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")
    # The card number never comes back to the page.
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_text("Your account is read-only.")).to_be_visible()

    fill_card(page, GOOD_CARD)
    # Paid: straight to the home page, where the compose box has taken the place of the refusal.
    expect(page.get_by_role("status").filter(has_text="your membership is active")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_label("What's on your mind?")).to_be_visible()
    expect(page.get_by_text("Your account is read-only")).to_have_count(0)
    page.goto("/membership")
    expect(page.get_by_text("Card: Visa ending 4242")).to_be_visible()

    post(page, "My first words on Obole, paid for.")
    page.reload()
    expect(page.get_by_role("list", name="Home timeline").get_by_role("article")).to_have_count(1)
    expect(page.get_by_role("article").filter(has_text="My first words on Obole, paid for.")).to_be_visible()


@pytest.fixture(scope="module")
def author(browser, server):
    """alice, a member with one public post (her browser is closed: tests sign in again as her)."""
    context = browser.new_context(base_url=server, viewport=DESKTOP)
    page = new_member(context, "alice", numbered_card(101))
    post(page, ALICES_POST)
    context.close()
    return "alice"


def test_a_second_member_pays_follows_the_first_and_reads_their_post_at_home(new_context, author):
    page = new_member(new_context(), "bob", "5555 5555 5555 4444")
    page.goto("/membership")
    expect(page.get_by_text("Card: Mastercard ending 4444")).to_be_visible()
    page.goto("/home")
    expect(page.get_by_text(ALICES_POST)).to_have_count(0)

    page.goto(f"/@{author}")
    page.get_by_role("button", name=f"Follow @{author}").click()
    expect(page.get_by_role("button", name=f"Unfollow @{author}")).to_be_visible()

    page.goto("/home")
    expect(page.get_by_role("list", name="Home timeline").get_by_text(ALICES_POST)).to_be_visible()


def test_a_visitor_follows_a_hashtag_from_a_post_to_the_posts_tagged_with_it(new_context, author):
    page = new_context().new_page()
    page.goto(f"/@{author}")
    page.get_by_role("article").filter(has_text=ALICES_POST).get_by_role(
        "link", name="#introductions"
    ).click()

    expect(page).to_have_url(re.compile(r"/tags/introductions$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("#introductions")
    expect(
        page.get_by_role("list", name="Posts tagged #introductions").get_by_text(ALICES_POST)
    ).to_be_visible()


def test_a_member_replies_to_and_likes_a_post_and_its_author_sees_both(new_context, author):
    page = new_member(new_context(), "carol", numbered_card(102))
    address = open_post(page, author, ALICES_POST)
    focused = page.get_by_role("region", name="The post").get_by_role("article")
    focused.get_by_role("button", name="Like").click()
    expect(focused.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Your reply").fill("Welcome, alice!")
    page.get_by_role("button", name="Reply", exact=True).click()
    expect(page.get_by_role("list", name="Replies").get_by_text("Welcome, alice!")).to_be_visible()

    reader = new_context().new_page()
    sign_in(reader, author)
    reader.goto(address)
    focused = reader.get_by_role("region", name="The post").get_by_role("article")
    # Counts read as "1 like" and "1 reply": the number shown, the word for screen readers.
    expect(focused.locator(".count", has_text="like")).to_have_text("1 like")
    expect(focused.locator(".count", has_text="repl")).to_have_text("1 reply")
    replies = reader.get_by_role("list", name="Replies").get_by_role("article")
    expect(replies).to_have_count(1)
    expect(replies.first).to_contain_text("@carol")
    expect(replies.first).to_contain_text("Welcome, alice!")


def test_a_member_cancels_and_sees_when_the_membership_ends(new_context):
    page = new_member(new_context(), "cato", numbered_card(401))
    page.goto("/membership")
    paid_until = re.search(r"Paid until (\d{1,2} \w+ \d{4})", page.get_by_role("main").inner_text())
    assert paid_until, "the membership page does not say until when it is paid"
    ends = datetime.strptime(paid_until.group(1), "%d %B %Y").date()
    assert timedelta(days=27) <= ends - datetime.now(UTC).date() <= timedelta(days=32)

    page.get_by_role("button", name="Cancel at period end").click()

    expect(page.get_by_role("status").filter(has_text="Your membership is canceled")).to_be_visible()
    expect(
        page.get_by_text(f"Canceled — you keep posting until {paid_until.group(1)}, then it ends.")
    ).to_be_visible()
    # Still a member until then, so nothing is read-only and the membership can be resumed.
    expect(page.get_by_text("Your account is read-only.")).to_have_count(0)
    expect(page.get_by_role("button", name="Resume membership")).to_be_visible()


def test_a_member_downloads_an_export_that_holds_their_post(new_context):
    page = new_member(new_context(accept_downloads=True), "erin", numbered_card(501))
    post(page, "Words worth keeping, #exported.")
    page.goto("/settings/export")
    expect(page.get_by_role("heading", name="Export my data", level=1)).to_be_visible()

    with page.expect_download() as started:
        page.get_by_role("button", name="Download my data").click()
    download = started.value

    assert re.fullmatch(r"obole-erin-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    raw = Path(download.path()).read_text()
    archive = json.loads(raw)
    assert archive["account"]["username"] == "erin"
    assert [status["text"] for status in archive["statuses"]] == ["Words worth keeping, #exported."]
    # The card as the member knows it, never its number.
    assert numbered_card(501) not in raw.replace(" ", "")
    assert numbered_card(501)[-4:] in raw


@pytest.mark.parametrize("path", ["/home", "/@alice", "/membership", "/settings/profile", "/search?q=alice"])
def test_a_phone_width_shows_a_page_without_sideways_scrolling(new_context, author, path):
    n = next(_phones)
    page = new_member(new_context(**ON_A_PHONE), f"phone{n}", numbered_card(600 + n))
    page.goto(path)
    widths = page.evaluate("({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"{path} scrolls sideways on a phone: {widths}"


def test_the_compose_box_is_usable_on_a_phone(new_context):
    page = new_member(new_context(**ON_A_PHONE), "pia", numbered_card(701))
    page.goto("/home")
    box = page.get_by_label("What's on your mind?")
    button = page.get_by_role("button", name="Post", exact=True)
    for control in (box, button):
        expect(control).to_be_in_viewport()
        bounds = control.bounding_box()
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= PHONE["width"]
    # Big enough to hit with a thumb.
    assert button.bounding_box()["height"] >= 32

    box.tap()
    page.keyboard.type("Posted from my phone.")
    button.tap()
    expect(
        page.get_by_role("list", name="Home timeline").get_by_text("Posted from my phone.")
    ).to_be_visible()
    widths = page.evaluate("({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"]


def test_an_unpaid_account_reads_a_post_and_sees_why_it_cannot_write(new_context, author):
    page = new_context().new_page()
    sign_up(page, "uma")
    open_post(page, author, ALICES_POST)
    focused = page.get_by_role("region", name="The post").get_by_role("article")
    expect(focused.get_by_role("button", name="Like")).to_have_count(0)
    expect(focused.get_by_role("link", name="Pay to like, repost and reply")).to_be_visible()
    expect(page.get_by_label("Your reply")).to_have_count(0)
    expect(page.get_by_text("Your account is read-only until your membership is paid.")).to_be_visible()

    page.goto(f"/@{author}")
    expect(page.get_by_role("button", name=f"Follow @{author}")).to_have_count(0)
    expect(page.get_by_text("Following needs a paid membership.")).to_be_visible()
    page.get_by_role("link", name="Pay to follow").click()
    expect(page.get_by_role("heading", name="Your membership")).to_be_visible()


def test_posting_liking_and_deleting_happen_in_place_and_are_announced(new_context):
    page = new_member(new_context(), "lena", numbered_card(801))
    page.goto("/home")
    page.evaluate("window.stillHere = true")  # gone if the page reloads
    announcer = page.locator("#announcer")

    page.get_by_label("What's on your mind?").fill("Said without a reload.")
    page.get_by_role("button", name="Post", exact=True).click()
    mine = (
        page.get_by_role("list", name="Home timeline")
        .get_by_role("article")
        .filter(has_text="without a reload")
    )
    expect(mine).to_be_visible()
    expect(announcer).to_have_text("Your post is posted.")
    expect(page.get_by_label("What's on your mind?")).to_be_focused()
    expect(page.get_by_label("What's on your mind?")).to_have_value("")

    mine.get_by_role("button", name="Like").click()
    expect(mine.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    expect(announcer).to_have_text("Liked.")
    expect(mine.get_by_role("button", name="Like")).to_be_focused()

    page.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Delete post").click()
    expect(mine).to_have_count(0)
    assert page.evaluate("window.stillHere") is True
    page.reload()
    expect(page.get_by_text("Said without a reload.")).to_have_count(0)
