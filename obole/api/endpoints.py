"""The `endpoint` decorator: one request path for every API view.

It answers the method, reads the body (JSON, form-encoded or query string —
Mastodon clients send all three), resolves the bearer token and its account,
checks the scope, and turns every expected failure into a Mastodon-style
`{"error": "..."}` with a 4xx status. Views receive `request.data` (a dict) and
`request.account`, and raise ApiError for anything else a client can fix.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta

import orjson
import pydantic
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from obole.accounts.models import Account
from obole.accounts.services import client_ip
from obole.api import ratelimit, unsupported
from obole.api.auth import bearer_token, find_app_token, find_token, grants
from obole.lib.clean import problem
from obole.lib.errors import UserError, WriteRefused
from obole.membership.permissions import require_write
from obole.trust import counters

log = logging.getLogger("obole.api")


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, rule: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.rule = rule


def error(status: int, message: str, rule: str = "") -> JsonResponse:
    """Mastodon's Error; a 422 is its ValidationError, which also names the field in `details`.

    A refusal made by one of Obole's checks (a limit, a screening rule, a card
    check, the write permission) also names it in `rule`: the same name the
    server counts it under as bot pressure (obole.trust.counters.refused).
    """
    body: dict = {"error": message}
    if status == 422:
        body["details"] = validation_details(message)
    if rule:
        body["rule"] = rule
    return JsonResponse(body, status=status)


def json_response(body: dict | list, status: int = 200) -> HttpResponse:
    """A JSON answer encoded with orjson: the hot reads' bodies (a page of statuses is tens of
    kilobytes) encode several times faster than with the standard library's encoder."""
    return HttpResponse(orjson.dumps(body), content_type="application/json", status=status)


_FIELD_MESSAGE = re.compile(r"(?P<field>[\w.\[\]]+): (?P<description>.+)", re.DOTALL)


def validation_details(message: str) -> dict[str, list[dict[str, str]]]:
    """`details` of a 422: {"exp_month": [{"error": "ERR_INVALID", "description": "..."}]} when the
    message starts with the field's name ("exp_month: ..."), as the API's messages do; {} otherwise."""
    found = _FIELD_MESSAGE.fullmatch(message)
    if found is None:
        return {}
    return {found["field"]: [{"error": "ERR_INVALID", "description": found["description"]}]}


def _read_body(request: HttpRequest) -> dict:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if request.method == "POST" and request.content_type == "multipart/form-data":
        return _upload_form(request, length)
    try:
        body = request.body
    except RequestDataTooBig:
        raise ApiError(413, "The request body is too large.") from None
    if not body or length == "0":
        return _fields(request.GET)
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "The request body is not valid JSON.") from None
        except RecursionError:
            raise ApiError(400, "The request body is nested too deeply.") from None
        if not isinstance(data, dict):
            if request.method in _BODILESS:
                return _fields(request.GET)
            raise ApiError(400, "The request body must be a JSON object.")
        found = _unstorable(data)
        if found:
            raise ApiError(400, found)
        # Rails merges the query string and a JSON body into one set of parameters; so does this.
        return {**_fields(request.GET), **data}
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            fields = {**_fields(request.GET), **_fields(_form(request, body))}
            found = _unstorable(fields)
            if found:
                raise ApiError(400, found)
            return fields
        except RequestDataTooBig:
            raise ApiError(413, "The request body is too large.") from None
        except MultiPartParserError:
            raise ApiError(400, "The request body is not a valid form.") from None
    if request.method in _BODILESS:
        return _fields(request.GET)
    raise ApiError(415, "Send the request body as JSON or as a form.")


# A body on these is not expected; clients that send one anyway (some send `[]` with a GET, or a
# body of a type nobody parses) are answered from the query string, as Mastodon answers them.
# Malformed JSON stays a 400, as there.
_BODILESS = frozenset(("GET", "HEAD"))


def _unstorable(data: dict) -> str | None:
    """What obole.lib.clean finds in a parsed JSON body, as a message (nesting included)."""
    try:
        found = problem(data)
    except RecursionError:
        return "The request body is nested too deeply."
    return found[0].upper() + found[1:] + "." if found else None


def _upload_form(request: HttpRequest, length: str) -> dict:
    """A multipart POST may carry a file (media uploads): its fields are parsed without holding
    the body in memory, files go to `request.FILES`, and only the file may be large."""
    try:
        too_big = int(length) > settings.OBOLE_MEDIA_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    except ValueError:
        raise ApiError(400, "Content-Length is not a number.") from None
    if too_big:
        raise ApiError(413, f"The request body is too large: files of at most "
                       f"{settings.OBOLE_MEDIA_MAX_BYTES:,} bytes are accepted.")  # fmt: skip
    try:
        fields = {**_fields(request.GET), **_fields(request.POST)}
    except RequestDataTooBig:
        raise ApiError(413, "The request body is too large.") from None
    except MultiPartParserError:
        raise ApiError(400, "The request body is not a valid form.") from None
    found = _unstorable(fields)
    if found:
        raise ApiError(400, found)
    return fields


def _fields(query: QueryDict) -> dict:
    """A query string or form as a dict: one value per field, but every value of an
    array field (`id[]=1&id[]=2`), as Mastodon clients send arrays."""
    return {key: query.getlist(key) if key.endswith("[]") else query[key] for key in query}


def _form(request: HttpRequest, body: bytes) -> QueryDict:
    """The form fields of the body. Django parses forms only for POST; Mastodon
    clients also send them with PATCH (update_credentials) and PUT."""
    if request.method == "POST":
        request.uploads = set(request.FILES)
        return request.POST
    if request.content_type == "multipart/form-data":
        fields, files = request.parse_file_upload(request.META, io.BytesIO(body))
        request.uploads = set(files)
        return fields
    return QueryDict(body, encoding=request.encoding)


