"""A member's story in real Chromium: sign up, find the account read-only, pay, post, follow, reply, like,
cancel and export — against `obole serve` with two worker processes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.people import DECLINED_CARD, GOOD_CARD, fill_card, new_member, sign_up
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Every person in the story signs up from 127.0.0.1.
    with serve(tmp_path_factory.mktemp("obole-browser"), "browser", OBOLE_SIGNUPS_PER_IP="0") as (base, _):
        yield base


def test_a_newcomer_signs_up_is_read_only_is_declined_then_pays(new_context):
    page = new_context().new_page()
    sign_up(page, "ada")

    # Read-only until paid: the reason, in words, and the card form to pay with.
    expect(page.get_by_text("Your account is read-only.")).to_be_visible()
    expect(page.get_by_text("Your account is read-only until your membership is paid.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Pay "))).to_be_visible()

    fill_card(page, DECLINED_CARD)
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")
    # The card number never comes back to the page.
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_text("Your account is read-only.")).to_be_visible()

    fill_card(page, GOOD_CARD)
    expect(page.get_by_role("status").filter(has_text="your membership is active")).to_be_visible()
    expect(page.get_by_text("Your account is read-only.")).to_have_count(0)
    expect(page.get_by_text("Card: Visa ending 4242")).to_be_visible()


def test_a_member_cancels_and_sees_when_the_membership_ends(new_context):
    page = new_member(new_context(), "cato", numbered_card(401))
    paid_until = re.search(r"Paid until (\d{1,2} \w+ \d{4})", page.get_by_role("main").inner_text())
    assert paid_until, "the membership page does not say until when it is paid"
    ends = datetime.strptime(paid_until.group(1), "%d %B %Y").date()
    assert timedelta(days=27) <= ends - datetime.now(UTC).date() <= timedelta(days=32)

    page.get_by_role("button", name="Cancel at period end").click()

    expect(page.get_by_role("status")).to_contain_text("Your membership is canceled")
    expect(
        page.get_by_text(f"Canceled — you keep posting until {paid_until.group(1)}, then it ends.")
    ).to_be_visible()
    # Still a member until then, so nothing is read-only and the membership can be resumed.
    expect(page.get_by_text("Your account is read-only.")).to_have_count(0)
    expect(page.get_by_role("button", name="Resume membership")).to_be_visible()
