"""Mastodon's accounts API: sign-up, one's own profile, and reading other accounts.

- POST  /api/v1/accounts: sign up with an app token (client credentials) → Token
- GET   /api/v1/accounts?id[]=: several accounts at once
- GET   /api/v1/accounts/verify_credentials, PATCH /api/v1/accounts/update_credentials
  → CredentialAccount. Editing one's own profile manages the account, so it
  needs no paid membership (docs/architecture.md rule 2).
- GET   /api/v1/accounts/:id, /lookup?acct=, /search?q=
- GET   /api/v1/accounts/:id/statuses, /followers, /following, with Link pagination

Follows, blocks, mutes and relationships are in `relationships.py`. Reading
an account works without a token; a token, if sent, must carry the scope.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import AccessToken, RefreshToken, set_token_value
from oauth2_provider.settings import oauth2_settings

from obole.accounts import confirmation
from obole.accounts.models import DISPLAY_NAME_MAX_LENGTH, NOTE_MAX_LENGTH, Account, Follow
from obole.accounts.services import client_ip, create_account
from obole.api import entities
from obole.api.auth import grants
from obole.api.endpoints import (
    ApiError,
    array_param,
    authorize_if_token,
    endpoint,
    error,
    json_response,
    not_allowed,
    truthy,
)
from obole.api.filters import without_hidden
from obole.api.pagination import page_of, paged_response, paginate
from obole.lib.errors import WriteRefused
from obole.membership.permissions import profile_text_refusal
from obole.posts.access import get_account, statuses_of
from obole.posts.models import StatusTag
from obole.posts.pins import pinned_statuses
from obole.posts.search import local_username, matching_accounts
from obole.posts.services import LANGUAGE
from obole.trust import counters

_LOCALE = re.compile(r"[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?")
ACCOUNTS_PER_REQUEST = 40  # Mastodon's limit on GET /api/v1/accounts?id[]=
REASON_MAX_LENGTH = 1000
QUERY_MAX_LENGTH = 500
_SIGN_UP_ERRORS = {
    "required": "ERR_BLANK",
    "taken": "ERR_TAKEN",
    "reserved": "ERR_RESERVED",
    "max_length": "ERR_TOO_LONG",
    "password_too_short": "ERR_TOO_SHORT",
}


# --- parameters shared with relationships.py ----------------------------------------


def flag(data: dict, name: str, default: bool | None = None) -> bool | None:
    """A boolean parameter read by `truthy`; absent or "" (a blank form field) → `default`."""
    value = data.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, (bool, int, str)):
        raise ApiError(422, f"{name} must be true or false.")
    return truthy(value)


def text(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"{name} must be a string.")
    return value


def number(data: dict, name: str, default: int, *, maximum: int) -> int:
    value = data.get(name)
    if value is None or value == "":
        return default
    try:
        parsed = int(str(value))
    except ValueError:
        raise ApiError(400, f"{name} must be a number.") from None
    return max(0, min(parsed, maximum))


def id_list(request: HttpRequest) -> list[int]:
    """The ids of `id[]=1&id[]=2` (or `id=1`, or a JSON array), in order, once each; non-numbers skipped
    (no account has them, and Mastodon skips unknown ids)."""
    ids = (value.strip() for value in array_param(request, "id"))
    numbers = (int(value) for value in ids if value.isascii() and value.isdigit())
    return list(dict.fromkeys(number for number in numbers if number < 2**63))


class Problems:
    """Mastodon's 422 for invalid records: a summary and, per field, codes such as ERR_TAKEN."""

    def __init__(self) -> None:
        self.details: dict[str, list[dict]] = {}
        self.sentences: list[str] = []

    def add(self, field: str, code: str, description: str, sentence: str | None = None) -> None:
        self.details.setdefault(field, []).append({"error": code, "description": description})
        label = field.replace("_", " ").capitalize()
        self.sentences.append(sentence or f"{label} {description}")

    def __bool__(self) -> bool:
        return bool(self.details)

    def response(self, rule: str = "") -> JsonResponse:
        """The 422; `rule` names the screening check that refused, as obole.api.endpoints.error does."""
        summary = "Validation failed: " + ", ".join(self.sentences)
        body = {"error": summary, "details": self.details} | ({"rule": rule} if rule else {})
        return JsonResponse(body, status=422)


