"""Pictures in real Chromium: the compose box attaches a picture with alt text, with and without
JavaScript, and the post shows it with that alt text (behind a cover when sensitive); a poll on a page
passes the accessibility checks and takes a vote from another member."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import pictures
from tests.browser.people import PASSWORD, new_member
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-browser-pictures"), "browserpictures") as (base, _):
        yield base


def attach(page, text: str, alt: str, *, sensitive: bool = False) -> None:
    page.goto("/home")
    page.get_by_label("What's on your mind?").fill(text)
    page.get_by_text("Add pictures").click()
    page.get_by_label("Picture 1", exact=True).set_input_files(
        {"name": "sunset.jpg", "mimeType": "image/jpeg", "buffer": pictures.jpeg_with_location()}
    )
    page.get_by_label("Description for people who cannot see it").first.fill(alt)
    if sensitive:
        page.get_by_label("Hide the pictures behind a warning").check()
    page.get_by_role("button", name="Post", exact=True).click()


def test_a_member_attaches_a_picture_with_alt_text_in_the_compose_box(new_context):
    page = new_member(new_context(), "pia", "4242424242424242")
    attach(page, "The sun going down", "An orange sun over a flat sea")
    timeline = page.get_by_role("list", name="Home timeline")
    picture = timeline.get_by_role("img", name="An orange sun over a flat sea")
    expect(picture).to_be_visible()
    # The preview really loaded (a broken image has no natural width).
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    # Posted in place: the form is empty again for the next post.
    expect(page.get_by_label("Picture 1", exact=True)).to_have_value("")

    attach(page, "Not for everyone", "A close-up of a spider", sensitive=True)
    card = timeline.get_by_role("article").filter(has_text="Not for everyone")
    expect(card.get_by_role("img", name="A close-up of a spider")).to_be_hidden()
    card.get_by_text("Sensitive media").click()
    expect(card.get_by_role("img", name="A close-up of a spider")).to_be_visible()


def test_the_compose_box_attaches_a_picture_without_javascript(new_context):
    member = new_member(new_context(), "noah", "5555555555554444")
    member.close()
    page = new_context(java_script_enabled=False).new_page()
    from tests.browser.people import sign_in

    sign_in(page, "noah")
    attach(page, "Posted without scripts", "A grey pebble on sand")
    expect(page.get_by_role("img", name="A grey pebble on sand")).to_be_visible()


def test_pictures_and_a_poll_on_a_page_pass_the_accessibility_checks(new_context, server):
    import json
    import urllib.request

    from tests.browser.test_accessibility import CHECKER

    page = new_member(new_context(), "ally", "4000056655665556")
    attach(page, "A picture to check", "A green field")
    # A poll, made through the API with a token from the password grant, then seen on the page.
    registration = b"client_name=a11y&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes=read write"
    app = json.loads(urllib.request.urlopen(f"{server}/api/v1/apps", data=registration).read())
    form = (
        f"grant_type=password&username=ally&password={PASSWORD.replace(' ', '+')}&scope=read+write"
        f"&client_id={app['client_id']}&client_secret={app['client_secret']}"
    )
    token = json.loads(urllib.request.urlopen(f"{server}/oauth/token", data=form.encode()).read())
    request = urllib.request.Request(
        f"{server}/api/v1/statuses",
        data=json.dumps(
            {"status": "Which?", "poll": {"options": ["One", "Two"], "expires_in": 600}}
        ).encode(),
        headers={"Authorization": f"Bearer {token['access_token']}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).read()
    page.goto("/home")
    expect(page.get_by_role("group", name="Poll")).to_be_visible()  # the author sees the results
    assert page.evaluate(CHECKER) == []
    voter = new_member(new_context(), "bea", numbered_card(901))
    voter.goto("/@ally")
    expect(voter.get_by_role("radio", name="Two")).to_be_visible()  # another member sees the choices
    assert voter.evaluate(CHECKER) == []
    voter.get_by_role("radio", name="Two").check()
    voter.get_by_role("button", name="Vote").click()
    expect(voter.get_by_text("Your vote is counted.")).to_be_visible()
    expect(voter.get_by_text("(your vote)")).to_be_visible()
