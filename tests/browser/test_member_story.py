"""A member's story in real Chromium: sign up, find the account read-only, pay, post, follow, reply, like,
cancel and export — against `obole serve` with two worker processes.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.people import DECLINED_CARD, GOOD_CARD, fill_card, sign_up
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