# --- POST /api/v1/accounts, GET /api/v1/accounts ---------------------------------------


@csrf_exempt  # the views it calls are exempt, but the middleware looks at this one
def collection(request: HttpRequest) -> JsonResponse:
    """One path, two methods: sign-up (an app token) and several accounts by id."""
    if request.method == "POST":
        return sign_up(request)
    if request.method == "GET":
        return index(request)
    return not_allowed(request, "GET", "POST")


@endpoint(("POST",), app=True, stage=counters.SIGN_UP)
def sign_up(request: HttpRequest) -> JsonResponse:
    """Register an account and answer a token for it, as Mastodon's AppSignUpService does.

    Only an app's own token (client credentials) may sign up: an account's
    token creating more accounts is how a farm of bots would grow.
    """
    token = request.token
    if token is None:
        raise ApiError(401, "Sign up with an app token (the client_credentials grant of /oauth/token).")
    if request.account is not None:
        raise ApiError(403, "Sign up with an app token, not with an account's token.")
    if not grants(token.scope, "write:accounts"):
        raise ApiError(403, "This action is outside the authorized scopes.")
    if not settings.OBOLE_REGISTRATION_OPEN:
        raise ApiError(403, "Registration is closed on this server.")
    data = request.data
    username, email, password = (
        text(data, "username") or "",
        text(data, "email") or "",
        text(data, "password"),
    )
    locale, reason = text(data, "locale") or "", text(data, "reason") or ""
    problems = Problems()
    if not flag(data, "agreement", False):
        problems.add("agreement", "ERR_ACCEPTED", "must be accepted")
    if not email:
        problems.add("email", "ERR_BLANK", "can't be blank")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.add("email", "ERR_INVALID", "is invalid")
    if not password:
        problems.add("password", "ERR_BLANK", "can't be blank")
    if locale and not _LOCALE.fullmatch(locale):
        problems.add("locale", "ERR_INCLUSION", "is not included in the list")
    if len(reason) > REASON_MAX_LENGTH:
        problems.add("reason", "ERR_TOO_LONG", f"is too long (maximum is {REASON_MAX_LENGTH} characters)")
    if problems:
        return problems.response()
    body: dict = {}
    try:
        # The token is issued in the account's own insert transaction, after the password is hashed.
        account = create_account(
            username,
            password,
            email,
            ip=client_ip(request),
            on_create=lambda new: body.update(_issue_token(new, token)),
        )
    except ValidationError as exc:
        return _sign_up_refusal(exc)
    if settings.OBOLE_EMAIL_CONFIRMATION:
        link = request.build_absolute_uri(reverse("confirm-email", args=[confirmation.make_token(account)]))
        confirmation.send_confirmation(account, link)
    return JsonResponse(body)


def _sign_up_refusal(exc: ValidationError) -> JsonResponse:
    errors = exc.error_dict
    refusals = [item for items in errors.values() for item in items if (item.params or {}).get("rule")]
    if any(item.code == "throttled" for item in errors.get("__all__", [])):
        return error(429, errors["__all__"][0].messages[0], refusals[0].params["rule"] if refusals else "")
    problems = Problems()
    for field, items in errors.items():
        for item in items:
            message = item.messages[0]
            problems.add(field, _SIGN_UP_ERRORS.get(item.code, "ERR_INVALID"), message, sentence=message)
    # Refused by screening (a disposable address, a rule): named, as card checks are.
    return problems.response(refusals[0].params["rule"] if refusals else "")


def _issue_token(account: Account, app_token: AccessToken) -> dict:
    """A token for the new account, for the app that signed it up, with the app token's scopes."""
    now = timezone.now()
    lifetime = oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    access = AccessToken(
        user=account,
        application=app_token.application,
        scope=app_token.scope,
        expires=now + timedelta(seconds=lifetime),
    )
    raw_access = secrets.token_urlsafe(32)
    set_token_value(access, raw_access)  # stored as a checksum only
    access.save()
    refresh = RefreshToken(
        user=account, application=app_token.application, access_token=access, token_family=uuid.uuid4()
    )
    raw_refresh = secrets.token_urlsafe(32)
    set_token_value(refresh, raw_refresh)
    refresh.save()
    return {
        "access_token": raw_access,
        "token_type": "Bearer",
        "scope": access.scope,
        "created_at": int(now.timestamp()),
        "expires_in": lifetime,
        "refresh_token": raw_refresh,
    }


