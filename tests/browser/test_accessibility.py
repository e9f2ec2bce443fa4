"""Basic accessibility of the main pages, checked in real Chromium by `a11y.js`.

Every visible form control and link has an accessible name, each page has exactly one h1, one main
landmark and a language, images have alt text, and no id is used twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.people import new_member, open_post, post, sign_up
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow

CHECKER = (Path(__file__).parent / "a11y.js").read_text()
POST = "Accessible pages for everyone #a11y"
# {post} stands for the address of alice's post.
VISITOR_PAGES = ["/", "/auth/sign_up", "/auth/sign_in", "/@alice", "{post}", "/tags/a11y", "/search?q=alice"]
UNPAID_PAGES = ["/home", "/membership", "{post}", "/@alice", "/settings/profile"]
MEMBER_PAGES = [
    "/home",
    "/notifications",
    "/search?q=a11y",
    "/@alice",
    "{post}",
    "/@alice/followers",
    "/tags/a11y",
    "/membership",
    "/settings/profile",
    "/settings/password",
    "/settings/export",
    "/settings/delete",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-a11y"), "a11y", OBOLE_SIGNUPS_PER_IP="0") as (base, _):
        yield base


@pytest.fixture(scope="module")
def world(browser, server, tmp_path_factory) -> dict:
    """alice posts, bob follows her and replies (so she has notifications); uma has not paid.

    Returns the address of alice's post and the saved sign-ins of alice and uma.
    """
    saved = tmp_path_factory.mktemp("sign-ins")
    people = {}
    for name, number in (("alice", 1), ("bob", 2)):
        context = browser.new_context(base_url=server)
        page = new_member(context, name, numbered_card(800 + number))
        people[name] = (context, page)
    alice, bob = people["alice"][1], people["bob"][1]
    post(alice, POST)
    bob.goto("/@alice")
    bob.get_by_role("button", name="Follow @alice").click()
    address = open_post(bob, "alice", POST)
    bob.get_by_label("Your reply").fill("Agreed, @alice.")
    bob.get_by_role("button", name="Reply", exact=True).click()
    bob.get_by_role("list", name="Replies").get_by_text("Agreed").wait_for()
    people["alice"][0].storage_state(path=saved / "alice.json")
    unpaid = browser.new_context(base_url=server)
    sign_up(unpaid.new_page(), "uma")
    unpaid.storage_state(path=saved / "uma.json")
    for context in [unpaid, *(context for context, _ in people.values())]:
        context.close()
    return {"post": address.removeprefix(server), "alice": saved / "alice.json", "uma": saved / "uma.json"}


def problems_on(page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    return page.evaluate(CHECKER)


@pytest.mark.parametrize("path", VISITOR_PAGES)
def test_a_page_for_visitors_passes_the_basic_accessibility_checks(new_context, world, path):
    page = new_context().new_page()
    assert problems_on(page, path.format(**world)) == []


@pytest.mark.parametrize("path", UNPAID_PAGES)
def test_a_page_of_an_unpaid_account_passes_the_basic_accessibility_checks(new_context, world, path):
    page = new_context(storage_state=world["uma"]).new_page()
    assert problems_on(page, path.format(**world)) == []


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_a_page_of_a_member_passes_the_basic_accessibility_checks(new_context, world, path):
    page = new_context(storage_state=world["alice"]).new_page()
    assert problems_on(page, path.format(**world)) == []


def test_the_checker_finds_what_it_looks_for(new_context):
    page = new_context().new_page()
    page.set_content(
        '<html><body><h1>One</h1><h1>Two</h1><img src="x.png"><input id="a"><input id="a">'
        "<button></button><a href='/'></a><p style='color:#aaa'>faint grey</p>"
        "<p style='color:color-mix(in srgb, #777 40%, white)'>mixed grey</p>"
        "<p style='color:#767676'>just dark enough</p></body></html>"
    )
    found = "\n".join(page.evaluate(CHECKER))
    for problem in (
        "2 visible h1",
        "image without alt",
        "no accessible name: <input",
        "no accessible name: <button",
        "no accessible name: <a",
        "not exactly one main",
        "no lang",
        'id "a" used 2 times',
        'too low: "faint grey"',
        'too low: "mixed grey"',
    ):
        assert problem in found
    assert "just dark enough" not in found


FOCUS_SEEN = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const name = (el.getAttribute("aria-label") || el.innerText || el.id || "").trim().slice(0, 40);
  const visible = el.getClientRects().length > 0;
  return {tag: el.tagName, name, ring: outlined || style.boxShadow !== "none", visible};
}"""


@pytest.mark.parametrize("path", ["/home", "{post}", "/membership"])
def test_the_keyboard_reaches_the_page_with_a_visible_focus_ring_from_a_skip_link(new_context, world, path):
    page = new_context(storage_state=world["alice"]).new_page()
    page.goto(path.format(**world))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    stops = []
    for _ in range(40):
        stop = page.evaluate(FOCUS_SEEN)
        if stop["tag"] == "BODY":  # past the last stop: focus has left the page
            break
        stops.append(stop)
        page.keyboard.press("Tab")
    unseen = [stop for stop in stops if not (stop["ring"] and stop["visible"])]
    assert unseen == [], f"focus without a visible ring on {path}: {unseen}"
    assert len(stops) > 5
