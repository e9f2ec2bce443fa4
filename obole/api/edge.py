"""The input middleware: requests the database could not take are refused at the door.

Every path, query string and form (pages, OAuth and API alike) is checked
once here for what no column can store (obole.lib.clean): a NUL character or
a lone surrogate answers 400 before any view runs, instead of a 500 from
PostgreSQL deep inside one. JSON bodies are checked by the API's `endpoint`
decorator and by the OAuth views, which parse them.

It also accepts the OAuth and API paths with a trailing slash, as Mastodon's
router does (`/oauth/authorize/`, `/api/v1/accounts/verify_credentials/`):
clients write them both ways.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, get_resolver

from obole.api import unsupported
from obole.lib.clean import problem

# Where clients (not browsers) call: answered in JSON, and forgiving about a trailing slash.
_CLIENT_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo/")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def for_clients(path: str) -> bool:
    return path.startswith(_CLIENT_PREFIXES)


class InputGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = problem(request.path_info, "the path") or _query_problem(request) or _form_problem(request)
        if found:
            return refuse(request, found)
        path = request.path_info
        if len(path) > 1 and path.endswith("/") and for_clients(path):
            _drop_trailing_slash(request)
        return self.get_response(request)


def refuse(request: HttpRequest, message: str) -> HttpResponse:
    message = message[0].upper() + message[1:] + "."
    if for_clients(request.path_info):
        if request.path_info.startswith("/oauth/"):
            return JsonResponse({"error": "invalid_request", "error_description": message}, status=400)
        return JsonResponse({"error": message}, status=400)
    # Before the session and user are known, so a plain page rather than the site's template.
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _query_problem(request: HttpRequest) -> str | None:
    if not request.META.get("QUERY_STRING"):
        return None  # most API calls have none: no need to parse one
    return _fields_problem(request.GET)


def _form_problem(request: HttpRequest) -> str | None:
    if request.method != "POST" or request.content_type not in _FORMS:
        return None  # PATCH and PUT forms are parsed, and checked, by the API's endpoint decorator
    try:
        request.body  # noqa: B018 - kept, so that the view can still read the body after the form
        form = request.POST
    except (RequestDataTooBig, SuspiciousOperation, MultiPartParserError):
        return None  # the view answers these as it always has (413, 400)
    return _fields_problem(form)


def _fields_problem(fields: QueryDict) -> str | None:
    for key, values in fields.lists():
        found = problem(key, "a field name") or problem(values, key)
        if found:
            return found
    return None


def _drop_trailing_slash(request: HttpRequest) -> None:
    """Route `/api/v1/x/` as `/api/v1/x` when only the latter exists."""
    resolver = get_resolver()
    try:
        if resolver.resolve(request.path_info).func is not unsupported.view:
            return
    except Resolver404:
        pass
    stripped = request.path_info.rstrip("/")
    try:
        resolver.resolve(stripped)
    except Resolver404:
        return
    request.path_info = stripped
    request.path = request.path.rstrip("/")