@endpoint(("GET",))
def index(request: HttpRequest) -> JsonResponse:
    authorize_if_token(request, "read:accounts")
    ids = id_list(request)
    if len(ids) > ACCOUNTS_PER_REQUEST:
        raise ApiError(422, f"Ask for at most {ACCOUNTS_PER_REQUEST} accounts at once.")
    found = Account.objects.in_bulk(ids)
    return JsonResponse(
        entities.accounts(found[pk] for pk in ids if pk in found and found[pk].is_active), safe=False
    )


# --- one's own account ------------------------------------------------------------------


@endpoint(("GET",), scope="read:accounts")
def verify_credentials(request: HttpRequest) -> JsonResponse:
    return json_response(entities.credential_account(request.account))


@endpoint(("PATCH", "PUT"), scope="write:accounts")
def update_credentials(request: HttpRequest) -> JsonResponse:
    """Change the profile and posting defaults. Fields left out stay as they are.

    `source` comes nested in JSON ({"source": {"privacy": ...}}) or flat in
    forms (source[privacy]=...). Avatars, headers and profile fields are not
    kept yet: sending one answers 422 rather than a success that drops it.
    """
    data = request.data
    source = data.get("source", {})
    if not isinstance(source, dict):
        raise ApiError(422, "source must be an object.")
    source = {
        **source,
        **{key[7:-1]: v for key, v in data.items() if key.startswith("source[") and key.endswith("]")},
    }
    for name in ("avatar", "header"):
        if name in request.uploads or data.get(name) not in (None, ""):
            # Saying "saved" while dropping the picture would leave the member wondering where it went.
            raise ApiError(422, f"{name}: uploading a picture is not supported on this server yet.")
    if any(key.startswith("fields_attributes") for key in data):
        raise ApiError(422, "fields_attributes: profile fields are not supported on this server yet.")
    account = request.account
    problems = Problems()
    changed: dict[str, object] = {}

    for name, limit in (("display_name", DISPLAY_NAME_MAX_LENGTH), ("note", NOTE_MAX_LENGTH)):
        value = text(data, name)
        if value is None:
            continue
        value = value.strip()
        if len(value) > limit:
            problems.add(name, "ERR_TOO_LONG", f"is too long (maximum is {limit} characters)")
        changed[name] = value
    for name in ("bot", "discoverable"):
        value = flag(data, name)
        if value is not None:
            changed[name] = value
    if flag(data, "locked", False):
        problems.add("locked", "ERR_INVALID", "is not offered: anyone may follow an Obole account")

    privacy = text(source, "privacy")
    if privacy:
        if privacy not in ("public", "unlisted", "private"):
            problems.add("source[privacy]", "ERR_INCLUSION", "must be public, unlisted or private")
        changed["default_visibility"] = privacy
    sensitive = flag(source, "sensitive")
    if sensitive is not None:
        changed["default_sensitive"] = sensitive
    language = text(source, "language")
    if language is not None:
        if language and not LANGUAGE.fullmatch(language):
            problems.add("source[language]", "ERR_INVALID", "must be an ISO 639 code such as en")
        changed["default_language"] = language

    if problems:
        return problems.response()
    shown = ("display_name", "note")
    refusal = profile_text_refusal(
        account,
        {name: getattr(account, name) for name in shown},
        {name: value for name, value in changed.items() if name in shown},
    )
    if refusal is not None:
        raise WriteRefused(refusal)
    if changed:
        for field, value in changed.items():
            setattr(account, field, value)
        account.save(update_fields=list(changed))
    return JsonResponse(entities.credential_account(account))


# --- other accounts ---------------------------------------------------------------------


