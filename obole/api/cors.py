"""CORS for the API, as Mastodon sends it, so that web clients on other origins work.

Any origin may call the API: it is authorised by bearer tokens, never by
cookies, so `Access-Control-Allow-Origin: *` (which browsers never combine
with credentials) opens nothing a token does not. Pages of the site itself
(sign-in, the authorization page, membership) get no CORS headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PREFIXES = ("/api/", "/.well-known/", "/nodeinfo/")
PATHS = ("/oauth/token", "/oauth/revoke")
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, Accept"
EXPOSE_HEADERS = "Link, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Request-Id"
# A list of header names, as a preflight names the headers it wants to send.
_HEADER_LIST = re.compile(r"[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*")


def applies(path: str) -> bool:
    return path.startswith(PREFIXES) or path in PATHS


class CorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not applies(request.path):
            return self.get_response(request)
        response = self.preflight(request) if request.method == "OPTIONS" else self.get_response(request)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response

    @staticmethod
    def preflight(request: HttpRequest) -> HttpResponse:
        """Answer before any view: a browser sends no token with a preflight."""
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = ALLOW_METHODS
        # Mastodon allows any header a client asks for; the usual ones are always named.
        asked = request.headers.get("Access-Control-Request-Headers", "").strip()
        allowed = f"{ALLOW_HEADERS}, {asked}" if asked and _HEADER_LIST.fullmatch(asked) else ALLOW_HEADERS
        response["Access-Control-Allow-Headers"] = allowed
        response["Access-Control-Max-Age"] = "7200"
        return response
