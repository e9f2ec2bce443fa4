"""What a person does in the browser, step by step, with the names a screen reader would read."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

PASSWORD = "a long pass phrase for browsers"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def sign_up(page: Page, username: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"^(Sign up|Join)")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your membership")).to_be_visible()


def sign_in(page: Page, username: str) -> None:
    page.goto("/auth/sign_in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fill_card(page: Page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill(str(datetime.now(UTC).year + 3))
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def pay(page: Page, number: str) -> None:
    page.goto("/membership")
    fill_card(page, number)
    expect(page.get_by_role("status").filter(has_text="your membership is active")).to_be_visible()


def new_member(context, username: str, card: str) -> Page:
    """A member who signed up and paid, on the page they were left on."""
    page = context.new_page()
    sign_up(page, username)
    pay(page, card)
    return page


def post(page: Page, text: str) -> None:
    """Post from the home page's compose box and wait for the post on the home timeline."""
    page.goto("/home")
    page.get_by_label("What's on your mind?").fill(text)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("list", name="Home timeline").get_by_text(text)).to_be_visible()


def open_post(page: Page, username: str, text: str) -> str:
    """Open the post of `username` that says `text` from their profile; return its address."""
    page.goto(f"/@{username}")
    page.get_by_role("article").filter(has_text=text).get_by_role("link", name="Open post").click()
    expect(page.get_by_role("heading", name=f"Post by @{username}")).to_be_attached()
    return page.url
