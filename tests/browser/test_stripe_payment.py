"""Paying through Stripe Elements in real Chromium, against `obole serve` with the Stripe provider
and localstripe (whose Stripe.js stand-in draws the card fields and talks to it, as Stripe.js would).

Every request the browser sends to Obole is recorded: the card number is in none of them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.people import post, sign_up
from tests.live import serve
from tests.stripe_fixtures import stripe_environment

pytestmark = pytest.mark.slow

CARD = "4242424242424242"


@pytest.fixture(scope="module")
def server(tmp_path_factory, localstripe):
    settings = stripe_environment(localstripe) | {"OBOLE_SIGNUPS_PER_IP": "0"}
    with serve(tmp_path_factory.mktemp("obole-stripe"), "stripe", **settings) as (base, _):
        yield base


def pay_with_elements(page, number: str) -> None:
    page.goto("/membership")
    page.get_by_placeholder("number").fill(number)
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("30")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("75001")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def test_a_member_pays_through_stripe_elements_posts_and_the_card_cannot_pay_for_a_second_account(
    new_context, server
):
    to_obole: list[str] = []

    def record(request) -> None:
        if request.url.startswith(server):
            to_obole.append(f"{request.url}\n{request.post_data or ''}")

    first = new_context()
    first.on("request", record)
    page = first.new_page()
    sign_up(page, "stella")
    # Declined by Stripe when the card is set up: the page says so, and Obole was never asked.
    pay_with_elements(page, "4000000000000002")
    expect(page.locator("#card-errors")).to_have_text("Your card was declined.")
    expect(page.get_by_text("Your account is read-only")).to_be_visible()
    pay_with_elements(page, CARD)
    expect(page.get_by_role("status").filter(has_text="your membership is active")).to_be_visible()
    post(page, "Paid through Stripe, and the card never touched this server.")
    page.goto("/membership")
    expect(page.get_by_text("ending 4242")).to_be_visible()

    # Obole's part of the Stripe form passes the same accessibility checks as every page. The
    # unlabelled boxes inside the card field are localstripe's stand-in (Stripe draws its own,
    # labelled, in its frame), so they are taken out first.
    from tests.browser.test_accessibility import CHECKER

    page.goto("/membership")
    page.evaluate("document.getElementById('card-element').replaceChildren()")
    assert page.evaluate(CHECKER) == []

    second = new_context()
    second.on("request", record)
    other = second.new_page()
    sign_up(other, "sasha")
    pay_with_elements(other, CARD)
    expect(other.get_by_role("alert").filter(has_text="already pays for another")).to_be_visible()
    expect(other.get_by_text("Your account is read-only")).to_be_visible()

    # The card number, in any spacing, was in no request to Obole; the PaymentMethod ids were.
    assert any("payment_method=pm_" in entry for entry in to_obole)
    for entry in to_obole:
        assert CARD not in re.sub(r"[^0-9]", "", entry)
        assert "4242+4242" not in entry and "4242%204242" not in entry


def test_a_3d_secure_card_is_confirmed_by_the_member_when_saved_and_when_charged(new_context, server):
    page = new_context().new_page()
    sign_up(page, "theo")
    pay_with_elements(page, "4000002500003155")
    # Stripe.js's bank check when the card is saved…
    page.get_by_role("button", name="Complete authentication").click()
    # …and, as localstripe asks again for the charge, the page where the payment waits for the member.
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    page.get_by_role("button", name="Confirm the payment").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("status").filter(has_text="your membership is active")).to_be_visible()
