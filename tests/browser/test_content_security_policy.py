"""The pages work under their Content-Security-Policy, and the watch on violations sees them.

Every browser test runs under the policy and fails on a reported violation
(tests/browser/conftest.py). This one proves the watch is not blind: inline code
that a page is made to run is blocked by Chromium and reported.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.people import new_member
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-csp"), "csp") as (base, _):
        yield base


def test_app_js_runs_under_the_policy_and_injected_inline_code_is_blocked_and_reported(
    new_context, csp_watch
):
    context = new_context()
    page = new_member(context, "cora", numbered_card(901))
    page.goto("/home")
    # app.js counts characters as one types: the page's own script runs.
    page.get_by_label("What's on your mind?").fill("hello")
    expect(page.locator("#compose-counter")).to_contain_text("495")
    # Django's admin runs under the same policy.
    page.goto("/admin/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto("/home")
    assert csp_watch.take() == []

    ran = page.evaluate(
        """() => new Promise((resolve) => {
            window.injected = false;
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
            const button = document.createElement("button");
            button.setAttribute("onclick", "window.injected = true");
            document.body.append(button);
            button.click();
            document.body.setAttribute("style", "background: red");
            setTimeout(() => resolve(window.injected), 300);
        })"""
    )
    assert ran is False
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    page.wait_for_timeout(300)
    found = "\n".join(csp_watch.take())
    assert "script-src-elem" in found or "script-src" in found, found
    assert "script-src-attr" in found, found
    assert "style-src-attr" in found, found
