"""The short way through for API requests.

API clients authenticate with a bearer token, never a session cookie, and
every API view is CSRF-exempt and answers JSON. So for paths under /api/ the
session, CSRF, authentication, messages and frame-options middleware do
nothing useful — but each still costs time on every call, and the API's hot
reads (home timelines, verify_credentials) are called far more than any page.
This middleware, placed after the CORS and security middleware, resolves
/api/ paths itself and calls the view directly. Everything else (pages,
OAuth, admin, static files) takes the full stack. An exception in a view is
still turned into the JSON 500 by Django's handler around this middleware.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, get_resolver


class ApiFastPath:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        match = _resolve(request.path_info)
        if match is None:
            return self.get_response(request)  # the full stack answers the 404
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)


@functools.lru_cache(maxsize=4096)
def _resolve(path: str) -> ResolverMatch | None:
    """The view for an API path. Walking the URL patterns took a fifth of a verify_credentials
    call; the hot paths are few (home, verify_credentials), so their answers are kept."""
    try:
        return get_resolver().resolve(path)
    except Resolver404:
        return None
