"""No markup a member types runs in anyone's browser: a property test of the HTML sanitiser.

Hypothesis mixes hostile fragments (script elements, event handlers,
javascript: and data: URLs, style injection, broken quoting, entities) with
random text, and writes them as a post, a content warning, a display name and a
bio through the API. Then:

- the API's HTML fields (a status's `content`, an account's `note`) hold only
  the sanitiser's few tags, no event handler, no style, no URL but http(s);
  its plain-text fields (`spoiler_text`, `display_name`) come back as the text
  that was typed (Mastodon clients escape them);
- the web pages that show them (the post, the profile, the home timeline) are
  rendered through the Django test client and parsed: the only script is
  app.js, no element carries an on*= handler or a style attribute, no <style>,
  <iframe>, <object>, <embed>, <svg> or <math> element exists, and no href or
  src holds a javascript:, data: or vbscript: URL.

The example count is bounded (a few dozen) so that CI stays quick.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD, Api, token_for

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href=" jAvAsCrIpT:alert(1)">click</a>',
    "<a href='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='>x</a>",
    "<a href=vbscript:msgbox(1)>x</a>",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'onmouseover='alert(1)",
    '" onfocus="alert(1)" autofocus="',
    'https://a.example/"onmouseover="alert(1)',
    "https://a.example/<script>alert(1)</script>",
    "http://a.example/?q='><svg/onload=alert(1)>",
    "<style>body{display:none}</style>",
    '<p style="position:fixed;top:0">x</p>',
    "<span class=x onclick=alert(1)>x</span>",
    '<iframe src="https://evil.example"></iframe>',
    "<object data=x></object><embed src=x>",
    "<form action=https://evil.example><button formaction=javascript:alert(1)>",
    "<base href=https://evil.example/>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#106;avascript:alert(1)",
    "<!--<script>alert(1)//-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "#tag<script>alert(1)</script>",
    "@mary<img src=x onerror=alert(1)>",
    "@mary",
    "#sanitiser",
    "https://obole.example/ok",
    "\n\n",
    "\n",
]
# Printable text of any script, with line breaks; no NUL or lone surrogates (refused at the edge).
TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n"),
    max_size=20,
)
PIECES = st.lists(st.one_of(st.sampled_from(HOSTILE), TEXT), min_size=1, max_size=5)

DANGEROUS_ELEMENTS = {"script", "style", "iframe", "object", "embed", "svg", "math", "base", "form"}
SAFE_SCHEMES = {"", "http", "https"}


def compose(pieces: list[str], limit: int) -> str:
    return "".join(pieces).strip()[:limit].strip() or "x"


class Markup(HTMLParser):
    """Every problem a page or fragment of HTML shows, as readable strings."""

    def __init__(self, allowed_scripts: tuple[str, ...] = (), allowed_forms: bool = False):
        super().__init__(convert_charrefs=True)
        self.allowed_scripts = allowed_scripts
        self.allowed_forms = allowed_forms
        self.problems: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "script":
            if not (values.get("src") or "").startswith(self.allowed_scripts) or not self.allowed_scripts:
                self.problems.append(f"<script {values}>")
        elif tag in DANGEROUS_ELEMENTS and not (tag == "form" and self.allowed_forms):
            self.problems.append(f"<{tag}>")
        elif tag == "meta" and "http-equiv" in values:  # the page's own <meta charset> is fine
            self.problems.append(f"<meta {values}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value is not None:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def problems_in_fragment(html: str) -> tuple[list[str], set[str]]:
    parser = Markup()
    parser.feed(html)
    parser.close()
    return parser.problems, parser.tags


def problems_in_page(html: str) -> tuple[list[str], str]:
    parser = Markup(allowed_scripts=("/static/obole/app", "/static/obole/live"), allowed_forms=True)
    parser.feed(html)
    parser.close()
    return parser.problems, " ".join(parser.text)


FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis directory in the work tree; CI runs the same draws each time
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(text=PIECES, warning=PIECES, name=PIECES, bio=PIECES)
def test_nothing_a_member_types_survives_as_markup_in_the_api_or_the_pages(
    member, settings, text, warning, name, bio
):
    # Many posts in a row (more while Hypothesis shrinks a failure): no rate limit in the way.
    settings.OBOLE_RATE_LIMIT_POSTS = 0
    settings.OBOLE_RATE_LIMIT_REQUESTS = 0
    api = Api(token_for(member))
    post_text = compose(text, 450)
    spoiler = compose(warning, 100)
    display_name = compose(name, 30)
    note = compose(bio, 500)

    posted = api.post("/api/v1/statuses", {"status": post_text, "spoiler_text": spoiler})
    assert posted.status_code == 200, posted.content
    status = posted.json()
    profile = api.client.patch(
        "/api/v1/accounts/update_credentials",
        {"display_name": display_name, "note": note},
        content_type="application/json",
        headers=api.headers,
    )
    assert profile.status_code == 200, profile.content
    account = profile.json()

    # The API: HTML fields are sanitised; plain-text fields are the text itself.
    for field, html in (("content", status["content"]), ("note", account["note"])):
        problems, tags = problems_in_fragment(html)
        assert problems == [], f"{field}: {problems} in {html!r}"
        assert tags <= {"p", "br", "a", "span"}, f"{field}: {tags}"
    assert status["spoiler_text"] == spoiler
    assert account["display_name"] == display_name

    # The pages: the post (with its warning), the profile (name, bio) and the home timeline.
    client = Client()
    assert client.login(username=member.username, password=PASSWORD)
    for path in (f"/@{member.username}/{status['id']}", f"/@{member.username}", "/home"):
        response = client.get(path)
        assert response.status_code == 200, path
        problems, page_text = problems_in_page(response.content.decode())
        assert problems == [], f"{path}: {problems}"
        if path != "/home":
            # The hostile text is on the page, as text.
            assert " ".join(display_name.split()) in " ".join(page_text.split()), path


@FUZZ
@given(pieces=PIECES)
def test_the_sanitiser_alone_lets_no_element_handler_or_url_through(pieces):
    from obole.posts.text import plain_to_html, render

    typed = "".join(pieces)
    for html in (render(typed, "https://obole.example", {"mary": "mary"}).html, plain_to_html(typed)):
        problems, tags = problems_in_fragment(html)
        assert problems == [], f"{problems} in {html!r}"
        assert tags <= {"p", "br", "a", "span"}
