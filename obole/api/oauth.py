"""OAuth 2 the way Mastodon apps expect it, on top of django-oauth-toolkit.

- POST /api/v1/apps registers a confidential client and remembers the scopes
  it asked for; GET /api/v1/apps/verify_credentials shows it to its own tokens.
- Every app may use the authorization code (with or without PKCE S256), password
  and client credentials grants: Mastodon does not make apps choose, and
  Mastodon.py's `log_in` uses whichever it is given (`MastodonValidator`).
- A token never carries more than the app registered; "read" covers
  "read:statuses", "follow" covers follows, blocks and mutes (`auth.grants`).
  Unpaid accounts get every scope they ask for: the paywall is a 402 on writes.
- /oauth/token and /oauth/revoke accept JSON bodies as well as forms, and the
  token answer carries Mastodon's `created_at`.
- /oauth/authorize reuses the site's sign-in page, then asks to Authorize or
  Deny; `redirect_uri=urn:ietf:wg:oauth:2.0:oob` shows the code on a page.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pydantic
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.core.validators import URLValidator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView
from oauthlib.oauth2.rfc6749.errors import InvalidScopeError, OAuth2Error

from obole.accounts import login_limits
from obole.api import entities
from obole.api.auth import grants
from obole.api.endpoints import ApiError, endpoint
from obole.api.entities import profile_url
from obole.api.models import AppRegistration
from obole.lib.addresses import client_address_from_meta
from obole.lib.clean import problem
from obole.membership.permissions import can_write
from obole.trust import counters
from obole.web.csp import may_redirect_to_apps

Application = get_application_model()

OOB = "urn:ietf:wg:oauth:2.0:oob"
# What an app that registered nothing through /api/v1/apps (one made in the admin) may ask for.
UNRESTRICTED = "read write follow push"
# Mastodon's limits on a registration.
NAME_LIMIT = 60
URI_LIMIT = 2000
# Registered redirect URIs may use any scheme (native apps use their own) but these.
_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})
_GRANTS = frozenset({"authorization_code", "password", "client_credentials", "refresh_token"})


def registered_scopes(application: Application) -> str:
    try:
        return application.registration.scopes
    except AppRegistration.DoesNotExist:
        return UNRESTRICTED


def covers(registered: str, requested: list[str]) -> bool:
    return all(grants(registered, scope) for scope in requested)


class TooManySignIns(OAuth2Error):
    """The password grant past the failed sign-in limits: 429 with Retry-After."""

    error = "too_many_requests"
    status_code = 429

    def __init__(self, retry_after: int, **kwargs):
        super().__init__(**kwargs)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict:
        return {**super().headers, "Retry-After": str(self.retry_after)}


class MastodonValidator(OAuth2Validator):
    """DOT's validator, with Mastodon's rules for grants and scopes."""

    def validate_user(self, username, password, client, request, *args, **kwargs) -> bool:
        """The password grant, within the same failed sign-in limits as the web form."""
        ip = client_address_from_meta(request.headers, settings.OBOLE_TRUSTED_PROXIES)
        count = login_limits.refusal(ip, username or "")
        if count is not None:
            raise TooManySignIns(
                login_limits.retry_after(count), description=login_limits.message(count), request=request
            )
        valid = super().validate_user(username, password, client, request, *args, **kwargs)
        if not valid:
            login_limits.record_failure(ip, username or "")
        return valid

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        """No new token for a deactivated account: its refresh tokens die with its access tokens."""
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and request.user is not None and request.user.is_active

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        """Nor for a code the account was given before it was deactivated."""
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        return valid and request.user is not None and request.user.is_active

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        # One app, every grant a Mastodon client uses: DOT would tie each app to one.
        return grant_type in _GRANTS or super().validate_grant_type(
            client_id, grant_type, client, request, *args, **kwargs
        )

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs) -> bool:
        return response_type == "code"

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        if not set(scopes) <= set(oauth2_settings.SCOPES):
            return False
        registered = registered_scopes(client)
        if not covers(registered, scopes):
            raise InvalidScopeError(
                description=f"This app registered the scopes '{registered}' and may not ask for more.",
                request=request,
            )
        return True

    def get_default_scopes(self, client_id, request, *args, **kwargs) -> list[str]:
        """Mastodon's default, "read", unless the app registered less than that."""
        registered = registered_scopes(request.client)
        return ["read"] if grants(registered, "read") else registered.split()


# --- POST /api/v1/apps, GET /api/v1/apps/verify_credentials -------------------


