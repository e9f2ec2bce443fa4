"""A member reports a spammer's post and a moderator clears the queue, in real Chromium."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.people import GOOD_CARD, new_member, post, sign_up
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow

SPAM = "Buy cheap pills at spam.example, the best prices on the whole internet"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with serve(
        tmp_path_factory.mktemp("obole-moderation"), "moderation", OBOLE_SIGNUPS_PER_IP="0"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def server(live):
    return live[0]


def make_staff(env: dict, username: str) -> None:
    code = (
        "from obole.accounts.models import Account; "
        f"Account.objects.filter(username={username!r}).update(is_staff=True)"
    )
    subprocess.run([sys.executable, "-m", "obole", "shell", "-c", code], env=env, check=True, timeout=120)


def test_a_moderator_clears_the_queue_in_the_browser(new_context, live):
    _, env = live
    spammer = new_member(new_context(), "pillseller", GOOD_CARD)
    post(spammer, SPAM)

    # A member reports the post from its card, and then the account from the profile's menu.
    reporter = new_member(new_context(), "watchful", numbered_card(42))
    reporter.goto("/@pillseller")
    reporter.get_by_role("article").filter(has_text=SPAM).get_by_role(
        "link", name=re.compile("^Report")
    ).click()
    expect(reporter.get_by_role("heading", name="Report @pillseller")).to_be_visible()
    reporter.get_by_label("Spam").check()
    reporter.get_by_label(re.compile("Anything the moderators")).fill("Pill spam, again")
    reporter.get_by_role("button", name="Send report").click()
    expect(reporter.get_by_role("status").filter(has_text="Thank you")).to_be_visible()
    reporter.get_by_text("More", exact=True).click()
    reporter.get_by_role("link", name="Report @pillseller").click()
    reporter.get_by_role("button", name="Send report").click()
    expect(reporter.get_by_role("status").filter(has_text="Thank you")).to_be_visible()

    # The moderator works through the queue, oldest first.
    moderator = new_context().new_page()
    sign_up(moderator, "kim")
    make_staff(env, "kim")
    moderator.goto("/staff/moderation")
    expect(moderator.get_by_role("heading", name="Moderation queue")).to_be_visible()
    expect(moderator.get_by_role("row")).to_have_count(3)  # the header and two reports
    moderator.get_by_role("link", name=re.compile(r"^Report \d+")).first.click()
    expect(moderator.get_by_text("Pill spam, again")).to_be_visible()
    moderator.get_by_label(re.compile(r"Remove post \d+")).check()
    moderator.get_by_label("Reason (goes into the audit log)").fill("Spam: pills")
    moderator.get_by_role("button", name="Apply").click()

    # Taken to the next report: this time the account is suspended.
    expect(
        moderator.get_by_role("heading", name=re.compile(r"^Report \d+ about @pillseller"))
    ).to_be_visible()
    moderator.get_by_label("Suspend (read-only)").check()
    moderator.get_by_label("Reason (goes into the audit log)").fill("Repeat pill spam")
    moderator.get_by_role("button", name="Apply").click()
    expect(moderator.get_by_text("The queue is empty")).to_be_visible()

    moderator.get_by_role("link", name="Audit log").click()
    log = moderator.get_by_role("table")
    for text in ("remove_post", "suspend", "Spam: pills", "Repeat pill spam", "@kim"):
        expect(log.get_by_text(text).first).to_be_visible()

    # The post is gone for everyone else.
    reporter.goto("/@pillseller")
    expect(reporter.get_by_text(SPAM)).to_have_count(0)