def not_allowed(request: HttpRequest, *methods: str) -> JsonResponse:
    """405 naming the methods this path takes; 422 when the method is a Mastodon feature Obole lacks."""
    feature = unsupported.feature(request.method, request.path_info)
    if feature is not None:
        return unsupported.refusal(feature)
    response = error(405, f"Use {' or '.join(methods)} for this endpoint.")
    response["Allow"] = ", ".join(methods)
    return response


def validation_message(exc: pydantic.ValidationError) -> str:
    """'exp_month: Input should be a valid integer' — the first problem, named by field."""
    first = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "missing":
        message = "is required"
    return f"{field}: {message}" if field else message


# Rails' boolean cast, which Mastodon applies to its parameters: anything else is true.
_FALSE = frozenset(("0", "f", "false", "off", ""))


def truthy(value: object) -> bool:
    """A boolean parameter as Mastodon reads it: true, "true", "1"… yes; false, "false", "0", "" no."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)


def array_param(request: HttpRequest, name: str) -> list[str]:
    """An array parameter: `types[]=a&types[]=b` (or `types=a`) in the query, or a JSON array in the body."""
    values: list = request.GET.getlist(f"{name}[]") + request.GET.getlist(name)
    if not values:
        given = request.data.get(f"{name}[]", request.data.get(name))
        values = given if isinstance(given, list) else [] if given in (None, "") else [given]
    if not all(isinstance(value, (str, int)) and not isinstance(value, bool) for value in values):
        raise ApiError(400, f"{name}[] must be a list of strings.")
    return [str(value) for value in values]


def authorize_if_token(request: HttpRequest, scope: str) -> None:
    """For what anyone may read: no token is needed, but one that is sent must grant `scope`
    (Mastodon's `authorize_if_got_token!`)."""
    if request.account is not None and not grants(request.token.scope, scope):
        raise ApiError(403, "This action is outside the authorized scopes.")


def endpoint(
    methods: tuple[str, ...] = ("GET",),
    *,
    scope: str | None = None,
    write: bool = False,
    limit: str | None = None,
    app: bool = False,
    stage: str | None = None,
) -> Callable:
    """Wrap an API view. `scope` requires a token with that scope; `write` also
    requires the account to have write rights (402 otherwise); `limit` names an
    action rate limit of obole.api.ratelimit ("statuses", "follows") counted per
    account on top of the per-token request limit every call counts against.
    `app` also accepts app-only tokens (client credentials, no account): the
    view gets `request.token` with `request.account` None. `stage` (sign_up,
    app_registration, payment; write for `write` endpoints) is where a rate-limit
    refusal here is counted as bot pressure; refusals made further in (screening,
    cards, the write permission) are counted where they are made."""
    stage = stage or (counters.WRITE if write else None)

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return not_allowed(request, *methods)
            request.rate = None
            try:
                response = _call(view, request, args, kwargs, scope=scope, write=write, limit=limit, app=app)
            except ApiError as exc:
                if exc.rule and stage:
                    counters.refused(stage, exc.rule, timezone.now().date())
                response = error(exc.status, exc.message, exc.rule)
            except WriteRefused as exc:
                page = request.build_absolute_uri(reverse("membership"))
                response = error(402, f"{exc.message} Pay for your membership at {page}", exc.rule)
            except UserError as exc:
                response = error(exc.status, exc.message, exc.rule)
            except pydantic.ValidationError as exc:
                response = error(422, validation_message(exc))
            if request.rate is not None:
                request.rate.apply(response)
            return response

        return wrapper

    return decorate


def _seen(account: Account) -> None:
    """Mark an app user active (last_login) at most once a day: the instance's
    active-user counts would otherwise know only those who sign in on the web."""
    now = timezone.now()
    if account.last_login is None or now - account.last_login > timedelta(days=1):
        Account.objects.filter(pk=account.pk).update(last_login=now)
        account.last_login = now


def _call(view: Callable, request: HttpRequest, args, kwargs, *, scope, write, limit, app) -> HttpResponse:
    """Authenticate, count, authorise, then run the view — in that order, so that
    even refused requests count against the caller's rate limit."""
    request.uploads = set()  # names of the files sent in a multipart form
    request.data = _read_body(request)
    request.account = None
    request.token = None
    raw = bearer_token(request)
    if raw is not None:
        token = find_app_token(raw) if app else find_token(raw)
        if token is None:
            raise ApiError(401, "The access token is invalid or has expired.")
        request.account = token.user
        request.token = token
        if request.account is not None:
            _seen(request.account)
    who = f"token:{request.token.pk}" if request.token is not None else f"ip:{client_ip(request)}"
    request.rate = ratelimit.hit("requests", who)
    if request.rate is not None and request.rate.exceeded:
        raise ApiError(429, request.rate.message(), rule="rate_limit_requests")
    if scope is not None or write:
        if request.token is None:
            raise ApiError(401, "This endpoint needs an access token.")
        if scope is not None and not grants(request.token.scope, scope):
            raise ApiError(403, "This action is outside the authorized scopes.")
    if write:
        require_write(request.account)
    if limit is not None:
        action = ratelimit.hit(limit, f"account:{request.account.pk}")
        if action is not None:
            request.rate = action
            if action.exceeded:
                raise ApiError(429, action.message(), rule=f"rate_limit_{limit}")
    return view(request, *args, **kwargs)