class NewApp(pydantic.BaseModel):
    client_name: str = pydantic.Field(min_length=1, max_length=NAME_LIMIT)
    redirect_uris: str | list[str] = OOB
    scopes: str | list[str] = "read"
    website: str | None = pydantic.Field(None, max_length=URI_LIMIT)


def _words(value: str | list[str]) -> list[str]:
    """Space- or newline-separated words, or a list of them, without repeats."""
    words = value.split() if isinstance(value, str) else [word.strip() for word in value]
    return list(dict.fromkeys(word for word in words if word))


def _check_redirect_uri(uri: str) -> None:
    if uri == OOB:
        return
    try:
        parts = urlsplit(uri)
    except ValueError:
        parts = None
    if (
        parts is None
        or not parts.scheme
        or parts.scheme.lower() in _UNSAFE_SCHEMES
        or "#" in uri
        or (parts.scheme.lower() in ("http", "https") and not parts.hostname)
    ):
        raise ApiError(422, f"redirect_uris: {uri!r} is not an absolute URI an app can be sent back to.")


def _check_scopes(scopes: list[str]) -> None:
    unknown = [scope for scope in scopes if scope not in oauth2_settings.SCOPES]
    if unknown:
        raise ApiError(422, f"scopes: {unknown[0]!r} is not a scope of this server.")


def application_entity(application: Application, *, secret: str | None = None) -> dict:
    """Mastodon's Application; with the secret (a CredentialApplication) only when just created."""
    try:
        website = application.registration.website or None
    except AppRegistration.DoesNotExist:
        website = None
    uris = application.redirect_uris.split()
    entity = {
        "id": str(application.pk),
        "name": application.name,
        "website": website,
        "scopes": registered_scopes(application).split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        # Obole has no Web Push; the field stays for clients that require it.
        "vapid_key": "",
    }
    if secret is not None:
        entity |= {"client_id": application.client_id, "client_secret": secret, "client_secret_expires_at": 0}
    return entity


@endpoint(("POST",), stage=counters.APP_REGISTRATION)
def create_app(request: HttpRequest) -> JsonResponse:
    data = dict(request.data)
    if "redirect_uris[]" in request.POST:
        data["redirect_uris"] = request.POST.getlist("redirect_uris[]")
    form = NewApp.model_validate(data)
    name = form.client_name.strip()
    if not name:
        raise ApiError(422, "client_name: give the app a name.")
    uris = _words(form.redirect_uris) or [OOB]
    scopes = _words(form.scopes) or ["read"]
    for uri in uris:
        _check_redirect_uri(uri)
    if len(" ".join(uris)) > URI_LIMIT:
        raise ApiError(422, f"redirect_uris: at most {URI_LIMIT} characters in all.")
    _check_scopes(scopes)
    website = (form.website or "").strip()
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            raise ApiError(422, "website: give an http or https address.") from None
    secret = generate_client_secret()
    # Hashed here, before the transaction: on SQLite a transaction holds the write lock from its
    # start, and a hash inside it made other writes fail with "database is locked" under load.
    # This answer is the only time the secret is shown.
    hashed = make_password(secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER)
    with transaction.atomic():
        application = Application.objects.create(
            name=name,
            redirect_uris=" ".join(uris),
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            client_secret=hashed,
        )
        AppRegistration.objects.create(application=application, scopes=" ".join(scopes), website=website)
    return JsonResponse(application_entity(application, secret=secret))


@endpoint(("GET",), app=True)
def verify_app(request: HttpRequest) -> JsonResponse:
    """The app behind a token: an account's, or the app's own from the client credentials grant."""
    if request.token is None:
        raise ApiError(401, "This endpoint needs an access token.")
    return JsonResponse(application_entity(request.token.application))


# --- /oauth/token, /oauth/revoke ------------------------------------------------


def _oauth_error(status: int, code: str, description: str) -> JsonResponse:
    return JsonResponse({"error": code, "error_description": description}, status=status)