@endpoint(("GET",))
def show(request: HttpRequest, account_id: str) -> JsonResponse:
    authorize_if_token(request, "read:accounts")
    return JsonResponse(entities.account(get_account(account_id)))


@endpoint(("GET",))
def lookup(request: HttpRequest) -> JsonResponse:
    authorize_if_token(request, "read:accounts")
    acct = text(request.data, "acct")
    if not acct or not acct.strip():
        raise ApiError(400, "acct is required: a username such as mary or mary@this.server.")
    username = local_username(acct, request.get_host())
    row = Account.objects.filter(username__iexact=username, is_active=True).first() if username else None
    if row is None:
        raise ApiError(404, "Record not found")
    return JsonResponse(entities.account(row))


@endpoint(("GET",), scope="read:accounts")
def search(request: HttpRequest) -> JsonResponse:
    """Accounts whose username or display name starts with `q`: exact username first, then by followers."""
    data = request.data
    query = text(data, "q")
    if not query or not query.strip():
        raise ApiError(400, "q is required: the start of a username or display name.")
    if len(query) > QUERY_MAX_LENGTH:
        raise ApiError(400, f"q is too long (at most {QUERY_MAX_LENGTH} characters).")
    limit = max(1, number(data, "limit", 40, maximum=80))
    offset = number(data, "offset", 0, maximum=10_000)
    following = flag(data, "following", False)
    flag(data, "resolve", False)  # nothing to resolve: there are no other servers
    rows = matching_accounts(query, request.account, following=following, host=request.get_host())
    return JsonResponse(entities.accounts(rows[offset : offset + limit]), safe=False)


@endpoint(("GET",))
def statuses(request: HttpRequest, account_id: str) -> JsonResponse:
    """The account's statuses the viewer may see, newest first; none when either blocks the other."""
    authorize_if_token(request, "read:statuses")
    target = get_account(account_id)
    viewer = request.account
    data = request.data
    page = page_of(request)
    tagged = text(data, "tagged")
    exclude_replies = flag(data, "exclude_replies", False)
    exclude_reblogs = flag(data, "exclude_reblogs", False)
    # No media exist yet: that view is empty.
    if flag(data, "only_media", False):
        return JsonResponse([], safe=False)
    rows = pinned_statuses(viewer, target) if flag(data, "pinned", False) else statuses_of(viewer, target)
    if exclude_replies:
        # A thread the author continues is not a reply "to a different account".
        rows = rows.exclude(Q(in_reply_to_account_id__isnull=False) & ~Q(in_reply_to_account_id=target.pk))
    if exclude_reblogs:
        rows = rows.filter(reblog_of__isnull=True)
    if tagged:
        tag_name = tagged.strip().lstrip("#").lower()
        rows = rows.filter(id__in=StatusTag.objects.filter(tag__name=tag_name).values("status_id"))
    found = paginate(rows.select_related("account", "reblog_of__account"), page)
    shown = without_hidden(entities.statuses(found, viewer, context="account"))
    return paged_response(request, shown, [row.pk for row in found])


def _follow_list(request: HttpRequest, account_id: str, *, followers: bool) -> JsonResponse:
    """Followers or follows, newest follow first, paged on the Follow row."""
    authorize_if_token(request, "read:accounts")
    target = get_account(account_id)
    page = page_of(request, default=40, maximum=80)
    viewer = request.account
    # An account that blocks the viewer does not show them whom it knows.
    if viewer is not None and target.blocks.filter(target=viewer).exists():
        return JsonResponse([], safe=False)
    if followers:
        rows = Follow.objects.filter(target=target, follower__is_active=True).select_related("follower")
    else:
        rows = Follow.objects.filter(follower=target, target__is_active=True).select_related("target")
    found = paginate(rows, page)
    people = [row.follower if followers else row.target for row in found]
    return paged_response(request, entities.accounts(people), [row.pk for row in found])


@endpoint(("GET",))
def followers(request: HttpRequest, account_id: str) -> JsonResponse:
    return _follow_list(request, account_id, followers=True)


@endpoint(("GET",))
def following(request: HttpRequest, account_id: str) -> JsonResponse:
    return _follow_list(request, account_id, followers=False)
