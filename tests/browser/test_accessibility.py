"""Basic accessibility of the main pages, checked in real Chromium by `a11y.js`.

Every visible form control and link has an accessible name, each page has exactly one h1, one main
landmark and a language, images have alt text, and no id is used twice.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.browser.people import new_member, sign_up
from tests.conftest import numbered_card
from tests.live import serve

pytestmark = pytest.mark.slow

CHECKER = (Path(__file__).parent / "a11y.js").read_text()
PUBLIC_PAGES = ["/", "/auth/sign_up", "/auth/sign_in"]
MEMBER_PAGES = ["/membership"]
_people = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-a11y"), "a11y", OBOLE_SIGNUPS_PER_IP="0") as (base, _):
        yield base


def problems_on(page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    return page.evaluate(CHECKER)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_passes_the_basic_accessibility_checks(new_context, path):
    page = new_context().new_page()
    assert problems_on(page, path) == []


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_a_page_of_an_unpaid_account_passes_the_basic_accessibility_checks(new_context, path):
    page = new_context().new_page()
    sign_up(page, f"unpaid{next(_people)}")
    assert problems_on(page, path) == []


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_a_page_of_a_member_passes_the_basic_accessibility_checks(new_context, path):
    n = next(_people)
    page = new_member(new_context(), f"paid{n}", numbered_card(700 + n))
    assert problems_on(page, path) == []


def test_the_checker_finds_what_it_looks_for(new_context):
    page = new_context().new_page()
    page.set_content(
        '<html><body><h1>One</h1><h1>Two</h1><img src="x.png"><input id="a"><input id="a">'
        "<button></button><a href='/'></a></body></html>"
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
    ):
        assert problem in found