def _as_form(request: HttpRequest) -> JsonResponse | None:
    """Hand DOT a form whatever the client sent; a JSON body becomes form fields.

    Reading the body here also turns a body too large, or a form too broken to
    parse, into an OAuth error instead of an HTML page.
    """
    try:
        body = request.body
        if request.content_type != "application/json":
            request.POST  # noqa: B018 - parse now, inside the try
            return None
        data = json.loads(body or b"{}")
    except RequestDataTooBig:
        return _oauth_error(413, "invalid_request", "The request body is too large.")
    except (SuspiciousOperation, MultiPartParserError):
        return _oauth_error(400, "invalid_request", "The request body could not be read.")
    except (ValueError, UnicodeDecodeError):
        return _oauth_error(400, "invalid_request", "The request body is not valid JSON.")
    except RecursionError:
        return _oauth_error(400, "invalid_request", "The request body is nested too deeply.")
    if not isinstance(data, dict):
        return _oauth_error(400, "invalid_request", "The request body must be a JSON object.")
    try:
        found = problem(data)
    except RecursionError:
        found = "the request body is nested too deeply"
    if found:
        return _oauth_error(400, "invalid_request", f"{found[0].upper()}{found[1:]}.")
    form = QueryDict(mutable=True)
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            return _oauth_error(400, "invalid_request", f"{key} must be a string.")
        form[key] = str(value)
    request.POST = form
    return None


_dot_token = TokenView.as_view()
_dot_revoke = RevokeTokenView.as_view()


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _oauth_error(405, "invalid_request", "Use POST for this endpoint.")
    refusal = _as_form(request)
    if refusal is not None:
        return refusal
    response = _dot_token(request)
    if response.status_code == 200:
        # Mastodon's Token entity says when it was made, in seconds.
        body = json.loads(response.content)
        body["created_at"] = int(time.time())
        response.content = json.dumps(body)
    return response


@csrf_exempt
def revoke(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _oauth_error(405, "invalid_request", "Use POST for this endpoint.")
    refusal = _as_form(request)
    if refusal is not None:
        return refusal
    response = _dot_revoke(request)
    if response.status_code == 200:
        return JsonResponse({})
    return response


# --- /oauth/authorize -------------------------------------------------------------


@may_redirect_to_apps
class AuthorizeView(AuthorizationView):
    """DOT's authorization page in Obole's clothes, with the out-of-band code page."""

    template_name = "oauth/authorize.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        scopes, descriptions = context.get("scopes", []), context.get("scopes_descriptions", [])
        context["scope_rows"] = list(zip(scopes, descriptions, strict=True))
        context["can_write"] = can_write(self.request.user)
        return context

    def redirect(self, redirect_to: str, application: Application | None) -> HttpResponse:
        if redirect_to == OOB or redirect_to.startswith(OOB + "?"):
            params = parse_qs(urlsplit(redirect_to).query)
            context = {
                "application": application,
                "code": params.get("code", [""])[0],
                "denied": params.get("error", [""])[0],
            }
            return render(self.request, "oauth/oob.html", context)
        if application is None:
            return super().redirect(redirect_to, application)
        # The URI was matched against the app's registered ones, native schemes included.
        scheme = urlsplit(redirect_to).scheme.lower()
        allowed = [] if scheme in _UNSAFE_SCHEMES else [scheme]
        return OAuth2ResponseRedirect(redirect_to, allowed)


# --- /oauth/userinfo ------------------------------------------------------------------------


@endpoint(("GET", "POST"), scope="read:accounts")
def userinfo(request: HttpRequest) -> JsonResponse:
    """Who the token belongs to, as OpenID Connect's UserInfo (Mastodon answers it for "profile")."""
    account = request.account
    profile = profile_url(account.username)
    return JsonResponse(
        {
            "iss": oauth2_settings.oauth2_authorization_server_issuer(request),
            "sub": profile,
            "name": account.display_name or account.username,
            "preferred_username": account.username,
            "profile": profile,
            "picture": entities.account(account)["avatar"],
        }
    )


# --- /.well-known/oauth-authorization-server ---------------------------------------


@endpoint(("GET",))
def server_metadata(request: HttpRequest) -> JsonResponse:
    """RFC 8414 metadata, as Mastodon publishes it, so apps can discover the endpoints."""

    def url(name: str) -> str:
        return request.build_absolute_uri(reverse(name))

    return JsonResponse(
        {
            # The same issuer DOT puts in the `iss` of each authorization response (RFC 9207).
            "issuer": oauth2_settings.oauth2_authorization_server_issuer(request),
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": url("oauth-authorize"),
            "token_endpoint": url("oauth-token"),
            "revocation_endpoint": url("oauth-revoke"),
            "userinfo_endpoint": url("oauth-userinfo"),
            "app_registration_endpoint": url("api-apps"),
            "scopes_supported": list(oauth2_settings.SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": [
                "authorization_code",
                "password",
                "client_credentials",
                "refresh_token",
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }
    )
