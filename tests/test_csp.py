"""The Content-Security-Policy: on every page, strict, and widened in one place only.

The browser tests (tests/browser/) run every page under this header and fail on
any violation Chromium reports; these tests check the header itself.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from obole.lib.env import ConfigError
from obole.web.csp import content_security_policy, csp_source
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parent.parent / "obole"


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def signed_in(account) -> Client:
    client = Client()
    assert client.login(username=account.username, password=PASSWORD)
    return client


def test_every_page_a_member_visits_carries_a_strict_policy(member):
    client = signed_in(member)
    pages = ["/home", "/membership", "/settings/profile", "/notifications", "/search", f"/@{member.username}"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], page
        assert policy["style-src"] == ["'self'"], page
        assert policy["object-src"] == ["'none'"], page
        assert policy["frame-ancestors"] == ["'none'"], page
        assert policy["form-action"] == ["'self'"], page
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_the_landing_page_error_pages_and_the_admin_carry_it_too():
    client = Client()
    assert "script-src 'self'" in client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/no/such/page")["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/admin/login/")["Content-Security-Policy"]


def test_the_api_answers_json_without_a_page_policy():
    response = Client().get("/api/v1/instance")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_sign_in_and_oauth_consent_may_send_the_browser_on_to_an_app(member):
    # Their forms' answers redirect to an app's own URI (myapp://callback), which
    # form-action 'self' would block; every other directive still holds.
    for page in ("/auth/sign_in", "/oauth/authorize"):
        policy = directives(Client().get(page)["Content-Security-Policy"])
        assert "form-action" not in policy, page
        assert policy["script-src"] == ["'self'"], page


class _InlineCode(HTMLParser):
    """Collects inline scripts, inline styles and on*= handlers in a template."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{name}= on <{tag}>" for name in names if name.startswith("on") or name == "style"]


# Written to a file by `obole economics --report` and opened from disk, never served: a report
# that must be one self-contained file carries its style sheet inline.
NOT_PAGES = {"economics/report.html"}


def test_no_template_holds_inline_script_style_or_handlers():
    templates = sorted(TEMPLATES.glob("*/templates/**/*.html"))
    assert len(templates) > 20
    for template in templates:
        if template.relative_to(template.parents[1]).as_posix() in NOT_PAGES:
            continue
        parser = _InlineCode()
        parser.feed(template.read_text())
        assert parser.found == [], f"{template}: {parser.found}"


def test_a_feature_widens_the_policy_through_the_one_extension_point(settings):
    stripe = csp_source("https://js.stripe.com/v3/", "OBOLE_STRIPE_JS_URL")
    assert stripe == "https://js.stripe.com"
    settings.CONTENT_SECURITY_POLICY = content_security_policy(
        {
            "script-src": [stripe],
            "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
            "connect-src": ["https://api.stripe.com"],
        }
    )
    policy = directives(Client().get("/")["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "https://js.stripe.com"]
    assert policy["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert policy["style-src"] == ["'self'"]


def test_without_extra_sources_no_frame_may_load():
    policy = directives(Client().get("/")["Content-Security-Policy"])
    assert policy["frame-src"] == ["'none'"]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://a.example; script-src *", "js.stripe.com", "https://'unsafe-inline'"],
)
def test_a_configured_url_cannot_smuggle_a_directive_in(url):
    with pytest.raises(ConfigError, match="OBOLE_STRIPE_JS_URL"):
        csp_source(url, "OBOLE_STRIPE_JS_URL")


def test_only_the_fetch_directives_of_features_can_be_widened():
    with pytest.raises(ConfigError, match="object-src"):
        content_security_policy({"object-src": ["https://plugins.example"]})
