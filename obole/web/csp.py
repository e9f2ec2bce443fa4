"""The Content-Security-Policy of the web pages (django-csp sends it).

Every page loads its script (app.js), its style sheet and its images from this
server and nothing else: no inline <script>, no on*= handler attributes, no
style="" attributes, no eval. A post that slipped an element past the HTML
sanitiser could therefore still not run code or restyle the page.

The API (/api/…) answers JSON and leaves the middleware stack before django-csp
(obole.api.fastpath), so the header is on the pages only.

A feature that needs another origin — a payment provider's script, its card
frames and the API its script calls — adds it in one place: the
`CSP_EXTRA_SOURCES` dict at the end of obole/settings.py, by directive
(`script-src`, `frame-src`, `connect-src`, `img-src`, `style-src`), e.g.

    CSP_EXTRA_SOURCES["script-src"].append(csp_source(OBOLE_STRIPE_JS_URL, "OBOLE_STRIPE_JS_URL"))

`csp_source` checks the value (a configured URL must not smuggle in another
directive) and returns the URL's origin. The directives not listed stay closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from csp.decorators import csp_replace
from django.utils.decorators import method_decorator

from obole.lib.env import ConfigError

# The directives a feature may widen; the others ('none' or 'self') are fixed.
EXTENSIBLE = ("script-src", "frame-src", "connect-src", "img-src", "style-src")


def csp_source(url: str, variable: str) -> str:
    """The origin of `url` (https://js.stripe.com/v3/ → https://js.stripe.com), for a policy.

    `variable` names the setting the URL came from, for the error message.
    """
    parts = urlsplit(url.strip())
    if (
        parts.scheme not in ("https", "http", "wss", "ws")
        or not parts.hostname
        or any(c in url for c in " ;,'\"")
    ):
        raise ConfigError(
            f"{variable} must be an http(s) or ws(s) URL such as https://js.example.com/v3, not {url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(extra: Mapping[str, Iterable[str]]) -> dict:
    """django-csp's CONTENT_SECURITY_POLICY setting: the base policy plus `extra` sources."""
    unknown = set(extra) - set(EXTENSIBLE)
    if unknown:
        raise ConfigError(f"CSP_EXTRA_SOURCES may only widen {', '.join(EXTENSIBLE)}, not {sorted(unknown)}")

    def sources(directive: str, base: list[str]) -> list[str]:
        return base + [source for source in extra.get(directive, ()) if source not in base]

    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": sources("script-src", [SELF]),
            "style-src": sources("style-src", [SELF]),
            "img-src": sources("img-src", [SELF]),
            "connect-src": sources("connect-src", [SELF]),
            # No frames at all unless a feature names where they come from.
            "frame-src": sources("frame-src", []) or [NONE],
            "font-src": [SELF],
            "object-src": [NONE],
            "base-uri": [NONE],
            # Forms post to this server only. The OAuth consent page is the exception:
            # its answer redirects to the app's own redirect URI (obole.api.oauth).
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        },
    }


# For the views whose form's answer may redirect to an app's own redirect URI
# (myapp://callback, http://localhost:…): the OAuth consent page, and the sign-in
# page that continues to it. Chromium applies form-action to every redirect that
# follows a form submission, so 'self' would break signing in from an app.
may_redirect_to_apps = method_decorator(csp_replace({"form-action": None}), name="dispatch")
