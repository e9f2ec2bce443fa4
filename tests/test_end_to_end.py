"""The whole story on a real server: `obole serve` on a fresh data directory, driven over HTTP.

A newcomer signs up, sees the account is read-only, is declined with one card,
pays with 4242 4242 4242 4242 and becomes active; `obole billing run` twice in
a row then charges the renewal once.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-e2e"), "e2e") as running:
        yield running


class Browser:
    """Just enough of a browser: cookies, CSRF tokens, forms."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def submit(self, path: str, fields: dict) -> tuple[int, str]:
        _, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        request = urllib.request.Request(self.base + path, body, headers={"Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_sign_up_pay_and_renew_once(server):
    base, env = server
    browser = Browser(base)
    status, landing = browser.get("/")
    assert status == 200 and "3.00 USD" in landing
    css = re.search(r'href="(/static/[^"]+\.css)"', landing).group(1)
    assert browser.get(css)[0] == 200

    status, page = browser.submit("/auth/sign_up", {"username": "Newcomer", "password": "a long pass phrase"})
    assert status == 200 and "read-only" in page and "4242 4242 4242 4242" in page

    card = {"exp_month": "12", "exp_year": str(datetime.now(UTC).year + 3), "cvc": "123"}
    status, page = browser.submit("/membership", {**card, "card_number": "4000 0000 0000 9995"})
    assert status == 402 and "Your card was declined: insufficient funds." in page

    # Paid: the member lands on their home timeline, where the compose box replaces the refusal.
    status, page = browser.submit("/membership", {**card, "card_number": "4242 4242 4242 4242"})
    assert status == 200 and "Thank you" in page and "What's on your mind?" in page
    assert "read-only" not in page
    status, page = browser.get("/membership")
    assert status == 200 and "Visa ending 4242" in page

    # Errors under /api/ are JSON, even for paths that do not exist.
    status, body = browser.get("/api/obole/v1/nothing-here")
    assert status == 404 and json.loads(body) == {"error": "Record not found"}

    due = (datetime.now(UTC) + timedelta(days=32)).isoformat()
    outputs = []
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, "-m", "obole", "billing", "run", "--as-of", due],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert "paid 1" in outputs[0]
    assert "paid 0" in outputs[1] and "invoiced 0" in outputs[1]

    status, page = browser.get("/membership")
    charges = re.findall(r"<td>Charge\b", page)
    assert len(charges) == 2, page  # the first period and one renewal, not two
