"""The economics report is one self-contained HTML file: it opens in Chromium with every chart drawn.
The staff dashboard shows bot pressure, counted by the server as it refused, to staff alone."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from obole.economics.model import Inputs
from obole.economics.report import render
from tests.browser.people import DECLINED_CARD, GOOD_CARD, PASSWORD, fill_card, pay, sign_up
from tests.browser.test_moderation import make_staff
from tests.live import serve
from tests.test_economics_dashboard import a_small_run


def test_the_report_opens_offline_with_its_charts(browser, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render(Inputs(detection=Decimal("0.1")), a_small_run()))
    html = path.read_text()
    assert "<script" not in html
    assert "http://" not in html.replace("http://127.0.0.1:8000", "")  # nothing fetched from elsewhere
    context = browser.new_context(offline=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    images = page.locator("img")
    assert images.count() == 5
    widths = page.eval_on_selector_all(
        "img", "images => images.map(image => image.complete && image.naturalWidth)"
    )
    assert all(width > 100 for width in widths), widths
    assert page.get_by_role("heading", name="Simulated farm against http://127.0.0.1:8000").is_visible()
    assert page.get_by_role("heading", name="Bots stopped, by rule").is_visible()
    assert page.get_by_role("row", name="one_card_per_account 1 0 payment 1 0 (1)").is_visible()
    assert page.get_by_text("The model takes it as its p").is_visible()
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    context.close()


def test_obole_economics_writes_the_report_and_the_charts(tmp_path, db):
    call_command("economics", "--report", str(tmp_path / "r.html"), "--charts", str(tmp_path / "charts"))
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64,") == 3
    names = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert names == ["card-kinds.png", "cost-by-fee.png", "fee-detection.png"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    # Two sign-ups an hour from one address: the browser's third is refused.
    with serve(tmp_path_factory.mktemp("obole-economics"), "economics", OBOLE_SIGNUPS_PER_IP="2") as running:
        yield running


@pytest.fixture(scope="module")
def server(live):
    return live[0]


@pytest.mark.slow
def test_staff_see_bot_pressure_and_no_one_else_does(new_context, live):
    _, env = live
    operator = new_context().new_page()
    sign_up(operator, "operator")
    fill_card(operator, DECLINED_CARD)  # refused: counted at the payment stage under its decline code
    expect(operator.get_by_text(re.compile("declined", re.I)).first).to_be_visible()
    pay(operator, GOOD_CARD)
    make_staff(env, "operator")

    member = new_context().new_page()
    sign_up(member, "visitor")
    assert member.goto("/staff/economics").status == 404  # a member is not staff
    stranger = new_context().new_page()
    assert stranger.goto("/staff/economics").status == 404
    stranger.goto("/auth/sign_up")
    stranger.get_by_label("Username").fill("third")
    stranger.get_by_label("Email").fill("third@example.org")
    stranger.get_by_label("Password").fill(PASSWORD)
    stranger.get_by_role("button", name="Create account").click()
    expect(stranger.get_by_text(re.compile("Too many accounts"))).to_be_visible()

    operator.goto("/staff/economics")
    expect(operator.get_by_role("heading", name="Bot pressure")).to_be_visible()
    chart = operator.get_by_role("img", name="Requests refused per day, by stage and rule")
    expect(chart).to_be_visible()
    widths = operator.eval_on_selector_all(
        "img", "images => images.map(image => image.complete && image.naturalWidth)"
    )
    assert len(widths) == 3 and all(width > 100 for width in widths), widths  # drawn, under the CSP
    totals = operator.get_by_role("table").filter(has=operator.get_by_text("Refused in the last 30 days"))
    expect(totals.get_by_role("row", name="sign up: signups_per_ip 1")).to_be_visible()
    expect(totals.get_by_role("row", name="payment: generic_decline 1")).to_be_visible()
    by_day = operator.get_by_role("table").filter(has=operator.get_by_text("Day by day"))
    expect(by_day.get_by_role("cell", name="payment: generic_decline")).to_be_visible()
